package main

import (
	"debug/elf"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The gdb side of rvsim debug, with stand-in gdbs (shell scripts) that
// record how they were started: which gdb is chosen, its arguments, its
// exit status passed on, SIGINT, and the message when there is no gdb.
// gdb_e2e_test.go runs rvsim debug with the real gdb-multiarch.

// fakeGDB writes an executable shell script called name into dir: it
// answers gdb's `--batch -ex 'set architecture riscv:rv64' -ex 'show
// architecture'` probe with probeStatus and gdb's message (the
// architecture set if 0, else its refusal), and otherwise
// writes its arguments, one a line, then the SigIgn line of its
// /proc/self/status, into dir/args, runs body and exits with status.
func fakeGDB(t *testing.T, dir, name string, probeStatus, status int, body string) string {
	t.Helper()
	script := `#!/bin/sh
case "$*" in
*"--batch -ex set architecture riscv:rv64 -ex show architecture")
	if [ ` + strconv.Itoa(probeStatus) + ` = 0 ]; then
		echo 'The target architecture is set to "riscv:rv64".'
	else
		echo 'Undefined item: "riscv:rv64".'
	fi
	exit ` + strconv.Itoa(probeStatus) + `
	;;
esac
for a in "$@"; do printf '%s\n' "$a"; done >"` + filepath.Join(dir, "args") + `"
grep SigIgn /proc/self/status >>"` + filepath.Join(dir, "args") + `"
` + body + `
exit ` + strconv.Itoa(status) + "\n"
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeArgs returns the arguments the stand-in gdb in dir was run with,
// and its SigIgn line.
func fakeArgs(t *testing.T, dir string) ([]string, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatalf("the stand-in gdb did not run: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

// debugTrace records debug_linux in-process and returns the program's
// and the trace's paths.
func debugTrace(t *testing.T) (string, string) {
	t.Helper()
	elf := absProgramPath(t, "debug_linux")
	trace := filepath.Join(t.TempDir(), "t.zst")
	if r := cli(t, "", "record", "-o", trace, elf); r.status != 56 {
		t.Fatalf("record: %d %s", r.status, r.stderr)
	}
	return elf, trace
}

// TestDebugNoGDB: with no gdb-multiarch and no gdb that knows RISC-V on
// $PATH, rvsim debug says so in one line and exits 125; a gdb-multiarch
// is preferred to a gdb, and a gdb that knows RISC-V is taken.
func TestDebugNoGDB(t *testing.T) {
	elf, trace := debugTrace(t)
	const msg = "rvsim: no gdb with RISC-V support found: install gdb-multiarch (Debian: apt-get install gdb-multiarch) or give --gdb-path\n"
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	r := cli(t, "", "debug", elf, trace)
	if r.status != 125 || r.stderr != msg {
		t.Errorf("no gdb at all: status %d, stderr %q; want 125 and %q", r.status, r.stderr, msg)
	}

	hostOnly := t.TempDir()
	fakeGDB(t, hostOnly, "gdb", 1, 0, "")
	t.Setenv("PATH", hostOnly)
	r = cli(t, "", "debug", elf, trace)
	if r.status != 125 || r.stderr != msg {
		t.Errorf("a gdb without RISC-V: status %d, stderr %q; want 125 and %q", r.status, r.stderr, msg)
	}
	if _, err := os.Stat(filepath.Join(hostOnly, "args")); err == nil {
		t.Errorf("a gdb without RISC-V was run to debug")
	}

	riscv := t.TempDir()
	fakeGDB(t, riscv, "gdb", 0, 7, "")
	t.Setenv("PATH", riscv)
	if r = cli(t, "", "debug", elf, trace); r.status != 7 {
		t.Errorf("a gdb that knows RISC-V: status %d, want its 7; stderr %q", r.status, r.stderr)
	}
	fakeArgs(t, riscv)

	both := t.TempDir()
	fakeGDB(t, both, "gdb", 0, 7, "")
	fakeGDB(t, both, "gdb-multiarch", 1, 9, "")
	t.Setenv("PATH", both)
	if r = cli(t, "", "debug", elf, trace); r.status != 9 {
		t.Errorf("gdb-multiarch and gdb: status %d, want gdb-multiarch's 9; stderr %q", r.status, r.stderr)
	}
}

// TestDebugGDBCommandLine: gdb gets the architecture, the sysroot (-L),
// the connection to a loopback port, the arguments after "--" and the
// program, in that order; its exit status is rvsim's; rvsim leaves no
// goroutine behind when gdb never connects.
func TestDebugGDBCommandLine(t *testing.T) {
	elf, trace := debugTrace(t)
	dir := t.TempDir()
	gdb := fakeGDB(t, dir, "mygdb", 0, 42, "")
	sysroot := filepath.Join(t.TempDir(), "some sysroot")
	if err := os.Mkdir(sysroot, 0o755); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	r := cli(t, "", "debug", "--gdb-path", gdb, "-L", sysroot, elf, trace, "--", "-batch", "-x", "my script")
	if r.status != 42 {
		t.Fatalf("status %d, want gdb's 42; stderr %q", r.status, r.stderr)
	}
	args, _ := fakeArgs(t, dir)
	if len(args) != 11 {
		t.Fatalf("gdb's arguments: %q", args)
	}
	want := []string{"-ex", "set architecture riscv:rv64", "-ex", "set sysroot " + sysroot, "-ex", "", "-batch", "-x", "my script", "--", elf}
	for i, a := range args {
		if i == 5 {
			port, ok := strings.CutPrefix(a, "target remote 127.0.0.1:")
			if n, err := strconv.Atoi(port); !ok || err != nil || n <= 0 || n > 65535 {
				t.Errorf("gdb's argument %d: %q, want target remote 127.0.0.1:PORT", i, a)
			}
			continue
		}
		if a != want[i] {
			t.Errorf("gdb's argument %d: %q, want %q (all: %q)", i, a, want[i], args)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after rvsim debug, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}

	// Without PROG, the program is found from the trace.
	if r = cli(t, "", "debug", "--gdb-path", gdb, trace); r.status != 42 {
		t.Fatalf("without PROG: status %d; stderr %q", r.status, r.stderr)
	}
	if args, _ = fakeArgs(t, dir); args[len(args)-1] != elf {
		t.Errorf("without PROG: gdb's last arguments %q, want the recorded program %q", args, elf)
	}
}

// TestDebugSignals: rvsim debug runs as its own process; a SIGINT sent to
// it while gdb runs is ignored (gdb gets Ctrl-C from the terminal and
// interrupts the replay itself), gdb starts with SIGINT not ignored, and
// a gdb killed by a signal makes rvsim exit 128 + the signal.
func TestDebugSignals(t *testing.T) {
	elf, trace := debugTrace(t)
	dir := t.TempDir()
	gdb := fakeGDB(t, dir, "gdb", 0, 5, "kill -INT $PPID; sleep 0.5")
	r := rvsim(t, "", "debug", "--gdb-path", gdb, elf, trace)
	if r.status != 5 {
		t.Errorf("SIGINT to rvsim while gdb runs: status %d, want gdb's 5; stderr %q", r.status, r.stderr)
	}
	_, sigign := fakeArgs(t, dir)
	f := strings.Fields(sigign)
	mask, err := strconv.ParseUint(f[len(f)-1], 16, 64)
	if err != nil || mask&(1<<1) != 0 {
		t.Errorf("gdb started with %q: SIGINT (bit 1) must not be ignored", sigign)
	}

	gdb = fakeGDB(t, dir, "gdb2", 0, 0, "kill -TERM $$")
	if r = rvsim(t, "", "debug", "--gdb-path", gdb, elf, trace); r.status != 128+15 {
		t.Errorf("gdb killed by SIGTERM: status %d, want 143; stderr %q", r.status, r.stderr)
	}
}

// TestDebugBadArguments: rvsim debug's own failures are one line and 125.
func TestDebugBadArguments(t *testing.T) {
	elf, trace := debugTrace(t)
	gdb := fakeGDB(t, t.TempDir(), "gdb", 0, 0, "")
	hostGDB := fakeGDB(t, t.TempDir(), "gdb", 1, 0, "")
	for _, c := range []struct {
		args []string
		re   string
	}{
		{[]string{"debug"}, `^rvsim: debug: 0 arguments, want at least 1: usage: rvsim debug`},
		// --gdb-path names a gdb that debugs RISC-V, or is refused.
		{[]string{"debug", "--gdb-path", "/bin/true", elf, trace}, `^rvsim: --gdb-path "/bin/true": not a gdb that debugs RISC-V \("set architecture riscv:rv64" failed\): give one that does \(Debian: gdb-multiarch\)$`},
		{[]string{"debug", "--gdb-path", hostGDB, elf, trace}, `^rvsim: --gdb-path ".*": not a gdb that debugs RISC-V`},
		{[]string{"debug", elf, trace, trace}, `^rvsim: debug: 3 arguments .* want at most 2`},
		{[]string{"debug", "--gdb-path", "/no/such/gdb", elf, trace}, `^rvsim: --gdb-path "/no/such/gdb": `},
		{[]string{"debug", "--gdb-path", gdb, "--checkpoint-mem", "lots", elf, trace}, `^rvsim: --checkpoint-mem: "lots"`},
		{[]string{"debug", "--gdb-path", gdb, elf, "/no/such/trace.zst"}, `^rvsim: debug: (open|stat) /no/such/trace.zst: `},
		{[]string{"debug", "--gdb-path", gdb, trace, trace}, `^rvsim: .*t\.zst`},
		// -L is checked as run checks it, before gdb starts.
		{[]string{"debug", "--gdb-path", gdb, "-L", "/no/such/dir", elf, trace}, `^rvsim: -L "/no/such/dir": no such directory$`},
		{[]string{"debug", "--gdb-path", gdb, "-L", elf, elf, trace}, `^rvsim: -L ".*": not a directory$`},
	} {
		r := cli(t, "", c.args...)
		if r.status != 125 {
			t.Errorf("%q: status %d, want 125; stderr %q", c.args, r.status, r.stderr)
			continue
		}
		oneLine(t, r, c.re)
	}
}

// TestReadmeDebugSession replays the gdb session that README.md shows
// under "Debugging a replay in gdb": its (gdb) commands are run by rvsim
// debug on a fresh recording of the same program, and every line the
// README shows gdb and rvsim printing must come out of it, numbers masked
// (the stamps, the port and the digest differ from run to run); only what
// gdb prints at a terminal and not in batch mode (the prompt's
// "Continuing.", the banner, the delete question) is left out.
func TestReadmeDebugSession(t *testing.T) {
	needGDBMultiarch(t)
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := between(string(readme), "    $ rvsim record -o linux.zst", "\nGoing back,")
	if block == "" {
		t.Fatal("README.md has no session of rvsim debug on debug_linux")
	}
	var cmds, want []string
	for _, l := range strings.Split(block, "\n") {
		l = strings.TrimPrefix(l, "    ")
		switch {
		case strings.HasPrefix(l, "(gdb) "):
			c := strings.TrimPrefix(l, "(gdb) ")
			if !strings.HasPrefix(c, "quit") {
				cmds = append(cmds, c)
			}
		case strings.HasPrefix(l, "$ "), strings.TrimSpace(l) == "", l == "Continuing.",
			strings.HasPrefix(l, "Reading symbols"), strings.HasPrefix(l, "Remote debugging using"),
			strings.HasPrefix(l, "Delete all breakpoints?"), strings.HasPrefix(l, "11\t"):
		default:
			want = append(want, maskNumbers(l))
		}
	}
	if len(cmds) < 5 || len(want) < 10 {
		t.Fatalf("README session: %d commands and %d output lines found:\n%s", len(cmds), len(want), block)
	}
	trace := filepath.Join(t.TempDir(), "linux.zst")
	if r := rvsim(t, "", "record", "-o", trace, programPath("debug_linux")); r.status != 56 {
		t.Fatalf("record: %d %s", r.status, r.stderr)
	}
	args := []string{"debug", filepath.Join("programs", "bin", "debug_linux.elf"), trace, "--", "-nx", "-batch",
		"-ex", "set confirm off"}
	for _, c := range cmds {
		args = append(args, "-ex", c)
	}
	r := dbgDebug(t, args...)
	got := maskNumbers(r.stdout)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("README shows %q, which rvsim debug did not print", w)
		}
	}
	if t.Failed() {
		t.Logf("rvsim debug printed:\n%s", r.stdout)
	}
}

// TestGDBDebugDynamicPIE: rvsim debug on a dynamic glibc program, a
// position-independent executable that rvsim loads at 0x2aaaaaa000
// (README): gdb gets its symbols at that offset, so a breakpoint on main
// stops at main's link address plus the offset (read from the ELF with
// debug/elf), gdb finds libc through the default sysroot, and the
// replay runs to the recorded status. The program's path has a space, quotes
// and a backslash, which gdb's commands must be given quoted.
func TestGDBDebugDynamicPIE(t *testing.T) {
	needGDBMultiarch(t)
	needGlibcSysroot(t)
	elfPath := absProgramPath(t, "glibc_hello_dynamic")
	f, err := elf.Open(elfPath)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	var mainAddr uint64
	for _, s := range syms {
		if s.Name == "main" && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			mainAddr = s.Value
		}
	}
	lowest := ^uint64(0)
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			lowest = min(lowest, p.Vaddr&^0xfff)
		}
	}
	f.Close()
	if f.Type != elf.ET_DYN || mainAddr == 0 || lowest == ^uint64(0) {
		t.Fatalf("%s: type %v, main %#x: want a PIE with a main symbol", elfPath, f.Type, mainAddr)
	}
	want := 0x2aaaaaa000 - lowest + mainAddr
	// A copy whose path gdb must be given quoted.
	data, err := os.ReadFile(elfPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), `a "dir"`)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	elfPath = filepath.Join(dir, `hello 'dyn'\.elf`)
	if err := os.WriteFile(elfPath, data, 0o755); err != nil {
		t.Fatal(err)
	}
	trace := filepath.Join(t.TempDir(), "dyn.zst")
	if r := rvsim(t, "", "record", "-L", sysroot, "-o", trace, elfPath, "one", "two", "3"); r.status != 3 {
		t.Fatalf("record: %d %s", r.status, r.stderr)
	}
	// No -L: rvsim debug gives gdb the sysroot rvsim run would use
	// (sysroot is vmm.DefaultSysroot; RVSIM_LD_PREFIX is not set here).
	t.Setenv("RVSIM_LD_PREFIX", "")
	r := dbgDebug(t, "debug", elfPath, trace, "--", "-nx", "-batch",
		"-ex", "break main", "-ex", "continue", "-ex", `printf "@@pc %#lx\n", $pc`,
		"-ex", "info sharedlibrary", "-ex", "continue")
	if r.status != 0 {
		t.Fatalf("rvsim debug: status %d\n%s", r.status, r.stdout)
	}
	m := regexp.MustCompile(`@@pc (0x[0-9a-f]+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no stop at main:\n%s", r.stdout)
	}
	// gdb skips main's prologue: the stop is at most a few instructions in.
	if pc, _ := strconv.ParseUint(m[1], 0, 64); pc < want || pc > want+64 {
		t.Errorf("break main stopped at %#x, want main at %#x (link address %#x + the PIE offset)", pc, want, mainAddr)
	}
	if !regexp.MustCompile(`(?m)0x[0-9a-f]+\s+0x[0-9a-f]+\s+Yes.*` + regexp.QuoteMeta(sysroot) + `/lib/libc\.so\.6`).MatchString(r.stdout) {
		t.Errorf("gdb did not load libc.so.6 from the sysroot:\n%s", r.stdout)
	}
	if st := exitedStatus(t, r.stdout); st != 3 {
		t.Errorf("gdb saw exit status %d, want 3", st)
	}
}
