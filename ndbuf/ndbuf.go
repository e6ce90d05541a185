package ndbuf

import (
	"encoding/binary"
	"fmt"

	"github.com/rvsim/rvsim/csr"
)

// Mode is the value of the ndmode CSR.
type Mode uint64

// ndmode values (specification, section 3).
const (
	Normal Mode = 0
	Record Mode = 1
	Replay Mode = 2
)

// Kind is the kind of a non-deterministic event: one the unit records in
// its buffer (cycle, time, seed) or one the monitor records itself (a
// system call, other input). It is also the kind of a trace event
// (logfmt.Kind is this type), and its value is the kind byte of the trace
// encoding.
type Kind uint8

// Event kinds. The unit records the first three; the monitor the last two.
const (
	KindCycle   Kind = 1 // a read of cycle or mcycle
	KindTime    Kind = 2 // a read of time
	KindSeed    Kind = 3 // a read of seed
	KindSyscall Kind = 4 // a system call whose results the monitor recorded
	KindInput   Kind = 5 // other monitor input written to guest memory (the auxv random bytes), no system call number
)

// String returns the kind's name as used in trace footers and reports:
// "cycle", "time", "seed", "syscall" or "input" ("kindN" for an unknown
// kind).
func (k Kind) String() string {
	switch k {
	case KindCycle:
		return "cycle"
	case KindTime:
		return "time"
	case KindSeed:
		return "seed"
	case KindSyscall:
		return "syscall"
	case KindInput:
		return "input"
	}
	return fmt.Sprintf("kind%d", uint8(k))
}

// IsRead reports whether k is a read of cycle, time or seed: a kind the
// unit records in its buffer.
func (k Kind) IsRead() bool { return k-KindCycle <= KindSeed-KindCycle }

// KindOf returns the event kind of a read of CSR num, or 0 if reading it is
// deterministic (instret is: it is never recorded).
func KindOf(num uint16) Kind {
	switch num {
	case csr.Cycle, csr.Mcycle:
		return KindCycle
	case csr.Time:
		return KindTime
	case csr.Seed:
		return KindSeed
	}
	return 0
}

// EntrySize is the size of one buffer entry in monitor memory: a word
// holding the kind (bits 63:56) and the low 56 bits of instret (the
// position), the pc, and the value.
const EntrySize = 24

// PosMask is the part of instret an entry holds: its position.
const PosMask = 1<<56 - 1

// Entry is one buffer entry.
type Entry struct {
	Kind    Kind
	Instret uint64 // instructions retired before the reading instruction
	PC      uint64
	Value   uint64
}

// Matches reports whether e is the entry for a read of kind at instret and
// pc: the check replay makes before it hands out a value.
func (e Entry) Matches(kind Kind, instret, pc uint64) bool {
	return e.Kind == kind && e.Instret&PosMask == instret&PosMask && e.PC == pc
}

// Unit is the record/replay unit: the Xndrr CSRs live in the CSR file, the
// buffer in Mem, a region of monitor memory at physical address ndbase that
// no guest access can reach.
type Unit struct {
	CSR *csr.File
	Mem []byte
}

// New sets up the unit of CSR file f in mode with a buffer of size entries at
// physical address base, which must lie outside guest memory.
func New(f *csr.File, mode Mode, base, size uint64) *Unit {
	u := &Unit{CSR: f, Mem: make([]byte, size*EntrySize)}
	f.Set(csr.Ndbase, base)
	f.Set(csr.Ndsize, size)
	f.Set(csr.Ndhead, 0)
	f.Set(csr.Ndtail, 0)
	f.Set(csr.Ndmode, uint64(mode))
	return u
}

// Mode returns the current ndmode.
func (u *Unit) Mode() Mode { return Mode(u.CSR.Raw(csr.Ndmode)) }

// PutEntry stores e in the buffer's layout (EntrySize bytes, little-endian:
// the kind in bits 63:56 above the low 56 bits of instret, then the pc,
// then the value) at the start of b.
func PutEntry(b []byte, e Entry) {
	_ = b[EntrySize-1]
	binary.LittleEndian.PutUint64(b, uint64(e.Kind)<<56|e.Instret&PosMask)
	binary.LittleEndian.PutUint64(b[8:], e.PC)
	binary.LittleEndian.PutUint64(b[16:], e.Value)
}

// EntryAt returns the entry stored in the buffer's layout at the start of
// b; its Instret is the position, the low 56 bits of instret.
func EntryAt(b []byte) Entry {
	_ = b[EntrySize-1]
	w := binary.LittleEndian.Uint64(b)
	return Entry{Kind: Kind(w >> 56), Instret: w & PosMask, PC: binary.LittleEndian.Uint64(b[8:]), Value: binary.LittleEndian.Uint64(b[16:])}
}

func (u *Unit) put(i uint64, e Entry) { PutEntry(u.Mem[i*EntrySize:], e) }

func (u *Unit) get(i uint64) Entry { return EntryAt(u.Mem[i*EntrySize:]) }

// Full reports whether a record would overflow: the hart then raises
// cause 24 before executing the reading instruction.
func (u *Unit) Full() bool { return u.CSR.Raw(csr.Ndtail) >= u.CSR.Raw(csr.Ndsize) }

// Record appends e at ndtail. The caller has checked Full.
func (u *Unit) Record(e Entry) {
	t := u.CSR.Raw(csr.Ndtail)
	u.put(t, e)
	u.CSR.SetRaw(csr.Ndtail, t+1)
}

// Empty reports whether replay has no entry left: the hart then raises
// cause 25 before executing the reading instruction.
func (u *Unit) Empty() bool { return u.CSR.Raw(csr.Ndhead) >= u.CSR.Raw(csr.Ndtail) }

// Peek returns the entry at ndhead without consuming it. The caller has
// checked Empty.
func (u *Unit) Peek() Entry { return u.get(u.CSR.Raw(csr.Ndhead)) }

// Advance consumes the entry at ndhead.
func (u *Unit) Advance() { u.CSR.SetRaw(csr.Ndhead, u.CSR.Raw(csr.Ndhead)+1) }

// Drain returns the entries [ndhead, ndtail), appended to dst, and resets
// both pointers: the monitor's handling of cause 24.
func (u *Unit) Drain(dst []Entry) []Entry {
	for i, t := u.CSR.Raw(csr.Ndhead), u.CSR.Raw(csr.Ndtail); i < t; i++ {
		dst = append(dst, u.get(i))
	}
	u.CSR.SetRaw(csr.Ndhead, 0)
	u.CSR.SetRaw(csr.Ndtail, 0)
	return dst
}

// Recorded returns the bytes of the entries [ndhead, ndtail) as the unit
// wrote them into its buffer (EntrySize bytes each, little-endian: the
// kind in bits 63:56 and the position in bits 55:0, then the pc, then the
// value), without copying: the slice aliases the buffer, valid until the
// hart runs again. With Clear it is the monitor's handling of cause 24
// that converts nothing.
func (u *Unit) Recorded() []byte {
	return u.Mem[u.CSR.Raw(csr.Ndhead)*EntrySize : u.CSR.Raw(csr.Ndtail)*EntrySize]
}

// Clear resets ndhead and ndtail: the buffer is empty.
func (u *Unit) Clear() {
	u.CSR.SetRaw(csr.Ndhead, 0)
	u.CSR.SetRaw(csr.Ndtail, 0)
}

// Fill loads entries into the buffer from the start, as many as fit, sets
// ndhead to 0 and ndtail past the last, and returns how many it took: the
// monitor's handling of cause 25.
func (u *Unit) Fill(entries []Entry) int {
	n := min(uint64(len(entries)), u.CSR.Raw(csr.Ndsize))
	for i := uint64(0); i < n; i++ {
		u.put(i, entries[i])
	}
	u.CSR.SetRaw(csr.Ndhead, 0)
	u.CSR.SetRaw(csr.Ndtail, n)
	return int(n)
}

// Append copies entries in the buffer's layout (EntrySize bytes each, as
// Recorded returns them) to the buffer at ndtail, as many as fit (whole
// entries only), advances ndtail and returns how many it took: with Clear,
// the monitor's handling of cause 25 from entries prepared in advance.
func (u *Unit) Append(raw []byte) int {
	t := u.CSR.Raw(csr.Ndtail)
	n := min(uint64(len(raw)/EntrySize), u.CSR.Raw(csr.Ndsize)-t)
	copy(u.Mem[t*EntrySize:], raw[:n*EntrySize])
	u.CSR.SetRaw(csr.Ndtail, t+n)
	return int(n)
}

// Pending returns how many entries are in the buffer.
func (u *Unit) Pending() uint64 { return u.CSR.Raw(csr.Ndtail) - u.CSR.Raw(csr.Ndhead) }
