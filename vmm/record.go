package vmm

import (
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
)

// DefaultNDBuffer is the ND buffer capacity in entries when none is given.
const DefaultNDBuffer = 4096

// ISA is the ISA string written into trace headers.
const ISA = "rv64imafdc_zicsr_zifencei_zicntr_zkr_xndrr"

// segmentEvents and segmentBytes bound a segment: it ends after the event
// that makes it 4,096 events, or that brings its memory writes to 1 MiB,
// so that record memory stays flat however long the run. A batch (what
// the monitor hands the writer goroutine at once) ends at batchEvents
// events or segmentBytes: each hand-over wakes the goroutine, which costs
// the guest's thread a few microseconds.
const (
	segmentEvents = 4096
	segmentBytes  = 1 << 20
	batchEvents   = 8 * segmentEvents
)

// batches is how many batches exist at most: one being filled, one waiting
// in the channel, one being written. It bounds what a recording holds
// when the disk is slower than the guest: the monitor then waits.
const batches = 3

// recorder is the monitor's side of record mode: it drains the ND buffer,
// adds the system call results it produces itself, and has segments
// written.
//
// On the guest's thread a drain converts nothing: the buffer's raw entries
// join the batch being filled, after the monitor's own events before
// them, by swapping the buffer for a spare one (or, for a buffer less
// than half full, by one copy). A full batch goes to one
// goroutine, which turns raw entries and events into segments (the same
// segments, cut at the same events, as when each entry was converted on
// the guest's thread), compresses and writes them, and counts the entries
// by kind. At most three batches exist (batches), each of at most
// batchEvents events and an ND buffer, in buffers at least half full (or
// copied): memory stays bounded. The spare buffers are those the batches
// give back and, from the first swap on, up to prefaultBytes of them made
// ahead on another goroutine (prefault), so that the guest's thread does
// not take the page faults of new ones. Spare buffers are mapped outside
// the Go heap (mapSpare, newBuffer): the garbage collector neither scans
// them nor counts them toward its next cycle, which a few MiB made at the
// start of a run would otherwise bring on. They are unmapped when the
// recording stops (release), after the unit is given back the buffer it
// started with.
type recorder struct {
	w        *logfmt.Writer
	name     string // the trace, for errors
	cur      *batch // being filled
	capture  bool   // collecting the guest memory a system call writes
	captured []logfmt.MemWrite
	events   *[256]uint64  // the machine's counts: ND entries are added as their batches come back
	made     int           // batches made
	spare    [][]byte      // ND buffers to swap into the unit at a drain
	fresh    chan []byte   // ND buffers made ahead, their pages in memory (prefault); nil until the first swap
	halt     atomic.Bool   // stop making buffers ahead
	making   chan struct{} // closed when prefault ends; nil if it never started

	unit   *ndbuf.Unit // the unit whose buffers are swapped; nil in tests of the recorder alone
	home   []byte      // the buffer the unit started with, on the Go heap
	mu     sync.Mutex  // guards mapped: prefault and the guest's thread both make buffers
	mapped [][]byte    // every mapping outside the Go heap, to unmap at release

	full    chan *batch   // to the writer goroutine
	free    chan *batch   // written batches coming back, their entries counted
	done    chan struct{} // closed when the writer goroutine ends
	werr    error         // the first write error; read after failed or done
	failed  atomic.Bool
	closed  bool  // everything is handed over, the writer goroutine told to end (closeInput)
	lastErr error // closeInput's hand-over error
	stopped bool  // and it has ended (stop)

	segData int // the writer goroutine's: memory write bytes in the segment being built

	log     *zap.Logger   // segments written, at debug level
	written atomic.Uint64 // trace bytes written so far, for progress reports
	handed  bool          // a batch went to the writer goroutine (handOver)
}

// batch is what the monitor hands the writer goroutine at once: the raw
// ND entries drained, in order, and the monitor's own events between them
// (batchEvents events or segmentBytes of memory writes, or fewer events
// than that followed by a whole buffer's).
//
// A drain that finds the buffer at least half full (and holding at least
// swapEntries entries) copies nothing: the unit's buffer itself joins the
// batch and the unit is given a spare one. A smaller drain copies its
// entries into small. Either way they are one part of the batch.
type batch struct {
	parts [][]byte       // ND entries (ndbuf.EntrySize bytes each, as the buffer held them), in order
	bufs  [][]byte       // the buffers swapped out of the unit (whole), to give back to it
	small []byte         // the entries of the drains that were copied
	n     int            // ND entries in parts
	evs   []logfmt.Event // the monitor's events
	at    []int          // at[i] is len(parts) when evs[i] came
	data  int            // bytes of memory writes in evs
	// kinds counts the raw entries by kind; the writer goroutine fills
	// it in.
	kinds [ndbuf.KindSeed + 1]uint64
}

// swapEntries is the fewest entries a drain moves by swapping buffers: a
// smaller copy costs less than a buffer kept aside.
const swapEntries = 256

// size is the number of events in b.
func (b *batch) size() int { return b.n + len(b.evs) }

func (b *batch) count() {
	for _, raw := range b.parts {
		for j, n := range countReads(raw) {
			b.kinds[ndbuf.KindCycle+ndbuf.Kind(j)] += n
		}
	}
}

// reset empties b for reuse, but for its kinds and its swapped buffers.
func (b *batch) reset() {
	clear(b.evs) // drop references to captured data
	clear(b.parts)
	b.parts, b.small, b.n, b.evs, b.at, b.data = b.parts[:0], b.small[:0], 0, b.evs[:0], b.at[:0], 0
}

func newRecorder(w *logfmt.Writer, name string, events *[256]uint64, log *zap.Logger, u *ndbuf.Unit) *recorder {
	r := &recorder{w: w, name: name, events: events, full: make(chan *batch, 1), free: make(chan *batch, batches),
		done: make(chan struct{}), log: log, cur: &batch{}, made: 1, unit: u}
	if u != nil {
		r.home = u.Mem
	}
	r.written.Store(w.Bytes())
	go r.writeLoop()
	return r
}

// prefaultBytes bounds the spare ND buffers made ahead (spareBuffers).
// Where they are in huge pages (mapSpare) the last huge page is filled
// with more, up to 2 MiB more: they cost no more memory than it does.
const prefaultBytes = 3 << 20

// spareBuffers is how many spare ND buffers of bufBytes are made ahead
// (prefault): as many as the batches in flight can hold (each at most
// batchEvents entries and a buffer), within prefaultBytes; none for a
// buffer of fewer than 2*swapEntries entries, which drains copy unless it
// is full, and whose new copies fault a page or two.
func spareBuffers(bufBytes int) int {
	if bufBytes < 2*swapEntries*ndbuf.EntrySize {
		return 0
	}
	perBatch := batchEvents*ndbuf.EntrySize/bufBytes + 1
	return min(batches*perBatch, prefaultBytes/bufBytes)
}

// prefault hands the monitor's drains (buffer) the spare buffers bufs,
// bringing their pages into memory a buffer at a time (populate), or, if
// bufs is nil (mapSpare failed), n buffers of size bytes that newBuffer
// makes, until the recording stops. The first write to a fresh page
// faults, which costs the thread a few microseconds: done here, that is
// on another thread than the guest's, while the guest runs on.
func (r *recorder) prefault(bufs [][]byte, size, n int) {
	for i := range n {
		if r.halt.Load() {
			return
		}
		if bufs == nil {
			r.fresh <- r.newBuffer(size) // never blocks: it holds n
			continue
		}
		populate(bufs[i])
		r.fresh <- bufs[i]
	}
}

// newBuffer makes an ND buffer of n bytes, mapped outside the Go heap
// (mapBuffer), or on the heap if that fails. The pages of a buffer of up
// to prefaultBytes are brought into memory at once; those of a larger one
// (--nd-buffer of more than 131,072 entries) only as they are written, so
// that a swap does not make the whole of it resident at once.
func (r *recorder) newBuffer(n int) []byte {
	populate := n <= prefaultBytes
	if b := mapBuffer(n, populate); b != nil {
		r.mu.Lock()
		r.mapped = append(r.mapped, b)
		r.mu.Unlock()
		return b
	}
	b := make([]byte, n)
	if populate {
		touchPages(b)
	}
	return b
}

// release unmaps the memory newBuffer and prefault mapped, once none is
// in use but the unit's: that one's contents go back into the buffer the
// unit started with, which it keeps. Spare buffers are dropped. It must run
// after prefault has ended and every batch has come back.
func (r *recorder) release() {
	r.spare = nil
	for r.fresh != nil && len(r.fresh) > 0 {
		<-r.fresh
	}
	if r.unit != nil && r.isMapped(r.unit.Mem) {
		h := r.home
		if len(h) != len(r.unit.Mem) {
			h = make([]byte, len(r.unit.Mem))
		}
		copy(h, r.unit.Mem)
		r.unit.Mem = h
	}
	for _, b := range r.mapped {
		unmapBuffer(b)
	}
	r.mapped = nil
}

// isMapped reports whether b lies in memory newBuffer or prefault
// mapped.
func (r *recorder) isMapped(b []byte) bool {
	for _, m := range r.mapped {
		if within(b, m) {
			return true
		}
	}
	return false
}

// within reports whether b, not empty, starts inside m.
func within(b, m []byte) bool {
	if len(b) == 0 {
		return false
	}
	p, base := uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(unsafe.Pointer(unsafe.SliceData(m)))
	return p >= base && p-base < uintptr(len(m))
}

// touchPages writes a byte of each page of b, which brings its pages into
// memory.
func touchPages(b []byte) {
	for i := 0; i < len(b); i += PageSize {
		b[i] = 0
	}
}

// writeLoop writes the batches it is given, in order, until full closes,
// then the last segment. After a failure it writes nothing more but keeps
// taking batches.
func (r *recorder) writeLoop() {
	defer close(r.done)
	for b := range r.full {
		if !r.failed.Load() {
			if err := r.write(b); err != nil {
				r.werr = r.writeError(err)
				r.failed.Store(true)
			}
		}
		b.count()
		b.reset()
		r.free <- b // never blocks: it holds every batch
	}
	if !r.failed.Load() {
		if err := r.flushSegment(); err != nil {
			r.werr = r.writeError(err)
			r.failed.Store(true)
		}
	}
}

// write adds b's entries and events to segments, in order, writing each
// segment as it is complete.
func (r *recorder) write(b *batch) error {
	pos := 0
	for i := range b.evs {
		for ; pos < b.at[i]; pos++ {
			if err := r.writeND(b.parts[pos]); err != nil {
				return err
			}
		}
		ev := &b.evs[i]
		if err := r.w.Add(ev); err != nil {
			return err
		}
		for _, w := range ev.Writes {
			r.segData += len(w.Data)
		}
		if r.w.Pending() >= segmentEvents || r.segData >= segmentBytes {
			if err := r.flushSegment(); err != nil {
				return err
			}
		}
	}
	for ; pos < len(b.parts); pos++ {
		if err := r.writeND(b.parts[pos]); err != nil {
			return err
		}
	}
	return nil
}

// writeND adds raw ND entries to segments, ending one at every 4,096th
// event.
func (r *recorder) writeND(raw []byte) error {
	for len(raw) > 0 {
		k := min(len(raw), (segmentEvents-r.w.Pending())*ndbuf.EntrySize)
		if err := r.w.AddND(raw[:k]); err != nil {
			return err
		}
		raw = raw[k:]
		if r.w.Pending() >= segmentEvents {
			if err := r.flushSegment(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flushSegment writes the segment being built.
func (r *recorder) flushSegment() error {
	n := r.w.Pending()
	if n == 0 {
		return nil
	}
	r.segData = 0
	if err := r.w.Flush(); err != nil {
		return err
	}
	r.written.Store(r.w.Bytes())
	if ce := r.log.Check(zap.DebugLevel, "segment written"); ce != nil { // no fields made unless logged
		ce.Write(zap.Uint64("segment", r.w.Segments()-1), zap.Int("events", n), zap.Uint64("trace_bytes", r.w.Bytes()))
	}
	return nil
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

// closeInput hands over what is pending and tells the writer goroutine
// to end once it has written it: the recording takes nothing more. The
// guest's thread can then do other work while the writer finishes, before
// stop waits for it.
func (r *recorder) closeInput() {
	if r.closed {
		return
	}
	r.halt.Store(true)
	r.lastErr = r.handOver()
	r.closed = true
	close(r.full)
}

// stop hands over what is pending (closeInput) and waits until everything
// handed over is written (or has failed). The entries of every batch are
// then counted in the machine's events.
func (r *recorder) stop() error {
	if r.stopped {
		return r.werr
	}
	r.closeInput()
	err := r.lastErr
	r.stopped = true
	<-r.done
	for {
		select {
		case b := <-r.free:
			r.take(b)
			continue
		default:
		}
		break
	}
	if b := r.cur; b.size() > 0 { // not handed over: the trace had failed
		b.count()
		r.take(b)
	}
	if r.making != nil {
		<-r.making
	}
	r.release()
	if err != nil {
		return err
	}
	return r.werr
}

// take adds a batch's counted entries to the machine's events and makes
// it the one being filled.
func (r *recorder) take(b *batch) {
	for k, n := range b.kinds {
		r.events[k] += n
	}
	b.kinds = [ndbuf.KindSeed + 1]uint64{}
	b.reset()
	r.spare = append(r.spare, b.bufs...)
	clear(b.bufs)
	b.bufs = b.bufs[:0]
	r.cur = b
}

// handOver gives the batch being filled to the writer goroutine, and
// takes a written one back, or makes one if none has come back yet and
// fewer than batches exist; otherwise it waits for one.
func (r *recorder) handOver() error {
	if r.failed.Load() {
		return r.werr
	}
	if r.cur.size() == 0 || r.closed {
		return nil
	}
	r.full <- r.cur
	r.handed = true
	var b *batch
	select {
	case b = <-r.free:
	default:
		if r.made < batches {
			r.made++
			b = &batch{}
		} else {
			b = <-r.free
		}
	}
	r.take(b)
	return nil
}

// start writes the trace's header, which the Writer holds until the
// machine is built (setupRecord), unless a batch handed over during the
// set-up has made the writer goroutine write it.
func (r *recorder) start() error {
	if r.handed {
		return nil
	}
	err := r.w.WriteHeader()
	r.written.Store(r.w.Bytes())
	if err != nil {
		r.stop()
	}
	return err
}

// abandon stops a recording whose machine could not be built. If nothing
// went to the writer goroutine yet (the set-up records an event or two),
// the header is still held: the Writer is abandoned, and nothing reaches
// the trace's output. Else it is stop.
func (r *recorder) abandon() error {
	if r.handed {
		return r.stop()
	}
	r.w.Abandon()
	r.stop()
	return nil
}

// setupRecord turns on the record/replay unit in record mode and makes
// the trace's Writer, which holds the header until the machine is built
// (recorder.start).
func (m *Machine) setupRecord(out io.Writer, version string) error {
	size := m.cfg.NDBuffer
	if size == 0 {
		size = DefaultNDBuffer
	}
	m.Hart.ND = ndbuf.New(m.Hart.CSR, ndbuf.Record, m.ndBase(), size)
	w, err := logfmt.NewHeldWriter(out, m.header(version, size))
	if err != nil {
		return fmt.Errorf("%s%w", errorPrefix(m.cfg.TraceName), err)
	}
	m.rec = newRecorder(w, m.cfg.TraceName, &m.events, m.log, m.Hart.ND)
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

// drain moves the ND buffer's entries into the batch being filled as
// they are (no conversion; no copy either when the buffer is at least
// half full: the buffer itself goes, and the unit gets a spare one),
// empties the buffer, and hands the batch over once it holds batchEvents
// events. A batch holds at most that many before the drain and a whole
// buffer more, so that a large buffer is handed over at once and written
// while the guest runs on, not in pieces the guest would wait for.
func (r *recorder) drain(m *Machine) error {
	u := m.Hart.ND
	b := r.cur
	if raw := u.Recorded(); len(raw) > 0 {
		if n := len(raw) / ndbuf.EntrySize; n >= swapEntries && 2*len(raw) >= len(u.Mem) {
			b.parts = append(b.parts, raw)
			b.bufs = append(b.bufs, u.Mem)
			u.Mem = r.buffer(len(u.Mem))
		} else {
			s := len(b.small)
			b.small = append(b.small, raw...) // a new array leaves the parts before in the old one
			b.parts = append(b.parts, b.small[s:len(b.small):len(b.small)])
		}
		b.n += len(raw) / ndbuf.EntrySize
	}
	u.Clear()
	if b.size() >= batchEvents {
		return r.handOver()
	}
	return nil
}

// buffer returns a spare ND buffer of n bytes: one given back, or one
// made ahead, or a new one. The first call starts making them ahead: a
// recording that never swaps its buffer makes none.
func (r *recorder) buffer(n int) []byte {
	if r.fresh == nil {
		return r.startSpares(n)
	}
	for len(r.spare) > 0 {
		b := r.spare[len(r.spare)-1]
		r.spare = r.spare[:len(r.spare)-1]
		if len(b) == n {
			return b
		}
	}
	select {
	case b := <-r.fresh:
		if len(b) == n {
			return b
		}
	default:
	}
	return r.newBuffer(n)
}

// startSpares is buffer's first call: it maps the spare buffers made
// ahead (mapSpare: one mapping, in huge pages where it can, which is also
// one munmap at release, not one per buffer, each of which a
// multithreaded process pays for), brings in and returns the first, and
// has the others made ahead (prefault).
func (r *recorder) startSpares(n int) []byte {
	k := spareBuffers(n)
	if k == 0 {
		r.fresh = make(chan []byte)
		return r.newBuffer(n)
	}
	region, bufs := mapSpare(n, k)
	first := []byte(nil)
	if region == nil {
		first = r.newBuffer(n)
		k--
	} else {
		r.mapped = append(r.mapped, region) // prefault has not started: no lock
		first, bufs, k = bufs[0], bufs[1:], len(bufs)-1
		populate(first)
	}
	r.fresh = make(chan []byte, k)
	r.making = make(chan struct{})
	go func() {
		defer close(r.making)
		r.prefault(bufs, n, k)
	}()
	return first
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
	b := r.cur
	b.evs = append(b.evs, ev)
	b.at = append(b.at, len(b.parts))
	m.events[ev.Kind]++
	for _, w := range ev.Writes {
		b.data += len(w.Data)
	}
	if b.size() >= batchEvents || b.data >= segmentBytes {
		return r.handOver()
	}
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
func (r *recorder) ndFull(m *Machine) error { return r.drain(m) }

// finish drains what is left, writes the last segment and the footer.
// The final state's digest, which the footer holds, is computed while the
// writer goroutine writes the last batch.
func (r *recorder) finish(m *Machine, reason string) error {
	if err := r.drain(m); err != nil {
		r.stop()
		return err
	}
	r.closeInput()
	digest := m.Digest()
	if err := r.stop(); err != nil {
		return err
	}
	f := logfmt.Footer{
		Instret: m.Hart.Instret(),
		Events:  m.eventCounts(),
		Exits:   m.stats.Exits,
		Status:  m.status,
		Reason:  reason,
		Digest:  digest,
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
