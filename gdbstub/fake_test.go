package gdbstub

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// fakeTarget is a tiny in-memory RV64 machine for the tests: 4 KiB of memory
// at fakeBase holding real RISC-V instructions, of which it executes addi,
// ld, sd, bne, jal and ecall (exit with status a0); anything else is a nop.
// It keeps a history of states so that it can step and continue backwards.
type fakeTarget struct {
	x    [32]uint64
	f    [32]uint64
	pc   uint64
	csr  map[uint16]uint64
	mem  []byte
	csrs []CSR

	breaks  map[uint64]BreakType
	watches []fakeWatch
	history []fakeState

	reverse        bool // CanReverse
	readOnly       bool // refuse register and memory writes (a replay)
	noAccessWatch  bool // Z4 unsupported
	watchAfter     bool // watchpoints stop as a hart's does: after the access forwards, before it backwards (SteppedOver)
	unavailable    map[int]bool
	stepLimit      int // Continue stops (SIGTRAP) after this many instructions; 0: 1e6
	panicOnMonitor bool

	interrupted atomic.Bool
	killed      atomic.Bool
	interrupts  atomic.Int32

	mu         sync.Mutex // guards calls and maxRead, read by tests after Serve
	calls      []string
	maxRead    int
	resumeHook func() // called at the start of Resume (tests synchronise on it)
}

type fakeWatch struct {
	t       BreakType
	addr, n uint64
}

type fakeState struct {
	x   [32]uint64
	pc  uint64
	mem []byte
}

const (
	fakeBase = 0x10000
	fakeSize = 0x1000
	fakeSP   = 0x10800 // the data word the program stores to and loads from
	fakeSpin = 0x10024 // a jal x0, 0 (j .) that loops for ever
)

// Register numbers of the ABI names used in the fake's program.
const (
	rZero = 0
	rSP   = 2
	rA0   = 10
	rA1   = 11
	rA2   = 12
)

// RISC-V encodings (the unprivileged ISA manual's formats).
func encI(op, rd, f3, rs1 uint32, imm int32) uint32 {
	return uint32(imm)<<20 | rs1<<15 | f3<<12 | rd<<7 | op
}

func encS(op, f3, rs1, rs2 uint32, imm int32) uint32 {
	u := uint32(imm)
	return (u>>5&0x7f)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (u&0x1f)<<7 | op
}

func encB(f3, rs1, rs2 uint32, imm int32) uint32 {
	u := uint32(imm)
	return (u>>12&1)<<31 | (u>>5&0x3f)<<25 | rs2<<20 | rs1<<15 | f3<<12 | (u>>1&0xf)<<8 | (u>>11&1)<<7 | 0x63
}

func encJ(rd uint32, imm int32) uint32 {
	u := uint32(imm)
	return (u>>20&1)<<31 | (u>>1&0x3ff)<<21 | (u>>11&1)<<20 | (u>>12&0xff)<<12 | rd<<7 | 0x6f
}

// fakeProgram is the fake's program at fakeBase:
//
//	10000  addi a0, zero, 0
//	10004  addi a1, zero, 5
//	10008  addi a0, a0, 1      loop:
//	1000c  sd   a0, 0(sp)
//	10010  ld   a2, 0(sp)
//	10014  addi a1, a1, -1
//	10018  bne  a1, zero, loop
//	1001c  addi a0, a0, 37     a0 = 42
//	10020  ecall               exit(42)
//	10024  jal  zero, 0        spin
var fakeProgram = []uint32{
	encI(0x13, rA0, 0, rZero, 0),
	encI(0x13, rA1, 0, rZero, 5),
	encI(0x13, rA0, 0, rA0, 1),
	encS(0x23, 3, rSP, rA0, 0),
	encI(0x03, rA2, 3, rSP, 0),
	encI(0x13, rA1, 0, rA1, -1),
	encB(1, rA1, rZero, -16),
	encI(0x13, rA0, 0, rA0, 37),
	0x00000073,
	encJ(rZero, 0),
}

func newFake() *fakeTarget {
	t := &fakeTarget{
		csr:         map[uint16]uint64{0x001: 0x1f, 0x002: 3, 0x003: 0x7f, 0x300: 0xa00000000, 0xc00: 1234},
		mem:         make([]byte, fakeSize),
		csrs:        []CSR{{0x300, "mstatus"}, {0xc00, "cycle"}, {0x001, "fflags"}},
		breaks:      map[uint64]BreakType{},
		unavailable: map[int]bool{},
		pc:          fakeBase,
	}
	t.x[rSP] = fakeSP
	for i, w := range fakeProgram {
		for j := 0; j < 4; j++ {
			t.mem[4*i+j] = byte(w >> (8 * j))
		}
	}
	return t
}

func (t *fakeTarget) record(format string, args ...any) {
	t.mu.Lock()
	t.calls = append(t.calls, fmt.Sprintf(format, args...))
	t.mu.Unlock()
}

func (t *fakeTarget) callList() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.calls)
}

func (t *fakeTarget) ReadRegister(n int) (uint64, bool) {
	if t.unavailable[n] {
		return 0, false
	}
	switch {
	case n < 32:
		return t.x[n], true
	case n == RegPC:
		return t.pc, true
	case n >= RegF0 && n < RegF0+32:
		return t.f[n-RegF0], true
	case n >= RegCSR && n < RegCSR+0x1000:
		v, ok := t.csr[uint16(n-RegCSR)]
		return v, ok
	}
	return 0, false
}

var errReadOnly = errors.New("the replay is read-only")

func (t *fakeTarget) WriteRegister(n int, v uint64) error {
	t.record("WriteRegister(%d, %#x)", n, v)
	if t.readOnly {
		return errReadOnly
	}
	switch {
	case n == 0:
	case n < 32:
		t.x[n] = v
	case n == RegPC:
		t.pc = v
	case n >= RegF0 && n < RegF0+32:
		t.f[n-RegF0] = v
	case n >= RegCSR && n < RegCSR+0x1000:
		t.csr[uint16(n-RegCSR)] = v
	default:
		return fmt.Errorf("no register %d", n)
	}
	return nil
}

func (t *fakeTarget) CSRs() []CSR { return t.csrs }

var errFault = errors.New("outside guest memory")

func (t *fakeTarget) ReadMemory(addr uint64, b []byte) (int, error) {
	t.mu.Lock()
	t.maxRead = max(t.maxRead, len(b))
	t.mu.Unlock()
	if addr < fakeBase || addr >= fakeBase+fakeSize {
		return 0, fmt.Errorf("read %#x: %w", addr, errFault)
	}
	n := copy(b, t.mem[addr-fakeBase:])
	if n < len(b) {
		return n, fmt.Errorf("read %#x: %w", addr+uint64(n), errFault)
	}
	return n, nil
}

func (t *fakeTarget) WriteMemory(addr uint64, b []byte) error {
	t.record("WriteMemory(%#x, %x)", addr, b)
	if t.readOnly {
		return errReadOnly
	}
	if addr < fakeBase || addr+uint64(len(b)) > fakeBase+fakeSize {
		return fmt.Errorf("write %#x: %w", addr, errFault)
	}
	copy(t.mem[addr-fakeBase:], b)
	return nil
}

func (t *fakeTarget) InsertBreak(bt BreakType, addr, kind uint64) error {
	t.record("InsertBreak(%d, %#x, %d)", bt, addr, kind)
	switch bt {
	case BreakSoftware, BreakHardware:
		t.breaks[addr] = bt
	case WatchAccess:
		if t.noAccessWatch {
			return fmt.Errorf("access watchpoints: %w", ErrUnsupported)
		}
		fallthrough
	default:
		t.watches = append(t.watches, fakeWatch{bt, addr, kind})
	}
	return nil
}

func (t *fakeTarget) RemoveBreak(bt BreakType, addr, kind uint64) error {
	t.record("RemoveBreak(%d, %#x, %d)", bt, addr, kind)
	switch bt {
	case BreakSoftware, BreakHardware:
		if _, ok := t.breaks[addr]; !ok {
			return fmt.Errorf("no breakpoint at %#x", addr)
		}
		delete(t.breaks, addr)
	default:
		i := slices.Index(t.watches, fakeWatch{bt, addr, kind})
		if i < 0 {
			return fmt.Errorf("no watchpoint at %#x", addr)
		}
		t.watches = slices.Delete(t.watches, i, i+1)
	}
	return nil
}

func (t *fakeTarget) CanReverse() bool { return t.reverse }

func (t *fakeTarget) Interrupt() {
	t.interrupts.Add(1)
	t.interrupted.Store(true)
}

func (t *fakeTarget) Kill() { t.killed.Store(true) }

func (t *fakeTarget) Monitor(cmd string) (string, error) {
	t.record("Monitor(%q)", cmd)
	if t.panicOnMonitor {
		panic("monitor exploded")
	}
	switch cmd {
	case "icount":
		return fmt.Sprintf("%d\n", len(t.history)), nil
	case "long":
		b := make([]byte, 20000)
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
		return string(b), nil
	case "fail":
		return "partial output\n", errors.New("seek: no such #instruction*")
	}
	return "", fmt.Errorf("unknown monitor command %q", cmd)
}

func (t *fakeTarget) word(pc uint64) uint32 {
	if pc < fakeBase || pc+4 > fakeBase+fakeSize {
		return 0
	}
	o := pc - fakeBase
	return uint32(t.mem[o]) | uint32(t.mem[o+1])<<8 | uint32(t.mem[o+2])<<16 | uint32(t.mem[o+3])<<24
}

func sext(v uint32, bits uint) int64 { return int64(int32(v<<(32-bits))) >> (32 - bits) }

// access is the data the instruction at pc reads or writes.
func (t *fakeTarget) access() (addr uint64, load, store bool) {
	w := t.word(t.pc)
	rs1 := w >> 15 & 31
	switch w & 0x7f {
	case 0x03:
		return t.x[rs1] + uint64(sext(w>>20, 12)), true, false
	case 0x23:
		return t.x[rs1] + uint64(sext(w>>25<<5|w>>7&31, 12)), false, true
	}
	return 0, false, false
}

// watchHit is the watchpoint the instruction at pc triggers, if any.
func (t *fakeTarget) watchHit() (fakeWatch, bool) {
	addr, load, store := t.access()
	if !load && !store {
		return fakeWatch{}, false
	}
	for _, w := range t.watches {
		if addr+8 <= w.addr || addr >= w.addr+w.n {
			continue
		}
		if w.t == WatchWrite && store || w.t == WatchRead && load || w.t == WatchAccess {
			return w, true
		}
	}
	return fakeWatch{}, false
}

func (t *fakeTarget) save() {
	t.history = append(t.history, fakeState{t.x, t.pc, slices.Clone(t.mem)})
}

// exec runs the instruction at pc; it reports the exit of an ecall.
func (t *fakeTarget) exec() (exited bool) {
	t.save()
	w := t.word(t.pc)
	rd, f3, rs1, rs2 := w>>7&31, w>>12&7, w>>15&31, w>>20&31
	next := t.pc + 4
	switch w & 0x7f {
	case 0x13:
		if f3 == 0 {
			t.x[rd] = t.x[rs1] + uint64(sext(w>>20, 12))
		}
	case 0x03:
		a := t.x[rs1] + uint64(sext(w>>20, 12))
		var b [8]byte
		t.ReadMemory(a, b[:])
		t.x[rd] = le(b[:])
	case 0x23:
		a := t.x[rs1] + uint64(sext(w>>25<<5|w>>7&31, 12))
		if a >= fakeBase && a+8 <= fakeBase+fakeSize {
			for i := 0; i < 8; i++ {
				t.mem[a-fakeBase+uint64(i)] = byte(t.x[rs2] >> (8 * i))
			}
		}
	case 0x63:
		off := sext(w>>31<<12|(w>>7&1)<<11|(w>>25&0x3f)<<5|(w>>8&0xf)<<1, 13)
		if f3 == 1 && t.x[rs1] != t.x[rs2] || f3 == 0 && t.x[rs1] == t.x[rs2] {
			next = t.pc + uint64(off)
		}
	case 0x6f:
		off := sext(w>>31<<20|(w>>12&0xff)<<12|(w>>20&1)<<11|(w>>21&0x3ff)<<1, 21)
		t.x[rd] = next
		next = t.pc + uint64(off)
	case 0x73:
		if w == 0x73 {
			return true
		}
	}
	t.x[0] = 0
	t.pc = next
	return false
}

func (t *fakeTarget) restore() {
	s := t.history[len(t.history)-1]
	t.history = t.history[:len(t.history)-1]
	t.x, t.pc = s.x, s.pc
	copy(t.mem, s.mem)
}

func (t *fakeTarget) Resume(a Action) (st Stop) {
	t.record("Resume(%v)", a)
	if t.resumeHook != nil {
		t.resumeHook()
	}
	defer t.interrupted.Store(false)
	// Watchpoints trigger as gdb's riscv target expects them to
	// (gdbarch_have_nonsteppable_watchpoint): going forwards, before the
	// access, pc at the accessing instruction; going backwards, just after
	// it, so that gdb steps over it (in the direction it runs) with
	// watchpoints removed and compares the values.
	// With watchAfter, forwards the access is done and backwards undone
	// before the stop, which says SteppedOver.
	watchStop := func(w fakeWatch) Stop {
		addr, _, _ := t.access()
		if t.watchAfter {
			t.exec()
		}
		return Stop{Reason: StopWatch, Addr: addr, WatchKind: w.t, SteppedOver: t.watchAfter}
	}
	switch a {
	case Step:
		if w, hit := t.watchHit(); hit {
			return watchStop(w)
		}
		if t.exec() {
			return Stop{Reason: StopExited, Status: int(t.x[rA0])}
		}
		return Stop{Reason: StopSignal, Signal: 5}
	case Continue:
		limit := t.stepLimit
		if limit == 0 {
			limit = 1e6
		}
		for i := 0; ; i++ {
			if t.interrupted.Load() {
				return Stop{Reason: StopSignal, Signal: 2}
			}
			if i == limit {
				return Stop{Reason: StopSignal, Signal: 5}
			}
			if bt, ok := t.breaks[t.pc]; ok && i > 0 {
				return Stop{Reason: StopBreakpoint, WatchKind: bt}
			}
			if w, hit := t.watchHit(); hit {
				return watchStop(w)
			}
			if t.exec() {
				return Stop{Reason: StopExited, Status: int(t.x[rA0])}
			}
		}
	case ReverseStep:
		if len(t.history) == 0 {
			return Stop{Reason: StopReplayBegin}
		}
		t.restore()
		return Stop{Reason: StopSignal, Signal: 5}
	case ReverseContinue:
		for i := 0; ; i++ {
			if t.interrupted.Load() {
				return Stop{Reason: StopSignal, Signal: 2}
			}
			if len(t.history) == 0 {
				return Stop{Reason: StopReplayBegin}
			}
			t.restore()
			if w, hit := t.watchHit(); hit {
				if t.watchAfter {
					addr, _, _ := t.access()
					return Stop{Reason: StopWatch, Addr: addr, WatchKind: w.t, SteppedOver: true}
				}
				st := watchStop(w)
				t.exec() // back to just after the access
				return st
			}
			if bt, ok := t.breaks[t.pc]; ok {
				return Stop{Reason: StopBreakpoint, WatchKind: bt}
			}
		}
	}
	return Stop{Reason: StopError, Err: fmt.Errorf("unknown action %d", a)}
}
