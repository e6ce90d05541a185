package gdbstub

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// runGDB serves the target on a loopback port and runs gdb-multiarch in
// batch mode with the commands; it returns gdb's output and Serve's error.
func runGDB(t *testing.T, tgt Target, cmds ...string) (string, error) {
	return runGDBWith(t, tgt, nil, Options{}, cmds...)
}

// runGDBWith is runGDB calling started with gdb's process once it runs.
func runGDBWith(t *testing.T, tgt Target, started func(*os.Process), opt Options, cmds ...string) (string, error) {
	t.Helper()
	gdb, err := exec.LookPath("gdb-multiarch")
	if err != nil {
		t.Skip("gdb-multiarch is not installed")
	}
	l, err := Listen("0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	served := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			served <- err
			return
		}
		if os.Getenv("GDBSTUB_DEBUG") != "" {
			opt.Log = zaptest.NewLogger(t)
		}
		served <- Serve(conn, tgt, opt)
	}()
	args := []string{"-nx", "-batch", "-ex", "set architecture riscv:rv64", "-ex", "set pagination off",
		"-ex", "set confirm off", "-ex", "target remote " + l.Addr().String()}
	for _, c := range cmds {
		args = append(args, "-ex", c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdb, args...)
	var buf strings.Builder
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err = cmd.Start()
	if err == nil {
		if started != nil {
			started(cmd.Process)
		}
		err = cmd.Wait()
	}
	out := buf.String()
	if err != nil {
		t.Fatalf("gdb-multiarch: %v\n%s", err, out)
	}
	select {
	case err = <-served:
	case <-time.After(testTimeout):
		t.Fatalf("Serve did not return after gdb ended\n%s", out)
	}
	return string(out), err
}

// expectLines checks that each pattern matches a line of out, in order.
func expectLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Fatalf("no line matching %q (in order) in gdb's output:\n%s", p, out)
		}
		i++
	}
}

// watchModes runs f with the fake's watchpoints stopping before the
// access (forwards) and, as a hart's do, after it with SteppedOver: gdb
// must show the same either way.
func watchModes(t *testing.T, f func(t *testing.T, after bool)) {
	for _, after := range []bool{false, true} {
		name := "before"
		if after {
			name = "after-stepped-over"
		}
		t.Run(name, func(t *testing.T) { f(t, after) })
	}
}

func TestGDBForward(t *testing.T) { watchModes(t, testGDBForward) }

func testGDBForward(t *testing.T, after bool) {
	fake := newFake()
	fake.watchAfter = after
	out, err := runGDB(t, fake,
		"info registers pc",
		"x/4xw 0x10000",
		"x/2i $pc",
		"p/x $mstatus",
		"p $fflags",
		"break *0x10014",
		"continue",
		"info registers a0",
		"stepi",
		"info registers pc",
		"delete",
		"hbreak *0x1000c",
		"continue",
		"delete",
		"watch *(long *)0x10800",
		"continue",
		"continue",
		"delete",
		"continue",
	)
	if err != nil {
		t.Errorf("Serve: %v", err)
	}
	expectLines(t, out,
		`^pc\s+0x10000\s+0x10000`,
		// the fake program's words (encoded in fake_test.go, decoded by gdb)
		`^0x10000:\s+0x00000513\s+0x00500593\s+0x00150513\s+0x00a13023`,
		`^=> 0x10000:\s+li\s+a0,0`,
		`^\s+0x10004:\s+li\s+a1,5`,
		`^\$1 = 0xa00000000`,
		`^\$2 = 31`,
		`^Breakpoint 1 at 0x10014`,
		`^Breakpoint 1, 0x0000000000010014 in`,
		`^a0\s+0x1\s+1`,
		`^0x0000000000010018 in`,
		`^pc\s+0x10018\s+0x10018`,
		`^Hardware assisted breakpoint 2 at 0x1000c`,
		`^Breakpoint 2, 0x000000000001000c in`,
		`^Hardware watchpoint 3: \*\(long \*\)0x10800`,
		// the watch stops before the store; gdb steps over it and shows
		// the values with pc after the store
		`^Old value = 1`,
		`^New value = 2`,
		`^0x0000000000010010 in`,
		`^Old value = 2`,
		`^New value = 3`,
		`^0x0000000000010010 in`,
		`exited with code 052`,
	)
}

func TestGDBReverse(t *testing.T) { watchModes(t, testGDBReverse) }

func testGDBReverse(t *testing.T, after bool) {
	fake := newFake()
	fake.reverse = true
	fake.watchAfter = after
	out, err := runGDB(t, fake,
		"stepi", "stepi", "stepi",
		"info registers pc",
		"reverse-stepi",
		"info registers pc",
		"reverse-stepi",
		"reverse-stepi",
		"info registers pc",
		"reverse-stepi",
		"break *0x10014",
		"continue",
		"continue",
		"info registers a0",
		"reverse-continue",
		"info registers a0",
		"delete",
		"watch *(long *)0x10800",
		"continue",
		"info registers pc",
		"continue",
		"reverse-continue",
		"info registers pc",
		"x/gx 0x10800",
		"reverse-continue",
		"info registers pc",
		"x/gx 0x10800",
		"monitor icount",
		"kill",
	)
	if err != nil {
		t.Errorf("Serve: %v", err)
	}
	expectLines(t, out,
		`^pc\s+0x1000c\s+0x1000c`,
		`^pc\s+0x10008\s+0x10008`,
		`^pc\s+0x10000\s+0x10000`,
		`No more reverse-execution history`,
		`^Breakpoint 1, 0x0000000000010014 in`,
		`^Breakpoint 1, 0x0000000000010014 in`,
		`^a0\s+0x2\s+2`,
		`^Breakpoint 1, 0x0000000000010014 in`,
		`^a0\s+0x1\s+1`,
		`^Hardware watchpoint 2: \*\(long \*\)0x10800`,
		`^Old value = 1`,
		`^New value = 2`,
		`^pc\s+0x10010\s+0x10010`,
		`^Old value = 2`,
		`^New value = 3`,
		// backwards: at the store that wrote 3, before it
		`^Old value = 3`,
		`^New value = 2`,
		`^0x000000000001000c in`,
		`^pc\s+0x1000c\s+0x1000c`,
		`^0x10800:\s+0x0000000000000002`,
		`^Old value = 2`,
		`^New value = 1`,
		`^pc\s+0x1000c\s+0x1000c`,
		`^0x10800:\s+0x0000000000000001`,
		`^8$`, // the fake's history: 8 instructions from the start,
	)
	if !fake.killed.Load() {
		t.Errorf("kill did not kill the target")
	}
}

// Ctrl-C in gdb (SIGINT to gdb while it waits for the target) sends 0x03,
// which interrupts a running target.
func TestGDBInterrupt(t *testing.T) {
	fake, running := spinning()
	out, err := runGDBWith(t, fake, func(p *os.Process) {
		go func() {
			select {
			case <-running:
				time.Sleep(100 * time.Millisecond)
				p.Signal(os.Interrupt)
			case <-time.After(testTimeout):
			}
		}()
	}, Options{},
		"continue",
		"info registers pc",
		"detach",
	)
	if err != nil {
		t.Errorf("Serve: %v", err)
	}
	expectLines(t, out,
		`received signal SIGINT`,
		`^pc\s+0x10024\s+0x10024`,
	)
	if fake.interrupts.Load() == 0 || fake.killed.Load() {
		t.Errorf("interrupts %d killed %v", fake.interrupts.Load(), fake.killed.Load())
	}
}

// remoteRegisters runs gdb's "maint print remote-registers" against the stub
// at addr and returns its rows by name: number, size, remote number and g
// packet offset (the type is left out: QEMU's FP registers are a union).
func remoteRegisters(t *testing.T, gdb string, addr string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, gdb, "-nx", "-batch", "-ex", "set architecture riscv:rv64",
		"-ex", "target remote "+addr, "-ex", "maint print remote-registers", "-ex", "kill").CombinedOutput()
	if err != nil {
		t.Fatalf("gdb-multiarch: %v\n%s", err, out)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 8 && f[0] != "Name" {
			rows[f[0]] = strings.Join([]string{f[1], f[4], f[6], f[7]}, " ")
		}
	}
	return rows
}

// The x, pc and f registers are laid out as with QEMU's stub (the
// reference implementation): same gdb numbers, sizes, remote numbers and g
// packet offsets.
func TestGDBRegisterLayoutMatchesQEMU(t *testing.T) {
	gdb, err := exec.LookPath("gdb-multiarch")
	if err != nil {
		t.Skip("gdb-multiarch is not installed")
	}
	qemu, err := exec.LookPath("qemu-riscv64")
	if err != nil {
		t.Skip("qemu-riscv64 is not installed")
	}
	l, err := Listen("0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	q := exec.Command(qemu, "-g", port, "../programs/bin/exitcode.elf")
	if err := q.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		q.Process.Kill()
		q.Wait()
	}()
	ref := remoteRegisters(t, gdb, "127.0.0.1:"+port)

	l, err = Listen("0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	served := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			served <- err
			return
		}
		served <- Serve(conn, newFake(), Options{})
	}()
	ours := remoteRegisters(t, gdb, l.Addr().String())
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	names := append(append(append([]string{}, xNames[:]...), "pc"), fNames[:]...)
	for _, name := range names {
		if ref[name] == "" || ours[name] != ref[name] {
			t.Errorf("register %s: %q, QEMU %q (number, size, remote number, g offset)", name, ours[name], ref[name])
		}
	}
}

// gdb writes and reads 4 KiB of bytes of every value (the ones X must
// escape among them) through a stub with a small packet size: X packets
// escaped and cut to the packet size, m replies clipped to it.
func TestGDBLargeMemory(t *testing.T) {
	dir := t.TempDir()
	in := make([]byte, fakeSize)
	for i := range in {
		in[i] = byte(i*7 + i/256)
	}
	copy(in, "}#$*}}##$$**")
	if err := os.WriteFile(dir+"/in.bin", in, 0o644); err != nil {
		t.Fatal(err)
	}
	fake := newFake()
	out, err := runGDBWith(t, fake, nil, Options{PacketSize: 0x400},
		"restore "+dir+"/in.bin binary 0x10000",
		"dump binary memory "+dir+"/out.bin 0x10000 0x11000",
		"x/2xg 0x10ff0",
		"detach",
	)
	if err != nil {
		t.Errorf("Serve: %v", err)
	}
	if !bytes.Equal(fake.mem, in) {
		t.Errorf("memory after restore differs from the file")
	}
	got, err := os.ReadFile(dir + "/out.bin")
	if err != nil || !bytes.Equal(got, in) {
		t.Errorf("dump differs from what was written (%v)\n%s", err, out)
	}
	var writes, maxWrite int
	for _, c := range fake.callList() {
		if strings.HasPrefix(c, "WriteMemory") {
			writes++
			maxWrite = max(maxWrite, (len(c)-len("WriteMemory(0x10000, )"))/2)
		}
	}
	if writes < fakeSize/0x400 || maxWrite > 0x400 {
		t.Errorf("%d writes of at most %d bytes: not cut to the packet size", writes, maxWrite)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.maxRead > 0x200 {
		t.Errorf("a read of %d bytes: more than the packet size allows", fake.maxRead)
	}
}
