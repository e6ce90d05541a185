package logfmt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/rvsim/rvsim/ndbuf"
)

// Kind is the kind of a recorded event. It is ndbuf.Kind, whose values
// are the kind byte of the encoding.
type Kind = ndbuf.Kind

// Event kinds, as defined by ndbuf.
const (
	KindCycle   = ndbuf.KindCycle   // read of cycle or mcycle
	KindTime    = ndbuf.KindTime    // read of time
	KindSeed    = ndbuf.KindSeed    // read of seed
	KindSyscall = ndbuf.KindSyscall // a system call whose results the monitor recorded
	KindInput   = ndbuf.KindInput   // other monitor input written to guest memory (the auxv random bytes), no system call number
)

// validKind reports whether k is a kind this format knows.
func validKind(k Kind) bool { return k >= KindCycle && k <= KindInput }

// MemWrite is guest memory the monitor wrote as part of an event.
type MemWrite struct {
	Addr uint64 // guest address of the first byte
	Data []byte // the bytes written
}

// Event is one recorded non-deterministic event.
type Event struct {
	Kind    Kind
	Instret uint64     // instructions retired before the event
	PC      uint64     // pc of the instruction (CSR read or ecall)
	Value   uint64     // CSR value read, or system call return value (a0)
	Nr      uint64     // system call number (KindSyscall only)
	Writes  []MemWrite // guest memory the monitor wrote (KindSyscall and KindInput only)
	// Regs is RegsHash of the guest's integer registers at the ecall
	// (KindSyscall only), so that replay can tell that the run diverged
	// before the system call's number or pc differ. It is recorded in
	// format version RegsVersion and later; a Reader of an older trace
	// (Reader.HasRegs false) returns 0.
	Regs uint64
}

// FNV-1a, 64 bits (Fowler, Noll, Vo; the constants of hash/fnv).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// RegsHash is the hash of the integer registers that a system call event
// carries (Event.Regs): the 64-bit FNV-1a hash of the 248 bytes of x1 to
// x31, each register as 8 bytes little-endian, in order. x[0] (always
// zero) is not hashed. It does not allocate and costs one multiplication
// per byte, which is little next to a system call.
func RegsHash(x *[32]uint64) uint64 {
	h := uint64(fnvOffset)
	for _, r := range x[1:] {
		for range 8 {
			h ^= r & 0xff
			h *= fnvPrime
			r >>= 8
		}
	}
	return h
}

// seedBias is xored into seed values: a seed read is ES16 (0x80000000)
// with 16 bits of entropy, which then encodes in at most three bytes.
const seedBias = 0x80000000

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// encoder builds the decompressed payload of one segment. Its delta state
// starts at zero in every segment, so that segments decode independently.
// From RunsVersion on, the reads of cycle, time and seed gather in run,
// which goes into buf (closeRun) before the next other event and at the
// payload's end (payload).
type encoder struct {
	version   int // format version written; the zero value writes Version
	buf       []byte
	writes    int // memory writes in the segment so far
	instret   uint64
	pc        uint64
	lastValue [KindInput + 1]uint64
	run       run
}

// run is a run of reads of cycle, time and seed being encoded: its events
// and its columns (kinds; then instret deltas, pc deltas and values, as
// varints).
type run struct {
	n                          int
	kinds, instret, pc, values []byte
}

// reset starts the payload of segment seq holding count events.
func (e *encoder) reset(seq uint64, count int) {
	e.buf = binary.AppendUvarint(e.buf[:0], seq)
	e.buf = binary.AppendUvarint(e.buf, uint64(count))
	e.instret, e.pc, e.writes = 0, 0, 0
	e.lastValue = [KindInput + 1]uint64{}
	e.run.truncate(0, 0, 0, 0, 0)
}

// truncate cuts the run back to n events and columns of these lengths.
func (r *run) truncate(n, k, i, p, v int) {
	r.n, r.kinds, r.instret, r.pc, r.values = n, r.kinds[:k], r.instret[:i], r.pc[:p], r.values[:v]
}

// runLen is the number of payload bytes the run being encoded takes.
func (e *encoder) runLen() int {
	r := &e.run
	if r.n == 0 {
		return 0
	}
	return 1 + varintLen(uint64(r.n)) + len(r.kinds) + len(r.instret) + len(r.pc) + len(r.values)
}

// size is the length of the payload so far, the run being encoded
// included.
func (e *encoder) size() int { return len(e.buf) + e.runLen() }

// closeRun appends the run being encoded, if any, to the payload.
func (e *encoder) closeRun() {
	r := &e.run
	if r.n == 0 {
		return
	}
	b := append(e.buf, runTag)
	b = binary.AppendUvarint(b, uint64(r.n))
	b = append(b, r.kinds...)
	b = append(b, r.instret...)
	b = append(b, r.pc...)
	e.buf = append(b, r.values...)
	r.truncate(0, 0, 0, 0, 0)
}

// payload returns the payload built, its last run included.
func (e *encoder) payload() []byte {
	e.closeRun()
	return e.buf
}

// csrValue is the varint a read of cycle, time or seed stores for its
// value, which it makes the last value of its kind.
func (e *encoder) csrValue(k Kind, v uint64) uint64 {
	if k == KindSeed {
		return v ^ seedBias
	}
	d := zigzag(int64(v - e.lastValue[k&3]))
	e.lastValue[k&3] = v
	return d
}

// ver returns the format version the encoder writes.
func (e *encoder) ver() int {
	if e.version == 0 {
		return Version
	}
	return e.version
}

// event appends ev to the payload. It refuses what would not read back
// identically: an unknown kind, a system call number or memory writes on a
// kind that does not carry them.
func (e *encoder) event(ev *Event) error {
	if !validKind(ev.Kind) {
		return fmt.Errorf("event kind %d is unknown", ev.Kind)
	}
	if ev.Instret < e.instret {
		return fmt.Errorf("event at instruction %d comes after one at %d", ev.Instret, e.instret)
	}
	if ev.Instret > MaxInstret {
		return fmt.Errorf("event at instruction %d: past %d, the most a trace holds", ev.Instret, uint64(MaxInstret))
	}
	if ev.Nr != 0 && ev.Kind != KindSyscall {
		return fmt.Errorf("a %s event has no system call number (got %d)", ev.Kind, ev.Nr)
	}
	if len(ev.Writes) != 0 && ev.Kind != KindSyscall && ev.Kind != KindInput {
		return fmt.Errorf("a %s event has no memory writes (got %d)", ev.Kind, len(ev.Writes))
	}
	if ev.Regs != 0 && (ev.Kind != KindSyscall || e.version != 0 && e.version < RegsVersion) {
		return fmt.Errorf("a %s event has no register hash in format version %d (got %#x)", ev.Kind, e.ver(), ev.Regs)
	}
	if len(ev.Writes) > MaxWrites-e.writes {
		return fmt.Errorf("the segment has more than %d memory writes (the limit)", MaxWrites)
	}
	e.writes += len(ev.Writes)
	if ev.Kind.IsRead() && e.ver() >= RunsVersion {
		r := &e.run
		r.kinds = append(r.kinds, byte(ev.Kind))
		r.instret = binary.AppendUvarint(r.instret, ev.Instret-e.instret)
		r.pc = binary.AppendUvarint(r.pc, zigzag(int64(ev.PC-e.pc)))
		r.values = binary.AppendUvarint(r.values, e.csrValue(ev.Kind, ev.Value))
		e.instret, e.pc = ev.Instret, ev.PC
		r.n++
		return nil
	}
	e.closeRun()
	b := append(e.buf, byte(ev.Kind))
	b = binary.AppendUvarint(b, ev.Instret-e.instret)
	b = binary.AppendUvarint(b, zigzag(int64(ev.PC-e.pc)))
	e.instret, e.pc = ev.Instret, ev.PC
	switch ev.Kind {
	case KindCycle, KindTime, KindSeed:
		b = binary.AppendUvarint(b, e.csrValue(ev.Kind, ev.Value))
	case KindSyscall, KindInput:
		if ev.Kind == KindSyscall {
			b = binary.AppendUvarint(b, ev.Nr)
			b = binary.AppendUvarint(b, zigzag(int64(ev.Value)))
			if e.ver() >= RegsVersion {
				b = binary.LittleEndian.AppendUint64(b, ev.Regs)
			}
		} else {
			b = binary.AppendUvarint(b, ev.Value)
		}
		b = binary.AppendUvarint(b, uint64(len(ev.Writes)))
		for _, w := range ev.Writes {
			b = binary.AppendUvarint(b, w.Addr)
			b = binary.AppendUvarint(b, uint64(len(w.Data)))
			b = append(b, w.Data...)
		}
	}
	e.buf = b
	return nil
}

// decoder decodes one segment's payload. Errors name the payload byte
// where the problem is.
type decoder struct {
	version   int // format version read; the zero value reads Version
	b         []byte
	off       int
	writes    int // memory writes in the segment so far
	instret   uint64
	pc        uint64
	lastValue [KindInput + 1]uint64
	runEnd    int // where the last run ended
}

// runs reports whether the payload keeps the reads of cycle, time and
// seed in runs (RunsVersion on), and only there.
func (d *decoder) runs() bool { return d.version == 0 || d.version >= RunsVersion }

// minEvent is the fewest payload bytes an event takes (kind, instret, pc,
// value); minWrite, the fewest a memory write takes (address, length).
const (
	minEvent = 4
	minWrite = 2
)

var errShort = errors.New("the payload ends inside an event")

// ver returns the format version the decoder reads.
func (d *decoder) ver() int {
	if d.version == 0 {
		return Version
	}
	return d.version
}

func (d *decoder) uvarint(what string) (uint64, error) {
	v, off, err := d.at(d.off, what)
	if err != nil {
		return 0, err
	}
	d.off = off
	return v, nil
}

// at decodes the varint at payload byte off, which what names, and
// returns it and the offset after it.
func (d *decoder) at(off int, what string) (uint64, int, error) {
	v, n := binary.Uvarint(d.b[off:])
	if n <= 0 {
		if n == 0 {
			return 0, 0, fmt.Errorf("payload byte %d: %s: %w", off, what, errShort)
		}
		return 0, 0, fmt.Errorf("payload byte %d: %s: varint overflows 64 bits", off, what)
	}
	if n > 1 && d.b[off+n-1] == 0 {
		return 0, 0, fmt.Errorf("payload byte %d: %s: varint is not in its shortest form", off, what)
	}
	return v, off + n, nil
}

// errInstret is the error of an instruction count delta, decoded before
// payload byte off, that takes the count past MaxInstret (or past 2^64).
func errInstret(off int) error {
	return fmt.Errorf("payload byte %d: the instruction count passes %d, the most a trace holds", off, uint64(MaxInstret))
}

// runCols are the payload offsets of a run's columns (the last, values,
// ends where its n-th varint does).
type runCols struct {
	n                          int
	kinds, instret, pc, values int
}

// runHeader reads the tag and the length of the run at d.off, of at most
// left events, and finds its columns.
func (d *decoder) runHeader(left uint64) (runCols, error) {
	at := d.off
	if at == d.runEnd && at != 0 {
		return runCols{}, fmt.Errorf("payload byte %d: a run follows a run", at)
	}
	d.off++
	n, err := d.uvarint("run length")
	switch {
	case err != nil:
		return runCols{}, err
	case n == 0:
		return runCols{}, fmt.Errorf("payload byte %d: a run of no events", at)
	case n > left:
		return runCols{}, fmt.Errorf("payload byte %d: a run of %d events, more than the %d left in the segment", at, n, left)
	case n > uint64(len(d.b)-d.off)/minEvent:
		return runCols{}, fmt.Errorf("payload byte %d: a run of %d events does not fit the rest of the payload", at, n)
	}
	c := runCols{n: int(n), kinds: d.off, instret: d.off + int(n)}
	if c.pc, err = d.skip(c.instret, c.n, "instret deltas"); err != nil {
		return runCols{}, err
	}
	if c.values, err = d.skip(c.pc, c.n, "pc deltas"); err != nil {
		return runCols{}, err
	}
	return c, nil
}

// skip returns the offset after the n varints at payload byte off, the
// column of a run that what names. It checks only that they end: at
// checks each as it is decoded. It counts the varints' last bytes (high
// bit clear) eight bytes at a time while the n-th is further on.
func (d *decoder) skip(off, n int, what string) (int, error) {
	b, start := d.b, off
	for off+8 <= len(b) {
		t := bits.OnesCount64(^binary.LittleEndian.Uint64(b[off:]) & 0x8080808080808080)
		if t >= n {
			break
		}
		n, off = n-t, off+8
	}
	for ; n > 0; n-- {
		for {
			if off >= len(b) {
				return 0, fmt.Errorf("payload byte %d: the run's %s: %w", start, what, errShort)
			}
			c := b[off]
			off++
			if c < 0x80 {
				break
			}
		}
	}
	return off, nil
}

// runEvents decodes the run whose columns are c into out (c.n events), if
// it is not nil, and into ents, if it is not nil, as ND buffer entries.
// It returns the instruction count of the run's first event, or the index
// in the run of the read that is wrong, and why.
func (d *decoder) runEvents(c runCols, out []Event, ents []byte) (uint64, int, error) {
	b := d.b
	io, po, vo := c.instret, c.pc, c.values
	instret, pc := d.instret, d.pc
	var err error
	var first uint64
	for j := range c.n {
		k := Kind(b[c.kinds+j])
		if !k.IsRead() {
			return 0, j, fmt.Errorf("payload byte %d: event kind %d in a run, not cycle, time or seed", c.kinds+j, k)
		}
		var di, dpc, v uint64
		if x, n := short2(b, io); n != 0 {
			di, io = x, io+n
		} else if di, io, err = d.at(io, "instret delta"); err != nil {
			return 0, j, err
		}
		if instret+di < instret || instret+di > MaxInstret {
			return 0, j, errInstret(io)
		}
		if x, n := short2(b, po); n != 0 {
			dpc, po = x, po+n
		} else if dpc, po, err = d.at(po, "pc delta"); err != nil {
			return 0, j, err
		}
		n := 0
		if vo+1 < len(b) {
			v, n = short2x(b, vo)
		}
		if n != 0 {
			vo += n
		} else if v, vo, err = d.at(vo, "value"); err != nil {
			return 0, j, err
		}
		instret += di
		pc += uint64(unzigzag(dpc))
		if k == KindSeed {
			v ^= seedBias
		} else {
			d.lastValue[k&3] += uint64(unzigzag(v))
			v = d.lastValue[k&3]
		}
		if j == 0 {
			first = instret
		}
		if out != nil {
			out[j] = Event{Kind: k, Instret: instret, PC: pc, Value: v}
		}
		if ents != nil {
			e := ents[j*ndbuf.EntrySize : j*ndbuf.EntrySize+ndbuf.EntrySize]
			ndbuf.PutEntry(e, ndbuf.Entry{Kind: k, Instret: instret, PC: pc, Value: v})
		}
	}
	d.instret, d.pc = instret, pc
	// The instret and pc columns ended where skip found them to: at
	// stops where skip does, or refuses the varint.
	d.off, d.runEnd = vo, vo
	return first, 0, nil
}

// segment decodes a whole payload (sequence number, event count, events)
// into dst[:0] and returns the sequence number and the events. The events'
// memory writes alias payload.
func (d *decoder) segment(payload []byte, dst []Event) (uint64, []Event, error) {
	*d = decoder{version: d.version, b: payload}
	seq, err := d.uvarint("segment number")
	if err != nil {
		return 0, nil, err
	}
	count, err := d.uvarint("event count")
	if err != nil {
		return 0, nil, err
	}
	if count == 0 || count > uint64(len(payload)-d.off)/minEvent {
		return 0, nil, fmt.Errorf("payload byte %d: event count %d does not fit a payload of %d bytes", d.off, count, len(payload))
	}
	if count > MaxEvents {
		return 0, nil, fmt.Errorf("payload byte %d: %d events in one segment, more than %d (the limit)", d.off, count, MaxEvents)
	}
	evs := dst[:0]
	if uint64(cap(evs)) < count {
		evs = make([]Event, 0, count)
	}
	for i := uint64(0); i < count; {
		if d.runs() && d.off < len(d.b) && d.b[d.off] == runTag {
			c, err := d.runHeader(count - i)
			j := 0
			if err == nil {
				evs = evs[:len(evs)+c.n]
				_, j, err = d.runEvents(c, evs[len(evs)-c.n:], nil)
			}
			if err != nil {
				clear(evs)
				return 0, nil, fmt.Errorf("event %d: %w", i+uint64(j), err)
			}
			i += uint64(c.n)
			continue
		}
		evs = append(evs, Event{})
		if err := d.event(&evs[len(evs)-1]); err != nil {
			clear(evs) // drop references into the payload
			return 0, nil, fmt.Errorf("event %d: %w", i, err)
		}
		i++
	}
	if d.off != len(payload) {
		clear(evs)
		return 0, nil, fmt.Errorf("payload byte %d: %d bytes follow the last event", d.off, len(payload)-d.off)
	}
	return seq, evs, nil
}

func (d *decoder) event(ev *Event) error {
	if d.off >= len(d.b) {
		return fmt.Errorf("payload byte %d: %w", d.off, errShort)
	}
	ev.Kind = Kind(d.b[d.off])
	if !validKind(ev.Kind) {
		return fmt.Errorf("payload byte %d: unknown event kind %d", d.off, ev.Kind)
	}
	if ev.Kind.IsRead() && d.runs() {
		return fmt.Errorf("payload byte %d: a %s event outside a run (format version %d keeps them in runs)", d.off, ev.Kind, d.ver())
	}
	d.off++
	di, err := d.uvarint("instret delta")
	if err != nil {
		return err
	}
	if d.instret+di < d.instret || d.instret+di > MaxInstret {
		return errInstret(d.off)
	}
	dpc, err := d.uvarint("pc delta")
	if err != nil {
		return err
	}
	d.instret += di
	d.pc += uint64(unzigzag(dpc))
	ev.Instret, ev.PC = d.instret, d.pc
	switch ev.Kind {
	case KindCycle, KindTime:
		v, err := d.uvarint("value delta")
		if err != nil {
			return err
		}
		d.lastValue[ev.Kind] += uint64(unzigzag(v))
		ev.Value = d.lastValue[ev.Kind]
	case KindSeed:
		v, err := d.uvarint("seed value")
		if err != nil {
			return err
		}
		ev.Value = v ^ seedBias
	case KindSyscall, KindInput:
		if ev.Kind == KindSyscall {
			if ev.Nr, err = d.uvarint("system call number"); err != nil {
				return err
			}
			v, err := d.uvarint("return value")
			if err != nil {
				return err
			}
			ev.Value = uint64(unzigzag(v))
			if d.version == 0 || d.version >= RegsVersion {
				if len(d.b)-d.off < 8 {
					return fmt.Errorf("payload byte %d: register hash: %w", d.off, errShort)
				}
				ev.Regs = binary.LittleEndian.Uint64(d.b[d.off:])
				d.off += 8
			}
		} else if ev.Value, err = d.uvarint("value"); err != nil {
			return err
		}
		n, err := d.uvarint("write count")
		if err != nil {
			return err
		}
		if n > uint64(len(d.b)-d.off)/minWrite {
			return fmt.Errorf("payload byte %d: %d memory writes do not fit the rest of the payload", d.off, n)
		}
		if n > uint64(MaxWrites-d.writes) {
			return fmt.Errorf("payload byte %d: %d more memory writes make more than %d in the segment (the limit)", d.off, n, MaxWrites)
		}
		d.writes += int(n)
		if n > 0 {
			ev.Writes = make([]MemWrite, n)
		}
		for i := range ev.Writes {
			w := &ev.Writes[i]
			if w.Addr, err = d.uvarint("write address"); err != nil {
				return err
			}
			l, err := d.uvarint("write length")
			if err != nil {
				return err
			}
			if l > uint64(len(d.b)-d.off) {
				return fmt.Errorf("payload byte %d: a write of %d bytes runs past the payload", d.off, l)
			}
			if l > 0 {
				w.Data = d.b[d.off : d.off+int(l) : d.off+int(l)]
			}
			d.off += int(l)
		}
	}
	return nil
}
