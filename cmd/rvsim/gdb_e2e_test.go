package main

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The end-to-end tests of debugging a replay: gdb-multiarch, the real
// client, drives rvsim replay --gdb, rvsim run --gdb and rvsim debug in
// batch mode on the programs of programs/debug, whose source says what
// gdb must see (see programs/debug/linux.c): n is the round, counter is
// 1000 + 1 + 2 + ... before each call of step and twice its final value
// after the loop, and the stamps step gets XOR to the "seen" the program
// prints. The recording and a straight replay are the referees of the
// exit status, the output and the final state digest.

// gdbLimit is how long one gdb session or one rvsim server may take
// before the test fails (a hang is a failure, not a stuck test).
const gdbLimit = 120 * time.Second

// needGDBMultiarch returns gdb-multiarch's path, or skips the test when
// it is not installed.
func needGDBMultiarch(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("gdb-multiarch")
	if err != nil {
		t.Skip("gdb-multiarch is not installed (Debian package gdb-multiarch): the real client of these tests")
	}
	return p
}

// dbgProgram is one of the programs of programs/debug.
type dbgProgram struct {
	name   string // programs/bin/NAME.elf
	source string // programs/debug/SOURCE
	rounds int    // calls of step
}

var (
	dbgLinux = dbgProgram{"debug_linux", "linux.c", 12}
	dbgBare  = dbgProgram{"debug_bare", "bare.c", 12}
	dbgGlibc = dbgProgram{"debug_glibc", "glibc.c", 12}
)

// counterBefore is counter's value when step(k) is called: 1000 + 1 + 2 +
// ... + (k-1), and after step(k) returns counterBefore(k+1).
func counterBefore(k int) int64 { return 1000 + int64(k*(k-1)/2) }

// finalCounter is counter's value at the end: twice its value after the
// last round.
func (p dbgProgram) finalCounter() int64 { return 2 * counterBefore(p.rounds+1) }

func (p dbgProgram) elf(t *testing.T) string {
	t.Helper()
	abs := absProgramPath(t, p.name)
	return abs
}

// line returns the number of the source line that holds stmt.
func (p dbgProgram) line(t *testing.T, stmt string) int {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repo, "programs", "debug", p.source))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, stmt) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line %q", p.source, stmt)
	return 0
}

// dbgRecording is a recording of a debug program and what a straight
// replay of it said.
type dbgRecording struct {
	prog         dbgProgram
	elf, trace   string
	status       int
	stdout       string
	seen         uint64 // the XOR of all stamps, as the program printed it
	instructions uint64 // of the straight replay
	digest       string // the final state digest of the straight replay
}

var (
	seenRE     = regexp.MustCompile(`seen (?:0x)?([0-9a-f]+)`)
	identRE    = regexp.MustCompile(`replay identical: (\d+) instructions, final state digest ([0-9a-f]+)`)
	waitingRE  = regexp.MustCompile(`waiting for gdb on (\S+)`)
	hitLineRE  = regexp.MustCompile(`(?m)^@@([\w-]+) (.*)$`)
	exitedRE   = regexp.MustCompile(`\[Inferior 1 \((?:process \d+|Remote target)\) exited (?:with code (\d+)|normally)\]`)
	storeRE    = regexp.MustCompile(`(?m)^=> 0x[0-9a-f]+ <[^>]*>:\s+(c\.)?sd\s`)
	stopAtPCRE = regexp.MustCompile(`at instruction (\d+) \(--stop-at\), pc (0x[0-9a-f]+)`)
)

// dbgRecord records p with an ND buffer of ndBuffer entries and replays
// the trace straight.
func dbgRecord(t *testing.T, p dbgProgram, ndBuffer string) dbgRecording {
	t.Helper()
	rec := dbgRecording{prog: p, elf: p.elf(t), trace: filepath.Join(t.TempDir(), p.name+".zst")}
	r := rvsim(t, "", "record", "--nd-buffer", ndBuffer, "-o", rec.trace, rec.elf)
	if want := int(p.finalCounter() % 100); r.status != want {
		t.Fatalf("record %s: status %d, want %d (counter %d)\nstderr:\n%s", p.name, r.status, want, p.finalCounter(), r.stderr)
	}
	rec.status, rec.stdout = r.status, r.stdout
	m := seenRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("record %s: no seen value in its output %q", p.name, r.stdout)
	}
	rec.seen, _ = strconv.ParseUint(m[1], 16, 64)
	rp := rvsim(t, "", "replay", rec.elf, rec.trace)
	m = identRE.FindStringSubmatch(rp.stderr)
	if m == nil || rp.stdout != rec.stdout || rp.status != rec.status {
		t.Fatalf("a straight replay of %s: status %d, stdout %q, stderr:\n%s", p.name, rp.status, rp.stdout, rp.stderr)
	}
	rec.instructions, _ = strconv.ParseUint(m[1], 10, 64)
	rec.digest = m[2]
	return rec
}

// dbgServer is a running rvsim that serves gdb (replay --gdb or run --gdb).
type dbgServer struct {
	cmd            *exec.Cmd
	addr           string
	stdout, stderr syncBuffer
	waited         chan error
}

// dbgStartServer starts rvsim with args, which must make it listen for gdb
// on a free port (--gdb 127.0.0.1:0), and waits for its "waiting for gdb
// on ADDR" line.
func dbgStartServer(t *testing.T, args ...string) *dbgServer {
	t.Helper()
	s := &dbgServer{cmd: exec.Command(rvsimBin, args...), waited: make(chan error, 1)}
	s.cmd.Stdout = &s.stdout
	pr, pw := io.Pipe()
	s.cmd.Stderr = pw
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			s.stderr.Write([]byte(sc.Text() + "\n"))
			if m := waitingRE.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
		}
		io.Copy(&s.stderr, pr)
	}()
	go func() {
		err := s.cmd.Wait()
		pw.Close()
		s.waited <- err
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
	})
	select {
	case s.addr = <-addr:
	case err := <-s.waited:
		s.waited <- err
		t.Fatalf("rvsim %v ended before it listened for gdb: %v\nstderr:\n%s", args, err, s.stderr.String())
	case <-time.After(gdbLimit):
		t.Fatalf("rvsim %v did not say where it waits for gdb in %v\nstderr:\n%s", args, gdbLimit, s.stderr.String())
	}
	return s
}

// wait waits for the server to exit and returns its exit status; a server
// still running after limit fails the test.
func (s *dbgServer) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case err := <-s.waited:
		s.waited <- err
		status, sig, ok := waitStatus(err)
		if !ok {
			t.Fatalf("rvsim: %v", err)
		}
		if sig != 0 {
			t.Fatalf("rvsim was killed by signal %d\nstderr:\n%s", sig, s.stderr.String())
		}
		return status
	case <-time.After(limit):
		s.cmd.Process.Kill()
		t.Fatalf("rvsim still runs %v after gdb left\nstderr:\n%s", limit, s.stderr.String())
	}
	return -1
}

// dbgGDB runs gdb-multiarch in batch mode with elf's symbols, connected to
// addr, running script, and returns what it printed (stdout and stderr
// together, in order).
func dbgGDB(t *testing.T, addr, elfPath, script string) string {
	t.Helper()
	gdb := needGDBMultiarch(t)
	f := filepath.Join(t.TempDir(), "script.gdb")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), gdbLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdb, "-nx", "-batch", "-ex", "set architecture riscv:rv64",
		"-ex", "target remote "+addr, "-x", f, elfPath)
	cmd.Dir = repo // where the debug information's ./programs/debug/*.c are
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("gdb-multiarch did not finish in %v:\n%s", gdbLimit, out)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return string(out)
}

// dbgScript builds a gdb script.
type dbgScript struct{ strings.Builder }

func (s *dbgScript) cmd(format string, args ...any) { fmt.Fprintf(s, format+"\n", args...) }

// hit prints the variables of step as "@@TAG n stamp counter seen pc".
func (s *dbgScript) hit(tag string) {
	s.cmd(`printf "@@%s %%ld %%lu %%ld %%lu %%#lx\n", n, stamp, counter, seen, $pc`, tag)
}

// pc prints "@@TAG pc".
func (s *dbgScript) pc(tag string) { s.cmd(`printf "@@%s %%#lx\n", $pc`, tag) }

func newDbgScript() *dbgScript {
	s := &dbgScript{}
	s.cmd("set pagination off")
	s.cmd("set confirm off")
	s.cmd("set width 0")
	return s
}

// dbgOutput is what a script printed through its @@ lines, by tag, in
// order.
type dbgOutput struct {
	text string
	tags map[string][]string
}

func parseDbgOutput(out string) dbgOutput {
	o := dbgOutput{text: out, tags: map[string][]string{}}
	for _, m := range hitLineRE.FindAllStringSubmatch(out, -1) {
		o.tags[m[1]] = append(o.tags[m[1]], strings.TrimSpace(m[2]))
	}
	return o
}

// dbgHit is one "@@TAG n stamp counter seen pc" line.
type dbgHit struct {
	n, counter int64
	stamp      uint64
	seen       uint64
	pc         uint64
	text       string
}

func parseHit(t *testing.T, s string) dbgHit {
	t.Helper()
	f := strings.Fields(s)
	if len(f) != 5 {
		t.Fatalf("hit line %q: want n stamp counter seen pc", s)
	}
	h := dbgHit{text: s}
	var err [5]error
	h.n, err[0] = strconv.ParseInt(f[0], 10, 64)
	h.stamp, err[1] = strconv.ParseUint(f[1], 10, 64)
	h.counter, err[2] = strconv.ParseInt(f[2], 10, 64)
	h.seen, err[3] = strconv.ParseUint(f[3], 10, 64)
	h.pc, err[4] = strconv.ParseUint(f[4], 0, 64)
	for _, e := range err {
		if e != nil {
			t.Fatalf("hit line %q: %v", s, e)
		}
	}
	return h
}

func (o dbgOutput) hits(t *testing.T, tag string) []dbgHit {
	t.Helper()
	var hs []dbgHit
	for _, s := range o.tags[tag] {
		hs = append(hs, parseHit(t, s))
	}
	return hs
}

func (o dbgOutput) pcs(t *testing.T, tag string) []uint64 {
	t.Helper()
	var pcs []uint64
	for _, s := range o.tags[tag] {
		v, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("@@%s %q: %v", tag, s, err)
		}
		pcs = append(pcs, v)
	}
	return pcs
}

// elfEntry reads the entry point of an ELF file with debug/elf.
func elfEntry(t *testing.T, path string) uint64 {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.Entry
}

// exitedStatus returns the status in gdb's "[Inferior 1 (process N)
// exited with code NN]" (octal) or "exited normally" (0).
func exitedStatus(t *testing.T, out string) int {
	t.Helper()
	m := exitedRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("gdb never said the inferior exited:\n%s", out)
	}
	if m[1] == "" {
		return 0
	}
	v, err := strconv.ParseInt(m[1], 8, 32)
	if err != nil {
		t.Fatal(err)
	}
	return int(v)
}

// The forward and backward walk of the main test: K breakpoint hits
// forward, ten stepi and ten reverse-stepi, reverse-continue back through
// every earlier hit to the start of the recording, forward again through
// every round, then a watchpoint on counter hit by reverse-continue at its
// last two writes (stopped at the store), by continue at the same two
// forwards again, and on to the end.
const dbgForwardHits = 5

func reverseScript(t *testing.T, p dbgProgram) string {
	s := newDbgScript()
	s.cmd("break step")
	for range dbgForwardHits {
		s.cmd("continue")
		s.hit("fwd")
	}
	for range 10 {
		s.cmd("stepi")
		s.pc("si")
	}
	for range 10 {
		s.cmd("reverse-stepi")
		s.pc("rsi")
	}
	s.hit("back")
	for range dbgForwardHits - 1 {
		s.cmd("reverse-continue")
		s.hit("rc")
	}
	s.cmd("reverse-continue")
	s.pc("start")
	for range p.rounds {
		s.cmd("continue")
		s.hit("again")
	}
	s.cmd("delete")
	s.cmd("tbreak %s:%d", p.source, p.line(t, "counter = counter * 2;")+1)
	s.cmd("continue")
	s.cmd(`printf "@@end %%ld\n", counter`)
	s.cmd("watch counter")
	s.cmd(`echo @@watch1\n`)
	s.cmd("reverse-continue")
	s.pc("w1")
	s.cmd("x/i $pc")
	s.cmd(`echo @@watch2\n`)
	s.cmd("reverse-continue")
	s.cmd(`printf "@@w2 %%ld %%#lx\n", n, $pc`)
	s.cmd("x/i $pc")
	s.cmd(`echo @@watch3\n`)
	s.cmd("continue")
	s.cmd(`echo @@watch4\n`)
	s.cmd("continue")
	s.cmd(`echo @@watchend\n`)
	s.cmd("delete")
	s.cmd("continue")
	return s.String()
}

// checkReverse checks what reverseScript printed against the program's
// source and recording.
func checkReverse(t *testing.T, rec dbgRecording, out string) {
	t.Helper()
	p := rec.prog
	o := parseDbgOutput(out)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\ngdb printed:\n%s", append(args, out)...)
	}
	fwd := o.hits(t, "fwd")
	if len(fwd) != dbgForwardHits {
		fail("%d forward hits of step, want %d", len(fwd), dbgForwardHits)
	}
	bp := fwd[0].pc
	var seen uint64
	for i, h := range fwd {
		k := int64(i + 1)
		if h.n != k || h.counter != counterBefore(i+1) || h.seen != seen || h.pc != bp {
			fail("forward hit %d: n %d counter %d seen %d pc %#x, want n %d counter %d seen %d pc %#x",
				k, h.n, h.counter, h.seen, h.pc, k, counterBefore(i+1), seen, bp)
		}
		seen ^= h.stamp
	}
	si, rsi := o.pcs(t, "si"), o.pcs(t, "rsi")
	if len(si) != 10 || len(rsi) != 10 {
		fail("%d stepi and %d reverse-stepi pcs, want 10 each", len(si), len(rsi))
	}
	want := append([]uint64{bp}, si[:9]...) // the pcs before each stepi
	for i := range 10 {
		if rsi[i] != want[9-i] {
			fail("reverse-stepi %d: pc %#x, want %#x (stepi pcs from the breakpoint: %#x)", i+1, rsi[i], want[9-i], si)
		}
	}
	if back := o.tags["back"]; len(back) != 1 || back[0] != fwd[dbgForwardHits-1].text {
		fail("after ten reverse-stepi: %q, want the last forward hit %q", back, fwd[dbgForwardHits-1].text)
	}
	rc := o.tags["rc"]
	if len(rc) != dbgForwardHits-1 {
		fail("%d reverse-continue hits, want %d", len(rc), dbgForwardHits-1)
	}
	for i, s := range rc {
		if w := fwd[dbgForwardHits-2-i].text; s != w {
			fail("reverse-continue %d: %q, want forward hit %d: %q", i+1, s, dbgForwardHits-1-i, w)
		}
	}
	if !strings.Contains(out, "No more reverse-execution history.") {
		fail("reverse-continue before the first hit did not reach the start of the recording")
	}
	if start := o.pcs(t, "start"); len(start) != 1 || start[0] != elfEntry(t, rec.elf) {
		fail("at the start of the recording: pc %#x, want the ELF entry %#x", start, elfEntry(t, rec.elf))
	}
	again := o.hits(t, "again")
	if len(again) != p.rounds {
		fail("%d hits forward again, want %d", len(again), p.rounds)
	}
	seen = 0
	for i, h := range again {
		if i < dbgForwardHits && h.text != fwd[i].text {
			fail("hit %d forward again: %q, the first time %q", i+1, h.text, fwd[i].text)
		}
		if h.n != int64(i+1) || h.counter != counterBefore(i+1) || h.seen != seen {
			fail("hit %d forward again: %q: want n %d counter %d seen %d", i+1, h.text, i+1, counterBefore(i+1), seen)
		}
		seen ^= h.stamp
	}
	if seen != rec.seen {
		fail("the stamps step got XOR to %#x, the program printed %#x when recorded", seen, rec.seen)
	}
	if end := o.tags["end"]; len(end) != 1 || end[0] != strconv.FormatInt(p.finalCounter(), 10) {
		fail("counter after the loop: %q, want %d", end, p.finalCounter())
	}
	// Reverse-continue to a watchpoint: gdb compares the value it holds
	// (the later one) with the one it finds where it stopped (the earlier).
	w1 := between(out, "@@watch1", "@@watch2")
	wantW1 := fmt.Sprintf("Old value = %d\nNew value = %d\n", p.finalCounter(), counterBefore(p.rounds+1))
	if !strings.Contains(w1, wantW1) {
		fail("reverse-continue to the last write of counter: want\n%s", wantW1)
	}
	if l := fmt.Sprintf("%s:%d", p.source, p.line(t, "counter = counter * 2;")); !strings.Contains(w1, l) {
		fail("reverse-continue to the last write of counter: not stopped at %s", l)
	}
	// Going back, the stop is before the store: gdb's own disassembler
	// shows it at the pc.
	if !storeRE.MatchString(between(w1, "@@w1", "@@watch2")) {
		fail("reverse-continue to the last write of counter: the pc is not at a store (x/i $pc)")
	}
	w2 := between(out, "@@watch2", "@@watch3")
	if !storeRE.MatchString(between(w2, "@@w2", "@@watch3")) {
		fail("reverse-continue to the write before: the pc is not at a store (x/i $pc)")
	}
	// Forwards again from there, the same two writes, the other way round.
	for _, c := range []struct {
		from, to string
		old, new int64
	}{{"@@watch3", "@@watch4", counterBefore(p.rounds), counterBefore(p.rounds + 1)}, {"@@watch4", "@@watchend", counterBefore(p.rounds + 1), p.finalCounter()}} {
		if w := fmt.Sprintf("Old value = %d\nNew value = %d\n", c.old, c.new); !strings.Contains(between(out, c.from, c.to), w) {
			fail("continue forwards from the write in step(%d) (%s): want\n%s", p.rounds, c.from, w)
		}
	}
	wantW2 := fmt.Sprintf("Old value = %d\nNew value = %d\n", counterBefore(p.rounds+1), counterBefore(p.rounds))
	if !strings.Contains(w2, wantW2) {
		fail("reverse-continue to the write before: want\n%s", wantW2)
	}
	if l := fmt.Sprintf("%s:%d", p.source, p.line(t, "counter = counter + n;")); !strings.Contains(w2, l) {
		fail("reverse-continue to the write before: not stopped at %s", l)
	}
	if w := o.tags["w2"]; len(w) != 1 || !strings.HasPrefix(w[0], strconv.Itoa(p.rounds)+" ") {
		fail("the write before the last: %q, want in step(%d)", w, p.rounds)
	}
	if st := exitedStatus(t, out); st != rec.status {
		fail("gdb saw exit status %d, the recording %d", st, rec.status)
	}
}

// between returns the part of s from the first from to the next to.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// checkServerEnd checks how rvsim replay --gdb ended after gdb saw the
// guest exit: the recorded status, the recorded output once, and "replay
// identical" with a straight replay's digest.
func checkServerEnd(t *testing.T, rec dbgRecording, s *dbgServer) {
	t.Helper()
	status := s.wait(t, 30*time.Second)
	stderr := s.stderr.String()
	if badPanic(stderr) {
		t.Fatalf("rvsim panicked:\n%s", stderr)
	}
	if status != rec.status {
		t.Errorf("rvsim replay --gdb exited with %d, the recording with %d\nstderr:\n%s", status, rec.status, stderr)
	}
	if got := s.stdout.String(); got != rec.stdout {
		t.Errorf("the guest's output under gdb:\n%q\nwant what the recording printed, once:\n%q", got, rec.stdout)
	}
	m := identRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("rvsim replay --gdb did not say \"replay identical\" at the end:\n%s", stderr)
	}
	if m[1] != strconv.FormatUint(rec.instructions, 10) || m[2] != rec.digest {
		t.Errorf("replay under gdb: %s instructions, digest %s; straight replay: %d, %s", m[1], m[2], rec.instructions, rec.digest)
	}
}

// testReverse is the main test on one recording through rvsim replay
// --gdb.
func testReverse(t *testing.T, p dbgProgram, ndBuffer string) {
	needGDBMultiarch(t)
	rec := dbgRecord(t, p, ndBuffer)
	s := dbgStartServer(t, "replay", "--gdb", "127.0.0.1:0", rec.elf, rec.trace)
	out := dbgGDB(t, s.addr, rec.elf, reverseScript(t, p))
	checkReverse(t, rec, out)
	checkServerEnd(t, rec, s)
}

// TestGDBReverseLinux: breakpoints, stepi and reverse-stepi,
// reverse-continue to earlier hits with their variables, a watchpoint hit
// in reverse and the end with the recorded status, on a Linux program.
func TestGDBReverseLinux(t *testing.T) { testReverse(t, dbgLinux, "4096") }

// TestGDBReverseNDRefills: the same on a recording whose ND buffer holds
// three entries, refilled every round and a half, so that reverse
// execution crosses refills.
func TestGDBReverseNDRefills(t *testing.T) { testReverse(t, dbgLinux, "3") }

// TestGDBReverseBare: the same on a bare-metal program (M-mode, HTIF).
func TestGDBReverseBare(t *testing.T) { testReverse(t, dbgBare, "3") }

// TestGDBReverseGlibc: the same on a static glibc program (rv64gc, with
// compressed instructions), whose clock_gettime is a recorded system call.
func TestGDBReverseGlibc(t *testing.T) { testReverse(t, dbgGlibc, "4096") }

// TestGDBDebugCommand runs the main test through rvsim debug itself, gdb
// being its child with the arguments after "--": rvsim debug finds
// gdb-multiarch, connects it, loads the program's symbols, and exits with
// gdb's status.
func TestGDBDebugCommand(t *testing.T) {
	needGDBMultiarch(t)
	rec := dbgRecord(t, dbgLinux, "3")
	f := filepath.Join(t.TempDir(), "script.gdb")
	if err := os.WriteFile(f, []byte(reverseScript(t, dbgLinux)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := dbgDebug(t, "debug", rec.elf, rec.trace, "--", "-nx", "-batch", "-x", f)
	if r.status != 0 {
		t.Fatalf("rvsim debug: status %d, want gdb's 0\noutput:\n%s", r.status, r.stdout)
	}
	checkReverse(t, rec, r.stdout)
	if !strings.Contains(r.stdout, rec.stdout) {
		t.Errorf("rvsim debug did not show the guest's output %q:\n%s", rec.stdout, r.stdout)
	}
	// gdb's own exit status, and the program found from the trace.
	r = dbgDebug(t, "debug", rec.trace, "--", "-nx", "-batch", "-ex", "break step", "-ex", "continue",
		"-ex", `printf "@@n %ld\n", n`, "-ex", "quit 3")
	if r.status != 3 {
		t.Errorf("rvsim debug: status %d, want gdb's 3\noutput:\n%s", r.status, r.stdout)
	}
	if !strings.Contains(r.stdout, "@@n 1\n") {
		t.Errorf("rvsim debug without PROG: no stop in step(1):\n%s", r.stdout)
	}
	// --checkpoint-mem reaches the replay's checkpoints.
	r = dbgDebug(t, "debug", "--checkpoint-mem", "3M", rec.elf, rec.trace, "--", "-nx", "-batch", "-ex", "monitor checkpoints")
	if !strings.Contains(r.stdout, strconv.Itoa(3<<20)) {
		t.Errorf("rvsim debug --checkpoint-mem 3M: monitor checkpoints does not show the cap %d:\n%s", 3<<20, r.stdout)
	}
}

// dbgDebug runs rvsim with args (rvsim debug ...) in the repository's top
// directory, stdout and stderr together, within gdbLimit.
func dbgDebug(t *testing.T, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), gdbLimit)
	defer cancel()
	bin, err := filepath.Abs(rvsimBin)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = repo
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("rvsim %v did not finish in %v:\n%s", args, gdbLimit, out)
	}
	status, sig, ok := waitStatus(err)
	if !ok || sig != 0 {
		t.Fatalf("rvsim %v: %v\n%s", args, err, out)
	}
	if badPanic(string(out)) {
		t.Fatalf("rvsim %v panicked:\n%s", args, out)
	}
	return runResult{stdout: string(out), status: status}
}

// monitorOutput returns the text gdb printed between the @@TAG lines
// around a monitor command.
func monitorOutput(out, tag string) string {
	s := between(out, "@@"+tag+"-begin", "@@"+tag+"-end")
	s = strings.TrimPrefix(s, "@@"+tag+"-begin\n")
	return strings.TrimSpace(s)
}

// firstNumber returns the first decimal number in s.
func firstNumber(t *testing.T, s string) uint64 {
	t.Helper()
	m := regexp.MustCompile(`\b\d+\b`).FindString(s)
	if m == "" {
		t.Fatalf("no number in %q", s)
	}
	v, _ := strconv.ParseUint(m, 10, 64)
	return v
}

// stopAtPC is the pc where a straight replay stopped with --stop-at n
// says it stopped: the referee of monitor seek.
func stopAtPC(t *testing.T, rec dbgRecording, n uint64) uint64 {
	t.Helper()
	r := rvsim(t, "", "replay", "--stop-at", strconv.FormatUint(n, 10), rec.elf, rec.trace)
	m := stopAtPCRE.FindStringSubmatch(r.stderr)
	if m == nil || m[1] != strconv.FormatUint(n, 10) {
		t.Fatalf("replay --stop-at %d: %s", n, r.stderr)
	}
	pc, _ := strconv.ParseUint(m[2], 0, 64)
	return pc
}

// traceEvents are the events of a trace as rvsim inspect --json --events
// lists them.
type traceEvent struct {
	Kind    string `json:"kind"`
	Instret uint64 `json:"instret"`
	PC      string `json:"pc"`
	Value   string `json:"value"`
}

func traceEvents(t *testing.T, trace string) []traceEvent {
	t.Helper()
	r := rvsim(t, "", "inspect", "--json", "--events", trace)
	var doc struct {
		Segments []struct {
			Events []traceEvent `json:"event_list"`
		} `json:"segments"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("inspect --json --events: %v\n%s", err, r.stdout)
	}
	var evs []traceEvent
	for _, s := range doc.Segments {
		evs = append(evs, s.Events...)
	}
	return evs
}

// TestGDBMonitor drives rvsim's monitor commands from gdb on the bare-metal
// program, whose instruction count is its instret (it makes no system
// call), so that a straight replay stopped with --stop-at is the referee
// of monitor seek. A first session reads monitor icount at the third hit
// of step, the next three events (as rvsim inspect lists them) and the
// checkpoints; a second one seeks to that count (pc and variables as the
// first saw them), forwards and backwards to other counts (pc as
// --stop-at finds it), and runs to the end with the recorded status.
func TestGDBMonitor(t *testing.T) {
	needGDBMultiarch(t)
	p := dbgBare
	rec := dbgRecord(t, p, "3")
	mon := func(s *dbgScript, tag, cmd string) {
		s.cmd(`echo @@%s-begin\n`, tag)
		s.cmd("monitor %s", cmd)
		s.cmd(`echo @@%s-end\n`, tag)
	}
	s := newDbgScript()
	s.cmd("break step")
	for range 3 {
		s.cmd("continue")
	}
	s.hit("h3")
	mon(s, "icount", "icount")
	mon(s, "events", "events 3")
	s.cmd("continue")
	mon(s, "checkpoints", "checkpoints")
	mon(s, "help", "help")
	srv := dbgStartServer(t, "replay", "--gdb", "127.0.0.1:0", rec.elf, rec.trace)
	out := dbgGDB(t, srv.addr, rec.elf, s.String())
	srv.cmd.Process.Kill()
	o := parseDbgOutput(out)
	h3 := o.hits(t, "h3")
	if len(h3) != 1 || h3[0].n != 3 {
		t.Fatalf("no third hit of step:\n%s", out)
	}
	i3 := firstNumber(t, monitorOutput(out, "icount"))
	if pc := stopAtPC(t, rec, i3); pc != h3[0].pc {
		t.Errorf("monitor icount at the third hit of step (pc %#x) says %d; replay --stop-at %d stops at pc %#x", h3[0].pc, i3, i3, pc)
	}
	// The next three events from the breakpoint on, as inspect lists them.
	var next []traceEvent
	for _, e := range traceEvents(t, rec.trace) {
		if e.Instret >= i3 && len(next) < 3 {
			next = append(next, e)
		}
	}
	evLines := strings.Split(monitorOutput(out, "events"), "\n")
	if len(next) != 3 || len(evLines) < 3 {
		t.Fatalf("monitor events 3: %q; the trace's next events: %v", evLines, next)
	}
	for i, e := range next {
		l := strings.ToLower(evLines[len(evLines)-3+i])
		v, _ := strconv.ParseUint(e.Value, 0, 64)
		pc, _ := strconv.ParseUint(e.PC, 0, 64)
		if !strings.Contains(l, e.Kind) || !(strings.Contains(l, fmt.Sprintf("%#x", v)) || strings.Contains(l, fmt.Sprint(v))) ||
			!strings.Contains(l, fmt.Sprintf("%x", pc)) {
			t.Errorf("monitor events 3, line %d: %q; inspect lists %+v", i+1, l, e)
		}
	}
	if ck := monitorOutput(out, "checkpoints"); !regexp.MustCompile(`\d`).MatchString(ck) {
		t.Errorf("monitor checkpoints: %q, want the checkpoints' counts", ck)
	}
	for _, c := range []string{"icount", "seek", "events", "checkpoints"} {
		if !strings.Contains(monitorOutput(out, "help"), c) {
			t.Errorf("monitor help does not mention %s:\n%s", c, monitorOutput(out, "help"))
		}
	}

	// Second session: seek.
	third := rec.instructions / 3
	late := rec.instructions - 40
	s = newDbgScript()
	seek := func(tag string, n uint64) {
		s.cmd("monitor seek %d", n)
		s.cmd("maintenance flush register-cache")
		s.cmd(`echo @@%s-begin\n`, tag)
		s.cmd("info registers pc")
		s.cmd(`echo @@%s-end\n`, tag)
		mon(s, tag+"-icount", "icount")
	}
	seek("late", late)
	seek("third", third)
	seek("i3", i3)
	s.hit("seek3")
	seek("zero", 0)
	s.cmd("continue")
	srv = dbgStartServer(t, "replay", "--gdb", "127.0.0.1:0", rec.elf, rec.trace)
	out = dbgGDB(t, srv.addr, rec.elf, s.String())
	o = parseDbgOutput(out)
	for _, c := range []struct {
		tag string
		n   uint64
	}{{"late", late}, {"third", third}, {"i3", i3}, {"zero", 0}} {
		regs := monitorOutput(out, c.tag)
		m := regexp.MustCompile(`pc\s+(0x[0-9a-f]+)`).FindStringSubmatch(regs)
		want := elfEntry(t, rec.elf)
		if c.n > 0 {
			want = stopAtPC(t, rec, c.n)
		}
		if m == nil {
			t.Errorf("monitor seek %d, info registers pc: %q\n%s", c.n, regs, out)
			continue
		}
		if pc, _ := strconv.ParseUint(m[1], 0, 64); pc != want {
			t.Errorf("monitor seek %d: pc %#x, want %#x (replay --stop-at)", c.n, pc, want)
		}
		if got := firstNumber(t, monitorOutput(out, c.tag+"-icount")); got != c.n {
			t.Errorf("monitor seek %d, then monitor icount: %d", c.n, got)
		}
	}
	if got := o.tags["seek3"]; len(got) != 1 || got[0] != h3[0].text {
		t.Errorf("after monitor seek %d: %q, want the third hit as first seen: %q", i3, got, h3[0].text)
	}
	if st := exitedStatus(t, out); st != rec.status {
		t.Errorf("gdb saw exit status %d, the recording %d", st, rec.status)
	}
	checkServerEnd(t, rec, srv)
}

// TestGDBMonitorErrors: gdb-multiarch shows why a monitor command failed
// (rvsim's message, not "Invalid hex digit"), and a seek past the end of
// a replay leaves it where it was, the first time (which runs to the end
// to find it) and the next. Each command is an -ex of its own: an error
// ends a -x script.
func TestGDBMonitorErrors(t *testing.T) {
	gdb := needGDBMultiarch(t)
	rec := dbgRecord(t, dbgBare, "3")
	srv := dbgStartServer(t, "replay", "--gdb", "127.0.0.1:0", rec.elf, rec.trace)
	args := []string{"-nx", "-batch", "-ex", "set architecture riscv:rv64", "-ex", "target remote " + srv.addr,
		"-ex", "break step", "-ex", "continue", "-ex", "monitor icount", "-ex", "monitor bogus",
		"-ex", "monitor seek 99999999999", "-ex", "monitor seek 99999999999", "-ex", "monitor icount", rec.elf}
	ctx, cancel := context.WithTimeout(context.Background(), gdbLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdb, args...)
	cmd.Dir = repo
	b, _ := cmd.CombinedOutput()
	out := string(b)
	srv.cmd.Process.Kill()
	if strings.Contains(out, "Invalid hex digit") {
		t.Errorf("gdb could not read a monitor command's error:\n%s", out)
	}
	for _, want := range []string{`rvsim: bad monitor command: "bogus": try monitor help`, "rvsim: seek 99999999999: the run ends before that instruction count"} {
		if !strings.Contains(out, want) {
			t.Errorf("gdb does not show %q:\n%s", want, out)
		}
	}
	icounts := regexp.MustCompile(`icount (\d+), instret`).FindAllStringSubmatch(out, -1)
	if len(icounts) != 2 || icounts[0][1] != icounts[1][1] {
		t.Fatalf("monitor icount before and after two seeks past the end: %q\n%s", icounts, out)
	}
	if n := strings.Count(out, "still at icount "+icounts[0][1]); n != 2 {
		t.Errorf("%d seeks past the end say they are still at icount %s, want 2:\n%s", n, icounts[0][1], out)
	}
}

// TestGDBRunForwardOnly debugs a plain run (rvsim run --gdb): breakpoints
// and continue work, reverse execution is refused with gdb's error (no
// ReverseStep+ or ReverseContinue+), and the run goes on to the program's
// own end and exit status, its output printed once.
func TestGDBRunForwardOnly(t *testing.T) {
	needGDBMultiarch(t)
	p := dbgLinux
	s := newDbgScript()
	s.cmd("break step")
	s.cmd("continue")
	s.cmd("continue")
	s.hit("h2")
	for _, c := range []string{"reverse-stepi", "reverse-continue"} {
		s.cmd("python")
		s.cmd("try:")
		s.cmd("    gdb.execute(%q)", c)
		s.cmd("    print('@@reverse ran')")
		s.cmd("except gdb.error as e:")
		s.cmd("    print('@@reverse-error', e)")
		s.cmd("end")
	}
	s.hit("still")
	s.cmd("delete")
	s.cmd("continue")
	srv := dbgStartServer(t, "run", "--gdb", "127.0.0.1:0", p.elf(t))
	out := dbgGDB(t, srv.addr, p.elf(t), s.String())
	o := parseDbgOutput(out)
	h2 := o.hits(t, "h2")
	if len(h2) != 1 || h2[0].n != 2 || h2[0].counter != counterBefore(2) {
		t.Fatalf("second hit of step: %v\n%s", h2, out)
	}
	if errs := o.tags["reverse-error"]; len(errs) != 2 || len(o.tags["reverse"]) != 0 {
		t.Errorf("reverse-stepi and reverse-continue on a plain run: %q errors, want both refused\n%s", errs, out)
	}
	if st := o.tags["still"]; len(st) != 1 || st[0] != h2[0].text {
		t.Errorf("after the refused reverse commands: %q, want still %q", st, h2[0].text)
	}
	want := int(p.finalCounter() % 100)
	if st := exitedStatus(t, out); st != want {
		t.Errorf("gdb saw exit status %d, want %d", st, want)
	}
	if st := srv.wait(t, 30*time.Second); st != want {
		t.Errorf("rvsim run --gdb exited with %d, want %d\nstderr:\n%s", st, want, srv.stderr.String())
	}
	if got := srv.stdout.String(); strings.Count(got, "debug_linux: 12 rounds, counter 2156") != 1 {
		t.Errorf("rvsim run --gdb printed %q, want the program's line once", got)
	}
	if badPanic(srv.stderr.String()) {
		t.Errorf("rvsim panicked:\n%s", srv.stderr.String())
	}
}
