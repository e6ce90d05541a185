//go:build linux && amd64

package jit

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"os"
	"strconv"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
	"github.com/rvsim/rvsim/rv64"
)

// randomMachine makes a machine running a random program: the generator's
// instructions at codeAt, the trap handler at mtvec, random data, random
// registers (but s0, s1 and gp, the generator's pointers), and a random
// configuration: privilege, user traps as exits, a watched tohost, the
// record/replay unit with a tiny buffer, breakpoints and watchpoints.
func randomMachine(s source) *machine { return randomMachineFP(s, 0) }

// fpSpecials are f register values where F and D results and flags have
// their edges: zeros, infinities, NaNs (quiet, signalling, the canonical
// one), the smallest normals and largest subnormals, one, values whose
// conversions to integers overflow, as doubles and as NaN-boxed singles,
// and singles not properly boxed.
var fpSpecials = []uint64{
	0, 1 << 63, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0x7ff4000000000000, 0xfff8000000000001,
	0x0010000000000000, 0x000fffffffffffff, 0x8000000000000001, 0x3ff0000000000000, 0xbff0000000000000,
	0x43e0000000000000, 0xc3e0000000000000, 0x41e0000000000000, 0xc1e0000000200000, 0x3fe0000000000000, 0x7fefffffffffffff,
	0x41efffffffe00000, 0x41effffffff00000, 0xbfe0000000000000, 0xbfe8000000000000, 0x43f0000000000000,
	0xffffffff00000000, 0xffffffff80000000, 0xffffffff7f800000, 0xffffffffff800000, 0xffffffff7fc00000, 0xffffffff7fa00000,
	0xffffffff00800000, 0xffffffff007fffff, 0xffffffff3f800000, 0xffffffff4f000000, 0xffffffffcf000000, 0xffffffff5f000000,
	0x000000003f800000, 0x7fffffff3f800000,
	// halves and the largest values with a fraction, for the directed
	// rounding modes: 1.5, 2.5, -2.5, 2^31-0.5, -2^31-0.5, 2^52-0.5,
	// 2^63-1024; singles 1.5, 2.5, -2.5, 2^23-0.5, -0.5,
	0x3ff8000000000000, 0x4004000000000000, 0xc004000000000000, 0x41dfffffffe00000, 0xc1e0000000100000,
	0x432fffffffffffff, 0x43dfffffffffffff,
	0xffffffff3fc00000, 0xffffffff40200000, 0xffffffffc0200000, 0xffffffff4affffff, 0xffffffffbf000000,
	0xffffffff807fffff, // a negative subnormal single
}

// randomMachineFP is randomMachine with fpShare percent of the program's
// instructions F or D ones (a tenth of them A ones), and f registers and
// data that hold fpSpecials more often when fpShare is not 0.
func randomMachineFP(s source, fpShare int) *machine {
	g := &gen{s: s, fpShare: fpShare}
	code := g.program(1 + s.intn(300))
	data := make([]byte, 0x1000)
	for i := 0; i < len(data); i += 8 {
		if s.intn(4) == 0 || fpShare > 0 && s.intn(2) == 0 {
			v := s.u64()
			if fpShare > 0 && s.intn(2) == 0 {
				v = fpSpecials[s.intn(len(fpSpecials))]
			}
			for k := 0; k < 8; k++ {
				data[i+k] = byte(v >> (8 * k))
			}
		}
	}
	m := &machine{
		code: map[uint64][]byte{codeAt: code, handlerAt: words(handler...), dataAt: data},
		pc:   codeAt,
		priv: csr.PrivM,
		csrs: map[uint16]uint64{csr.Mtvec: handlerAt},
	}
	for i := 1; i < 32; i++ {
		switch s.intn(4) {
		case 0:
			m.x[i] = uint64(s.intn(9)) - 4
		case 1:
			m.x[i] = []uint64{1 << 63, 1<<63 - 1, 1 << 31, 1<<31 - 1, 1<<32 - 1, ^uint64(0), dataPtr, codeAt + 64}[s.intn(8)]
		default:
			m.x[i] = s.u64()
		}
	}
	m.x[rS0], m.x[rS1], m.x[rGP], m.x[rTP] = dataPtr, codeAt, gpPtr, loopBudget
	for i := range m.f {
		m.f[i] = s.u64()
		if fpShare > 0 && s.intn(2) == 0 {
			m.f[i] = fpSpecials[s.intn(len(fpSpecials))]
		}
	}
	if s.intn(4) == 0 {
		m.priv = csr.PrivU
		m.userExits = s.intn(2) == 0
		m.csrs[csr.Mcounteren] = uint64(s.intn(8))
	}
	if s.intn(3) != 0 {
		m.csrs[csr.Mstatus] = csr.FSInitial
	}
	if s.intn(4) == 0 {
		m.csrs[csr.Mseccfg] = csr.MseccfgUSEED
	}
	if s.intn(5) == 0 {
		m.tohost = hostAt
	}
	switch s.intn(4) {
	case 0:
		m.ndMode, m.ndSize = ndbuf.Record, uint64(1+s.intn(4))
	case 1:
		m.ndMode, m.ndSize = ndbuf.Replay, uint64(1+s.intn(4))
	}
	if s.intn(8) == 0 {
		m.breaks = append(m.breaks, codeAt+uint64(s.intn(len(code)/2+1))*2)
	}
	if s.intn(5) == 0 {
		m.watches = append(m.watches, [2]uint64{dataPtr - 8 + uint64(s.intn(16)), uint64(1 + s.intn(16))})
	}
	return m
}

// randomStreams runs random programs, from seed first on, on both engines
// and compares them at every exit: fpShare percent of their instructions
// F, D or A ones (randomMachineFP). RVSIM_JIT_STREAMS sets how many (200;
// 30 with -short).
func randomStreams(t *testing.T, first int64, fpShare int) {
	n := 200
	if testing.Short() {
		n = 30
	}
	if v, err := strconv.Atoi(os.Getenv("RVSIM_JIT_STREAMS")); err == nil {
		n = v
	}
	for i := 0; i < n; i++ {
		s := first + int64(i)
		t.Run(strconv.FormatInt(s, 10), func(t *testing.T) {
			rng := rand.New(rand.NewSource(s))
			p := newPair(t, randomMachineFP(randSource{rng}, fpShare))
			p.runLockstep(rng, 3000, []int{1, 3, 16, 200, 5000}[rng.Intn(5)])
		})
	}
}

// TestRandomStreams runs random programs on both engines and compares
// them at every exit (randomStreams); RVSIM_JIT_SEED sets the first seed.
func TestRandomStreams(t *testing.T) {
	seed := int64(1)
	if v, err := strconv.ParseInt(os.Getenv("RVSIM_JIT_SEED"), 10, 64); err == nil {
		seed = v
	}
	randomStreams(t, seed, 0)
}

// TestRandomFPStreams is TestRandomStreams with a third of the
// instructions F or D ones (and a tenth of those A ones), on values at
// the edges of their results and flags: the engine translates most of
// them, with side exits to the interpreter for what x86 computes
// otherwise than RISC-V.
func TestRandomFPStreams(t *testing.T) { randomStreams(t, 5000, 33) }

// FuzzJIT builds a program and its machine from the input bytes (the
// generator's choices; a third of the programs F and D heavy), runs it on
// both engines in lockstep with budgets drawn from the bytes too, and
// fails on any difference.
func FuzzJIT(f *testing.F) {
	for _, seed := range []string{
		"",
		"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09",
		"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3\xf2\xf1\xf0",
		"\x40\x41\x42\x43\x50\x60\x70\x80\x90\xa0\xb0\xc0\xd0\xe0",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &byteSource{b: b}
		m := randomMachineFP(s, []int{0, 0, 33}[s.intn(3)])
		rng := rand.New(rand.NewSource(int64(s.u64())))
		p := newPair(t, m)
		p.runLockstep(rng, 1000, []int{1, 7, 100, 3000}[rng.Intn(4)])
	})
}

// TestRandomStreamsCover checks that the generated programs reach what the
// differential tests are for: every kind of exit, traps taken in M-mode,
// code rewritten by the program, fence.i run, and instructions by the
// million, so that TestRandomStreams and FuzzJIT compare more than
// straight-line code; and that the engine ran them as native code.
func TestRandomStreamsCover(t *testing.T) {
	exits := map[rv64.ExitKind]int{}
	var insns, rewritten, mtraps, fenceI, blocks, entries, loops uint64
	for i := int64(0); i < 150; i++ {
		rng := rand.New(rand.NewSource(1000 + i))
		m := randomMachine(randSource{rng})
		p := newPair(t, m)
		code := append([]byte(nil), m.code[codeAt]...)
		for st := 0; st < 400; st++ {
			e := p.step(uint64(1 + rng.Intn(64)))
			exits[e.Kind]++
			if b, ok := p.ref.Mem.Slice(p.ref.PC, 4); ok && binary.LittleEndian.Uint32(b) == insnFenceI {
				fenceI++
			}
			if !p.monitor(e, rng) {
				break
			}
		}
		insns += p.ref.Instret()
		st := p.eng.Stats()
		blocks, entries, loops = blocks+st.Blocks, entries+st.Entries, loops+st.Loops
		if p.ref.CSR.Get(csr.Mcause) != 0 {
			mtraps++
		}
		if b, _ := p.ref.Mem.Slice(codeAt, uint64(len(code))); !bytes.Equal(b, code) {
			rewritten++
		}
	}
	t.Logf("exits %v, %d instructions, %d programs trapped in M-mode, %d rewrote their code, fence.i seen %d times; the engine translated %d blocks (%d loops) and entered them %d times",
		exits, insns, mtraps, rewritten, fenceI, blocks, loops, entries)
	if blocks == 0 || entries == 0 || loops == 0 {
		t.Errorf("the engine translated %d blocks (%d loops) and entered them %d times: the programs did not run as native code, or had no loop", blocks, loops, entries)
	}
	for _, k := range []rv64.ExitKind{rv64.ExitBudget, rv64.ExitEcall, rv64.ExitTrap, rv64.ExitHost, rv64.ExitNDFull,
		rv64.ExitNDEmpty, rv64.ExitDiverge, rv64.ExitBreak, rv64.ExitWatch} {
		if exits[k] == 0 {
			t.Errorf("no %s exit", exitKindNames[k])
		}
	}
	if insns < 1e6 || mtraps < 20 || rewritten < 20 || fenceI == 0 {
		t.Errorf("%d instructions, %d programs trapped in M-mode, %d rewrote their code, fence.i seen %d times", insns, mtraps, rewritten, fenceI)
	}
}
