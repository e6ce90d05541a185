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

// TestHTIFAtZero runs testdata/htif_zero.S, built by the cross compiler: a
// bare-metal program whose memory starts at address 0, with fromhost at 0
// and tohost at 8, that prints "ok" a character at a time through the
// console device ('o' is odd: a command, not an exit), waits for each
// reply in fromhost, and takes an LR between them (its watch range and
// tohost's start at 0). Under both engines it must print "ok" and exit 3,
// and its recording must replay to the same state.
func TestHTIFAtZero(t *testing.T) {
	if _, err := exec.LookPath("riscv64-unknown-elf-gcc"); err != nil {
		t.Skip("riscv64-unknown-elf-gcc not installed")
	}
	elf := filepath.Join(t.TempDir(), "htif_zero.elf")
	cmd := exec.Command("riscv64-unknown-elf-gcc", "-march=rv64gc", "-mabi=lp64", "-nostdlib", "-nostartfiles", "-static",
		"-Wl,--no-warn-rwx-segments", "-T", "testdata/htif_zero.ld", "testdata/htif_zero.S", "-o", elf)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, b)
	}
	prog, err := LoadFile(elf)
	if err != nil {
		t.Fatal(err)
	}
	if prog.Kind != KindBare || !prog.HasFromHost || prog.FromHost != 0 || prog.ToHost != 8 {
		t.Fatalf("loaded kind %v, fromhost %#x (found %v), tohost %#x; want bare-metal, 0 (found), 8", prog.Kind, prog.FromHost, prog.HasFromHost, prog.ToHost)
	}
	for _, engine := range []string{EngineInterp, EngineJIT} {
		var out, trace bytes.Buffer
		m, err := New(prog, Config{MemSize: 1 << 20, Stdin: strings.NewReader(""), Stdout: &out, Stderr: io.Discard,
			Engine: engine, MaxInsns: 100000, Record: &trace, TraceName: "htif.zst"})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := m.Run()
		if err != nil {
			t.Fatalf("%s: %v", engine, err)
		}
		if out.String() != "ok" || rec.Status != 3 {
			t.Errorf("%s: printed %q, status %d; want \"ok\", 3", engine, out.String(), rec.Status)
		}
		r, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "htif.zst")
		if err != nil {
			t.Fatal(err)
		}
		m2, err := New(prog, Config{MemSize: r.Header().MemSize, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
			Engine: engine, Replay: r})
		if err != nil {
			t.Fatal(err)
		}
		res, err := m2.Run()
		if err != nil {
			t.Fatalf("%s: replay: %v", engine, err)
		}
		if res.Stats.Digest != rec.Stats.Digest || res.Instret != rec.Instret {
			t.Errorf("%s: replay: %d instructions, digest %s; recorded %d, %s", engine, res.Instret, res.Stats.Digest, rec.Instret, rec.Stats.Digest)
		}
	}
}
