package rv64

import (
	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

// Exception causes (privileged specification, table 3.6) and the two causes
// of the Xndrr record/replay unit.
const (
	CauseMisalignedFetch = 0
	CauseFetchAccess     = 1
	CauseIllegal         = 2
	CauseBreakpoint      = 3
	CauseLoadAccess      = 5
	CauseStoreAccess     = 7
	CauseEcallU          = 8
	CauseEcallM          = 11
	CauseNDFull          = 24
	CauseNDEmpty         = 25
)

// CauseName returns the specification's name for an exception cause.
func CauseName(cause uint64) string {
	switch cause {
	case CauseMisalignedFetch:
		return "instruction address misaligned"
	case CauseFetchAccess:
		return "instruction access fault"
	case CauseIllegal:
		return "illegal instruction"
	case CauseBreakpoint:
		return "breakpoint"
	case 4:
		return "load address misaligned"
	case CauseLoadAccess:
		return "load access fault"
	case 6:
		return "store address misaligned"
	case CauseStoreAccess:
		return "store access fault"
	case CauseEcallU:
		return "environment call from U-mode"
	case CauseEcallM:
		return "environment call from M-mode"
	case CauseNDFull:
		return "ND buffer full"
	case CauseNDEmpty:
		return "ND buffer empty"
	}
	return "exception"
}

// ExitKind says why Run returned.
type ExitKind uint8

// Exit kinds.
const (
	// ExitBudget: the instruction budget is spent; nothing else happened.
	ExitBudget ExitKind = iota
	// ExitEcall: an ecall from U-mode with UserTrapsExit set (a Linux
	// system call for the monitor). PC is the ecall instruction.
	ExitEcall
	// ExitTrap: an exception the guest does not handle: from U-mode with
	// UserTrapsExit set, or in M-mode with no usable handler (mtvec outside
	// memory, or the handler's first instruction trapping again). PC, Cause
	// and Tval describe the original exception.
	ExitTrap
	// ExitHost: a store touched the watched tohost doubleword. The store has
	// completed and PC is the next instruction.
	ExitHost
	// ExitNDFull: in record mode, a read of cycle, time or seed found the
	// ND buffer full (cause 24). PC is that instruction, not yet executed.
	ExitNDFull
	// ExitNDEmpty: in replay mode, a read of cycle, time or seed found the
	// ND buffer empty (cause 25). PC is that instruction, not yet executed.
	ExitNDEmpty
	// ExitDiverge: in replay mode, the entry at ndhead is not the one for
	// this read (another kind, instruction count or pc): the guest has
	// diverged from the recording. PC is the reading instruction, Tval the
	// kind it reads; the entry stays at ndhead for the monitor to report.
	ExitDiverge
	// ExitSemihost: a RISC-V semihosting call with Semihosting set: in
	// M-mode, an ebreak between slli x0,x0,0x1f and srai x0,x0,7. PC is
	// the ebreak, which has not retired; the monitor serves the call (a0
	// the operation, a1 its parameter) and resumes at PC+4.
	ExitSemihost
	// ExitBreak: PC holds a breakpoint (SetBreakpoint); that instruction
	// has not run, and instret counts the instructions before it.
	ExitBreak
	// ExitWatch: a store wrote bytes overlapping a write watchpoint
	// (SetWatch). The store has retired and PC is the next instruction;
	// Tval is the store's address and Cause its size in bytes. A store
	// that touched tohost too reports ExitWatch first: the next Run then
	// returns ExitHost at once, running nothing.
	ExitWatch
)

// Exit is the value Run returns: why it stopped and where.
type Exit struct {
	Kind  ExitKind
	Cause uint64
	Tval  uint64
	PC    uint64
}

// Hart is one RV64GC hart with M and U privilege.
type Hart struct {
	_ [hartLead]byte // see hartPad
	X [32]uint64     // integer registers; X[0] reads zero
	// F holds the floating-point registers f0-f31 (F and D extensions). A
	// single-precision value is NaN-boxed: its upper 32 bits are all ones;
	// a single read of a register that is not reads the canonical NaN.
	F    [32]uint64
	PC   uint64
	Priv uint8 // csr.PrivU or csr.PrivM
	CSR  *csr.File
	Mem  Memory

	// UserTrapsExit makes every exception taken in U-mode an exit to the
	// monitor instead of a trap into M-mode: the monitor is the kernel of
	// a Linux user-mode program.
	UserTrapsExit bool

	// Semihosting makes the RISC-V semihosting sequence in M-mode an
	// ExitSemihost instead of a breakpoint exception.
	Semihosting bool

	// ND is the record/replay unit, nil in normal mode: reads of cycle,
	// time and seed then cost nothing extra.
	ND *ndbuf.Unit

	watchLo, watchLen uint64 // stores that start in [watchLo, watchLo+watchLen) take the stored path (amo.go)
	hostLo, hostLen   uint64 // stores that start in [hostLo, hostLo+hostLen) touch tohost and exit
	resAddr, resLen   uint64 // the LR/SC reservation; resLen 0: none

	code     []*codePage          // decode cache, one entry per page of Mem
	codeLive map[uint64]*codePage // the pages in code, for the collector (keepCode)
	end      uint64               // the instret at which the current Run's budget ends
	soft     uint64               // the instret from which the loop stops at a block boundary: end, or a burst's soft end
	near     uint64               // end less a page of slots, or soft if sooner: blocks from here on check end

	stop   *slot // the slot limit turned into opEnd, or nil
	stopOp op    // its real op

	dbg *debugState // breakpoints and watchpoints (debug.go), nil if never set

	codeLo, codeHi uint64 // the memory offsets of code written since CodeWritten
	decLo, decHi   uint64 // memory offsets that hold every page ever given a decode cache (empty if decHi is 0): CodeHull

	_ [hartPad]byte // see hartPad
}

// The page offset of the integer registers, which every instruction
// stores into, changed the speed of Hart.block by up to 2x between builds
// (measured on AMD EPYC: X at page offset 0x0, 0x8 or 0x608 ran crc and
// matmul 1.6-2.2x slower than at 0x10, 0x40 or 0x748), and it depended on
// what was allocated before the hart. hartPad makes a Hart larger than
// the allocator's largest size class, so that it gets pages of its own
// and starts a page; hartLead puts X at the offset that measured fast,
// on a cache line of its own. 0x40 later measured slow too once other
// packages changed (matmul 120: 1.07 s against 0.47 s at 0x2c0, ndloop
// 0.75 s against 0.53 s) and so did 0x10, while 0x80, 0x100 and 0x2c0
// ran near the RV64IM-only hart: the cause is not known (not the decode
// cache pages, which start a page, nor block's stack frame or jump table,
// whose page offsets are elsewhere), so the speed may still move.
const (
	hartLead = 0x2c0
	hartPad  = 32 << 10
)

// New returns a hart in M-mode at pc 0 with memory mem and CSR file f.
func New(mem Memory, f *csr.File) *Hart {
	h := &Hart{Mem: mem, CSR: f, Priv: csr.PrivM, code: mem.codeTable()}
	if h.code == nil {
		h.code = make([]*codePage, codePages(mem.Size()))
	}
	return h
}

// codePages is how many entries the decode cache table of a memory of size
// bytes has: one per page, the last perhaps partial.
func codePages(size uint64) int { return int((size + 1<<pageShift - 1) >> pageShift) }

// The words around the ebreak of a RISC-V semihosting call (the RISC-V
// semihosting specification, version 0.2): both are 32-bit instructions.
const (
	semihostPre    = 0x01f01013 // slli x0, x0, 0x1f
	semihostEbreak = 0x00100073 // ebreak
	semihostPost   = 0x40705013 // srai x0, x0, 7
)

// semihostCall reports whether the breakpoint exception at pc is a
// semihosting call: Semihosting is set, the hart is in M-mode (as
// qemu-system serves them by default), and pc holds a 32-bit ebreak
// between the sequence's two other words.
func (h *Hart) semihostCall(pc uint64) bool {
	off := pc - h.Mem.Base
	if !h.Semihosting || h.Priv != csr.PrivM || off < 4 || off > uint64(len(h.Mem.Data))-8 {
		return false
	}
	d := h.Mem.Data
	return le.Uint32(d[off-4:]) == semihostPre && le.Uint32(d[off:]) == semihostEbreak && le.Uint32(d[off+4:]) == semihostPost
}

// Instret returns the number of instructions retired.
func (h *Hart) Instret() uint64 { return h.CSR.Instret }

// WatchToHost makes every store that touches the doubleword at addr end Run
// with ExitHost (the HTIF tohost protocol).
func (h *Hart) WatchToHost(addr uint64) {
	// Any store of up to 8 bytes that overlaps [addr, addr+8) starts in
	// [addr-7, addr+8), or [0, addr+8) for an address below 7 (a range
	// that wrapped round would not widen as a hull).
	lo := watchStart(addr)
	h.hostLo, h.hostLen = lo, addr+8-lo
	h.setWatch()
}
