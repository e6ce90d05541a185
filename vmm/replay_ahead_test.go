//go:build unix

package vmm

import (
	"bytes"
	"io"
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
