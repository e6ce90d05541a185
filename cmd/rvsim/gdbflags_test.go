package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// recordTo records programs/bin/NAME.elf into dir/NAME.zst and returns its
// path.
func recordTo(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	trace := filepath.Join(dir, name+".zst")
	r := rvsim(t, "", append([]string{"record", "-o", trace, programPath(name)}, args...)...)
	if strings.Contains(r.stderr, "rvsim:") {
		t.Fatalf("record %s: %s", name, r.stderr)
	}
	return trace
}

// The flags that go with --gdb are checked before anything is served, each
// refusal one line.
func TestGDBFlagErrors(t *testing.T) {
	dir := t.TempDir()
	trace := recordTo(t, dir, "crc")
	prog := programPath("crc")
	oneLine(t, cli(t, "", "replay", "--gdb", "127.0.0.1:0", "--checkpoint-mem", "12x", prog, trace), `^rvsim: --checkpoint-mem: "12x" is not`)
	oneLine(t, cli(t, "", "replay", "--gdb", "127.0.0.1:0", "--stop-at", "5", prog, trace), `^rvsim: replay --gdb: --stop-at .*monitor seek N`)
	oneLine(t, cli(t, "", "replay", "--gdb", "127.0.0.1:0", "--stats", prog, trace), `^rvsim: replay --gdb: --stats`)
	oneLine(t, cli(t, "", "replay", "--gdb", "256.0.0.1:0", prog, trace), `^rvsim: --gdb "256.0.0.1:0": `)
	oneLine(t, cli(t, "", "run", "--gdb", "nohost.invalid:1", prog), `^rvsim: --gdb "nohost.invalid:1": `)
	oneLine(t, cli(t, "", "run", "--gdb", "127.0.0.1:0", "--stats", prog), `^rvsim: run --gdb: --stats measures a run without gdb$`)

	oneLine(t, cli(t, "", "replay", "--checkpoint-mem", "4K", prog, trace), `^rvsim: replay: --checkpoint-mem goes with --gdb`)

	// A trace from a FIFO cannot be seeked back in.
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(data) // ends with EPIPE once rvsim has refused the trace
		f.Close()
	}()
	oneLine(t, cli(t, "", "replay", "--gdb", "127.0.0.1:0", prog, fifo), `^rvsim: replay --gdb ".*fifo": the trace is not a regular file`)

	// A FIFO that no one writes is refused at once too: opening it
	// would block for ever.
	lonely := filepath.Join(dir, "lonely")
	if err := mkfifo(lonely, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"replay", "--gdb", "127.0.0.1:0", prog, lonely},
		{"replay", "--gdb", "127.0.0.1:0", lonely},
		{"debug", prog, lonely},
	} {
		done := make(chan runResult, 1)
		go func() { done <- cli(t, "", args...) }()
		select {
		case r := <-done:
			oneLine(t, r, `^rvsim: (replay --gdb|debug) ".*lonely": the trace is not a regular file`)
		case <-time.After(20 * time.Second):
			t.Fatalf("rvsim %q: still waiting on a FIFO with no writer after 20 s", args)
		}
	}
}

// gdbProc is rvsim serving gdb, started as a process.
type gdbProc struct {
	cmd    *exec.Cmd
	addr   string
	stderr *bytes.Buffer
	done   chan error
}

// startGDB starts rvsim with args (which serve gdb on 127.0.0.1:0) and
// waits for the line that says where.
func startGDB(t *testing.T, args ...string) *gdbProc {
	t.Helper()
	cmd := exec.Command(rvsimBin, args...)
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(&stderr, pw)
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &gdbProc{cmd: cmd, stderr: &stderr, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "waiting for gdb on ") {
				line <- sc.Text()
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case l := <-line:
		m := regexp.MustCompile(`^rvsim: waiting for gdb on (127\.0\.0\.1:\d+)$`).FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("the line that says where: %q", l)
		}
		p.addr = m[1]
	case <-time.After(20 * time.Second):
		t.Fatalf("rvsim never said where it waits: %q", stderr.String())
	}
	return p
}

// wait waits for rvsim to end and returns its exit status.
func (p *gdbProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatalf("rvsim still runs after gdb left: %q", p.stderr.String())
	}
	return 0
}

// rsp is a minimal gdb remote protocol client (acknowledged mode).
type rsp struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRSP(t *testing.T, addr string) *rsp {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(60 * time.Second))
	return &rsp{t: t, c: c, r: bufio.NewReader(c)}
}

// call sends a packet and returns the reply's data.
func (p *rsp) call(data string) string {
	p.t.Helper()
	var sum byte
	for i := 0; i < len(data); i++ {
		sum += data[i]
	}
	if _, err := fmt.Fprintf(p.c, "$%s#%02x", data, sum); err != nil {
		p.t.Fatal(err)
	}
	return p.next()
}

// next reads the next packet.
func (p *rsp) next() string {
	p.t.Helper()
	for {
		b, err := p.r.ReadByte()
		if err != nil {
			p.t.Fatal(err)
		}
		if b == '$' {
			break
		}
	}
	body, err := p.r.ReadString('#')
	if err != nil {
		p.t.Fatal(err)
	}
	io.ReadFull(p.r, make([]byte, 2))
	p.c.Write([]byte{'+'})
	return unRLE(strings.TrimSuffix(body, "#"))
}

// unRLE expands the protocol's run-length encoding: "X*c" is X repeated
// c-29 more times.
func unRLE(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '*' && i > 0 && i+1 < len(s) {
			prev := s[i-1]
			for n := int(s[i+1]) - 29; n > 0; n-- {
				b.WriteByte(prev)
			}
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// monitor runs a monitor command (qRcmd) and returns its output, sent as
// O packets or as the hex reply.
func (p *rsp) monitor(cmd string) string {
	p.t.Helper()
	var out []byte
	r := p.call(fmt.Sprintf("qRcmd,%x", cmd))
	for {
		switch {
		case r == "OK":
			return string(out)
		case strings.HasPrefix(r, "O"):
			b, err := hex.DecodeString(r[1:])
			if err != nil {
				p.t.Fatalf("O packet %q", r)
			}
			out = append(out, b...)
		case strings.HasPrefix(r, "E"):
			p.t.Fatalf("monitor %s: %q", cmd, r)
		default:
			b, err := hex.DecodeString(r)
			if err != nil {
				p.t.Fatalf("qRcmd reply %q", r)
			}
			return string(append(out, b...))
		}
		r = p.next()
	}
}

// A replay served to gdb: continue to the end gets W with the guest's
// status, and rvsim then ends as the replay does (replay identical, the
// guest's status); gdb detaching before the end ends it with status 0.
func TestGDBServeReplay(t *testing.T) {
	dir := t.TempDir()
	trace := recordTo(t, dir, "exitcode", "42")
	prog := programPath("exitcode")

	p := startGDB(t, "replay", "--gdb", "127.0.0.1:0", "--checkpoint-mem", "64M", prog, trace)
	c := dialRSP(t, p.addr)
	if r := c.call("?"); !strings.HasPrefix(r, "T05") {
		t.Fatalf("? answered %q", r)
	}
	if out := c.monitor("icount"); !strings.HasPrefix(out, "icount 0, instret 0,") {
		t.Fatalf("monitor icount answered %q", out)
	}
	if r := c.call("s"); !strings.HasPrefix(r, "T05") {
		t.Fatalf("s answered %q", r)
	}
	if r := c.call("bs"); !strings.HasPrefix(r, "T05") {
		t.Fatalf("bs answered %q", r)
	}
	if r := c.call("bs"); r != "T05replaylog:begin;thread:p01.01;" && !strings.Contains(r, "replaylog:begin") {
		t.Fatalf("bs at the start answered %q", r)
	}
	if r := c.call("c"); r != "W2a" {
		t.Fatalf("c answered %q, want W2a", r)
	}
	c.c.Close()
	if st := p.wait(t); st != 42 {
		t.Fatalf("exit status %d, want the guest's 42: %q", st, p.stderr.String())
	}
	if !regexp.MustCompile(`rvsim: replay identical: \d+ instructions, final state digest [0-9a-f]{64}\n`).MatchString(p.stderr.String()) {
		t.Fatalf("stderr %q: no replay identical line", p.stderr.String())
	}

	p = startGDB(t, "replay", "--gdb", "127.0.0.1:0", prog, trace)
	c = dialRSP(t, p.addr)
	c.call("s")
	if r := c.call("D"); r != "OK" {
		t.Fatalf("D answered %q", r)
	}
	c.c.Close()
	if st := p.wait(t); st != 0 || strings.Contains(p.stderr.String(), "replay identical") {
		t.Fatalf("after D: status %d, stderr %q", st, p.stderr.String())
	}

	// A connection dropped mid-packet: rvsim ends cleanly.
	p = startGDB(t, "replay", "--gdb", "127.0.0.1:0", prog, trace)
	c = dialRSP(t, p.addr)
	c.c.Write([]byte("$m100"))
	c.c.Close()
	if st := p.wait(t); st != 0 {
		t.Fatalf("after a dropped connection: status %d, stderr %q", st, p.stderr.String())
	}
}

// run --gdb serves a plain run, forward only: it may be changed.
func TestGDBServeRun(t *testing.T) {
	prog := programPath("exitcode")
	p := startGDB(t, "run", "--gdb", "127.0.0.1:0", prog, "7")
	c := dialRSP(t, p.addr)
	if r := c.call("qSupported:swbreak+"); strings.Contains(r, "ReverseStep+") {
		t.Fatalf("a plain run offers reverse execution: %q", r)
	}
	if r := c.call("bs"); !strings.HasPrefix(r, "E") && r != "" {
		t.Fatalf("bs in a plain run answered %q", r)
	}
	if r := c.call("c"); r != "W07" {
		t.Fatalf("c answered %q, want W07", r)
	}
	c.c.Close()
	if st := p.wait(t); st != 7 {
		t.Fatalf("exit status %d, want 7: %q", st, p.stderr.String())
	}
}

// TestGDBDetachRun: gdb detaching from a live run lets the program run on
// to its end, breakpoints and watchpoints removed, as under gdbserver: the
// exit status is the program's.
func TestGDBDetachRun(t *testing.T) {
	p := startGDB(t, "run", "--gdb", "127.0.0.1:0", programPath("exitcode"), "7")
	c := dialRSP(t, p.addr)
	pc := c.call("p20") // little-endian hex of the pc, where the run stands
	var addr uint64
	for i := len(pc) - 2; i >= 0; i -= 2 {
		b, err := strconv.ParseUint(pc[i:i+2], 16, 8)
		if err != nil {
			t.Fatalf("p20 answered %q", pc)
		}
		addr = addr<<8 | b
	}
	if r := c.call(fmt.Sprintf("Z0,%x,4", addr)); r != "OK" {
		t.Fatalf("Z0 at the pc answered %q", r)
	}
	if r := c.call("D"); r != "OK" {
		t.Fatalf("D answered %q", r)
	}
	c.c.Close()
	if st := p.wait(t); st != 7 {
		t.Fatalf("after D: status %d, want the program's 7: %q", st, p.stderr.String())
	}
}

// Ctrl-C from gdb stops a run that never ends by itself with SIGINT; k
// then ends rvsim with status 0.
func TestGDBInterruptRun(t *testing.T) {
	p := startGDB(t, "run", "--gdb", "127.0.0.1:0", programPath("forever"), "spin")
	c := dialRSP(t, p.addr)
	if _, err := c.c.Write([]byte("$c#63")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := c.c.Write([]byte{0x03}); err != nil {
		t.Fatal(err)
	}
	if r := c.next(); !strings.HasPrefix(r, "T02") {
		t.Fatalf("Ctrl-C during c answered %q, want T02", r)
	}
	if r := c.monitor("icount"); !strings.HasPrefix(r, "icount ") || strings.HasPrefix(r, "icount 0,") {
		t.Fatalf("icount after the interrupt: %q", r)
	}
	c.c.Write([]byte("$k#6b"))
	c.c.Close()
	if st := p.wait(t); st != 0 {
		t.Fatalf("after k: status %d, stderr %q", st, p.stderr.String())
	}
}
