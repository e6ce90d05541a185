package logfmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/rvsim/rvsim/ndbuf"
)

// TestAppendNext reads random traces (every kind of event, memory writes,
// large and small deltas) with AppendNext into one growing batch and
// checks it against what was written: the events, each one's ND buffer
// entry, and the footer; and a damaged trace stops both readers with the
// same error.
func TestAppendNext(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		tr := randTrace(t, seed, 1+int(seed%5), 1+int(seed*7%60))
		r, err := NewReader(bytes.NewReader(tr.data), "t.zst")
		if err != nil {
			t.Fatal(err)
		}
		var evs, want []Event
		var raw []byte
		for {
			evs, raw, err = r.AppendNext(evs, raw)
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
		if !sameEvents(evs, want) {
			t.Fatalf("seed %d: events differ", seed)
		}
		if len(raw) != len(evs)*ndbuf.EntrySize {
			t.Fatalf("seed %d: %d bytes of entries for %d events", seed, len(raw), len(evs))
		}
		for i, ev := range want {
			e := raw[i*ndbuf.EntrySize:]
			w0, pc, v := binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint64(e[8:]), binary.LittleEndian.Uint64(e[16:])
			switch ev.Kind {
			case KindCycle, KindTime, KindSeed:
				if got := (ndbuf.Entry{Kind: ndbuf.Kind(w0 >> 56), Instret: w0 & (1<<56 - 1), PC: pc, Value: v}); got != (ndbuf.Entry{Kind: ev.Kind, Instret: ev.Instret & (1<<56 - 1), PC: ev.PC, Value: ev.Value}) {
					t.Fatalf("seed %d: event %d %+v: entry %+v", seed, i, ev, got)
				}
			default:
				if w0|pc|v != 0 {
					t.Fatalf("seed %d: event %d (%s): entry %x, want zeros", seed, i, ev.Kind, e[:ndbuf.EntrySize])
				}
			}
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
		for {
			got, err1 := r1.Next()
			n := len(all)
			all, raw, err = r2.AppendNext(all, raw[:0])
			if (err1 == nil) != (err == nil) || err != nil && err.Error() != err1.Error() {
				t.Fatalf("seed %d: damaged: Next: %v; AppendNext: %v", seed, err1, err)
			}
			if err != nil {
				if !errors.Is(err, ErrCorrupt) || len(all) != n {
					t.Fatalf("seed %d: damaged: %v, %d events appended", seed, err, len(all)-n)
				}
				break
			}
			if !sameEvents(all[n:], got) {
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

// BenchmarkAppendNext is BenchmarkDecodeEvent with AppendNext, appending
// into arrays reused from one pass to the next as a replayer reuses them.
func BenchmarkAppendNext(b *testing.B) {
	data := cycleTrace(b, 4096*16)
	var evs []Event
	var raw []byte
	events := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "b.zst")
		if err != nil {
			b.Fatal(err)
		}
		evs, raw = evs[:0], raw[:0]
		for {
			evs, raw, err = r.AppendNext(evs, raw)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		events += len(evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
}
