//go:build linux && amd64

package jit

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/rv64"
)

func TestSelfCheck(t *testing.T) {
	err := SelfCheck()
	if errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestSelfCheckMprotect runs the self-check with the code cache written
// the other way: code pages made writable for each block, then executable.
func TestSelfCheckMprotect(t *testing.T) {
	noDualMap = true
	defer func() { noDualMap = false }()
	TestSelfCheck(t)
}

// BenchmarkSelfCheck measures what the self-check adds to start-up.
func BenchmarkSelfCheck(b *testing.B) {
	for b.Loop() {
		if err := SelfCheck(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSelfCheckParksCache: a self-check that passes parks its code cache
// for the next New, which takes it emptied and runs from it; a cache made
// the other way of writing code is not taken.
func TestSelfCheckParksCache(t *testing.T) {
	if c := spare.Swap(nil); c != nil {
		c.close()
	}
	TestSelfCheck(t)
	c := spare.Load()
	if c == nil {
		t.Fatal("no cache parked")
	}
	h := selfCheckHart(t)
	e, err := New(h)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.cc != c || spare.Load() != nil {
		t.Fatal("New did not take the parked cache")
	}
	e.hotAfter = 0
	if x := e.Run(6000); x.Kind != rv64.ExitBudget || h.X[11] != 0 || e.Stats().Blocks == 0 {
		t.Errorf("exit %+v, a1 %d, stats %+v: the loop did not run to its end in native code", x, h.X[11], e.Stats())
	}

	TestSelfCheck(t) // parks a cache again
	noDualMap = true
	defer func() { noDualMap = false }()
	c = spare.Load()
	e2, err := New(selfCheckHart(t))
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if e2.cc == c || e2.cc.wview != nil || spare.Load() != nil {
		t.Error("New took a cache made the other way, or kept it parked")
	}
}

// selfCheckHart returns a hart at the start of the self-check's program.
func selfCheckHart(t *testing.T) *rv64.Hart {
	t.Helper()
	m, err := rv64.NewMemory(0x80000000, 2<<12)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range selfCheckProgram() {
		binary.LittleEndian.PutUint32(m.Data[4*i:], w)
	}
	h := rv64.New(m, csr.New(csr.Host{Cycle: func() uint64 { return 0 }, Time: func() uint64 { return 0 }, Entropy: func() uint16 { return 0 }}))
	h.PC = 0x80000000
	h.CSR.Set(csr.Mstatus, csr.FSDirty)
	t.Cleanup(h.Close)
	return h
}
