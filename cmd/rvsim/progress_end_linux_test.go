//go:build linux

package main

// The progress line at the ends of a run that do not come through the end
// of its run loop: a signal that ends run or replay (record finishes its
// trace), and the end of a gdb session. Each runs rvsim as a real process
// on script(1)'s terminal and checks what the terminal received. Linux
// only: only there is stderr known to be a terminal (isTerminal), and the
// line drawn.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// termLimit bounds each wait on a terminal session: a guard against a
// hang, not a measure (a first report comes after about a second).
const termLimit = 90 * time.Second

// termRun is rvsim run by a shell on a terminal (script(1)'s): the test
// reads what the terminal receives as it comes, and the shell writes
// rvsim's exit status after it ends, "[status N]", where its prompt would
// be.
type termRun struct {
	t       *testing.T
	cmd     *exec.Cmd
	out     syncBuffer
	done    chan struct{}
	pidFile string
	stdin   io.WriteCloser // script's input, held open: no end of file reaches the terminal
}

// shQuote quotes s for the shell.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// startOnTerminal starts rvsim with args on a terminal, through a wrapper
// that writes its process id (rvsim's, once it has exec'd) to a file.
func startOnTerminal(t *testing.T, args ...string) *termRun {
	t.Helper()
	dir := t.TempDir()
	wrap := filepath.Join(dir, "wrap.sh")
	if err := os.WriteFile(wrap, []byte("#!/bin/sh\np=$1; shift\necho $$ > \"$p\"\nexec \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &termRun{t: t, pidFile: filepath.Join(dir, "pid"), done: make(chan struct{})}
	var words []string
	for _, w := range append([]string{wrap, r.pidFile, rvsimBin}, args...) {
		words = append(words, shQuote(w))
	}
	cmdline := strings.Join(words, " ") + `; echo "[status $?]"`
	r.cmd = scriptCmd(t, cmdline)
	r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
	var err error
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			if pid, ok := r.readPID(); ok {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			r.cmd.Process.Kill()
			<-r.done
		}
		r.stdin.Close()
	})
	return r
}

// readPID returns rvsim's process id, once the wrapper has written it.
func (r *termRun) readPID() (int, bool) {
	b, err := os.ReadFile(r.pidFile)
	if err != nil || !strings.HasSuffix(string(b), "\n") {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, err == nil
}

// tail is the end of what the terminal received, for a message.
func (r *termRun) tail() string {
	s := r.out.String()
	return s[max(0, len(s)-400):]
}

// waitFor waits until what the terminal received matches re and returns
// the match's submatches.
func (r *termRun) waitFor(re string) []string {
	r.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(termLimit)
	for {
		if m := rx.FindStringSubmatch(r.out.String()); m != nil {
			return m
		}
		select {
		case <-r.done:
			if m := rx.FindStringSubmatch(r.out.String()); m != nil {
				return m
			}
			r.t.Fatalf("the session ended without %q on the terminal: %q", re, r.tail())
		case <-deadline:
			r.t.Fatalf("no %q on the terminal after %v: %q", re, termLimit, r.tail())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// signal sends sig to rvsim.
func (r *termRun) signal(sig syscall.Signal) {
	r.t.Helper()
	pid, ok := r.readPID()
	if !ok {
		r.t.Fatalf("no process id from the wrapper: %q", r.tail())
	}
	if err := syscall.Kill(pid, sig); err != nil {
		r.t.Fatal(err)
	}
}

// wait waits for the session to end and returns what the terminal
// received.
func (r *termRun) wait() string {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(termLimit):
		r.t.Fatalf("rvsim still runs %v later: %q", termLimit, r.tail())
	}
	return r.out.String()
}

// checkErasedAtEnd checks the end of a session that drew progress lines:
// the last one is erased at once, and once; what follows it on the
// terminal (rvsim's last lines, the shell's) matches next, from the
// margin, and holds no more escapes (no second erasure, no line drawn
// again). No progress line anywhere has anything written after it
// without its being erased first.
func checkErasedAtEnd(t *testing.T, out, next string) {
	t.Helper()
	all := regexp.MustCompile(progressRE).FindAllStringIndex(out, -1)
	if all == nil {
		t.Fatalf("no progress line on the terminal: %q", out)
	}
	i := all[len(all)-1][1] // the end of the last one
	at := out[max(0, i-100):]
	rest := out[i:]
	if !strings.HasPrefix(rest, clearLine) {
		t.Fatalf("the last progress line is not erased: %q", at)
	}
	rest = rest[len(clearLine):]
	if strings.Contains(rest, "\x1b") {
		t.Errorf("after the progress line is erased, the terminal gets more escapes: %q", at)
	}
	if !regexp.MustCompile(next).MatchString(rest) {
		t.Errorf("after the last progress line: %q, want %s", rest, next)
	}
	if i := afterProgress(out); i >= 0 {
		t.Errorf("something follows a progress line on it: %q", out[max(0, i-100):min(len(out), i+100)])
	}
}

// shellLine is a line the shell may print about a death by a signal
// ("Terminated", "Hangup") before the next command's output.
const shellLine = `(?:[^\x1b\r\n]*\r\n)?`

// benchTrace records, once for the package, bench cut off at three billion
// instructions (before it prints anything): a replay long enough for
// progress lines (several seconds on the interpreter, which gdb's replay
// runs), with a trace of a few events.
var benchTrace = sync.OnceValues(func() (string, error) {
	trace := filepath.Join(filepath.Dir(rvsimBin), "bench.zst")
	out, err := exec.Command(rvsimBin, "record", "--max-insns", "3000000000", "-o", trace, programPath("bench"), "4500").CombinedOutput()
	if !strings.Contains(string(out), "instruction limit reached") {
		return "", fmt.Errorf("record bench: %v: %s", err, out)
	}
	return trace, nil
})

// TestProgressErasedOnSignals: SIGINT, SIGTERM or SIGHUP ends run and
// replay at once, as any process; a progress line on the terminal is
// erased first, so that the shell's next line starts at the margin, and
// rvsim still dies of the signal (the shell's status 128+N). record, which
// catches them to finish its trace, erases it before its last message.
func TestProgressErasedOnSignals(t *testing.T) {
	forever := absProgramPath(t, "forever")
	for _, s := range []struct {
		name string
		sig  syscall.Signal
	}{{"SIGINT", syscall.SIGINT}, {"SIGTERM", syscall.SIGTERM}, {"SIGHUP", syscall.SIGHUP}} {
		sig := s.sig
		t.Run("run "+s.name, func(t *testing.T) {
			r := startOnTerminal(t, "run", "--progress", forever, "spin")
			r.waitFor(progressRE)
			r.signal(sig)
			checkErasedAtEnd(t, r.wait(), fmt.Sprintf(`^%s\[status %d\]\r\n$`, shellLine, 128+int(sig)))
		})
	}
	t.Run("replay SIGINT", func(t *testing.T) {
		trace, err := benchTrace()
		if err != nil {
			t.Fatal(err)
		}
		r := startOnTerminal(t, "replay", "--progress", "--engine", "interp", absProgramPath(t, "bench"), trace)
		r.waitFor(progressRE)
		r.signal(syscall.SIGINT)
		checkErasedAtEnd(t, r.wait(), `^`+shellLine+`\[status 130\]\r\n$`)
	})
	t.Run("record SIGTERM", func(t *testing.T) {
		r := startOnTerminal(t, "record", "--progress", "-o", filepath.Join(t.TempDir(), "t.zst"), forever, "spin")
		r.waitFor(progressRE)
		r.signal(syscall.SIGTERM)
		checkErasedAtEnd(t, r.wait(), `^rvsim: interrupted at instruction \d+, pc 0x[0-9a-f]+\r\n\[status 125\]\r\n$`)
	})
}

// TestProgressSignalNoLine: a signal that ends rvsim while no progress
// line is shown (here the guest waits for input from the terminal before
// a first report is due, and none is drawn while it waits) writes no
// escape at all; nor does one with stderr not a terminal, where no line is
// ever drawn. rvsim dies of the signal either way.
func TestProgressSignalNoLine(t *testing.T) {
	r := startOnTerminal(t, "run", "--progress", "--log-level", "info", absProgramPath(t, "cat"))
	r.waitFor(`rvsim: info: loaded .*\r\n`)
	r.signal(syscall.SIGINT)
	out := r.wait()
	if strings.Contains(out, "\x1b") || !strings.HasSuffix(out, "\r\n[status 130]\r\n") {
		t.Errorf("SIGINT with no progress line shown: the terminal got %q", out)
	}

	p := startCmd(t, "", nil, exec.Command(rvsimBin, "run", "--progress", "--log-level", "info", programPath("forever"), "spin"))
	stderr := &p.stderr
	for deadline := time.Now().Add(termLimit); !strings.Contains(stderr.String(), "rvsim: info: loaded"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("rvsim never said it loaded the program: %q", stderr.String())
		}
	}
	time.Sleep(1500 * time.Millisecond) // past the first report's time: none is drawn on a pipe
	p.cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case err = <-p.waited:
	case <-time.After(termLimit):
		t.Fatalf("rvsim still runs %v after SIGINT", termLimit)
	}
	if _, sig, _ := waitStatus(err); sig != int(syscall.SIGINT) || strings.Contains(stderr.String(), "\x1b") || strings.Contains(stderr.String(), "progress") {
		t.Errorf("stderr a pipe: %v, stderr %q; want death by SIGINT and no progress line nor escape", err, stderr.String())
	}
}

// TestProgressErasedAfterGDB: progress lines are drawn while gdb runs the
// program (continue); when the session ends, by gdb's detach or kill or at
// the end of the replay, the line shown is erased before what rvsim
// prints last, or the shell's prompt. After a detach from a live run, the
// program runs on with its lines to the end (here --timeout's), which
// erases the last one too.
func TestProgressErasedAfterGDB(t *testing.T) {
	trace, err := benchTrace()
	if err != nil {
		t.Fatal(err)
	}
	bench := absProgramPath(t, "bench")
	for _, c := range []struct {
		name string
		args []string
		end  string // D or k after Ctrl-C, or "" for D at the end
		next string
	}{
		{"replay detach", []string{"replay", bench, trace}, "D", `^\[status 0\]\r\n$`},
		{"replay kill", []string{"replay", bench, trace}, "k", `^\[status 0\]\r\n$`},
		{"replay to the end", []string{"replay", bench, trace}, "",
			`^rvsim: replay identical: 3000000000 instructions, final state digest [0-9a-f]+\r\nrvsim: the recorded run was stopped here \(limit\): .*\r\n\[status 125\]\r\n$`},
		{"run detach", []string{"run", "--timeout", "3s", absProgramPath(t, "forever"), "spin"}, "D",
			`^rvsim: time limit reached: 3s, stopped at instruction \d+, pc 0x[0-9a-f]+\r\n\[status 125\]\r\n$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{c.args[0], "--progress", "--gdb", "127.0.0.1:0"}, c.args[1:]...)
			r := startOnTerminal(t, args...)
			addr := r.waitFor(`rvsim: waiting for gdb on (127\.0\.0\.1:\d+)\r\n`)[1]
			g := dialRSP(t, addr)
			g.c.SetDeadline(time.Now().Add(termLimit))
			if _, err := g.c.Write([]byte("$c#63")); err != nil {
				t.Fatal(err)
			}
			r.waitFor(progressRE)
			if c.end == "" {
				// The trace was cut off: the replay's end is the end
				// of its history, and gdb stays until it detaches.
				if rep := g.next(); !strings.Contains(rep, "replaylog:end") {
					t.Fatalf("continue to the end answered %q, want replaylog:end", rep)
				}
			} else {
				if _, err := g.c.Write([]byte{0x03}); err != nil {
					t.Fatal(err)
				}
				if rep := g.next(); !strings.HasPrefix(rep, "T02") {
					t.Fatalf("Ctrl-C during continue answered %q, want T02", rep)
				}
			}
			if c.end == "k" {
				g.c.Write([]byte("$k#6b"))
			} else if rep := g.call("D"); rep != "OK" {
				t.Fatalf("D answered %q", rep)
			}
			g.c.Close()
			checkErasedAtEnd(t, r.wait(), c.next)
		})
	}
}

// TestOwnLineAfterGuestMidLine: a guest that writes lines in pieces to the
// terminal is stopped (--timeout) most likely in the middle of one; with
// or without a progress line, rvsim's message starts a line of its own,
// never glued to the guest's unfinished line.
func TestOwnLineAfterGuestMidLine(t *testing.T) {
	for _, flag := range []string{"--log-level=warn", "--progress", "--stats"} {
		r := startOnTerminal(t, "run", "--timeout", "1s", flag, absProgramPath(t, "forever"), "print")
		out := r.wait()
		if !strings.Contains(out, "rvsim: time limit reached") {
			t.Fatalf("%s: no time limit message: %q", flag, r.tail())
		}
		for i := 0; ; i++ {
			j := strings.Index(out[i:], "rvsim:")
			if j < 0 {
				break
			}
			i += j
			// At the margin: after a line's end, or after the progress
			// line erased (drawn only when the guest ended its line).
			if before := out[:i]; !strings.HasSuffix(before, "\n") && !strings.HasSuffix(before, clearLine) {
				t.Errorf("%s: a line of rvsim's does not start a line: %q", flag, out[max(0, i-80):min(len(out), i+40)])
			}
		}
	}
}
