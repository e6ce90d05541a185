package vmm

import (
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/logfmt"
)

// TestReadKeepsReservationLikeReplay: an LR/SC pair around a read of
// standard input into the reserved bytes. The reservation is broken by the
// bytes the read returned, not by the buffer it was given: with input
// "12345678" the first read breaks it, the second (at end of input)
// writes nothing and the SC succeeds, the third again returns nothing.
// Run and record print what qemu-riscv64 prints, and the replay, which
// writes only the recorded bytes, ends in the same state.
func TestReadKeepsReservationLikeReplay(t *testing.T) {
	for _, tool := range []string{"riscv64-linux-gnu-gcc", "qemu-riscv64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	elf := filepath.Join(t.TempDir(), "lrscread")
	if b, err := exec.Command("riscv64-linux-gnu-gcc", "-static", "-O1", "-o", elf, "testdata/lrscread.c").CombinedOutput(); err != nil {
		t.Fatalf("riscv64-linux-gnu-gcc: %v\n%s", err, b)
	}
	const input = "12345678"
	q := exec.Command("qemu-riscv64", elf)
	q.Stdin = strings.NewReader(input)
	want, err := q.Output()
	if err != nil {
		t.Fatalf("qemu-riscv64: %v", err)
	}
	if !strings.Contains(string(want), "read 0: read=0 sc=0") {
		t.Fatalf("qemu-riscv64 printed an unexpected result:\n%s", want)
	}
	prog, err := LoadFile(elf)
	if err != nil {
		t.Fatal(err)
	}
	var out, trace bytes.Buffer
	m, err := New(prog, Config{Args: []string{elf}, Stdin: strings.NewReader(input), Stdout: &out, Stderr: io.Discard,
		Record: &trace, TraceName: "t.zst"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Run()
	digest := m.Digest()
	m.Close()
	if err != nil || out.String() != string(want) {
		t.Fatalf("record: %v; rvsim printed:\n%s\nqemu-riscv64 printed:\n%s", err, out.String(), want)
	}
	r, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	var rout bytes.Buffer
	m2, err := New(prog, Config{MemSize: h.MemSize, Args: h.Args, Env: h.Env, Stdin: strings.NewReader(""),
		Stdout: &rout, Stderr: io.Discard, Replay: r})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if _, err := m2.Run(); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if rout.String() != out.String() || m2.Digest() != digest {
		t.Fatalf("replay printed:\n%s\ndigest %s; the recording printed:\n%s\ndigest %s", rout.String(), m2.Digest(), out.String(), digest)
	}
}
