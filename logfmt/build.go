package logfmt

import (
	"encoding/binary"
	"fmt"

	"github.com/rvsim/rvsim/ndbuf"
)

// A Writer also builds a segment piece by piece, for a recorder that does
// not hold its events as a slice: Add appends one event, AddND appends the
// raw entries of the ND buffer as they were drained, and Flush writes what
// was added as one segment, exactly as WriteSegment writes the same events.

// payloadRoom is the room kept at the start of a segment being built for
// its sequence number and event count, two varints that are known only
// when it is written.
const payloadRoom = 2 * binary.MaxVarintLen64

// putUvarint stores v as a varint at b[o:] and returns the offset after it.
func putUvarint(b []byte, o int, v uint64) int {
	for v >= 0x80 {
		b[o] = byte(v) | 0x80
		v >>= 7
		o++
	}
	b[o] = byte(v)
	return o + 1
}

// extend returns b with room for n more bytes beyond its length, in its
// capacity; the bytes are left as they were.
func extend(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*cap(b)+n)
	copy(nb, b)
	return nb
}

// putShort stores v as a varint at d[n:], which has room for any, and
// returns the offset after it. A varint of one or two bytes, those of ND
// entries, takes no branch that depends on its length (value deltas are
// one or two bytes in no order a predictor learns): two bytes are stored
// either way, the second past the end of a one-byte varint, where the
// next one goes.
func putShort(d []byte, n int, v uint64) int {
	if v >= 1<<14 {
		return putUvarint(d, n, v)
	}
	c := 0
	if v >= 1<<7 {
		c = 1
	}
	d[n] = byte(v) | byte(c<<7)
	d[n+1] = byte(v >> 7)
	return n + 1 + c
}

// building is the state of the segment being built, kept to undo an Add
// or AddND that fails.
type building struct {
	n         int // events added
	bufLen    int
	writes    int
	instret   uint64
	pc        uint64
	lastValue [KindInput + 1]uint64
	run       int    // events in the run being encoded
	runLens   [4]int // and the lengths of its columns
}

func (w *Writer) save() building {
	e := &w.b
	r := &e.run
	return building{n: w.n, bufLen: len(e.buf), writes: e.writes, instret: e.instret, pc: e.pc, lastValue: e.lastValue,
		run: r.n, runLens: [4]int{len(r.kinds), len(r.instret), len(r.pc), len(r.values)}}
}

// undo puts the segment being built back as save found it. A run that
// was closed since is back in place too: closing it left its columns'
// bytes where they were.
func (w *Writer) undo(s building) {
	e := &w.b
	w.n, e.buf, e.writes, e.instret, e.pc, e.lastValue = s.n, e.buf[:s.bufLen], s.writes, s.instret, s.pc, s.lastValue
	e.run.truncate(s.run, s.runLens[0], s.runLens[1], s.runLens[2], s.runLens[3])
}

// check returns why the Writer takes nothing more, if it does not.
func (w *Writer) check() error {
	switch {
	case w.closed:
		return fmt.Errorf("trace segment %d: %w", w.segments, errClosed)
	case w.err != nil:
		return w.err
	}
	return nil
}

// begin starts a segment when none is being built: its delta state at
// zero, room for its count.
func (w *Writer) begin() {
	if w.n > 0 {
		return
	}
	w.b.buf = append(w.b.buf[:0], make([]byte, payloadRoom)...)
	w.b.instret, w.b.pc, w.b.writes = 0, 0, 0
	w.b.lastValue = [KindInput + 1]uint64{}
	w.b.run.truncate(0, 0, 0, 0, 0)
}

// Add appends ev to the segment being built (starting one if none is). It
// refuses what WriteSegment refuses, and then adds nothing: an event that
// would not read back identically, one whose instruction count is lower
// than the previous event's (in this segment or the last one written), an
// event past MaxEvents, a memory write past MaxWrites, a payload past
// MaxSegment. The Writer keeps no reference to ev.
func (w *Writer) Add(ev *Event) error {
	if err := w.check(); err != nil {
		return err
	}
	if w.n >= MaxEvents {
		return fmt.Errorf("trace segment %d: event %d: more than %d events (the limit)", w.segments, w.n, MaxEvents)
	}
	if w.n == 0 && ev.Instret < w.instret {
		return fmt.Errorf("trace segment %d: event 0 at instruction %d comes after the previous segment's last at %d",
			w.segments, ev.Instret, w.instret)
	}
	w.begin()
	s := w.save()
	if err := w.b.event(ev); err != nil {
		w.undo(s)
		return fmt.Errorf("trace segment %d: event %d: %w", w.segments, w.n, err)
	}
	w.n++
	if w.payloadLen() > MaxSegment {
		w.undo(s)
		return fmt.Errorf("trace segment %d: more than %d bytes (the limit) at event %d", w.segments, MaxSegment, s.n)
	}
	return nil
}

// AddND appends to the segment being built the events of raw, entries of
// the ND buffer as the record/replay unit writes them (ndbuf.EntrySize
// bytes each, little-endian: kind<<56 | the low 56 bits of instret, pc,
// value), in order: each becomes the event of its kind, instruction count
// (those 56 bits), pc and value, encoded as Add encodes it, without an
// Event being made. It refuses, and then adds none of raw, a length that
// is not a whole number of entries, a kind other than cycle, time or seed,
// and whatever Add refuses.
func (w *Writer) AddND(raw []byte) error {
	if err := w.check(); err != nil {
		return err
	}
	k := len(raw) / ndbuf.EntrySize
	switch {
	case len(raw)%ndbuf.EntrySize != 0:
		return fmt.Errorf("trace segment %d: %d bytes of ND entries are not a whole number of %d-byte entries", w.segments, len(raw), ndbuf.EntrySize)
	case k == 0:
		return nil
	case k > MaxEvents-w.n:
		return fmt.Errorf("trace segment %d: %d ND entries after %d events make more than %d (the limit)", w.segments, k, w.n, MaxEvents)
	}
	if w.n == 0 {
		if i := binary.LittleEndian.Uint64(raw) & ndbuf.PosMask; i < w.instret {
			return fmt.Errorf("trace segment %d: event 0 at instruction %d comes after the previous segment's last at %d",
				w.segments, i, w.instret)
		}
	}
	w.begin()
	s := w.save()
	e := &w.b
	r := &e.run
	// The entries join the run being encoded. A field encodes to at most
	// binary.MaxVarintLen64 bytes: each column grows once, and the loop
	// stores bytes without appending.
	kinds, ci, cp, cv := extend(r.kinds, k), extend(r.instret, k*binary.MaxVarintLen64),
		extend(r.pc, k*binary.MaxVarintLen64), extend(r.values, k*binary.MaxVarintLen64)
	ko, io, po, vo := len(r.kinds), len(r.instret), len(r.pc), len(r.values)
	instret, pc := e.instret, e.pc
	raw = raw[:k*ndbuf.EntrySize]
	for i := 0; i < len(raw); i += ndbuf.EntrySize {
		p := raw[i : i+ndbuf.EntrySize : i+ndbuf.EntrySize]
		word := binary.LittleEndian.Uint64(p)
		kind, at := Kind(word>>56), word&ndbuf.PosMask
		epc, v := binary.LittleEndian.Uint64(p[8:]), binary.LittleEndian.Uint64(p[16:])
		if !kind.IsRead() || at < instret {
			w.undo(s)
			if at < instret && kind.IsRead() {
				return fmt.Errorf("trace segment %d: event %d: event at instruction %d comes after one at %d", w.segments, w.n+i/ndbuf.EntrySize, at, instret)
			}
			return fmt.Errorf("trace segment %d: event %d: ND entry %d has kind %d, not cycle, time or seed", w.segments, w.n+i/ndbuf.EntrySize, i/ndbuf.EntrySize, kind)
		}
		val := e.csrValue(kind, v)
		kinds[ko] = byte(kind)
		ko++
		io = putShort(ci, io, at-instret)
		po = putShort(cp, po, zigzag(int64(epc-pc)))
		vo = putShort(cv, vo, val)
		instret, pc = at, epc
	}
	r.kinds, r.instret, r.pc, r.values = kinds[:ko], ci[:io], cp[:po], cv[:vo]
	r.n += k
	e.instret, e.pc = instret, pc
	w.n += k
	if w.payloadLen() > MaxSegment {
		w.undo(s)
		return fmt.Errorf("trace segment %d: more than %d bytes (the limit) with %d ND entries after %d events", w.segments, MaxSegment, k, s.n)
	}
	return nil
}

// Pending returns the number of events in the segment being built.
func (w *Writer) Pending() int { return w.n }

// payloadLen is the length of the payload of the segment being built.
func (w *Writer) payloadLen() int {
	return w.b.size() - payloadRoom + varintLen(w.segments) + varintLen(uint64(w.n))
}

func varintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// Flush writes the segment being built as the next segment, as one zstd
// frame with a content checksum; with none being built it writes nothing.
// The segment is gone either way: after a failed write, Flush, like every
// call, returns the write's error.
func (w *Writer) Flush() error {
	if err := w.check(); err != nil {
		return err
	}
	if w.n == 0 {
		return nil
	}
	w.b.closeRun()
	var hdr [payloadRoom]byte
	h := binary.AppendUvarint(hdr[:0], w.segments)
	h = binary.AppendUvarint(h, uint64(w.n))
	start := payloadRoom - len(h)
	copy(w.b.buf[start:], h)
	last := w.b.instret
	w.n = 0
	return w.emit(w.b.buf[start:], last, &w.b)
}
