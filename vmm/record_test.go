package vmm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/rvsim/rvsim/logfmt"
)

// failingWriter takes whole write calls until call number failAt (the
// trace writer writes each frame in one call: 0 is the header, then one
// per segment, then the footer), of which it keeps only part bytes before
// it fails as a full disk; every later call fails too.
type failingWriter struct {
	buf          bytes.Buffer
	calls        int
	failAt, part int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	w.calls++
	switch {
	case w.calls-1 < w.failAt:
		return w.buf.Write(p)
	case w.calls-1 == w.failAt:
		n := min(w.part, len(p))
		w.buf.Write(p[:n])
		return n, &fsError{syscall.ENOSPC}
	}
	return 0, &fsError{syscall.ENOSPC}
}

// fsError is the error an *os.File write returns, without a file.
type fsError struct{ errno syscall.Errno }

func (e *fsError) Error() string { return "write t.zst: " + e.errno.Error() }
func (e *fsError) Unwrap() error { return e.errno }

// recordNdloop records ndloop 400000 (98 segments) into w.
func recordNdloop(t *testing.T, w io.Writer) (*Machine, Result, error) {
	t.Helper()
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "ndloop.elf"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(prog, Config{MemSize: 1 << 20, Args: []string{prog.Path, "400000"}, Stdin: strings.NewReader(""),
		Stdout: io.Discard, Stderr: io.Discard, Record: w, TraceName: "t.zst", NDBuffer: 16})
	if err != nil {
		return nil, Result{}, err
	}
	res, err := m.Run()
	return m, res, err
}

// TestRecordWriteFails makes the trace's writes fail at the header, at
// each segment and at the footer, with nothing or part of the frame
// written: the run stops with an error that wraps the cause and says what
// could not be written, and the bytes written read back as the whole
// segments before the failure, then an incomplete trace.
func TestRecordWriteFails(t *testing.T) {
	var ref bytes.Buffer
	_, full, err := recordNdloop(t, &ref)
	if err != nil {
		t.Fatal(err)
	}
	const segments = 98 // 400001 events, 4096 a segment: enough hand-overs to the writer (32,768 events each) that one failing early stops the run long before its end, however fast the engine
	if r, err := logfmt.NewReader(bytes.NewReader(ref.Bytes()), "ref.zst"); err != nil {
		t.Fatal(err)
	} else {
		for n := 0; ; n++ {
			if _, err := r.Next(); err == io.EOF {
				if n != segments {
					t.Fatalf("the whole run wrote %d segments, want %d", n, segments)
				}
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	// Segments are written by a goroutine of their own while the guest
	// runs on: a failure stops the run when the monitor hands over the
	// next segment or the one after, long before this run's end.
	for _, failAt := range []int{0, 1, 2, segments - 1, segments, segments + 1} {
		for _, part := range []int{0, 7} {
			w := &failingWriter{failAt: failAt, part: part}
			_, res, err := recordNdloop(t, w)
			what := fmt.Sprintf("segment %d (frame %d)", failAt-1, failAt)
			switch failAt {
			case 0:
				what = "header (frame 0)"
			case segments + 1:
				what = fmt.Sprintf("footer (frame %d)", failAt)
			}
			switch {
			case err == nil:
				t.Fatalf("write %d fails: the run succeeded", failAt)
			case !errors.Is(err, syscall.ENOSPC):
				t.Fatalf("write %d fails: %v does not wrap ENOSPC", failAt, err)
			case !strings.HasPrefix(err.Error(), "record: t.zst: writing trace "+what+" at offset "):
				t.Fatalf("write %d fails: %q does not say that %s could not be written", failAt, err, what)
			case failAt > 0 && !strings.HasSuffix(err.Error(), fmt.Sprintf("(the trace is incomplete: its header and %d whole segments are readable)", failAt-1)):
				t.Fatalf("write %d fails: %q does not say what the trace keeps", failAt, err)
			case failAt > 0 && failAt < segments-3 && res.Instret >= full.Instret:
				t.Errorf("write %d fails: the guest ran on to instruction %d, the whole run is %d", failAt, res.Instret, full.Instret)
			}
			if failAt == 0 {
				continue
			}
			// What was written reads back: the header, the whole
			// segments, then the end of the file.
			r, err := logfmt.NewReader(bytes.NewReader(w.buf.Bytes()), "t.zst")
			if err != nil {
				t.Fatalf("write %d fails: the header does not read back: %v", failAt, err)
			}
			n := 0
			for ; ; n++ {
				if _, err = r.Next(); err != nil {
					break
				}
			}
			if n != failAt-1 || !errors.Is(err, logfmt.ErrIncomplete) {
				t.Errorf("write %d fails, %d bytes of it written: %d segments read back, then %v; want %d, then an incomplete trace", failAt, part, n, err, failAt-1)
			}
		}
	}
}

// TestReplayFromAnotherPath replays a trace with a copy of the recorded
// ELF at another path: the guest must see the recorded path (AT_EXECFN),
// so that the final state is the recorded one.
func TestReplayFromAnotherPath(t *testing.T) {
	var trace bytes.Buffer
	_, rec, err := recordNdloop(t, &trace)
	if err != nil {
		t.Fatal(err)
	}
	elf, err := os.ReadFile(filepath.Join("..", "programs", "bin", "ndloop.elf"))
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "a", "longer", "path", "to", "the", "same.elf")
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, elf, 0o644); err != nil {
		t.Fatal(err)
	}
	prog, err := LoadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	r, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	m, err := New(prog, Config{MemSize: h.MemSize, Args: h.Args, Env: h.Env, Stdin: strings.NewReader(""),
		Stdout: io.Discard, Stderr: io.Discard, Replay: r})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Run()
	if err != nil {
		t.Fatalf("replay with the ELF at %s: %v", other, err)
	}
	if res.Stats.Digest != rec.Stats.Digest || res.Instret != rec.Instret {
		t.Errorf("replay: %d instructions, digest %s; recorded %d, %s", res.Instret, res.Stats.Digest, rec.Instret, rec.Stats.Digest)
	}
	if prog.Path != other {
		t.Errorf("the caller's Program now names %s", prog.Path)
	}
}
