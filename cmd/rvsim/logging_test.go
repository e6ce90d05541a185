package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/vmm"
)

// TestLogLevels checks what each log level shows: nothing of rvsim's at
// the default level, the load, memory layout and end at info, and each
// exit to the monitor and each trace segment at debug.
func TestLogLevels(t *testing.T) {
	hello := programPath("hello")
	if r := cli(t, "", "run", hello); guestStderr(r.stderr) != r.stderr {
		t.Errorf("the default level shows rvsim lines: %q", r.stderr)
	}
	r := cli(t, "", "--log-level", "info", "run", hello)
	for _, re := range []string{
		`rvsim: info: loaded \{"program": ".*hello\.elf", "kind": "linux", "entry": "0x[0-9a-f]+", "segments": \["\[0x[0-9a-f]+, 0x[0-9a-f]+\) r-x", "\[0x[0-9a-f]+, 0x[0-9a-f]+\) rw-"\]`,
		`"memory_base": "0x[0-9a-f]+", "memory_size": 268435456, "mode": "normal", "heap": "\[0x[0-9a-f]+, 0x[0-9a-f]+\) \(grows up\)", "mmap": "below 0x[0-9a-f]+ \(grows down\)", "stack": "\[0x[0-9a-f]+, 0x[0-9a-f]+\)", "sp": "0x[0-9a-f]+"\}\n`,
		`rvsim: info: run ended \{"mode": "normal", "reason": "exit", "instret": [1-9][0-9]*, "pc": "0x[0-9a-f]+", "status": 0, "wall": [0-9.e-]+\}\n`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("--log-level info: stderr lacks %q:\n%s", re, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "rvsim: debug:") {
		t.Errorf("--log-level info shows debug lines:\n%s", r.stderr)
	}
	r = cli(t, "", "--log-level", "info", "run", programPath("bare_hello"))
	if !regexp.MustCompile(`rvsim: info: loaded \{"program": ".*bare_hello\.elf", "kind": "bare-metal", "entry": "0x80000000"`).MatchString(r.stderr) || strings.Contains(r.stderr, `"heap"`) {
		t.Errorf("--log-level info, bare-metal:\n%s", r.stderr)
	}

	trace := filepath.Join(t.TempDir(), "t.zst")
	r = cli(t, "", "--log-level", "debug", "record", "--nd-buffer", "16", "-o", trace, programPath("ndloop"), "300")
	for _, re := range []string{
		`rvsim: info: loaded \{.*"mode": "record", .*"nd_buffer": "0x[0-9a-f]+"\}\n`,
		`rvsim: debug: exit to the monitor \{"cause": "nd-full", "code": 24, "pc": "0x[0-9a-f]+", "instret": [0-9]+\}\n`,
		`rvsim: debug: exit to the monitor \{"cause": "syscall", "code": 8, `,
		`rvsim: debug: segment written \{"segment": 0, "events": [1-9][0-9]*, "trace_bytes": [1-9][0-9]*\}\n`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("record --log-level debug: stderr lacks %q:\n%s", re, r.stderr)
		}
	}
	r = cli(t, "", "--log-level", "debug", "replay", programPath("ndloop"), trace)
	for _, re := range []string{
		`rvsim: debug: exit to the monitor \{"cause": "nd-empty", "code": 25, `,
		`rvsim: debug: segment read \{"events": [1-9][0-9]*, "next_instret": [0-9]+\}\n`,
		`rvsim: info: run ended \{"mode": "replay", "reason": "exit", `,
	} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("replay --log-level debug: stderr lacks %q:\n%s", re, r.stderr)
		}
	}
}

// TestProgressWanted checks when --progress shows its line: asked for,
// console format, and stderr a terminal (here the master side of a
// pseudo-terminal).
func TestProgressWanted(t *testing.T) {
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal to test with: %v", err)
	}
	defer pty.Close()
	regular, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, c := range []struct {
		name   string
		asked  bool
		format string
		w      io.Writer
		want   bool
	}{
		{"terminal", true, "console", pty, true},
		{"not asked", false, "console", pty, false},
		{"json", true, "json", pty, false},
		{"regular file", true, "console", regular, false},
		{"/dev/null", true, "console", null, false},
		{"buffer", true, "console", &bytes.Buffer{}, false},
	} {
		if got := progressWanted(c.asked, c.format, c.w); got != c.want {
			t.Errorf("%s: progressWanted = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestProgressLine checks the progress line's format for each command:
// run has no events nor trace, replay no trace bytes written.
func TestProgressLine(t *testing.T) {
	p := vmm.ProgressReport{Instret: 250_000_000, Events: 7, TraceBytes: 1234, Elapsed: 2 * time.Second}
	for k, want := range map[progressKind]string{
		progressRun:    "rvsim: progress: 250000000 instructions, 125.0 MIPS",
		progressReplay: "rvsim: progress: 250000000 instructions, 125.0 MIPS, 7 events",
		progressRecord: "rvsim: progress: 250000000 instructions, 125.0 MIPS, 7 events, 1234 trace bytes",
	} {
		if got := progressLine(p, k); got != want {
			t.Errorf("progressLine(%d) = %q, want %q", k, got, want)
		}
		if !regexp.MustCompile(`^` + progressRE + `$`).MatchString(want) {
			t.Errorf("progressRE does not match %q", want)
		}
	}
}

// progressRE matches a whole progress line (progressLine) of any command.
const progressRE = `rvsim: progress: [0-9]+ instructions, [0-9.]+ MIPS(?:, [0-9]+ events(?:, [0-9]+ trace bytes)?)?`

// afterProgress returns the index in s of a character that follows a
// progress line on it, not erased first (the line's erasure starts with
// \r), or -1.
func afterProgress(s string) int {
	for _, m := range regexp.MustCompile(progressRE).FindAllStringIndex(s, -1) {
		if m[1] < len(s) && s[m[1]] != '\r' {
			return m[1]
		}
	}
	return -1
}

// TestProgressOnTerminal runs rvsim under script(1), whose pseudo-terminal
// makes stderr a terminal: the progress line is drawn and erased at the
// end. With stderr a pipe, nothing is drawn.
func TestProgressOnTerminal(t *testing.T) {
	forever := absProgramPath(t, "forever")
	s := onTerminal(t, rvsimBin+" record --progress --timeout 2500ms -o "+filepath.Join(t.TempDir(), "t.zst")+" "+forever)
	if !regexp.MustCompile(`\r\x1b\[Krvsim: progress: [1-9][0-9]* instructions, [0-9.]+ MIPS, [0-9]+ events, [1-9][0-9]* trace bytes`).MatchString(s) {
		t.Errorf("no progress line on the terminal: %q", s)
	}
	if !strings.Contains(s, "trace bytes\r\x1b[Krvsim: time limit reached") {
		t.Errorf("the progress line is not erased before the last message: %q", s)
	}
	r := rvsim(t, "", "run", "--progress", "--timeout", "1500ms", forever)
	if strings.Contains(r.stderr, "progress") || strings.Contains(r.stderr, "\x1b") {
		t.Errorf("a progress line went to a pipe: %q", r.stderr)
	}
}

// onTerminal runs the shell command line cmdline on a terminal (script(1)'s)
// and returns what the terminal received.
func onTerminal(t *testing.T, cmdline string) string {
	t.Helper()
	out, _ := scriptCmd(t, cmdline).Output()
	return string(out)
}

// scriptCmd is the command that runs the shell command line cmdline on a
// terminal of script(1)'s, which gives back what the terminal received
// on its standard output.
func scriptCmd(t *testing.T, cmdline string) *exec.Cmd {
	t.Helper()
	script, err := exec.LookPath("script")
	if err != nil {
		t.Fatal("script(1) is needed for a real terminal (Debian package bsdutils)")
	}
	return exec.Command(script, "-q", "-e", "-c", cmdline, os.DevNull)
}

// TestProgressErasedBeforeGuestOutput: on a terminal, the guest's output
// does not follow a progress line: the line is erased first, and the
// guest's line starts at the margin. The interpreter runs ndloop long
// enough (1.3G instructions) for at least one report before it prints.
// The guest still sees its stdout as a terminal (glibc's isatty(1)).
func TestProgressErasedBeforeGuestOutput(t *testing.T) {
	ndloop := absProgramPath(t, "ndloop")
	s := onTerminal(t, rvsimBin+" run --progress --engine interp "+ndloop+" 8000000")
	if !strings.Contains(s, "rvsim: progress: ") {
		t.Fatalf("no progress line before ndloop's output: %q", s)
	}
	if !regexp.MustCompile(progressRE + `\r\x1b\[Kndloop 8000000 reads, checksum [0-9a-f]{16}\r\n`).MatchString(s) {
		t.Errorf("the progress line is not erased before the guest's output: %q", s[max(0, len(s)-200):])
	}
	if i := afterProgress(s); i >= 0 {
		t.Errorf("something follows a progress line on it: %q", s[max(0, i-100):min(len(s), i+100)])
	}

	stdio := absProgramPath(t, "glibc_stdio_static")
	out := onTerminal(t, rvsimBin+" run --progress "+stdio+" < /dev/null")
	if !strings.Contains(out, "stdin is a terminal: 0, stdout: 1\r\n") {
		t.Errorf("with --progress the guest's stdout is not a terminal to it: %q", out)
	}
}

// TestProgressSparesGuestLine: a report is not drawn while the guest has
// left a line unfinished on the terminal (it would erase a prompt), and is
// drawn again once the guest ends its line; the guest's writes erase a
// line drawn before them.
func TestProgressSparesGuestLine(t *testing.T) {
	var term bytes.Buffer
	a := &app{stderr: &term}
	f, err := os.Create(filepath.Join(t.TempDir(), "guest"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := progressStream{f: f, a: a}
	report := vmm.ProgressReport{Instret: 5}
	a.drawProgress(report, progressRun)
	g.Write([]byte("prompt> "))
	a.drawProgress(report, progressRun)
	g.Write([]byte("answer\n"))
	a.drawProgress(report, progressRun)
	line := clearLine + progressLine(report, progressRun)
	if want := line + clearLine + line; term.String() != want {
		t.Errorf("terminal (stderr) got %q, want %q", term.String(), want)
	}
	if got := string(mustRead(t, f.Name())); got != "prompt> answer\n" {
		t.Errorf("guest stream got %q", got)
	}
}

// TestProgressErasedBeforeLogLines: a line rvsim logs while the progress
// line is shown (here the writer goroutine's debug line of every segment
// written) erases it first and starts at the margin; the next report
// draws the line again.
func TestProgressErasedBeforeLogLines(t *testing.T) {
	var term bytes.Buffer
	a := &app{stderr: &term, logLevel: "debug", logFormat: "console"}
	if err := a.setupLog(); err != nil {
		t.Fatal(err)
	}
	report := vmm.ProgressReport{Instret: 7}
	a.drawProgress(report, progressRun)
	a.log.Warn("a warning", zap.Int("n", 1))
	a.log.Debug("a debug line")
	a.drawProgress(report, progressRun)
	line := clearLine + progressLine(report, progressRun)
	if want := line + clearLine + "rvsim: warn: a warning {\"n\": 1}\nrvsim: debug: a debug line\n" + line; term.String() != want {
		t.Errorf("terminal (stderr) got %q, want %q", term.String(), want)
	}

	ndloop := absProgramPath(t, "ndloop")
	trace := filepath.Join(t.TempDir(), "t.zst")
	s := onTerminal(t, rvsimBin+" record --progress --log-level debug --engine interp -o "+trace+" "+ndloop+" 8000000")
	if !strings.Contains(s, "rvsim: progress: ") || !strings.Contains(s, "rvsim: debug: segment written") {
		t.Fatalf("no progress line, or no debug line of a segment written: %q", s[max(0, len(s)-300):])
	}
	if i := afterProgress(s); i >= 0 {
		t.Errorf("something follows a progress line on it: %q", s[max(0, i-100):min(len(s), i+100)])
	}
}
