package vmm

import (
	"fmt"
	"io"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
)

// DefaultNDBuffer is the ND buffer capacity in entries when none is given.
const DefaultNDBuffer = 4096

// ISA is the ISA string written into trace headers.
const ISA = "rv64imafdc_zicsr_zifencei_zicntr_zkr_xndrr"

// segmentEvents and segmentBytes bound what the monitor holds before it
// writes a segment, so that record memory stays flat however long the run.
const (
	segmentEvents = 4096
	segmentBytes  = 1 << 20
)

// recorder is the monitor's side of record mode: it drains the ND buffer,
// adds the system call results it produces itself, and writes segments.
//
// Segments are encoded, compressed and written by one goroutine, so that
// the guest runs on while the last segment is compressed. At most one
// segment is being written and one waits for it, besides the one being
// filled: memory stays bounded.
type recorder struct {
	w        *logfmt.Writer
	name     string // the trace, for errors
	pending  []logfmt.Event
	bytes    int // data bytes held in pending
	scratch  []ndbuf.Entry
	capture  bool // collecting the guest memory a system call writes
	captured []logfmt.MemWrite

	segs    chan []logfmt.Event // to the writer goroutine
	free    chan []logfmt.Event // emptied segments coming back
	done    chan struct{}       // closed when the writer goroutine ends
	werr    error               // the first write error; read after failed or done
	failed  atomic.Bool
	sent    uint64 // segments handed to the writer
	stopped bool

	log     *zap.Logger   // segments written, at debug level
	written atomic.Uint64 // trace bytes written so far, for progress reports
}

func newRecorder(w *logfmt.Writer, name string, log *zap.Logger) *recorder {
	r := &recorder{w: w, name: name, segs: make(chan []logfmt.Event, 1), free: make(chan []logfmt.Event, 2), done: make(chan struct{}), log: log}
	r.written.Store(w.Bytes())
	go r.writeLoop()
	return r
}

// writeLoop writes the segments it is given, in order, until segs closes.
// After a failure it writes nothing more but keeps taking segments.
func (r *recorder) writeLoop() {
	defer close(r.done)
	for evs := range r.segs {
		if !r.failed.Load() {
			if err := r.w.WriteSegment(evs); err != nil {
				r.werr = r.writeError(err)
				r.failed.Store(true)
			} else {
				r.written.Store(r.w.Bytes())
				r.log.Debug("segment written", zap.Uint64("segment", r.w.Segments()-1), zap.Int("events", len(evs)),
					zap.Uint64("trace_bytes", r.w.Bytes()))
			}
		}
		clear(evs) // drop references to captured data
		select {
		case r.free <- evs[:0]:
		default:
		}
	}
}

// errorPrefix opens the recorder's error messages: "record: " and the
// trace's name.
func errorPrefix(name string) string {
	if name == "" {
		return "record: "
	}
	return "record: " + name + ": "
}

// writeError wraps a failure to write a segment or the footer: with the
// trace's name, and what the file still holds, since a full disk or an I/O
// error leaves a trace that is readable up to its last whole segment.
func (r *recorder) writeError(err error) error {
	return fmt.Errorf("%s%w (the trace is incomplete: its header and %d whole segments are readable)",
		errorPrefix(r.name), err, r.w.Segments())
}

// stop hands over what is pending and waits until everything handed over
// is written (or has failed).
func (r *recorder) stop() error {
	if r.stopped {
		return r.werr
	}
	err := r.flush()
	r.stopped = true
	close(r.segs)
	<-r.done
	if err != nil {
		return err
	}
	return r.werr
}

// setupRecord turns on the record/replay unit in record mode and writes the
// trace header.
func (m *Machine) setupRecord(out io.Writer, version string) error {
	size := m.cfg.NDBuffer
	if size == 0 {
		size = DefaultNDBuffer
	}
	m.Hart.ND = ndbuf.New(m.Hart.CSR, ndbuf.Record, m.ndBase(), size)
	w, err := logfmt.NewWriter(out, m.header(version, size))
	if err != nil {
		return fmt.Errorf("%s%w", errorPrefix(m.cfg.TraceName), err)
	}
	m.rec = newRecorder(w, m.cfg.TraceName, m.log)
	return nil
}

// ndBase is the physical address of the ND buffer: the first page above
// guest memory, where no guest access reaches.
func (m *Machine) ndBase() uint64 { return pageUp(m.Hart.Mem.End()) }

func (m *Machine) header(version string, ndsize uint64) logfmt.Header {
	return logfmt.Header{
		Version:      logfmt.Version,
		RvsimVersion: version,
		ELF:          m.Prog.Path,
		ELFAbs:       absPath(m.Prog.Path),
		ELFSHA256:    fmt.Sprintf("%x", m.Prog.SHA256),
		Args:         m.cfg.Args,
		Env:          m.cfg.Env,
		ISA:          ISA,
		Kind:         m.Prog.Kind.String(),
		MemSize:      m.Hart.Mem.Size(),
		NDBuffer:     ndsize,
		Created:      time.Now().UTC().Format(time.RFC3339),
	}
}

// absPath is path made absolute, or "" if it cannot be.
func absPath(path string) string {
	p, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	return p
}

// drain moves the ND buffer's entries into pending segments, writing each
// segment as it fills, so that no segment outgrows segmentEvents however
// large the ND buffer is.
func (r *recorder) drain(m *Machine) error {
	r.scratch = m.Hart.ND.Drain(r.scratch[:0])
	for _, e := range r.scratch {
		r.pending = append(r.pending, logfmt.Event{Kind: logfmt.Kind(e.Kind), Instret: e.Instret, PC: e.PC, Value: e.Value})
		m.events[e.Kind]++
		if len(r.pending) >= segmentEvents {
			if err := r.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// add appends an event the monitor produced, after the entries the guest
// recorded before it.
func (r *recorder) add(m *Machine, ev logfmt.Event) error {
	if err := r.failure(); err != nil {
		return err
	}
	if err := r.drain(m); err != nil {
		return err
	}
	r.pending = append(r.pending, ev)
	m.events[ev.Kind]++
	for _, w := range ev.Writes {
		r.bytes += len(w.Data)
	}
	return r.maybeFlush()
}

func (r *recorder) maybeFlush() error {
	if len(r.pending) >= segmentEvents || r.bytes >= segmentBytes {
		return r.flush()
	}
	return nil
}

// flush hands the pending events to the writer goroutine as one segment.
func (r *recorder) flush() error {
	if r.failed.Load() {
		return r.werr
	}
	if len(r.pending) == 0 || r.stopped {
		return nil
	}
	r.segs <- r.pending
	r.sent++
	select {
	case p := <-r.free:
		r.pending = p
	default:
		r.pending = make([]logfmt.Event, 0, segmentEvents)
	}
	r.bytes = 0
	return nil
}

// failure returns the error that stopped the trace's writer, if any: a
// segment is written while the guest runs on, and once the trace cannot
// take what it was given the run must stop, not go on unrecorded.
func (r *recorder) failure() error {
	if r.failed.Load() {
		return r.werr
	}
	return nil
}

// ndFull handles cause 24: drain the buffer and resume the instruction.
func (r *recorder) ndFull(m *Machine) error {
	if err := r.drain(m); err != nil {
		return err
	}
	return r.maybeFlush()
}

// finish drains what is left, writes the last segment and the footer.
func (r *recorder) finish(m *Machine, reason string) error {
	if err := r.drain(m); err != nil {
		r.stop()
		return err
	}
	if err := r.stop(); err != nil {
		return err
	}
	f := logfmt.Footer{
		Instret: m.Hart.Instret(),
		Events:  m.eventCounts(),
		Exits:   m.stats.Exits,
		Status:  m.status,
		Reason:  reason,
		Digest:  m.Digest(),
	}
	if err := r.w.Close(f); err != nil {
		return r.writeError(err)
	}
	m.stats.TraceBytes = r.w.Bytes()
	m.stats.Segments = r.w.Segments()
	m.stats.Digest = f.Digest
	return nil
}

// noteWrite records that the monitor wrote guest memory [addr, addr+n) as
// the result of an input system call. Those bytes break the LR/SC
// reservation, in every mode, as the replay of the call's writes does.
func (m *Machine) noteWrite(addr, n uint64) {
	m.Hart.BreakReservation(addr, n)
	m.monitorWrote(addr, n)
	if m.rec == nil || !m.rec.capture || n == 0 {
		return
	}
	b, _ := m.guest(addr, n)
	m.rec.captured = append(m.rec.captured, logfmt.MemWrite{Addr: addr, Data: append([]byte(nil), b...)})
}
