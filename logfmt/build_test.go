package logfmt

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

// ndRaw returns entries as the record/replay unit stores them in its
// buffer: the unit's own Record writes them, and raw is the buffer's
// bytes [0, len(entries)).
func ndRaw(entries []ndbuf.Entry) []byte {
	u := ndbuf.New(csr.New(csr.Host{}), ndbuf.Record, 1<<40, uint64(max(len(entries), 1)))
	for _, e := range entries {
		u.Record(e)
	}
	return append([]byte(nil), u.Mem[:len(entries)*ndbuf.EntrySize]...)
}

// piece is a run of ND entries or one monitor event.
type piece struct {
	nd []ndbuf.Entry
	ev *Event
}

// randPieces returns runs of CSR reads (of every length from 0, values
// near and far from the last one, seeds in and out of the usual form)
// between events of every kind.
func randPieces(rng *rand.Rand, n int) []piece {
	var instret uint64
	var ps []piece
	for len(ps) < n {
		if rng.Intn(3) == 0 {
			ev := randEvents(rng, 1, &instret)[0]
			ps = append(ps, piece{ev: &ev})
			continue
		}
		run := make([]ndbuf.Entry, rng.Intn(40))
		for i := range run {
			if rng.Intn(4) != 0 {
				instret += uint64(rng.Intn(200))
			}
			e := ndbuf.Entry{Kind: ndbuf.Kind(1 + rng.Intn(3)), Instret: instret, PC: 0x10078 + uint64(rng.Intn(8))*4, Value: rng.Uint64() >> uint(rng.Intn(64))}
			if rng.Intn(5) == 0 {
				e.PC = rng.Uint64()
			}
			if e.Kind == ndbuf.KindSeed && rng.Intn(4) != 0 {
				e.Value = 0x80000000 | uint64(rng.Intn(1<<16))
			}
			run[i] = e
		}
		ps = append(ps, piece{nd: run})
	}
	return ps
}

func entryEvent(e ndbuf.Entry) Event {
	return Event{Kind: e.Kind, Instret: e.Instret, PC: e.PC, Value: e.Value}
}

// TestBuildMatchesWriteSegment: a segment built with Add and AddND (raw
// entries from the record/replay unit's own buffer) is byte for byte the
// segment WriteSegment writes for the same events, cut at the same
// places, CSR reads converted one by one into events as the recorder did
// before it handed raw entries over.
func TestBuildMatchesWriteSegment(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewSource(seed))
		ps := randPieces(rng, 1+rng.Intn(200))
		// Segment ends: after a random count of events, as the
		// recorder cuts them (mid-run included).
		var all []Event
		for _, p := range ps {
			if p.ev != nil {
				all = append(all, *p.ev)
			}
			for _, e := range p.nd {
				all = append(all, entryEvent(e))
			}
		}
		cut := 1 + rng.Intn(300)
		var ref, got bytes.Buffer
		rw, err := NewWriter(&ref, testHeader())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(all); i += cut {
			if err := rw.WriteSegment(all[i:min(i+cut, len(all))]); err != nil {
				t.Fatal(err)
			}
		}
		bw, err := NewWriter(&got, testHeader())
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.ev != nil {
				if err := bw.Add(p.ev); err != nil {
					t.Fatal(err)
				}
				if bw.Pending() == cut {
					if err := bw.Flush(); err != nil {
						t.Fatal(err)
					}
				}
				continue
			}
			raw := ndRaw(p.nd)
			for len(raw) > 0 {
				k := min(len(raw)/ndbuf.EntrySize, cut-bw.Pending())
				if err := bw.AddND(raw[:k*ndbuf.EntrySize]); err != nil {
					t.Fatal(err)
				}
				raw = raw[k*ndbuf.EntrySize:]
				if bw.Pending() == cut {
					if err := bw.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		var last uint64
		if len(all) > 0 {
			last = all[len(all)-1].Instret
		}
		f := testFooter(last + 3)
		if err := rw.Close(f); err != nil {
			t.Fatal(err)
		}
		if err := bw.Close(f); err != nil { // writes the last segment
			t.Fatal(err)
		}
		if rw.Segments() != bw.Segments() || !bytes.Equal(ref.Bytes(), got.Bytes()) {
			t.Fatalf("seed %d: built trace (%d segments, %d bytes) differs from WriteSegment's (%d segments, %d bytes)",
				seed, bw.Segments(), got.Len(), rw.Segments(), ref.Len())
		}
		res := readAll(got.Bytes())
		var back []Event
		for _, s := range res.segs {
			back = append(back, s...)
		}
		if res.err != nil || !res.complete || !sameEvents(back, all) {
			t.Fatalf("seed %d: the built trace reads back as %d events (%v), want the %d added", seed, len(back), res.err, len(all))
		}
	}
}

// TestBuildRefuses: what Add and AddND refuse leaves the segment being
// built as it was: the trace is the one written without the refused call.
func TestBuildRefuses(t *testing.T) {
	ok := []ndbuf.Entry{{Kind: ndbuf.KindCycle, Instret: 100, PC: 0x1000, Value: 7}, {Kind: ndbuf.KindTime, Instret: 105, PC: 0x1004, Value: 9}}
	seed := ndbuf.Entry{Kind: ndbuf.KindSeed, Instret: 110, PC: 0x1008, Value: 0x8000_1234}
	withKind := func(k byte) []byte {
		b := ndRaw([]ndbuf.Entry{seed, seed})
		b[ndbuf.EntrySize+7] = k
		return b
	}
	bad := map[string]func(w *Writer) error{
		"a partial entry":         func(w *Writer) error { return w.AddND(ndRaw([]ndbuf.Entry{seed})[:ndbuf.EntrySize-1]) },
		"kind 0":                  func(w *Writer) error { return w.AddND(withKind(0)) },
		"a system call entry":     func(w *Writer) error { return w.AddND(withKind(byte(KindSyscall))) },
		"an instret backwards":    func(w *Writer) error { return w.AddND(ndRaw([]ndbuf.Entry{seed, ok[1]})) },
		"behind the last segment": func(w *Writer) error { return w.AddND(ndRaw([]ndbuf.Entry{{Kind: ndbuf.KindCycle, Instret: 1}})) },
		"more than MaxEvents": func(w *Writer) error {
			many := make([]ndbuf.Entry, MaxEvents-1)
			for i := range many {
				many[i] = seed
			}
			return w.AddND(ndRaw(many))
		},
		"an event of kind 6": func(w *Writer) error { return w.Add(&Event{Kind: 6, Instret: 200}) },
		"writes on a cycle": func(w *Writer) error {
			return w.Add(&Event{Kind: KindCycle, Instret: 200, Writes: []MemWrite{{Addr: 1, Data: []byte{1}}}})
		},
		"an event behind": func(w *Writer) error { return w.Add(&Event{Kind: KindSyscall, Instret: 107, Nr: 63}) },
	}
	// The reference: a first segment, then one of two entries and a
	// seed, then the footer.
	write := func(refused func(w *Writer) error) ([]byte, error, int) {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, testHeader())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteSegment([]Event{{Kind: KindTime, Instret: 50}}); err != nil {
			t.Fatal(err)
		}
		if err := w.AddND(ndRaw(ok)); err != nil {
			t.Fatal(err)
		}
		if err := w.AddND(ndRaw([]ndbuf.Entry{seed})); err != nil {
			t.Fatal(err)
		}
		var rerr error
		if refused != nil {
			rerr = refused(w)
		}
		pending := w.Pending()
		if err := w.Close(Footer{Instret: 200}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), rerr, pending
	}
	want, _, _ := write(nil)
	for name, f := range bad {
		got, err, pending := write(f)
		switch {
		case err == nil:
			t.Errorf("%s: accepted", name)
		case pending != 3:
			t.Errorf("%s: refused (%v), and the segment holds %d events, want 3", name, err, pending)
		case !bytes.Equal(got, want):
			t.Errorf("%s: refused (%v), but the trace differs from the one without it", name, err)
		case !strings.HasPrefix(err.Error(), "trace segment 1: "):
			t.Errorf("%s: %q does not name the segment", name, err)
		}
	}
	// A new segment starts no earlier than the last one ended.
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, testHeader())
	if err := w.WriteSegment([]Event{{Kind: KindTime, Instret: 50}}); err != nil {
		t.Fatal(err)
	}
	if err := w.AddND(ndRaw([]ndbuf.Entry{{Kind: ndbuf.KindCycle, Instret: 49}})); err == nil || w.Pending() != 0 {
		t.Errorf("AddND behind the last segment: %v, %d events pending", err, w.Pending())
	}
	if err := w.Add(&Event{Kind: KindCycle, Instret: 49}); err == nil || w.Pending() != 0 {
		t.Errorf("Add behind the last segment: %v, %d events pending", err, w.Pending())
	}
	res := readAll(want)
	if res.err != nil || len(res.segs) != 2 || len(res.segs[1]) != 3 || res.segs[1][2].Value != seed.Value {
		t.Fatalf("the reference trace reads back as %v, %v", res.segs, res.err)
	}
}

// TestBuildAfterError: once a write has failed, or the Writer is closed,
// Add, AddND and Flush refuse, and a failed Flush returns the write's
// error.
func TestBuildAfterError(t *testing.T) {
	fw := &failWriter{n: 1000}
	w, err := NewWriter(fw, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(5))
	var instret uint64
	var ferr error
	for i := 0; i < 100 && ferr == nil; i++ {
		for _, ev := range randEvents(rng, 20, &instret) {
			if err := w.Add(&ev); err != nil {
				t.Fatal(err)
			}
		}
		ferr = w.Flush()
	}
	if ferr == nil || !strings.Contains(ferr.Error(), "disk full") {
		t.Fatalf("no write error: %v", ferr)
	}
	raw := ndRaw([]ndbuf.Entry{{Kind: ndbuf.KindCycle, Instret: instret}})
	for what, err := range map[string]error{
		"Add": w.Add(&Event{Kind: KindCycle, Instret: instret}), "AddND": w.AddND(raw), "Flush": w.Flush(),
	} {
		if !errors.Is(err, ferr) && (err == nil || err.Error() != ferr.Error()) {
			t.Errorf("%s after a failed write: %v, want %v", what, err, ferr)
		}
	}
	var buf bytes.Buffer
	w, _ = NewWriter(&buf, testHeader())
	if err := w.Close(Footer{}); err != nil {
		t.Fatal(err)
	}
	if w.Add(&Event{Kind: KindCycle}) == nil || w.AddND(raw) == nil {
		t.Error("Add or AddND after Close succeeded")
	}
}

// BenchmarkAddND measures AddND on the entries of a read every ~100
// instructions of cycle or time, alternating, a segment's worth at a
// time (Flush not included: its cost is the compression's).
func BenchmarkAddND(b *testing.B) {
	entries := make([]ndbuf.Entry, 4096)
	for i := range entries {
		k := ndbuf.KindCycle
		if i%2 == 1 {
			k = ndbuf.KindTime
		}
		entries[i] = ndbuf.Entry{Kind: k, Instret: uint64(i) * 101, PC: 0x10078 + uint64(i%2)*8, Value: uint64(i) * 37 * uint64(k)}
	}
	raw := ndRaw(entries)
	w, err := NewWriter(io.Discard, testHeader())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.AddND(raw); err != nil {
			b.Fatal(err)
		}
		w.n = 0 // start again without writing: the segment's buffer is reused
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(entries)), "ns/entry")
}
