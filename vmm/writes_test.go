package vmm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/rvsim/rvsim/logfmt"
)

var sigpipeELF = filepath.Join("..", "programs", "bin", "sigpipe.elf")

// shortWriter takes limit bytes in all, then fails as a full disk; the
// write that crosses the limit is cut short.
type shortWriter struct {
	buf   bytes.Buffer
	limit int
}

func (w *shortWriter) Write(p []byte) (int, error) {
	room := w.limit - w.buf.Len()
	if room >= len(p) {
		return w.buf.Write(p)
	}
	w.buf.Write(p[:max(room, 0)])
	return max(room, 0), &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
}

// runSigpipe runs programs/bin/sigpipe.elf with args; record or replay
// the trace in cfg.
func runSigpipe(t *testing.T, cfg Config, args ...string) (Result, error) {
	t.Helper()
	prog, err := LoadFile(sigpipeELF)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MemSize = 1 << 20
	cfg.Args = append([]string{prog.Path}, args...)
	cfg.Stdin = strings.NewReader("")
	m, err := New(prog, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m.Run()
}

// TestShortWriteRecorded: a guest write that the host cuts short (ENOSPC
// after part of it) is recorded with its count, and the failing one after
// it with -ENOSPC; replay answers both from the trace, outputs exactly the
// bytes the host took, and ends identical with the same status.
func TestShortWriteRecorded(t *testing.T) {
	const limit = 100
	out := &shortWriter{limit: limit}
	var stderr, trace bytes.Buffer
	res, err := runSigpipe(t, Config{Stdout: out, Stderr: &stderr, Record: &trace}, "ignore")
	if err != nil {
		t.Fatal(err)
	}
	// The lines are "line N\n": the one that crosses 100 bytes comes up
	// short, and the guest stops there.
	if res.Status != 1 || !strings.HasPrefix(stderr.String(), "sigpipe: write ") || strings.Contains(stderr.String(), "returned -") {
		t.Fatalf("record: status %d, stderr %q; want 1 and a short count", res.Status, stderr.String())
	}
	if out.buf.Len() != limit {
		t.Fatalf("the host took %d bytes, want %d", out.buf.Len(), limit)
	}
	rd, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	var writes []logfmt.Event
	for {
		evs, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Kind == logfmt.KindSyscall && ev.Nr == sysWrite {
				writes = append(writes, ev)
			}
		}
	}
	if len(writes) != 1 || int64(writes[0].Value) <= 0 || int64(writes[0].Value) >= 8 {
		t.Fatalf("recorded writes %+v; want one, the short one", writes)
	}
	rd, _ = logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
	var rout, rerr bytes.Buffer
	rres, err := runSigpipe(t, Config{Stdout: &rout, Stderr: &rerr, Replay: rd}, "ignore")
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if rres.Status != 1 || rout.String() != out.buf.String() || rerr.String() != stderr.String() {
		t.Errorf("replay: status %d, stdout %q, stderr %q; recorded 1, %q, %q", rres.Status, rout.String(), rerr.String(), out.buf.String(), stderr.String())
	}
}

// TestEPIPEKillsGuest: a write that fails with EPIPE raises SIGPIPE, whose
// default action kills the guest (status 141, reason signal) and whose
// SIG_IGN lets the guest see -EPIPE; both replay identically.
func TestEPIPEKillsGuest(t *testing.T) {
	for _, c := range []struct {
		args   []string
		status int
		reason string
		stderr string
	}{
		{nil, 128 + sigPIPE, ReasonSignal, ""},
		{[]string{"ignore"}, 0, ReasonExit, "sigpipe: write 3 returned -32\n"},
	} {
		t.Run(fmt.Sprint(c.args), func(t *testing.T) {
			out := &shortWriter{limit: 21} // three lines, then no reader
			out.limit = len("line 0\nline 1\nline 2\n")
			epipe := &pipeGone{out}
			var stderr, trace bytes.Buffer
			res, err := runSigpipe(t, Config{Stdout: epipe, Stderr: &stderr, Record: &trace}, c.args...)
			if err != nil || res.Status != c.status || stderr.String() != c.stderr {
				t.Fatalf("record: status %d, stderr %q, %v; want %d, %q", res.Status, stderr.String(), err, c.status, c.stderr)
			}
			rd, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
			if err != nil {
				t.Fatal(err)
			}
			var rout, rerr bytes.Buffer
			rres, err := runSigpipe(t, Config{Stdout: &rout, Stderr: &rerr, Replay: rd}, c.args...)
			if err != nil || rres.Status != c.status || rout.String() != "line 0\nline 1\nline 2\n" || rerr.String() != c.stderr {
				t.Errorf("replay: status %d, stdout %q, stderr %q, %v", rres.Status, rout.String(), rerr.String(), err)
			}
			f, _ := rd.Footer()
			if f.Reason != c.reason || f.Status != c.status {
				t.Errorf("footer: %s, status %d; want %s, %d", f.Reason, f.Status, c.reason, c.status)
			}
		})
	}
}

// pipeGone is a shortWriter whose reader quits at the limit: the write
// after it fails with EPIPE.
type pipeGone struct{ w *shortWriter }

func (p *pipeGone) Write(b []byte) (int, error) {
	if p.w.buf.Len() >= p.w.limit {
		return 0, &fs.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}
	}
	return p.w.Write(b)
}

// TestStopAbandonsBlockedWrite: a guest write blocked on a pipe that no one
// reads gives way to Machine.Stop; the guest's call gets EINTR or the
// count written, the recording ends interrupted, and replay outputs
// exactly what went into the pipe.
func TestStopAbandonsBlockedWrite(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "forever.elf"))
	if err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	m, err := New(prog, Config{MemSize: 1 << 20, Args: []string{prog.Path, "print"}, Stdin: strings.NewReader(""),
		Stdout: pw, Stderr: io.Discard, Record: &trace})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := m.Run(); done <- err }()
	time.Sleep(300 * time.Millisecond) // the pipe fills
	m.Stop()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		pr.Close() // let the write fail, so the test can end
		t.Fatal("Machine.Stop did not end a run blocked in a write")
	}
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("run: %v, want ErrInterrupted", err)
	}
	pw.Close()
	piped, err := io.ReadAll(pr)
	if err != nil || len(piped) < 4096 {
		t.Fatalf("the pipe held %d bytes (%v): it never filled", len(piped), err)
	}
	rd, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	var rout bytes.Buffer
	rm, err := New(prog, Config{MemSize: 1 << 20, Args: []string{prog.Path, "print"}, Stdin: strings.NewReader(""),
		Stdout: &rout, Stderr: io.Discard, Replay: rd})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rm.Run(); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("replay: %v, want the recorded interruption", err)
	}
	if !bytes.Equal(rout.Bytes(), piped) {
		t.Errorf("replay wrote %d bytes, the recording put %d into the pipe", rout.Len(), len(piped))
	}
}

// openPath writes path into guest memory and opens it (openat, AT_FDCWD).
func openPath(t *testing.T, m *Machine, path string) uint64 {
	t.Helper()
	addr := m.linux.brkStart + PageSize
	b, ok := m.guestWrite(addr, uint64(len(path)+1))
	if !ok {
		t.Fatal("no guest memory for the path")
	}
	copy(b, path+"\x00")
	return m.sysOpenat(atFDCWD, addr, 0)
}

// TestOpenWithoutFSWarnsOnce: a guest open with no --fs directory says so
// once per run, with the guest's path quoted.
func TestOpenWithoutFSWarnsOnce(t *testing.T) {
	prog, err := Parse(helloELF, readELF(t, helloELF))
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.WarnLevel)
	m, err := New(prog, Config{MemSize: 1 << 20, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Log: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"data\n\x1b[2K.txt", "other.txt"} {
		if r := openPath(t, m, p); r != errno(eNOENT) {
			t.Errorf("open %q: %d, want -ENOENT", p, int64(r))
		}
	}
	all := logs.All()
	want := `the guest opened "data\n\x1b[2K.txt" but no --fs directory was given: it sees no files`
	if len(all) != 1 || all[0].Message != want {
		t.Errorf("warnings %v, want one: %s", all, want)
	}
}

// TestStopAbandonsBlockedRead: a guest read of a pipe that stays empty
// gives way to Machine.Stop: the run ends interrupted, the read consumed
// nothing (bytes written afterwards are still in the pipe), and the
// recording replays to the same point.
func TestStopAbandonsBlockedRead(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "cat.elf"))
	if err != nil {
		t.Fatal(err)
	}
	var trace, stdout bytes.Buffer
	m, err := New(prog, Config{MemSize: 1 << 20, Stdin: pr, Stdout: &stdout, Stderr: io.Discard, Record: &trace})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pw.WriteString("first\n"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := m.Run(); done <- err }()
	time.Sleep(300 * time.Millisecond) // cat echoes the line and waits for more
	m.Stop()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		pw.Close() // end the read, so the test can end
		t.Fatal("Machine.Stop did not end a run blocked in a read")
	}
	if !errors.Is(err, ErrInterrupted) || stdout.String() != "first\n" {
		t.Fatalf("run: %v, stdout %q; want ErrInterrupted after the first line", err, stdout.String())
	}
	if _, err := pw.WriteString("later"); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if rest, _ := io.ReadAll(pr); string(rest) != "later" {
		t.Errorf("the pipe holds %q after the run, want %q: the abandoned read consumed input", rest, "later")
	}
	rd, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	var rout bytes.Buffer
	rm, err := New(prog, Config{MemSize: 1 << 20, Stdin: strings.NewReader(""), Stdout: &rout, Stderr: io.Discard, Replay: rd})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rm.Run(); !errors.Is(err, ErrInterrupted) || rout.String() != "first\n" {
		t.Errorf("replay: %v, stdout %q; want the recorded interruption after the first line", err, rout.String())
	}
}

// TestRaiseSIGPIPE: SIGPIPE's default action kills the guest; a guest
// that blocks it (rt_sigprocmask) or ignores it lives on, and so does one
// with a handler, which the monitor cannot run: it says so once.
func TestRaiseSIGPIPE(t *testing.T) {
	prog, err := Parse(helloELF, readELF(t, helloELF))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		handler  uint64
		blocked  bool
		status   int
		warnings int
	}{
		{"default", sigDFL, false, 128 + sigPIPE, 0},
		{"ignored", sigIGN, false, 0, 0},
		{"blocked", sigDFL, true, 0, 0},
		{"handler", 0x10400, false, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			core, logs := observer.New(zap.WarnLevel)
			m, err := New(prog, Config{MemSize: 1 << 20, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Log: zap.New(core)})
			if err != nil {
				t.Fatal(err)
			}
			binary.LittleEndian.PutUint64(m.linux.sigact[sigPIPE][:8], c.handler)
			if c.blocked {
				m.linux.sigmask = 1 << (sigPIPE - 1)
			}
			m.raise(sigPIPE)
			m.raise(sigPIPE)
			if m.exited != (c.status != 0) || m.status != c.status || logs.Len() != c.warnings {
				t.Errorf("exited %v, status %d, %d warnings; want status %d, %d warnings", m.exited, m.status, logs.Len(), c.status, c.warnings)
			}
		})
	}
}

// TestStreamSeekAndDents: as Linux does, lseek of a standard stream that
// is /dev/null succeeds (at 0), of a pipe is ESPIPE; getdents64 of a
// stream that is no directory is ENOTDIR, of no descriptor EBADF.
func TestStreamSeekAndDents(t *testing.T) {
	prog, err := LoadFile(helloELF)
	if err != nil {
		t.Fatal(err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	for _, c := range []struct {
		stdin *os.File
		want  uint64
	}{{null, 0}, {pr, errno(eSPIPE)}} {
		m, err := New(prog, Config{MemSize: 1 << 20, Stdin: c.stdin, Stdout: io.Discard, Stderr: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if r := m.sysLseek(0, -1, 0); r != c.want {
			t.Errorf("lseek of stdin %s: %d, want %d", c.stdin.Name(), int64(r), int64(c.want))
		}
		if r := m.sysGetdents64(1, m.linux.brkStart, 64); r != errno(eNOTDIR) {
			t.Errorf("getdents64 of stdout: %d, want ENOTDIR", int64(r))
		}
		if r := m.sysGetdents64(99, m.linux.brkStart, 64); r != errno(eBADF) {
			t.Errorf("getdents64 of no descriptor: %d, want EBADF", int64(r))
		}
		m.Close()
	}
}
