package logfmt

import (
	"encoding/binary"
	"fmt"

	"github.com/rvsim/rvsim/ndbuf"
)

// AppendNext reads the next segment as Next does, with the same checks and
// errors, but appends its events to evs and lays each out as an ND buffer
// entry of ndbuf.EntrySize bytes appended to raw: a read of cycle, time or
// seed as the entry a replayed read takes (kind<<56 | instret&(1<<56-1),
// pc, value, little-endian), an event the monitor answers as zeros. The
// memory writes of the events appended are copied out of the Reader's
// buffers, so they stay valid after the next call. On an error (and
// io.EOF after the last segment) evs and raw are returned as they were
// given.
//
// It is Next for a replayer that keeps many segments at once and hands
// their reads to the ND buffer by copying: it decodes the common events
// (reads of cycle, time and seed with short varints) without a call per
// field, and writes each event once.
func (r *Reader) AppendNext(evs []Event, raw []byte) ([]Event, []byte, error) {
	payload, at, n, err := r.nextPayload()
	if err != nil {
		return evs, raw, err
	}
	seq, out, outRaw, err := r.d.appendSegment(payload, evs, raw)
	if err != nil {
		return evs, raw, r.fail(at, r.segmentName(), fmt.Errorf("decompressed payload: %v: %w", err, ErrCorrupt))
	}
	if err := r.endSegment(at, n, seq, out[len(evs)].Instret, out[len(out)-1].Instret); err != nil {
		clear(out[len(evs):])
		return evs, raw, err
	}
	return out, outRaw, nil
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

// appendSegment is segment for AppendNext: it decodes payload, appending
// its events to evs and their ND buffer entries to raw, and copies the
// memory writes out of payload. It makes every check that segment makes,
// with the same errors.
func (d *decoder) appendSegment(payload []byte, evs []Event, raw []byte) (uint64, []Event, []byte, error) {
	*d = decoder{version: d.version, b: payload}
	seq, err := d.uvarint("segment number")
	if err != nil {
		return 0, nil, nil, err
	}
	count, err := d.uvarint("event count")
	if err != nil {
		return 0, nil, nil, err
	}
	if count == 0 || count > uint64(len(payload)-d.off)/minEvent {
		return 0, nil, nil, fmt.Errorf("payload byte %d: event count %d does not fit a payload of %d bytes", d.off, count, len(payload))
	}
	if count > MaxEvents {
		return 0, nil, nil, fmt.Errorf("payload byte %d: %d events in one segment, more than %d (the limit)", d.off, count, MaxEvents)
	}
	n0, r0 := len(evs), len(raw)
	evs = grow(evs, int(count))
	raw = grow(raw, int(count)*ndbuf.EntrySize)
	out, ents := evs[n0:], raw[r0:]
	// The delta state lives in locals on the fast path, and in d on
	// the slow one (d.event).
	b := d.b
	off, instret, pc := d.off, d.instret, d.pc
	lastCycle, lastTime := d.lastValue[KindCycle], d.lastValue[KindTime]
	for i := range out {
		e := ents[i*ndbuf.EntrySize : i*ndbuf.EntrySize+ndbuf.EntrySize]
		// The fast path: a read of cycle, time or seed whose three
		// varints are each one or two bytes in shortest form.
		if off < len(b) {
			if k := Kind(b[off]); k >= KindCycle && k <= KindSeed {
				di, n1 := short2(b, off+1)
				dpc, n2 := short2(b, off+1+n1)
				v, n3 := short2(b, off+1+n1+n2)
				// An instruction count that overflows is left to the
				// slow path, which reports it.
				if n1 != 0 && n2 != 0 && n3 != 0 && instret+di >= instret {
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
					out[i] = Event{Kind: k, Instret: instret, PC: pc, Value: v}
					binary.LittleEndian.PutUint64(e, uint64(k)<<56|instret&(1<<56-1))
					binary.LittleEndian.PutUint64(e[8:], pc)
					binary.LittleEndian.PutUint64(e[16:], v)
					continue
				}
			}
		}
		d.off, d.instret, d.pc = off, instret, pc
		d.lastValue[KindCycle], d.lastValue[KindTime] = lastCycle, lastTime
		ev := &out[i]
		*ev = Event{}
		if err := d.event(ev); err != nil {
			clear(out) // drop references into the payload
			return 0, nil, nil, fmt.Errorf("event %d: %w", i, err)
		}
		off, instret, pc = d.off, d.instret, d.pc
		lastCycle, lastTime = d.lastValue[KindCycle], d.lastValue[KindTime]
		if ev.Kind == KindCycle || ev.Kind == KindTime || ev.Kind == KindSeed {
			binary.LittleEndian.PutUint64(e, uint64(ev.Kind)<<56|ev.Instret&(1<<56-1))
			binary.LittleEndian.PutUint64(e[8:], ev.PC)
			binary.LittleEndian.PutUint64(e[16:], ev.Value)
		} else {
			clear(e)
		}
	}
	d.off, d.instret, d.pc = off, instret, pc
	d.lastValue[KindCycle], d.lastValue[KindTime] = lastCycle, lastTime
	if d.off != len(payload) {
		clear(out)
		return 0, nil, nil, fmt.Errorf("payload byte %d: %d bytes follow the last event", d.off, len(payload)-d.off)
	}
	for i := range out {
		if len(out[i].Writes) != 0 {
			out[i].Writes = copyWrites(out[i].Writes)
		}
	}
	return seq, evs, raw, nil
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
