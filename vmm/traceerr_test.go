package vmm

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

var errDiskFull = errors.New("no space left on device (test)")

// failAfter lets its first n writes through (to nowhere), then fails.
type failAfter struct{ n int }

func (w *failAfter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errDiskFull
	}
	w.n--
	return len(p), nil
}

// countWriter counts the bytes written to it.
type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

// A Linux program whose set-up fails after the start-up input was
// recorded (arguments over 1 MiB): nothing reaches the trace's output,
// not even the header (an existing trace stays whole), and the error is
// the set-up's alone, whether or not the output could be written.
func TestSetupFailureWritesNothing(t *testing.T) {
	p, err := LoadFile(helloELF)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []io.Writer{&countWriter{}, &failAfter{n: 0}} {
		cfg := Config{Record: out, TraceName: "t.zst", Args: []string{helloELF, strings.Repeat("x", 2<<20)},
			Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard}
		_, err = New(p, cfg)
		if err == nil || !strings.Contains(err.Error(), "more than 1 MiB") || strings.Contains(err.Error(), "trace") {
			t.Fatalf("error %v, want the arguments refused and nothing about the trace", err)
		}
		if c, ok := out.(*countWriter); ok && c.n != 0 {
			t.Errorf("a recording whose set-up failed wrote %d bytes to its trace", c.n)
		}
	}
	// Once the machine is built, the header is out.
	c := &countWriter{}
	m, err := New(p, Config{Record: c, TraceName: "t.zst", Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if c.n == 0 {
		t.Error("a built machine's trace has no header yet")
	}
	// And a header that cannot be written fails New, naming the trace.
	if _, err := New(p, Config{Record: &failAfter{n: 0}, TraceName: "t.zst", Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard}); !errors.Is(err, errDiskFull) ||
		!strings.Contains(err.Error(), "t.zst") || !strings.Contains(err.Error(), "header (frame 0)") {
		t.Errorf("a header write that fails: %v, want an error naming the trace and its header", err)
	}
}

func TestWithTraceError(t *testing.T) {
	run := errors.New("run failed")
	if got := withTraceError(run, nil); got != run {
		t.Errorf("no trace error: %v, want the run's error alone", got)
	}
	if got := withTraceError(errDiskFull, errDiskFull); got != errDiskFull {
		t.Errorf("the same error twice: %v, want it once", got)
	}
	got := withTraceError(run, errDiskFull)
	if !errors.Is(got, run) || !errors.Is(got, errDiskFull) {
		t.Errorf("%v: want both errors", got)
	}
}

// TestFaultLineShowsParcelAtEnd: the fault line shows a compressed
// instruction as its 16-bit parcel, also in the last halfword of memory,
// and calls a 4-byte instruction that runs off the end of memory not
// fetchable.
func TestFaultLineShowsParcelAtEnd(t *testing.T) {
	prog, err := LoadFile("../programs/bin/illegal.elf")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(prog, Config{MemSize: 1 << 20, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	last := m.Hart.Mem.End() - 2
	for _, c := range []struct {
		parcel uint16
		want   string
	}{
		{0x0000, "at pc " + fmt.Sprintf("%#x", last) + ": 0000 .half 0x0000 (illegal)"},
		{0x4501, ": 4501 c.li a0, 0"},
		{0x0513, ": (instruction not fetchable)"}, // the low half of addi a0, ...
	} {
		b, _ := m.guest(last, 2)
		b[0], b[1] = byte(c.parcel), byte(c.parcel>>8)
		fe := FaultError{Cause: 2, PC: last}
		fe.Insn, fe.InsnOK = m.insnAt(last)
		if got := fe.Error(); !strings.HasSuffix(got, c.want) {
			t.Errorf("parcel %#04x: %q, want it to end %q", c.parcel, got, c.want)
		}
	}
}
