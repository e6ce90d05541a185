package logfmt

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Kind is the kind of a recorded event.
type Kind uint8

// Event kinds.
const (
	KindCycle   Kind = 1 // read of cycle or mcycle
	KindTime    Kind = 2 // read of time
	KindSeed    Kind = 3 // read of seed
	KindSyscall Kind = 4 // a system call whose results the monitor recorded
	KindInput   Kind = 5 // other monitor input written to guest memory (the auxv random bytes)
)

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

// MemWrite is guest memory the monitor wrote as part of an event.
type MemWrite struct {
	Addr uint64
	Data []byte
}

// Event is one recorded non-deterministic event.
type Event struct {
	Kind    Kind
	Instret uint64     // instructions retired before the event
	PC      uint64     // pc of the reading instruction or the ecall
	Value   uint64     // the CSR value read, or the system call's return value
	Nr      uint64     // system call number (KindSyscall)
	Writes  []MemWrite // guest memory the monitor wrote (KindSyscall, KindInput)
}

// seedBias makes the usual seed values (ES16 with 16 bits of entropy)
// encode in at most three bytes.
const seedBias = 0x80000000

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// encoder encodes the events of one segment; its state starts at zero in
// every segment, so that segments decode independently.
type encoder struct {
	buf       []byte
	instret   uint64
	pc        uint64
	lastValue [KindInput + 1]uint64
}

func (e *encoder) reset(seq uint64, count int) {
	e.buf = binary.AppendUvarint(e.buf[:0], seq)
	e.buf = binary.AppendUvarint(e.buf, uint64(count))
	e.instret, e.pc = 0, 0
	e.lastValue = [KindInput + 1]uint64{}
}

func (e *encoder) event(ev *Event) error {
	if ev.Kind < KindCycle || ev.Kind > KindInput {
		return fmt.Errorf("event kind %d is unknown", ev.Kind)
	}
	if ev.Instret < e.instret {
		return fmt.Errorf("event at instruction %d comes after one at %d", ev.Instret, e.instret)
	}
	b := append(e.buf, byte(ev.Kind))
	b = binary.AppendUvarint(b, ev.Instret-e.instret)
	b = binary.AppendUvarint(b, zigzag(int64(ev.PC-e.pc)))
	e.instret, e.pc = ev.Instret, ev.PC
	switch ev.Kind {
	case KindCycle, KindTime:
		b = binary.AppendUvarint(b, zigzag(int64(ev.Value-e.lastValue[ev.Kind])))
		e.lastValue[ev.Kind] = ev.Value
	case KindSeed:
		b = binary.AppendUvarint(b, ev.Value^seedBias)
	case KindSyscall, KindInput:
		if ev.Kind == KindSyscall {
			b = binary.AppendUvarint(b, ev.Nr)
			b = binary.AppendUvarint(b, zigzag(int64(ev.Value)))
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

// decoder decodes one segment's payload.
type decoder struct {
	b         []byte
	off       int
	instret   uint64
	pc        uint64
	lastValue [KindInput + 1]uint64
}

var errShort = errors.New("payload ends inside an event")

func (d *decoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		if n == 0 {
			return 0, errShort
		}
		return 0, fmt.Errorf("byte %d: varint overflows 64 bits", d.off)
	}
	d.off += n
	return v, nil
}

// segment decodes a whole payload: sequence number, count, events.
func (d *decoder) segment(payload []byte, dst []Event) (seq uint64, evs []Event, err error) {
	*d = decoder{b: payload}
	if seq, err = d.uvarint(); err != nil {
		return 0, nil, err
	}
	count, err := d.uvarint()
	if err != nil {
		return 0, nil, err
	}
	if count == 0 || count > uint64(len(payload)-d.off)/3 {
		return 0, nil, fmt.Errorf("event count %d does not fit a payload of %d bytes", count, len(payload))
	}
	evs = dst[:0]
	for i := uint64(0); i < count; i++ {
		var ev Event
		if err := d.event(&ev); err != nil {
			return 0, nil, fmt.Errorf("event %d: %w", i, err)
		}
		evs = append(evs, ev)
	}
	if d.off != len(payload) {
		return 0, nil, fmt.Errorf("%d bytes follow the last event", len(payload)-d.off)
	}
	return seq, evs, nil
}

func (d *decoder) event(ev *Event) error {
	if d.off >= len(d.b) {
		return errShort
	}
	ev.Kind = Kind(d.b[d.off])
	d.off++
	if ev.Kind < KindCycle || ev.Kind > KindInput {
		return fmt.Errorf("byte %d: unknown event kind %d", d.off-1, ev.Kind)
	}
	di, err := d.uvarint()
	if err != nil {
		return err
	}
	if d.instret+di < d.instret {
		return fmt.Errorf("instruction count overflows")
	}
	dpc, err := d.uvarint()
	if err != nil {
		return err
	}
	d.instret += di
	d.pc += uint64(unzigzag(dpc))
	ev.Instret, ev.PC = d.instret, d.pc
	switch ev.Kind {
	case KindCycle, KindTime:
		v, err := d.uvarint()
		if err != nil {
			return err
		}
		d.lastValue[ev.Kind] += uint64(unzigzag(v))
		ev.Value = d.lastValue[ev.Kind]
	case KindSeed:
		v, err := d.uvarint()
		if err != nil {
			return err
		}
		ev.Value = v ^ seedBias
	case KindSyscall, KindInput:
		if ev.Kind == KindSyscall {
			if ev.Nr, err = d.uvarint(); err != nil {
				return err
			}
			v, err := d.uvarint()
			if err != nil {
				return err
			}
			ev.Value = uint64(unzigzag(v))
		} else if ev.Value, err = d.uvarint(); err != nil {
			return err
		}
		n, err := d.uvarint()
		if err != nil {
			return err
		}
		if n > uint64(len(d.b)-d.off)/2 {
			return fmt.Errorf("byte %d: %d memory writes do not fit the payload", d.off, n)
		}
		for i := uint64(0); i < n; i++ {
			var w MemWrite
			if w.Addr, err = d.uvarint(); err != nil {
				return err
			}
			l, err := d.uvarint()
			if err != nil {
				return err
			}
			if l > uint64(len(d.b)-d.off) {
				return fmt.Errorf("byte %d: a write of %d bytes runs past the payload", d.off, l)
			}
			w.Data = d.b[d.off : d.off+int(l) : d.off+int(l)]
			d.off += int(l)
			ev.Writes = append(ev.Writes, w)
		}
	}
	return nil
}
