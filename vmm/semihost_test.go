package vmm

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rvsim/rvsim/logfmt"
)

// semihostCC builds the rv64im picolibc semihosting programs, as
// scripts/build-programs.sh does.
var semihostCC = []string{"riscv64-unknown-elf-gcc", "--specs=picolibc.specs", "--oslib=semihost", "--crt0=semihost",
	"-march=rv64im", "-mabi=lp64", "-O2", "-Wall", "-Werror"}

var (
	semiBuildMu sync.Mutex
	semiBuilt   = map[string]string{}
	semiDir     string
)

// semihostProgram returns the path of the semihosting program name
// (programs/semihost/name.c): programs/bin/semihost_name.elf when it is
// there, else built by the cross compiler into a temporary directory; the
// test is skipped when neither is to be had.
func semihostProgram(t testing.TB, name string) string {
	t.Helper()
	bin := filepath.Join("..", "programs", "bin", "semihost_"+name+".elf")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	semiBuildMu.Lock()
	defer semiBuildMu.Unlock()
	if p, ok := semiBuilt[name]; ok {
		return p
	}
	if _, err := exec.LookPath(semihostCC[0]); err != nil {
		t.Skipf("%s is not built and %s is not installed", bin, semihostCC[0])
	}
	if semiDir == "" {
		d, err := os.MkdirTemp("", "rvsim-semihost")
		if err != nil {
			t.Fatal(err)
		}
		semiDir = d
	}
	out := filepath.Join(semiDir, name+".elf")
	args := append(append([]string(nil), semihostCC[1:]...), "-o", out, filepath.Join("..", "programs", "semihost", name+".c"))
	if b, err := exec.Command(semihostCC[0], args...).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, b)
	}
	semiBuilt[name] = out
	return out
}

// semiRun runs the program at path with args (after the program name) and
// stdin, in mode: "" (normal), "record" (trace written to *trace) or
// "replay" (of *trace).
func semiRun(t testing.TB, path string, cfg Config, trace *[]byte, mode string) (Result, string, string, error) {
	t.Helper()
	prog, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut, tr bytes.Buffer
	cfg.Stdout, cfg.Stderr = &out, &errOut
	if cfg.Stdin == nil {
		cfg.Stdin = strings.NewReader("")
	}
	switch mode {
	case "record":
		cfg.Record = &tr
	case "replay":
		r, err := logfmt.NewReader(bytes.NewReader(*trace), "t.zst")
		if err != nil {
			t.Fatal(err)
		}
		h := r.Header()
		cfg.Replay, cfg.Args, cfg.Env, cfg.MemSize, cfg.Stdin = r, h.Args, h.Env, 0, strings.NewReader("")
	}
	m, err := New(prog, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	res, err := m.Run()
	if mode == "record" {
		*trace = tr.Bytes()
	}
	return res, out.String(), errOut.String(), err
}

// TestSemihostHello runs, records and replays hello: its output is what
// the program's comment says it prints, the status its last argument, and
// the replay reproduces output, status and final digest.
func TestSemihostHello(t *testing.T) {
	path := semihostProgram(t, "hello")
	prog, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if prog.Kind != KindSemihost {
		t.Fatalf("kind %v, want semihost", prog.Kind)
	}
	want := "argc 4: program-name " + path + " x 7\n" +
		"int 42 hex 2a neg -17\n" +
		"float 3.25 sci 1.500000e-03\n" +
		"sum 0.1+0.2 = 0.30000000000000004\n" +
		"to stderr\n"
	cfg := Config{Args: []string{path, "x", "7"}}
	var trace []byte
	var digest string
	for _, mode := range []string{"", "record", "replay"} {
		res, out, errOut, err := semiRun(t, path, cfg, &trace, mode)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if out != want || errOut != "" || res.Status != 7 {
			t.Fatalf("%s: status %d, stdout %q, stderr %q; want 7, %q, \"\"", mode, res.Status, out, errOut, want)
		}
		switch mode {
		case "record":
			digest = res.Stats.Digest
		case "replay":
			if res.Stats.Digest != digest || digest == "" {
				t.Fatalf("replay digest %q, recorded %q", res.Stats.Digest, digest)
			}
		}
	}
	r, err := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	if k := r.Header().Kind; k != "semihost" {
		t.Fatalf("trace header kind %q, want semihost", k)
	}
}

// TestSemihostMemoryFitsPicolibc: picolibc's layout (code at 0x10000000,
// stack at the top of RAM at 0x20008000) does not fit 256 MiB from the
// first address; the memory grows to hold it, and no further.
func TestSemihostMemoryFitsPicolibc(t *testing.T) {
	path := semihostProgram(t, "hello")
	prog, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if prog.Low() != 0x10000000 || prog.RAMTop != 0x20008000 {
		t.Fatalf("low %#x, __stack %#x: not picolibc's default layout", prog.Low(), prog.RAMTop)
	}
	m, err := New(prog, Config{MemSize: 256 << 20, Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got, want := m.Hart.Mem.End(), uint64(0x20008000); got != want {
		t.Fatalf("memory ends at %#x, want %#x", got, want)
	}
	m2, err := New(prog, Config{MemSize: 1 << 30, Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if got := m2.Hart.Mem.Size(); got != 1<<30 {
		t.Fatalf("--mem 1G gave %d bytes", got)
	}
}
