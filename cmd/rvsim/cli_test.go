package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// cli runs rvsim in-process and returns stdout, stderr and exit status.
func cli(t *testing.T, stdin string, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	status := execute(args, strings.NewReader(stdin), &out, &errb)
	return runResult{out.String(), errb.String(), status}
}

// oneLine checks that stderr is exactly one line starting "rvsim: " and
// matching re.
func oneLine(t *testing.T, r runResult, re string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "rvsim: ") {
		t.Fatalf("stderr should be one line starting \"rvsim: \", got %q", r.stderr)
	}
	if !regexp.MustCompile(re).MatchString(lines[0]) {
		t.Errorf("stderr %q does not match %q", lines[0], re)
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadInputFiles(t *testing.T) {
	hello, err := os.ReadFile(programPath("hello"))
	if err != nil {
		t.Fatal(err)
	}
	x86 := bytes.Clone(hello)
	x86[18] = 62 // EM_X86_64
	elf32 := bytes.Clone(hello)
	elf32[4] = 1 // ELFCLASS32
	rve := bytes.Clone(hello)
	rve[48] = 0x8 // e_flags EF_RISCV_RVE
	quad := bytes.Clone(hello)
	quad[48] = 0x7 // e_flags RVC | EF_RISCV_FLOAT_ABI_QUAD
	cases := []struct {
		name string
		path string
		re   string
	}{
		{"missing", filepath.Join(t.TempDir(), "nope.elf"), `load .*nope\.elf: .*no such file`},
		{"not ELF", writeFile(t, "text.elf", []byte("hello world\n")), `load .*text\.elf: offset 0: no ELF magic`},
		{"empty", writeFile(t, "empty.elf", nil), `load .*empty\.elf: .*no ELF magic`},
		{"x86-64", writeFile(t, "x86.elf", x86), `machine EM_X86_64, want EM_RISCV`},
		{"32-bit", writeFile(t, "rv32.elf", elf32), `class ELFCLASS32, want ELFCLASS64`},
		{"RV64E", writeFile(t, "rve.elf", rve), `load .*rve\.elf: offset 48: e_flags 0x8: built for the RV64E base .*-march=rv64gc`},
		{"lp64q", writeFile(t, "quad.elf", quad), `load .*quad\.elf: offset 48: e_flags 0x7: built for the lp64q quad-float ABI .*-march=rv64gc`},
		{"truncated", writeFile(t, "cut.elf", hello[:len(hello)/3]), `load .*cut\.elf: .*(truncated|beyond the end)`},
		{"directory", t.TempDir(), `load .*: .*is a directory`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := cli(t, "", "run", c.path)
			if r.status != exitSimError {
				t.Errorf("exit status %d, want %d", r.status, exitSimError)
			}
			oneLine(t, r, c.re)
		})
	}
}

func TestBadFlags(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		re   string
	}{
		{[]string{"run", "--mem", "lots", programPath("hello")}, `--mem: "lots" is not a whole number of 4K pages`},
		{[]string{"run", "--mem", "1K", programPath("hello")}, `--mem: "1K" is not a whole number of 4K pages from 4K to 128T`},
		{[]string{"run", "--mem", "8K", programPath("hello")}, `does not fit in guest memory|no room`},
		// crc's segments end 0x14ea0 above its lowest: 84K (whole 4K pages).
		{[]string{"run", "--mem", "16K", programPath("crc")}, `segment 1 \[0x14000, 0x24ea0\) does not fit .*: bad program layout; it needs --mem 100K at least$`},
		{[]string{"run", "--log-format", "xml", programPath("hello")}, `--log-format "xml"`},
		{[]string{"run", "--log-level", "loud", programPath("hello")}, `--log-level "loud"`},
		{[]string{"run", "--env", "NOEQUALS", programPath("hello")}, `--env "NOEQUALS": want KEY=VALUE`},
		{[]string{"run"}, `^rvsim: run: no program given: usage: rvsim run \[flags\] PROG.elf \[ARGS...\]$`},
		{[]string{"replay", "a", "b", "c"}, `^rvsim: replay: 3 arguments .*want at most 2: usage: rvsim replay`},
		{[]string{"inspect", "--data", "5", "t.zst"}, `want 1: .*--data=5`},
		{[]string{"inspect"}, `^rvsim: inspect: 0 arguments, want 1: usage: rvsim inspect `},
		{[]string{"run", "--env", "=v", programPath("hello")}, `--env "=v": want KEY=VALUE with a non-empty KEY`},
		{[]string{"run", "--timeout", "-1s", programPath("hello")}, `^rvsim: --timeout -1s: want a duration from 0`},
		{[]string{"run", "--max-insns", "-1", programPath("hello")}, `^rvsim: --max-insns "-1": invalid syntax: want a whole number from 0$`},
		{[]string{"run", "--fs", "/nonexistent-dir", programPath("hello")}, `^rvsim: --fs "/nonexistent-dir": no such directory$`},
		{[]string{"run", "--fs", programPath("hello"), programPath("hello")}, `^rvsim: --fs ".*": not a directory$`},
		// A FIFO as the root was opened, and waited on for ever.
		{[]string{"record", "-o", filepath.Join(t.TempDir(), "t.zst"), "--fs", fifo, programPath("hello")}, `^rvsim: --fs ".*fifo": not a directory$`},
		{[]string{"record", "--nd-buffer", "2000000", programPath("hello")}, `^rvsim: --nd-buffer 2000000: want 1 to 1048576 entries$`},
		{[]string{"record", "--nd-buffer", "abc", programPath("hello")}, `^rvsim: --nd-buffer "abc": invalid syntax: want 1 to 1048576 entries$`},
		{[]string{"frobnicate"}, `^rvsim: unknown command "frobnicate": rvsim --help lists the commands$`},
		{[]string{"help", "frobnicate"}, `^rvsim: unknown help topic "frobnicate": rvsim --help lists the commands$`},
		{[]string{"runn", "x"}, `^rvsim: unknown command "runn": did you mean "run"\? \(rvsim --help lists the commands\)$`},
		{[]string{"r"}, `^rvsim: unknown command "r": did you mean "record", "replay" or "run"\? \(rvsim --help lists the commands\)$`},
		{[]string{"run", "--bogus", programPath("hello")}, `^rvsim: unknown flag: --bogus \(rvsim run --help lists the flags\)$`},
		{[]string{"record", "-x", programPath("hello")}, `^rvsim: unknown shorthand flag: 'x' in -x \(rvsim record --help lists the flags\)$`},
		{[]string{"--bogus"}, `^rvsim: unknown flag: --bogus \(rvsim --help lists the flags\)$`},
	} {
		r := cli(t, "", c.args...)
		if r.status == 0 {
			t.Errorf("%v: exit status 0, want failure", c.args)
		}
		oneLine(t, r, c.re)
	}
}

// TestJSONErrors: with --log-format json, a failure is one JSON object
// whose msg is the message without the "rvsim: " of console lines, even
// when the failure is a flag that came before the logger was set up.
func TestJSONErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--log-format", "json", "run", "--bogus", programPath("hello")},
		{"--log-format", "json", "--log-level", "loud", "run", programPath("hello")},
		{"--log-format", "json", "replay", "/nonexistent.zst"},
		{"--log-format", "json", "frobnicate"},
		{"run", "--log-format", "json"},
	} {
		r := cli(t, "", args...)
		if r.status != exitSimError {
			t.Errorf("%v: exit status %d, want %d", args, r.status, exitSimError)
		}
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		var obj struct{ Level, Msg string }
		if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &obj) != nil || obj.Level != "error" || obj.Msg == "" || strings.HasPrefix(obj.Msg, "rvsim:") {
			t.Errorf("%v: stderr %q, want one JSON error object", args, r.stderr)
		}
	}
}

func TestInstructionLimit(t *testing.T) {
	r := cli(t, "", "run", "--max-insns", "1000", programPath("bench"))
	if r.status != exitSimError {
		t.Errorf("exit status %d, want %d", r.status, exitSimError)
	}
	oneLine(t, r, `instruction limit reached: 1000 instructions, stopped at pc 0x[0-9a-f]+`)
}

func TestStats(t *testing.T) {
	r := cli(t, "", "run", "--stats", programPath("hello"))
	if r.status != 0 {
		t.Fatalf("exit status %d: %s", r.status, r.stderr)
	}
	for _, re := range []string{`rvsim: stats: instructions [1-9][0-9]*\n`, `rvsim: stats: wall time [0-9.]+s\n`, `rvsim: stats: MIPS [0-9.]+\n`} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("stats output %q lacks %q", r.stderr, re)
		}
	}
}

// TestWrongKindHints: a trace where a program goes, or a program where a
// trace goes (replay's arguments swapped, the trace forgotten, a trace
// given to run, a program to inspect), is refused with what the file is
// and the usage; a file that is neither gets the plain error.
func TestWrongKindHints(t *testing.T) {
	elf := programPath("hello")
	trace := filepath.Join(t.TempDir(), "h.zst")
	if r := cli(t, "", "record", "-o", trace, elf); r.status != 0 {
		t.Fatalf("record: %d %q", r.status, r.stderr)
	}
	text := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(text, []byte("neither a program nor a trace\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const replayUse = `the program comes first, the trace last: rvsim replay \[flags\] \[PROG\.elf\] TRACE\.zst\)$`
	notELF := `^rvsim: load .*h\.zst: offset 0: no ELF magic: not an ELF file \(.*h\.zst is an rvsim trace: `
	notTrace := `^rvsim: trace .*hello\.elf: frame 0 \(header\) at offset 0: .*: not an rvsim trace \(.*hello\.elf is an ELF file: `
	for _, c := range []struct {
		args []string
		re   string
	}{
		{[]string{"replay", trace, elf}, notELF + replayUse},
		{[]string{"replay", elf}, notTrace + `give the trace too, last: rvsim replay \[flags\] \[PROG\.elf\] TRACE\.zst\)$`},
		{[]string{"run", trace}, notELF + `replay it: rvsim replay \[flags\] \[PROG\.elf\] TRACE\.zst\)$`},
		{[]string{"record", "-o", filepath.Join(t.TempDir(), "x.zst"), trace}, notELF + `replay it: `},
		{[]string{"inspect", elf}, notTrace + `inspect takes a trace: rvsim inspect `},
		{[]string{"debug", "--gdb-path", "/bin/true", trace, elf}, notELF + `the program comes first, the trace last: rvsim debug `},
		{[]string{"replay", text}, `: not an rvsim trace$`},
	} {
		r := cli(t, "", c.args...)
		if r.status != exitSimError {
			t.Errorf("%q: status %d, want %d", c.args, r.status, exitSimError)
		}
		oneLine(t, r, c.re)
	}
}
