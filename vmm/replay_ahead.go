package vmm

import (
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
// done while the guest runs, not at the ND-empty exit or system call that
// needs it. The reads of cycle, time and seed come decoded straight into
// ND buffer entries (logfmt.Reader.AppendEntries), which a refill hands to
// the buffer as they are; only the events the monitor answers are
// logfmt.Events. It is used by Machine.Run only: a debugger moves the
// reader (Checkpoint, Restore, UpcomingEvents) and reads it itself.
//
// Once started, only the goroutine touches the Reader (but for HasRegs,
// fixed by the header). At most one request is out at any time, so the
// goroutine never waits to hand a batch over; it ends after the footer or
// an error, or when the replayer is gone.
type ahead struct {
	req  chan segBufs // read the next batch, into these arrays
	resp chan aheadSeg
}

// segBufs is a batch of segments as the replayer uses it: raw, every
// event as an ND buffer entry (ndbuf.EntrySize bytes; zeros for an event
// the monitor answers); evs, the events the monitor answers, their memory
// writes copied out of the Reader's buffers; idx, the index of each of
// them among all the batch's events.
type segBufs struct {
	raw   []byte
	evs   []logfmt.Event
	idx   []int
	reads [3]uint64 // the reads of cycle, time and seed in raw
}

// count fills in b.reads.
func (b *segBufs) count() {
	b.reads = countReads(b.raw)
}

// countReads returns the reads of cycle, time and seed among the ND
// buffer entries raw.
func countReads(raw []byte) [3]uint64 {
	var c [4]uint64
	for i := 7; i < len(raw); i += ndbuf.EntrySize { // the kind, in bits 63:56
		c[raw[i]&3]++ // 0 for an event the monitor answers
	}
	return [3]uint64{c[logfmt.KindCycle], c[logfmt.KindTime], c[logfmt.KindSeed]}
}

// len is the number of events in b.
func (b *segBufs) len() int { return len(b.raw) / ndbuf.EntrySize }

// next returns the index of the first event at i or after it that the
// monitor answers, or b.len() if there is none.
func (b *segBufs) next(i int) int {
	if j, _ := slices.BinarySearch(b.idx, i); j < len(b.idx) {
		return b.idx[j]
	}
	return b.len()
}

// entries lays out events (a segment read without the goroutine) as a
// batch, as Reader.AppendEntries does; their memory writes are copied.
func entries(events []logfmt.Event) segBufs {
	var b segBufs
	b.raw = make([]byte, len(events)*ndbuf.EntrySize)
	for i := range events {
		ev := &events[i]
		if ev.Kind.IsRead() {
			ndbuf.PutEntry(b.raw[i*ndbuf.EntrySize:], ndbuf.Entry{Kind: ev.Kind, Instret: ev.Instret, PC: ev.PC, Value: ev.Value})
		}
		if !ev.Kind.IsRead() {
			b.evs = appendEvents(b.evs, events[i:i+1])
			b.idx = append(b.idx, i)
		}
	}
	b.count()
	return b
}

// aheadSeg is what the reader goroutine read: segments, or the footer
// (err io.EOF), or the read error, which come after the segments before
// them have been handed over. Without the goroutine (a debugger), all is
// the segment read.
type aheadSeg struct {
	segBufs
	all     []logfmt.Event
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
	p.cur = entries(p.seg)
	p.seg = nil
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
const aheadEvents = 8 * segmentEvents

func readAhead(r *logfmt.Reader, log *zap.Logger, req <-chan segBufs, resp chan<- aheadSeg) {
	var then *aheadSeg // the footer or the error that followed the events handed over last
	for dst := range req {
		if then != nil {
			resp <- *then
			return
		}
		s := aheadSeg{at: r.Pos()}
		clear(dst.evs) // drop references to memory writes of the batch before
		dst.raw, dst.evs, dst.idx = dst.raw[:0], dst.evs[:0], dst.idx[:0]
		for dst.len() < aheadEvents {
			n := dst.len()
			var err error
			dst.evs, dst.idx, dst.raw, err = r.AppendEntries(dst.evs, dst.idx, dst.raw)
			if err != nil {
				end := aheadSeg{err: err, segment: r.Segment()}
				if err == io.EOF {
					end.footer, end.done = r.Footer()
				}
				then = &end
				break
			}
			if ce := log.Check(zap.DebugLevel, "segment read"); ce != nil { // no fields made unless logged
				ce.Write(zap.Int("events", dst.len()-n))
			}
			if n == 0 && dst.len() >= segmentEvents && dst.len() < aheadEvents {
				dst.raw = reserveAhead(dst.raw) // a full segment: more follow
			}
		}
		if dst.len() == 0 {
			resp <- *then
			return
		}
		dst.count()
		s.segBufs = dst
		resp <- s
	}
}

// aheadBytes is the room for ND entries a batch read ahead is given at
// once: aheadEvents and a segment of the most events record writes.
const aheadBytes = (aheadEvents + segmentEvents) * ndbuf.EntrySize

// reserveAhead returns raw with room for aheadBytes, in one allocation:
// grown a segment at a time, the batches of a long trace would leave a
// few MiB of smaller arrays behind them, enough to start the garbage
// collector during the replay. It is called once a batch's first segment
// is read and is full (record cuts a segment there, and more follow), so
// that a trace of one short segment reserves nothing.
func reserveAhead(raw []byte) []byte {
	if cap(raw) >= aheadBytes {
		return raw
	}
	r := make([]byte, len(raw), aheadBytes)
	copy(r, raw)
	return r
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
