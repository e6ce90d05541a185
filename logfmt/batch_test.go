package logfmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/ndbuf"
)

// entriesOf is what AppendEntries must make of events, worked out from
// them alone: every event's ND buffer entry (a read's, or zeros), and the
// other events with the index of their entry, counting from base.
func entriesOf(events []Event, base int) (evs []Event, at []int, raw []byte) {
	for i, ev := range events {
		var e [ndbuf.EntrySize]byte
		if ev.Kind == KindCycle || ev.Kind == KindTime || ev.Kind == KindSeed {
			binary.LittleEndian.PutUint64(e[:], uint64(ev.Kind)<<56|ev.Instret&(1<<56-1))
			binary.LittleEndian.PutUint64(e[8:], ev.PC)
			binary.LittleEndian.PutUint64(e[16:], ev.Value)
		}
		// The monitor's events.
		if !(ev.Kind == KindCycle || ev.Kind == KindTime || ev.Kind == KindSeed) {
			evs = append(evs, ev)
			at = append(at, base+i)
		}
		raw = append(raw, e[:]...)
	}
	return evs, at, raw
}

// sameEntries reports whether AppendEntries's output from base on is
// what entriesOf makes of want.
func sameEntries(evs []Event, at []int, raw []byte, want []Event, base int) bool {
	wevs, wat, wraw := entriesOf(want, base)
	return sameEvents(evs, wevs) && slices.Equal(at, wat) && bytes.Equal(raw, wraw)
}

// TestAppendEntries reads random traces (every kind of event, memory
// writes, large and small deltas) with AppendEntries into one growing
// batch and checks it against what was written: each event's ND buffer
// entry, the other events and where they are, and the footer; and a
// damaged trace stops both readers with the same error.
func TestAppendEntries(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		tr := randTrace(t, seed, 1+int(seed%5), 1+int(seed*7%60))
		r, err := NewReader(bytes.NewReader(tr.data), "t.zst")
		if err != nil {
			t.Fatal(err)
		}
		var evs, want []Event
		var at []int
		var raw []byte
		for {
			evs, at, raw, err = r.AppendEntries(evs, at, raw)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
		}
		for _, s := range tr.segs {
			want = append(want, s...)
		}
		if !sameEntries(evs, at, raw, want, 0) {
			t.Fatalf("seed %d: entries or events differ", seed)
		}
		if ft, ok := r.Footer(); !ok || ft.Instret != tr.footer.Instret {
			t.Fatalf("seed %d: footer %+v (%v), want %+v", seed, ft, ok, tr.footer)
		}

		// Damage the last segment's frame: both readers return the
		// segments before, then the same error.
		bad := append([]byte(nil), tr.data...)
		bad[tr.ends[len(tr.ends)-1]-2] ^= 0x40
		r1, _ := NewReader(bytes.NewReader(bad), "t.zst")
		r2, _ := NewReader(bytes.NewReader(bad), "t.zst")
		var all []Event
		at = nil
		for {
			got, err1 := r1.Next()
			n, na, nr := len(all), len(at), len(raw)
			all, at, raw, err = r2.AppendEntries(all, at, raw)
			if (err1 == nil) != (err == nil) || err != nil && err.Error() != err1.Error() {
				t.Fatalf("seed %d: damaged: Next: %v; AppendEntries: %v", seed, err1, err)
			}
			if err != nil {
				if !errors.Is(err, ErrCorrupt) || len(all) != n || len(at) != na || len(raw) != nr {
					t.Fatalf("seed %d: damaged: %v, %d events appended", seed, err, len(all)-n)
				}
				break
			}
			if !sameEntries(all[n:], at[na:], raw[nr:], got, nr/ndbuf.EntrySize) {
				t.Fatalf("seed %d: damaged: events differ", seed)
			}
		}
	}
}

// cycleTrace writes n cycle events (cycleEvents) in segments of 4,096.
func cycleTrace(b *testing.B, n int) []byte {
	const seg = 4096
	evs := cycleEvents(n)
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, testHeader())
	for i := 0; i < len(evs); i += seg {
		if err := w.WriteSegment(evs[i : i+seg]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(Footer{Instret: evs[len(evs)-1].Instret}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkAppendEntries is BenchmarkDecodeEvent with AppendEntries,
// appending into arrays reused from one pass to the next as a replayer
// reuses them.
func BenchmarkAppendEntries(b *testing.B) {
	data := cycleTrace(b, 4096*16)
	var evs []Event
	var at []int
	var raw []byte
	events := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "b.zst")
		if err != nil {
			b.Fatal(err)
		}
		evs, at, raw = evs[:0], at[:0], raw[:0]
		for {
			evs, at, raw, err = r.AppendEntries(evs, at, raw)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		events += len(raw) / ndbuf.EntrySize
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
}

// TestMaxInstret: events at instruction counts up to MaxInstret (2^56-1,
// what an entry's position holds) are written and read back whole, the
// reads as entries alone; the Writer refuses an event past it, read or
// system call, and adds nothing.
func TestMaxInstret(t *testing.T) {
	want := []Event{
		{Kind: KindCycle, Instret: MaxInstret - 3, PC: 0x100, Value: 5},
		{Kind: KindSyscall, Instret: MaxInstret - 1, PC: 0x108, Nr: 63, Value: 1},
		{Kind: KindSeed, Instret: MaxInstret, PC: 0x10c, Value: 0x8000abcd},
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, testHeader())
	if err := w.WriteSegment(want); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []Event{{Kind: KindTime, Instret: MaxInstret + 1, PC: 0x110}, {Kind: KindSyscall, Instret: 1<<64 - 1, PC: 0x114, Nr: 63}} {
		if err := w.Add(&ev); err == nil || !strings.Contains(err.Error(), "the most a trace holds") {
			t.Errorf("Add of a %s event at instruction %d: %v, want a refusal", ev.Kind, ev.Instret, err)
		}
	}
	if w.Pending() != 0 {
		t.Fatalf("the refused events were added: %d pending", w.Pending())
	}
	if err := w.Close(Footer{Instret: MaxInstret}); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	evs, at, raw, err := r.AppendEntries(nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameEntries(evs, at, raw, want, 0) || !slices.Equal(at, []int{1}) {
		t.Fatalf("got %+v at %v, want the system call of %+v", evs, at, want)
	}
}
