package vmm

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rvsim/rvsim/csr"
)

// riscvTestsEnv names a directory of built riscv-tests
// (github.com/riscv-software-src/riscv-tests, built by
// scripts/riscv-tests.sh). The suite is not part of the project: the test
// runs only when the directory is given.
const riscvTestsEnv = "RVSIM_RISCV_TESTS"

// riscvTestName matches the physical-memory ("-p-") user-level tests of
// the suites rvsim runs: RV64 I, M, A, C, F and D.
var riscvTestName = regexp.MustCompile(`^rv64u[imacfd]-p-[a-z0-9_]+$`)

// TestRISCVTests runs every rv64u?-p-* ELF of $RVSIM_RISCV_TESTS, unmodified,
// as a bare-metal program and checks that it passes: the test writes 1 to
// tohost (a failure writes 2*n+1, n the number of the failed case). Each
// file is a subtest, so `-run 'TestRISCVTests/rv64ua'` picks a suite; the
// log ends with the counts per suite.
func TestRISCVTests(t *testing.T) {
	dir := os.Getenv(riscvTestsEnv)
	if dir == "" {
		t.Skipf("%s is not set: no built riscv-tests to run (scripts/riscv-tests.sh builds them)", riscvTestsEnv)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%s: %v", riscvTestsEnv, err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && riscvTestName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		t.Fatalf("%s=%s holds no rv64u?-p-* test", riscvTestsEnv, dir)
	}
	sort.Strings(names)
	type count struct{ pass, all int }
	suites := map[string]*count{}
	var keys []string
	for _, name := range names {
		suite, _, _ := strings.Cut(name, "-")
		if suites[suite] == nil {
			suites[suite] = &count{}
			keys = append(keys, suite)
		}
		ran := false // t.Run reports a subtest -run left out as passed
		ok := t.Run(name, func(t *testing.T) {
			ran = true
			runRISCVTest(t, filepath.Join(dir, name))
		})
		if ran {
			suites[suite].all++
			if ok {
				suites[suite].pass++
			}
		}
	}
	for _, k := range keys {
		if suites[k].all == 0 {
			continue
		}
		t.Logf("%s: %d of %d passed", k, suites[k].pass, suites[k].all)
	}
}

// runRISCVTest runs one riscv-tests ELF and checks its verdict in tohost;
// then the same ELF with its LOAD segments' flags cleared, as the suite's
// linker script made them before it gave them any (Spike and qemu-system
// load such segments whatever their flags, and so must rvsim).
func runRISCVTest(t *testing.T, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	runRISCVImage(t, path, data)
	noflags, n := clearLoadFlags(data)
	if n == 0 {
		t.Fatalf("%s: no LOAD segment", path)
	}
	runRISCVImage(t, path+" (LOAD flags cleared)", noflags)
}

// clearLoadFlags returns a copy of an ELF64 image with p_flags zero in
// every PT_LOAD program header, and how many it changed.
func clearLoadFlags(data []byte) ([]byte, int) {
	b := append([]byte(nil), data...)
	if len(b) < 64 {
		return b, 0
	}
	phoff := binary.LittleEndian.Uint64(b[32:])
	phent := uint64(binary.LittleEndian.Uint16(b[54:]))
	phnum := uint64(binary.LittleEndian.Uint16(b[56:]))
	n := 0
	for i := uint64(0); i < phnum; i++ {
		ph := phoff + i*phent
		if ph+8 > uint64(len(b)) {
			break
		}
		if binary.LittleEndian.Uint32(b[ph:]) == 1 { // PT_LOAD
			binary.LittleEndian.PutUint32(b[ph+4:], 0)
			n++
		}
	}
	return b, n
}

func runRISCVImage(t *testing.T, name string, data []byte) {
	t.Helper()
	prog, err := Parse(name, data)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if prog.Kind != KindBare {
		t.Fatalf("%s: loaded as %v, want a bare-metal program (it has tohost)", name, prog.Kind)
	}
	var out bytes.Buffer
	m, err := New(prog, Config{
		MemSize:  16 << 20,
		MaxInsns: 10_000_000, // the largest test retires well under 100,000
		Timeout:  20 * time.Second,
		Stdout:   &out,
		Stderr:   &out,
	})
	if err != nil {
		t.Fatalf("%s: new machine: %v", name, err)
	}
	defer m.Close()
	res, err := m.Run()
	if err != nil {
		t.Fatalf("%s: after %d instructions, pc %#x: %v", name, m.Hart.CSR.Instret, m.Hart.PC, err)
	}
	th, ok := m.Hart.Mem.Slice(prog.ToHost, 8)
	if !ok {
		t.Fatalf("%s: tohost %#x outside memory", name, prog.ToHost)
	}
	v := binary.LittleEndian.Uint64(th)
	if v != 1 {
		// RVTEST_FAIL writes gp<<1|1, gp (x3) the failing case's
		// number; an unexpected trap writes gp|1337 (mcause says which).
		t.Errorf("%s: tohost = %#x (gp = %d: the failing case, or 1337|case for an unexpected trap; mcause %d, mepc %#x), exit status %d, after %d instructions, output %q",
			name, v, m.Hart.X[3], m.Hart.CSR.Get(csr.Mcause), m.Hart.CSR.Get(csr.Mepc), res.Status, res.Instret, out.String())
	}
	if res.Status != 0 {
		t.Errorf("%s: exit status %d, want 0", name, res.Status)
	}
}
