package vmm

import (
	"encoding/binary"
	"io"
	"runtime"
	"slices"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
)

// ahead reads a replayed trace ahead of the guest, in a goroutine of its
// own, at least aheadEvents events (whole segments) at a time, one such
// batch ahead, so that decompressing, checking and decoding a segment is
// done while the guest runs, not at the ND-empty exit or system
// call that needs it; it also lays out the CSR events as ND
// buffer entries, so that a refill is one copy. It is used by Machine.Run
// only: a debugger moves the reader (Checkpoint, Restore, UpcomingEvents)
// and reads it itself.
//
// Once started, only the goroutine touches the Reader (but for HasRegs,
// fixed by the header). At most one request is out at any time, so the
// goroutine never waits to hand a batch over; it ends after the footer or
// an error, or when the replayer is gone.
type ahead struct {
	req  chan segBufs // read the next batch, into these arrays
	resp chan aheadSeg
}

// segBufs is a batch of segments as the replayer uses it: their events,
// copied out of the Reader's buffers; raw, each event as an ND buffer entry
// (ndbuf.EntrySize bytes; zeros for an event the monitor answers); run,
// for each event the number of CSR events from it up to the next other
// event or the batch's end; seen, for each i from 0 to len(evs), the
// CSR events of evs[:i] by kind (cycle, time, seed), so that taking a run
// counts it without looking at each event.
type segBufs struct {
	evs  []logfmt.Event
	raw  []byte
	run  []int32
	seen [][3]uint32
}

// aheadSeg is what the reader goroutine read: segments, or the footer
// (err io.EOF), or the read error, which come after the segments before
// them have been handed over.
type aheadSeg struct {
	segBufs
	at      logfmt.Pos // where it was read from
	err     error
	footer  logfmt.Footer
	done    bool   // footer was read
	segment uint64 // segments read so far
}

// startAhead starts the reader goroutine of p and asks for the first
// batch.
func (p *replayer) startAhead(log *zap.Logger) {
	// The segment read so far (the start-up input is replayed before
	// Run) lies in the Reader's buffers, which the goroutine reuses.
	p.cur = prepare(segBufs{evs: appendEvents(nil, p.seg)})
	p.seg = p.cur.evs
	a := &ahead{req: make(chan segBufs, 1), resp: make(chan aheadSeg, 1)}
	r := a.req
	go readAhead(p.r, log, r, a.resp)
	// A replay that stops before the end of its trace (a divergence)
	// leaves the goroutine waiting for a request: it ends when the
	// replayer is collected.
	runtime.AddCleanup(p, func(req chan segBufs) { close(req) }, r)
	r <- segBufs{}
	p.ahead = a
}

// aheadEvents is how many events the reader goroutine reads at least
// (whole segments, up to the trace's end) before it hands them over: a
// hand-over wakes a goroutine, which costs the guest's thread too.
const aheadEvents = 4 * segmentEvents

func readAhead(r *logfmt.Reader, log *zap.Logger, req <-chan segBufs, resp chan<- aheadSeg) {
	var then *aheadSeg // the footer or the error that followed the events handed over last
	for dst := range req {
		if then != nil {
			resp <- *then
			return
		}
		s := aheadSeg{at: r.Pos()}
		stale := len(dst.evs) // events of the batch before, which AppendNext may not overwrite
		dst.evs, dst.raw = dst.evs[:0], dst.raw[:0]
		var l layouter
		l.start(&dst)
		for len(dst.evs) < aheadEvents {
			n := len(dst.evs)
			var err error
			dst.evs, dst.raw, err = r.AppendNext(dst.evs, dst.raw)
			if err != nil {
				end := aheadSeg{err: err, segment: r.Segment()}
				if err == io.EOF {
					end.footer, end.done = r.Footer()
				}
				then = &end
				break
			}
			log.Debug("segment read", zap.Int("events", len(dst.evs)-n), zap.Uint64("next_instret", dst.evs[n].Instret))
			l.add(&dst) // while its entries are in the cache
		}
		if len(dst.evs) == 0 {
			resp <- *then
			return
		}
		if n := len(dst.evs); stale > n {
			clear(dst.evs[n:stale]) // drop references to memory writes of the events before
		}
		l.end(&dst)
		s.segBufs = dst
		resp <- s
	}
}

// appendEvents appends copies of evs to dst: the events, and their memory
// writes, which alias the Reader's buffer.
func appendEvents(dst, evs []logfmt.Event) []logfmt.Event {
	n := len(dst)
	dst = append(dst, evs...)
	for i := n; i < len(dst); i++ {
		ws := dst[i].Writes
		if len(ws) == 0 {
			continue
		}
		size := 0
		for _, w := range ws {
			size += len(w.Data)
		}
		data := make([]byte, 0, size)
		cp := make([]logfmt.MemWrite, len(ws))
		for j, w := range ws {
			cp[j].Addr = w.Addr
			if len(w.Data) > 0 {
				data = append(data, w.Data...)
				cp[j].Data = data[len(data)-len(w.Data):]
			}
		}
		dst[i].Writes = cp
	}
	return dst
}

// prepare lays out the events of b (copied already) as ND buffer entries,
// and fills in their CSR runs and counts (layout).
func prepare(b segBufs) segBufs {
	n := len(b.evs)
	clear(b.evs[n:cap(b.evs)]) // drop references to memory writes of the events before
	if cap(b.raw) < n*ndbuf.EntrySize {
		b.raw = make([]byte, n*ndbuf.EntrySize)
	}
	b.raw = b.raw[:n*ndbuf.EntrySize]
	for i := range b.evs {
		ev := &b.evs[i]
		e := b.raw[i*ndbuf.EntrySize : i*ndbuf.EntrySize+ndbuf.EntrySize]
		if !isCSREvent(ev.Kind) {
			clear(e)
			continue
		}
		binary.LittleEndian.PutUint64(e, uint64(ev.Kind)<<56|ev.Instret&(1<<56-1))
		binary.LittleEndian.PutUint64(e[8:], ev.PC)
		binary.LittleEndian.PutUint64(e[16:], ev.Value)
	}
	return layout(b)
}

// layout fills in the CSR runs and counts of b, whose events are laid out
// as ND buffer entries in b.raw already.
func layout(b segBufs) segBufs {
	var l layouter
	l.start(&b)
	l.add(&b)
	l.end(&b)
	return b
}

// layouter fills in the CSR runs and counts of a batch (segBufs.run and
// seen) as its events are appended, a segment at a time, in one pass over
// the kind bytes of their ND buffer entries (zero for an event the monitor
// answers).
type layouter struct {
	c   [3]uint32 // CSR events so far, by kind
	run int       // first event of the current run of CSR events
}

// start begins the runs and counts of b, which has no events yet.
func (l *layouter) start(b *segBufs) {
	*l = layouter{}
	b.run = b.run[:0]
	b.seen = append(b.seen[:0], [3]uint32{})
}

// add lays out the events appended to b since the last call: their
// counts, and the runs that end before the last of them.
func (l *layouter) add(b *segBufs) {
	from, n := len(b.run), len(b.evs)
	b.run = slices.Grow(b.run, n-from)[:n]
	b.seen = slices.Grow(b.seen, n-from)[:n+1]
	raw, run, seen := b.raw[:n*ndbuf.EntrySize], b.run, b.seen
	c0, c1, c2 := l.c[0], l.c[1], l.c[2]
	for i := from; i < n; i++ {
		k := raw[i*ndbuf.EntrySize+7]
		if k == 0 {
			for j := l.run; j < i; j++ {
				run[j] = int32(i - j)
			}
			run[i] = 0
			l.run = i + 1
		}
		// Without branches: cycle and time reads come in no order a
		// predictor learns.
		c0 += b2u(k == byte(logfmt.KindCycle))
		c1 += b2u(k == byte(logfmt.KindTime))
		c2 += b2u(k == byte(logfmt.KindSeed))
		seen[i+1] = [3]uint32{c0, c1, c2}
	}
	c := [3]uint32{c0, c1, c2}
	l.c = c
}

// b2u is 1 for true, 0 for false.
func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// end ends the run of CSR events that reaches the end of b.
func (l *layouter) end(b *segBufs) {
	n := len(b.run)
	for j := l.run; j < n; j++ {
		b.run[j] = int32(n - j)
	}
}

// next returns the batch read ahead and asks for the one after it (to
// be read into free's arrays, which the replayer no longer uses), unless
// this one ends the trace.
func (a *ahead) next(free segBufs) aheadSeg {
	s := <-a.resp
	if s.err == nil {
		a.req <- free
	}
	return s
}
