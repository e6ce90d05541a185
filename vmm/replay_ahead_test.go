//go:build unix

package vmm

import (
	"bytes"
	"io"
	"math/rand"
	"path/filepath"
	"testing"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/logfmt"
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
		n += len(s.evs)
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

// TestLayout checks the CSR runs and counts that the reader goroutine
// computes a segment at a time against their definitions, computed
// event by event from the events' kinds, for random batches cut into
// random segments.
func TestLayout(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	kinds := []logfmt.Kind{logfmt.KindCycle, logfmt.KindTime, logfmt.KindSeed, logfmt.KindSyscall, logfmt.KindInput}
	var b segBufs
	for iter := range 300 {
		n := 1 + rng.Intn(200)
		evs := make([]logfmt.Event, n)
		for i := range evs {
			k := kinds[rng.Intn(3)]
			if rng.Intn(8) == 0 || iter%50 == 0 {
				k = kinds[rng.Intn(len(kinds))]
			}
			evs[i] = logfmt.Event{Kind: k, Instret: uint64(i), PC: 4 * uint64(i), Value: rng.Uint64()}
		}
		// Lay the events out as prepare does, then recompute the runs
		// and counts a random number of events at a time.
		full := prepare(segBufs{evs: append([]logfmt.Event(nil), evs...)})
		b.evs, b.raw = b.evs[:0], append(b.raw[:0], full.raw...)
		var l layouter
		l.start(&b)
		for len(b.evs) < n {
			m := min(n, len(b.evs)+1+rng.Intn(40))
			b.evs = append(b.evs, evs[len(b.evs):m]...)
			l.add(&b)
		}
		l.end(&b)
		for _, got := range []segBufs{full, b} {
			if len(got.run) != n || len(got.seen) != n+1 {
				t.Fatalf("iteration %d: %d runs and %d counts for %d events", iter, len(got.run), len(got.seen), n)
			}
			var seen [3]uint32
			for i := 0; i <= n; i++ {
				if got.seen[i] != seen {
					t.Fatalf("iteration %d: counts before event %d: %v, want %v", iter, i, got.seen[i], seen)
				}
				if i == n {
					break
				}
				run := int32(0)
				for j := i; j < n && isCSREvent(evs[j].Kind); j++ {
					run++
				}
				if got.run[i] != run {
					t.Fatalf("iteration %d: run at event %d: %d, want %d", iter, i, got.run[i], run)
				}
				if isCSREvent(evs[i].Kind) {
					seen[evs[i].Kind-logfmt.KindCycle]++
				}
			}
		}
	}
}
