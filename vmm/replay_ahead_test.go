//go:build unix

package vmm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"maps"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
)

// ndloopTrace records ndloop (ndloopReads reads of cycle and time) and
// returns the trace.
func ndloopTrace(tb testing.TB) []byte {
	tb.Helper()
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "ndloop.elf"))
	if err != nil {
		tb.Fatal(err)
	}
	b, ok := tb.(*testing.B)
	if !ok {
		tb.Fatal("ndloopTrace needs a benchmark")
	}
	var trace bytes.Buffer
	runNdloop(b, prog, &trace, 0, nil)
	return trace.Bytes()
}

// pumpAhead reads the whole trace through readAhead, as the replayer
// does (a batch at a time, its arrays handed back), and returns the events
// read. bufs are the two batches' arrays, reused from one call to the
// next as the replayer reuses them from one batch to the next.
func pumpAhead(tb testing.TB, trace []byte, bufs *[2]segBufs) int {
	r, err := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
	if err != nil {
		tb.Fatal(err)
	}
	req, resp := make(chan segBufs, 1), make(chan aheadSeg, 1)
	go readAhead(r, zap.NewNop(), req, resp)
	defer close(req)
	sent, prev := bufs[0], bufs[1]
	req <- sent
	n := 0
	for {
		s := <-resp
		if s.err == io.EOF {
			*bufs = [2]segBufs{prev, sent}
			return n
		}
		if s.err != nil {
			tb.Fatal(s.err)
		}
		n += s.len()
		sent, prev = prev, s.segBufs
		req <- sent
	}
}

// BenchmarkReadAhead measures the reader goroutine of replay per event:
// decompressing, decoding and laying out as ND buffer entries the trace
// of ndloop (reads of cycle and time, nearly all of its events), in wall
// time and in process CPU time (the reader goroutine's, and the little the
// consumer does).
//
//	go test ./vmm -run '^$' -bench BenchmarkReadAhead
func BenchmarkReadAhead(b *testing.B) {
	trace := ndloopTrace(b)
	events := 0
	var bufs [2]segBufs
	b.ResetTimer()
	c0 := cpuTime(b)
	for b.Loop() {
		events += pumpAhead(b, trace, &bufs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64((cpuTime(b)-c0).Nanoseconds())/float64(events), "cpu-ns/event")
}

// TestEntries checks the batch layout of events read without the reader
// goroutine, and the search for the next event the monitor answers,
// against their definitions, event by event, for random batches.
func TestEntries(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	kinds := []logfmt.Kind{logfmt.KindCycle, logfmt.KindTime, logfmt.KindSeed, logfmt.KindSyscall, logfmt.KindInput}
	for iter := range 300 {
		n := 1 + rng.Intn(200)
		evs := make([]logfmt.Event, n)
		for i := range evs {
			k := kinds[rng.Intn(3)]
			if rng.Intn(8) == 0 || iter%50 == 0 {
				k = kinds[rng.Intn(len(kinds))]
			}
			evs[i] = logfmt.Event{Kind: k, Instret: uint64(i) + logfmt.MaxInstret - 199, PC: 4 * uint64(i), Value: rng.Uint64()}
			if !k.IsRead() {
				evs[i].Writes = []logfmt.MemWrite{{Addr: 8, Data: []byte{byte(i)}}}
			}
		}
		b := entries(evs)
		if b.len() != n {
			t.Fatalf("iteration %d: %d entries for %d events", iter, b.len(), n)
		}
		j := 0
		for i, ev := range evs {
			e := b.raw[i*ndbuf.EntrySize : (i+1)*ndbuf.EntrySize]
			next := i
			for next < n && evs[next].Kind.IsRead() {
				next++
			}
			if got := b.next(i); got != next {
				t.Fatalf("iteration %d: next(%d) = %d, want %d", iter, i, got, next)
			}
			if !ev.Kind.IsRead() {
				if !bytes.Equal(e, make([]byte, ndbuf.EntrySize)) || j >= len(b.idx) || b.idx[j] != i ||
					b.evs[j].Kind != ev.Kind || b.evs[j].Instret != ev.Instret || &b.evs[j].Writes[0].Data[0] == &ev.Writes[0].Data[0] {
					t.Fatalf("iteration %d: event %d (%s) laid out as %x, other event %d", iter, i, ev.Kind, e, j)
				}
				j++
				continue
			}
			want := ndbuf.Entry{Kind: ev.Kind, Instret: ev.Instret, PC: ev.PC, Value: ev.Value}
			w := binary.LittleEndian.Uint64(e)
			got := ndbuf.Entry{Kind: ndbuf.Kind(w >> 56), Instret: w & ndbuf.PosMask, PC: binary.LittleEndian.Uint64(e[8:]), Value: binary.LittleEndian.Uint64(e[16:])}
			if got != want {
				t.Fatalf("iteration %d: event %d: entry %+v, want %+v", iter, i, got, want)
			}
		}
		if j != len(b.evs) || len(b.idx) != len(b.evs) {
			t.Fatalf("iteration %d: %d other events, %d laid out", iter, j, len(b.evs))
		}
	}
}

// TestReplayStopCounts replays ndloop's trace (reads of cycle and time,
// through ND buffers of several sizes) up to instructions where a read
// was or was not just taken: the events it counts, by kind, are those of
// the trace before that instruction, counted from the trace itself, not
// the reads handed to the buffer that the guest has not made yet.
func TestReplayStopCounts(t *testing.T) {
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "ndloop.elf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, nd := range []uint64{1, 300, DefaultNDBuffer} {
		var trace bytes.Buffer
		m, err := New(prog, Config{MemSize: 1 << 20, Args: []string{prog.Path, "100000"}, Stdin: strings.NewReader(""),
			Stdout: io.Discard, Stderr: io.Discard, Record: &trace, TraceName: "t.zst", NDBuffer: nd})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := m.Run()
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		var all []logfmt.Event
		r, _ := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
		for {
			evs, err := r.Next()
			if err != nil {
				break
			}
			all = append(all, copyEvents(evs)...)
		}
		for _, stop := range []uint64{1000, all[len(all)/3].Instret, all[len(all)/3].Instret + 1, all[2*len(all)/3].Instret + 7, rec.Instret - 5} {
			want := map[string]uint64{}
			for _, ev := range all {
				if ev.Instret < stop {
					want[ev.Kind.String()]++
				}
			}
			r, _ := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
			m, err := New(prog, Config{MemSize: 1 << 20, Args: []string{prog.Path, "100000"}, Stdin: strings.NewReader(""),
				Stdout: io.Discard, Stderr: io.Discard, Replay: r, TraceName: "t.zst", MaxInsns: stop})
			if err != nil {
				t.Fatal(err)
			}
			res, err := m.Run()
			m.Close()
			if !errors.Is(err, ErrStopAt) {
				t.Fatalf("nd buffer %d, stop at %d: %v, want ErrStopAt", nd, stop, err)
			}
			if !maps.Equal(res.Stats.Events, want) {
				t.Errorf("nd buffer %d, stop at %d: events %v, want %v", nd, stop, res.Stats.Events, want)
			}
		}
	}
}

// cycleTrace returns a trace of events reads of cycle, in segments of
// segmentEvents (the last one shorter).
func cycleTrace(t *testing.T, events int) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := logfmt.NewWriter(&out, logfmt.Header{})
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, segmentEvents*ndbuf.EntrySize)
	for s := 0; s < events; s += segmentEvents {
		k := min(segmentEvents, events-s)
		for i := range k {
			n := uint64(s + i)
			ndbuf.PutEntry(raw[i*ndbuf.EntrySize:], ndbuf.Entry{Kind: ndbuf.KindCycle, Instret: 2 * n, PC: 0x1000, Value: 3 * n})
		}
		if err := w.AddND(raw[:k*ndbuf.EntrySize]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(logfmt.Footer{Instret: uint64(2 * events)}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestReadAheadReserves checks that the reader goroutine gives a batch of
// a long trace its whole room at once (aheadBytes, which a batch of
// record's segments never outgrows), rather than growing it a segment at
// a time and leaving the smaller arrays to the garbage collector, and
// that a trace of one short segment reserves nothing.
func TestReadAheadReserves(t *testing.T) {
	for _, events := range []int{segmentEvents / 2, 3*aheadEvents + segmentEvents/2} {
		trace := cycleTrace(t, events)
		r, err := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
		if err != nil {
			t.Fatal(err)
		}
		req, resp := make(chan segBufs, 1), make(chan aheadSeg, 1)
		go readAhead(r, zap.NewNop(), req, resp)
		req <- segBufs{}
		read := 0
		for {
			s := <-resp
			if s.err == io.EOF {
				break
			}
			if s.err != nil {
				t.Fatal(s.err)
			}
			read += s.len()
			short := events < segmentEvents
			if short && cap(s.raw) >= aheadBytes {
				t.Errorf("a trace of %d events: a batch with room for %d bytes; want less than %d", events, cap(s.raw), aheadBytes)
			}
			if !short && s.len() >= segmentEvents && cap(s.raw) != aheadBytes {
				t.Errorf("a trace of %d events: a batch of %d events has room for %d bytes; want %d", events, s.len(), cap(s.raw), aheadBytes)
			}
			req <- segBufs{} // new arrays: each batch is reserved anew
		}
		close(req)
		if read != events {
			t.Errorf("%d events read, want %d", read, events)
		}
	}
}
