package logfmt

import (
	"fmt"

	"github.com/rvsim/rvsim/ndbuf"
)

// AppendEntries reads the next segment as Next does, with the same checks
// and errors, and lays each of its events out as an ND buffer entry of
// ndbuf.EntrySize bytes appended to raw: a read of cycle, time or seed as
// the entry a replayed read takes (kind<<56 | instret, pc, value,
// little-endian; instret is at most MaxInstret, which the entry's 56 bits
// hold), an event the monitor answers (a system call, an input) as zeros.
// Those events themselves are appended to evs, and the index of each
// one's entry (counting from raw's first) to at. Their memory writes are
// copied out of the Reader's buffers, so they stay valid after the next
// call. On an error (and io.EOF after the last
// segment) evs, at and raw are returned as they were given.
//
// It is Next for a replayer that keeps many segments at once and hands
// their reads to the ND buffer as they are: it decodes the reads straight
// into entries, without an Event for each.
func (r *Reader) AppendEntries(evs []Event, at []int, raw []byte) ([]Event, []int, []byte, error) {
	payload, pos, n, err := r.nextPayload()
	if err != nil {
		return evs, at, raw, err
	}
	seq, first, outEvs, outAt, outRaw, err := r.d.appendEntries(payload, evs, at, raw)
	if err != nil {
		return evs, at, raw, r.fail(pos, r.segmentName(), fmt.Errorf("decompressed payload: %v: %w", err, ErrCorrupt))
	}
	if err := r.endSegment(pos, n, seq, first, r.d.instret); err != nil {
		clear(outEvs[len(evs):])
		return evs, at, raw, err
	}
	return outEvs, outAt, outRaw, nil
}

// short2 decodes the varint at b[off:] if it is one or two bytes long
// and in its shortest form, and returns it and its length; else it
// returns length 0 (the caller then takes decoder.uvarint's path, which
// decodes any varint or names what is wrong with it).
func short2(b []byte, off int) (uint64, int) {
	if off >= len(b) {
		return 0, 0
	}
	c0 := b[off]
	if c0 < 0x80 {
		return uint64(c0), 1
	}
	if off+1 < len(b) {
		if c1 := b[off+1]; c1 < 0x80 && c1 != 0 {
			return uint64(c0&0x7f) | uint64(c1)<<7, 2
		}
	}
	return 0, 0
}

// short2x is short2 for a varint with a byte after its first, without a
// branch on its length (a run's values are one or two bytes in no order a
// predictor learns); the caller has checked that off+1 < len(b).
func short2x(b []byte, off int) (uint64, int) {
	c0, c1 := uint64(b[off]), uint64(b[off+1])
	two := c0 >> 7 // 1 if the varint has a second byte
	var bad uint64
	if c1-1 >= 0x7f { // the second byte is the last one, and not 0
		bad = 1
	}
	if two&bad != 0 {
		return 0, 0
	}
	return c0&0x7f | c1<<7&-two, 1 + int(two)
}

// appendEntries is segment for AppendEntries: it decodes payload,
// appending its events' ND buffer entries to raw and the events the
// monitor answers to evs (their entries' indexes to at), and copies their
// memory writes out of payload. It returns the sequence number and the
// first event's instruction count. It makes every check that segment
// makes, with the same errors.
func (d *decoder) appendEntries(payload []byte, evs []Event, at []int, raw []byte) (uint64, uint64, []Event, []int, []byte, error) {
	*d = decoder{version: d.version, b: payload}
	fail := func(err error) (uint64, uint64, []Event, []int, []byte, error) { return 0, 0, nil, nil, nil, err }
	seq, err := d.uvarint("segment number")
	if err != nil {
		return fail(err)
	}
	count, err := d.uvarint("event count")
	if err != nil {
		return fail(err)
	}
	if count == 0 || count > uint64(len(payload)-d.off)/minEvent {
		return fail(fmt.Errorf("payload byte %d: event count %d does not fit a payload of %d bytes", d.off, count, len(payload)))
	}
	if count > MaxEvents {
		return fail(fmt.Errorf("payload byte %d: %d events in one segment, more than %d (the limit)", d.off, count, MaxEvents))
	}
	e0, base := len(evs), len(raw)/ndbuf.EntrySize
	raw = grow(raw, int(count)*ndbuf.EntrySize)
	ents := raw[base*ndbuf.EntrySize:]
	// The delta state lives in locals on the fast path, and in d on
	// the slow one (d.event, d.runEvents).
	b := d.b
	off, instret, pc := d.off, d.instret, d.pc
	lastCycle, lastTime := d.lastValue[KindCycle], d.lastValue[KindTime]
	runs := d.runs()
	var first uint64
	bad := func(i int, err error) (uint64, uint64, []Event, []int, []byte, error) {
		clear(evs[e0:]) // drop references into the payload
		return fail(fmt.Errorf("event %d: %w", i, err))
	}
	for i := 0; i < int(count); i++ {
		e := ents[i*ndbuf.EntrySize : i*ndbuf.EntrySize+ndbuf.EntrySize]
		if runs && off < len(b) && b[off] == runTag {
			d.off, d.instret, d.pc = off, instret, pc
			d.lastValue[KindCycle], d.lastValue[KindTime] = lastCycle, lastTime
			c, err := d.runHeader(count - uint64(i))
			if err != nil {
				return bad(i, err)
			}
			f, j, err := d.runEvents(c, nil, ents[i*ndbuf.EntrySize:(i+c.n)*ndbuf.EntrySize])
			if err != nil {
				return bad(i+j, err)
			}
			if i == 0 {
				first = f
			}
			off, instret, pc = d.off, d.instret, d.pc
			lastCycle, lastTime = d.lastValue[KindCycle], d.lastValue[KindTime]
			i += c.n - 1
			continue
		}
		// The fast path (versions before RunsVersion): a read of
		// cycle, time or seed whose three varints are each one or two
		// bytes in shortest form.
		if off < len(b) && !runs {
			if k := Kind(b[off]); k >= KindCycle && k <= KindSeed {
				di, n1 := short2(b, off+1)
				dpc, n2 := short2(b, off+1+n1)
				v, n3 := short2(b, off+1+n1+n2)
				// An instruction count past MaxInstret (or one that
				// overflows) is left to the slow path, which reports it.
				if n1 != 0 && n2 != 0 && n3 != 0 && instret+di >= instret && instret+di <= MaxInstret {
					off += 1 + n1 + n2 + n3
					instret += di
					pc += uint64(unzigzag(dpc))
					switch k {
					case KindCycle:
						lastCycle += uint64(unzigzag(v))
						v = lastCycle
					case KindTime:
						lastTime += uint64(unzigzag(v))
						v = lastTime
					default:
						v ^= seedBias
					}
					if i == 0 {
						first = instret
					}
					ndbuf.PutEntry(e, ndbuf.Entry{Kind: k, Instret: instret, PC: pc, Value: v})
					continue
				}
			}
		}
		d.off, d.instret, d.pc = off, instret, pc
		d.lastValue[KindCycle], d.lastValue[KindTime] = lastCycle, lastTime
		var ev Event
		if err := d.event(&ev); err != nil {
			return bad(i, err)
		}
		off, instret, pc = d.off, d.instret, d.pc
		lastCycle, lastTime = d.lastValue[KindCycle], d.lastValue[KindTime]
		if i == 0 {
			first = ev.Instret
		}
		if ev.Kind.IsRead() {
			ndbuf.PutEntry(e, ndbuf.Entry{Kind: ev.Kind, Instret: ev.Instret, PC: ev.PC, Value: ev.Value})
			continue
		}
		clear(e)
		evs = append(evs, ev)
		at = append(at, base+i)
	}
	d.off, d.instret, d.pc = off, instret, pc
	d.lastValue[KindCycle], d.lastValue[KindTime] = lastCycle, lastTime
	if d.off != len(payload) {
		clear(evs[e0:])
		return fail(fmt.Errorf("payload byte %d: %d bytes follow the last event", d.off, len(payload)-d.off))
	}
	for i := e0; i < len(evs); i++ {
		if len(evs[i].Writes) != 0 {
			evs[i].Writes = copyWrites(evs[i].Writes)
		}
	}
	return seq, first, evs, at, raw, nil
}

// grow returns s extended by n elements, whose contents are left as they
// were in s's array (the caller writes every one).
func grow[T any](s []T, n int) []T {
	if cap(s)-len(s) < n {
		t := make([]T, len(s), 2*cap(s)+n)
		copy(t, s)
		s = t
	}
	return s[:len(s)+n]
}

// copyWrites returns a copy of ws whose data is one new array.
func copyWrites(ws []MemWrite) []MemWrite {
	size := 0
	for _, w := range ws {
		size += len(w.Data)
	}
	data := make([]byte, 0, size)
	cp := make([]MemWrite, len(ws))
	for j, w := range ws {
		cp[j].Addr = w.Addr
		if len(w.Data) > 0 {
			data = append(data, w.Data...)
			cp[j].Data = data[len(data)-len(w.Data):]
		}
	}
	return cp
}
