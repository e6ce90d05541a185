package vmm

import (
	"encoding/binary"
	"io"
	"runtime"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
)

// ahead reads a replayed trace one segment ahead of the guest, in a
// goroutine of its own, so that decompressing, checking and decoding a
// segment is done while the guest runs, not at the ND-empty exit or system
// call that needs it; it also lays out the segment's CSR events as ND
// buffer entries, so that a refill is one copy. It is used by Machine.Run
// only: a debugger moves the reader (Checkpoint, Restore, UpcomingEvents)
// and reads it itself.
//
// Once started, only the goroutine touches the Reader (but for HasRegs,
// fixed by the header). At most one request is out at any time, so the
// goroutine never waits to hand a segment over; it ends after the footer or
// an error, or when the replayer is gone.
type ahead struct {
	req  chan segBufs // read the next segment, into these arrays
	resp chan aheadSeg
}

// segBufs is a segment as the replayer uses it: its events, copied out of
// the Reader's buffers; raw, each event as an ND buffer entry
// (ndbuf.EntrySize bytes; zeros for an event the monitor answers); run,
// for each event the number of CSR events from it up to the next other
// event or the segment's end; seen, for each i from 0 to len(evs), the
// CSR events of evs[:i] by kind (cycle, time, seed), so that taking a run
// counts it without looking at each event.
type segBufs struct {
	evs  []logfmt.Event
	raw  []byte
	run  []int32
	seen [][3]uint32
}

// aheadSeg is what the reader goroutine read: a segment, or the footer
// (err io.EOF), or the read error.
type aheadSeg struct {
	segBufs
	at      logfmt.Pos // where it was read from
	err     error
	footer  logfmt.Footer
	done    bool   // footer was read
	segment uint64 // segments read so far
}

// startAhead starts the reader goroutine of p and asks for the first
// segment.
func (p *replayer) startAhead() {
	// The segment read so far (the start-up input is replayed before
	// Run) lies in the Reader's buffers, which the goroutine reuses.
	p.cur = prepare(segBufs{}, p.seg)
	p.seg = p.cur.evs
	a := &ahead{req: make(chan segBufs, 1), resp: make(chan aheadSeg, 1)}
	r := a.req
	go readAhead(p.r, r, a.resp)
	// A replay that stops before the end of its trace (a divergence)
	// leaves the goroutine waiting for a request: it ends when the
	// replayer is collected.
	runtime.AddCleanup(p, func(req chan segBufs) { close(req) }, r)
	r <- segBufs{}
	p.ahead = a
}

func readAhead(r *logfmt.Reader, req <-chan segBufs, resp chan<- aheadSeg) {
	for dst := range req {
		s := aheadSeg{at: r.Pos()}
		evs, err := r.Next()
		s.err, s.segment = err, r.Segment()
		switch err {
		case nil:
			s.segBufs = prepare(dst, evs)
		case io.EOF:
			s.footer, s.done = r.Footer()
		}
		resp <- s
		if err != nil {
			return
		}
	}
}

// prepare fills dst's arrays with evs (copied: their memory writes alias
// the Reader's buffer), their ND buffer entries and CSR runs.
func prepare(dst segBufs, evs []logfmt.Event) segBufs {
	dst.evs = append(dst.evs[:0], evs...)
	n := len(evs)
	clear(dst.evs[n:cap(dst.evs)]) // drop references to memory writes of the segment before
	if cap(dst.raw) < n*ndbuf.EntrySize {
		dst.raw = make([]byte, n*ndbuf.EntrySize)
	}
	dst.raw = dst.raw[:n*ndbuf.EntrySize]
	dst.run = append(dst.run[:0], make([]int32, n)...)
	dst.seen = append(dst.seen[:0], [3]uint32{})
	for i := range evs {
		c := dst.seen[i]
		if k := evs[i].Kind; isCSREvent(k) {
			c[k-logfmt.KindCycle]++
		}
		dst.seen = append(dst.seen, c)
	}
	run := int32(0)
	for i := n - 1; i >= 0; i-- {
		ev := &dst.evs[i]
		b := dst.raw[i*ndbuf.EntrySize : i*ndbuf.EntrySize+ndbuf.EntrySize]
		if !isCSREvent(ev.Kind) {
			clear(b)
			run = 0
		} else {
			binary.LittleEndian.PutUint64(b, uint64(ev.Kind)<<56|ev.Instret&(1<<56-1))
			binary.LittleEndian.PutUint64(b[8:], ev.PC)
			binary.LittleEndian.PutUint64(b[16:], ev.Value)
			run++
		}
		dst.run[i] = run
		ws := ev.Writes
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
		ev.Writes = cp
	}
	return dst
}

// next returns the segment read ahead and asks for the one after it (to
// be read into free's arrays, which the replayer no longer uses), unless
// this one ends the trace.
func (a *ahead) next(free segBufs) aheadSeg {
	s := <-a.resp
	if s.err == nil {
		a.req <- free
	}
	return s
}
