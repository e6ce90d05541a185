package csr

import (
	"crypto/rand"
	"time"
)

// TimebaseHz is the frequency of the time CSR. The cycle CSR counts at a
// nominal 1 GHz (host nanoseconds).
const TimebaseHz = 10_000_000

// Fault is the outcome of a guest CSR access.
type Fault uint8

// Outcomes of File.Access.
const (
	FaultNone    Fault = iota
	FaultIllegal       // illegal-instruction exception (cause 2)
)

// Host supplies the values of the non-deterministic CSRs. Each function is
// called once per read; none is on the per-instruction path.
type Host struct {
	Cycle   func() uint64 // cycles at a nominal 1 GHz
	Time    func() uint64 // ticks at TimebaseHz
	Entropy func() uint16 // 16 bits of host entropy for seed

	// Clock, when not nil, is what Cycle and Time read: a translating
	// engine may read it itself, with the same arithmetic.
	Clock *Clock

	// NativeEntropy says that Entropy is the host's randomness, not a
	// sequence anybody depends on: a translating engine may take seed's
	// bits from the processor's random number generator instead.
	NativeEntropy bool
}

// DefaultHost reads the host's time-stamp counter where the kernel uses it
// as its clock (Host.Clock), else the monotonic clock, and the host
// entropy source.
func DefaultHost() Host {
	var pool [256]byte
	next := len(pool)
	entropy := func() uint16 {
		if next+2 > len(pool) {
			rand.Read(pool[:]) // crypto/rand.Read never fails on Linux
			next = 0
		}
		v := uint16(pool[next]) | uint16(pool[next+1])<<8
		next += 2
		return v
	}
	if h, ok := tscHost(); ok {
		h.Entropy, h.NativeEntropy = entropy, true
		return h
	}
	start := time.Now()
	return Host{
		NativeEntropy: true,
		Cycle:         func() uint64 { return uint64(time.Since(start).Nanoseconds()) },
		Time:          func() uint64 { return uint64(time.Since(start).Nanoseconds()) / (1e9 / TimebaseHz) },
		Entropy:       entropy,
	}
}

// CSR operations, as funct3 & 3 of the CSR instructions encodes them.
const (
	OpWrite = 1 // csrrw, csrrwi
	OpSet   = 2 // csrrs, csrrsi
	OpClear = 3 // csrrc, csrrci
)

// File is the CSR state of one hart.
type File struct {
	v [numberSpace]uint64

	// Instret counts the instructions retired since reset. The hart stores
	// its count here before every CSR access. It is the position of
	// recorded events and the monitor's instruction count, and the guest
	// cannot change it: a write of minstret sets instretOffset instead.
	Instret uint64

	instretOffset uint64 // the instret CSR reads Instret + instretOffset
	cycleOffset   uint64
	host          Host
}

// New returns a CSR file at reset, drawing non-deterministic values from host.
func New(host Host) *File {
	f := &File{host: host}
	for n := range table {
		f.v[n] = table[n].Init
	}
	return f
}

// Access performs a guest CSR instruction on CSR num at privilege priv:
// op is OpWrite, OpSet or OpClear, src the rs1 value or immediate, read
// whether the CSR is read (false only for csrrw/csrrwi with rd=x0) and write
// whether it is written (false for csrrs/csrrc with rs1=x0 and
// csrrsi/csrrci with a zero immediate). It returns the old value.
func (f *File) Access(num uint16, priv uint8, op int, src uint64, read, write bool) (uint64, Fault) {
	if f.denied(num, priv, write) {
		return 0, FaultIllegal
	}
	return f.AccessChecked(num, op, src, read, write), FaultNone
}

// AccessChecked is Access for a caller that has already applied the access
// rules (Denied): the record/replay path, which must check them before it
// decides anything else.
func (f *File) AccessChecked(num uint16, op int, src uint64, read, write bool) uint64 {
	var old uint64
	if read || op != OpWrite {
		old = f.read(num)
	}
	if write {
		nv := src
		switch op {
		case OpSet:
			nv = old | src
		case OpClear:
			nv = old &^ src
		}
		f.write(num, nv)
	}
	return old
}

// Denied reports whether a guest access to CSR num at privilege priv (a
// write if write is set) raises an illegal-instruction exception.
func (f *File) Denied(num uint16, priv uint8, write bool) bool { return f.denied(num, priv, write) }

// denied applies the access rules of the privileged specification (section
// 2.1) and of Zicntr, Zkr and Xndrr.
func (f *File) denied(num uint16, priv uint8, write bool) bool {
	if num >= Cycle && num <= Hpmcounter3+hpmCount-1 {
		// The user-level counters (Zicntr, Zihpm), among them the reads
		// that are recorded: read-only, and below M-mode each needs its
		// bit in mcounteren. Checked first: it is the common case.
		return write || priv < PrivM && f.v[Mcounteren]>>(num-Cycle)&1 == 0
	}
	if int(num) >= numberSpace {
		return true
	}
	info := &table[num]
	switch {
	case info.Name == "", info.Monitor, priv < MinPriv(num), write && ReadOnly(num):
		return true
	case info.FP:
		return f.v[Mstatus]&MstatusFS == FSOff
	}
	if num == Seed {
		// A read-only access (csrrs/csrrc with x0, csrrsi/csrrci with 0)
		// is illegal in every mode; U-mode needs mseccfg.USEED.
		return !write || priv < PrivM && f.v[Mseccfg]&MseccfgUSEED == 0
	}
	return false
}

func (f *File) read(num uint16) uint64 {
	switch num {
	case Cycle, Mcycle:
		return f.host.Cycle() + f.cycleOffset
	case Time:
		return f.host.Time()
	case Instret, Minstret:
		return f.Instret + f.instretOffset
	case Seed:
		return SeedES16 | uint64(f.host.Entropy())
	case Mstatus:
		s := f.v[Mstatus] &^ MstatusSD
		if s&MstatusFS == FSDirty {
			s |= MstatusSD
		}
		return s
	case Fcsr:
		return f.v[Frm]<<5 | f.v[Fflags]
	}
	return f.v[num]
}

func (f *File) write(num uint16, val uint64) {
	switch num {
	case Mcycle:
		f.cycleOffset = val - f.host.Cycle()
		return
	case Minstret:
		// The write replaces the increment of the writing instruction:
		// once it retires, instret reads val (Zicsr, section 9.1).
		f.instretOffset = val - f.Instret - 1
		return
	case Seed:
		return // writes to seed are ignored
	case Fcsr:
		f.setFcsr(val)
		f.v[Mstatus] |= FSDirty
		return
	}
	if table[num].FP {
		f.v[Mstatus] |= FSDirty
	}
	m := table[num].WMask
	nv := f.v[num]&^m | val&m
	if num == Mstatus && nv&MstatusMPP != 0 && nv&MstatusMPP != MstatusMPP {
		nv &^= MstatusMPP // MPP is WARL: only U (0) and M (3) exist
	}
	f.v[num] = nv
}

// Host returns the host the file reads the non-deterministic CSRs from.
func (f *File) Host() Host { return f.host }

// Addr returns the address of the storage of CSR num as Raw reads it, for
// a translating engine's code to read and write (the Xndrr CSRs,
// mcounteren, mseccfg).
func (f *File) Addr(num uint16) *uint64 { return &f.v[num] }

// CycleOffset returns the address of what a read of cycle adds to the
// host's count (set by writes of mcycle).
func (f *File) CycleOffset() *uint64 { return &f.cycleOffset }

// Get returns the value of CSR num as the monitor sees it (no access checks).
func (f *File) Get(num uint16) uint64 { return f.read(num) }

// Raw returns the stored value of a plain-storage CSR (one without
// computed reads, such as the Xndrr CSRs) without the dispatch of Get.
func (f *File) Raw(num uint16) uint64 { return f.v[num] }

// SetRaw stores val in a plain-storage CSR, as Raw reads it.
func (f *File) SetRaw(num uint16, val uint64) { f.v[num] = val }

// Set stores val in CSR num as the monitor does: no access checks and no
// write mask, for the registers that are plain storage.
func (f *File) Set(num uint16, val uint64) {
	switch num {
	case Minstret:
		f.instretOffset = val - f.Instret // no instruction retires: no increment to replace
	case Mcycle, Seed, Cycle, Time, Instret:
		f.write(num, val)
	case Fcsr:
		f.setFcsr(val)
	case Mstatus:
		f.v[num] = val &^ MstatusSD // SD is computed from FS
	default:
		f.v[num] = val
	}
}

func (f *File) setFcsr(val uint64) {
	f.v[Fflags] = val & FflagsMask
	f.v[Frm] = val >> 5 & FrmMask
}

// FPOff reports whether mstatus.FS is Off: every floating-point instruction
// is then illegal. The hart asks before each one.
func (f *File) FPOff() bool { return f.v[Mstatus]&MstatusFS == FSOff }

// RoundingMode returns frm, the dynamic rounding mode (0-7; 5-7 are
// reserved and make an instruction that uses it illegal).
func (f *File) RoundingMode() uint8 { return uint8(f.v[Frm]) }

// FPWrote records that a floating-point instruction retired having written
// an f register or raised the exception flags fl (fflags layout): the
// flags accrue into fflags and mstatus.FS becomes Dirty.
func (f *File) FPWrote(fl uint8) {
	f.v[Fflags] |= uint64(fl) & FflagsMask
	f.v[Mstatus] |= FSDirty
}

// TrapEnter updates the trap CSRs for a synchronous exception taken into
// M-mode from privilege priv at pc, and returns the handler address
// (mtvec BASE: vectored mode affects only interrupts).
func (f *File) TrapEnter(cause, tval, pc uint64, priv uint8) uint64 {
	f.v[Mepc] = pc &^ 1
	f.v[Mcause] = cause
	f.v[Mtval] = tval
	s := f.v[Mstatus]
	s = s &^ (MstatusMPIE | MstatusMPP | MstatusMIE)
	if f.v[Mstatus]&MstatusMIE != 0 {
		s |= MstatusMPIE
	}
	s |= uint64(priv) << 11
	f.v[Mstatus] = s
	return f.v[Mtvec] &^ 3
}

// Mret performs the CSR side of mret and returns the new pc and privilege.
func (f *File) Mret() (pc uint64, priv uint8) {
	s := f.v[Mstatus]
	priv = uint8(s >> 11 & 3)
	s &^= MstatusMIE | MstatusMPP
	if s&MstatusMPIE != 0 {
		s |= MstatusMIE
	}
	s |= MstatusMPIE
	if priv != PrivM {
		s &^= MstatusMPRV
	}
	f.v[Mstatus] = s
	return f.v[Mepc], priv
}
