package vmm

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
	"github.com/rvsim/rvsim/rv64"
)

// Replay errors, wrapped with where and what.
var (
	// ErrDivergence: the guest did not do what the trace recorded.
	ErrDivergence = errors.New("replay diverged")
	// ErrWrongELF: the trace was recorded from another program.
	ErrWrongELF = errors.New("trace was recorded from another ELF")
	// ErrTraceEnd: replay needs an event the trace does not hold.
	ErrTraceEnd = errors.New("end of trace")
)

// replayer is the monitor's side of replay: it reads segments as the guest
// needs them, refills the ND buffer, and answers recorded system calls.
type replayer struct {
	r       *logfmt.Reader
	seg     []logfmt.Event // current segment
	i       int            // next event in seg
	eof     bool           // the footer has been read
	err     error          // sticky read error (incomplete or corrupt trace)
	footer  logfmt.Footer
	last    uint64 // instret of the last event handed out
	took    bool   // an event has been handed out
	scratch []ndbuf.Entry
	segPos  logfmt.Pos   // where seg was read from, to read it again (checkpoint.go)
	ahead   *ahead       // the reader goroutine, if segments are read ahead (Run); cur then holds the events, not seg
	cur     segBufs      // with ahead: the batch of segments being replayed
	prev    segBufs      // with ahead: the batch before, whose arrays the reader goroutine may reuse
	ev      logfmt.Event // with ahead: the read event returns
	own     []byte       // with ahead: the unit's own buffer, while its Mem is a window on a batch's raw
	batch   uint64       // with ahead: batches read
	window  uint64       // with ahead: the batch the unit's window is on
}

// setupReplay turns on the record/replay unit in replay mode, for a trace
// whose header New has checked against the program.
func (m *Machine) setupReplay(r *logfmt.Reader) error {
	// New has checked the header (checkHeader) before reserving memory.
	h := r.Header()
	size := h.NDBuffer
	// The same ELF may be replayed from another path (another working
	// directory, a copy): the guest must still see the path it was
	// recorded with (AT_EXECFN), or its memory, and so the final state,
	// would differ. The caller's Program is left alone.
	if h.ELF != "" && h.ELF != m.Prog.Path {
		p := *m.Prog
		p.Path = h.ELF
		m.Prog = &p
	}
	m.Hart.ND = ndbuf.New(m.Hart.CSR, ndbuf.Replay, m.ndBase(), size)
	m.rep = &replayer{r: r}
	return nil
}

// peek returns the next event of the trace without consuming it, nil at the
// end of a complete trace, or the read error that ended an incomplete or
// damaged one. It reads the next segment as soon as the current one is
// used up, so that the end of the trace is known before the guest gets there.
func (p *replayer) peek(m *Machine) (*logfmt.Event, error) {
	for p.i >= p.count() {
		if p.eof {
			return nil, nil
		}
		if p.err != nil {
			return nil, p.err
		}
		s := p.read(m)
		at, evs, err, f, ok := s.at, s.all, s.err, s.footer, s.done
		switch {
		case err == io.EOF:
			if !ok {
				// Next returns io.EOF only once it has read the
				// footer; were it ever not so, a footer of zeros
				// would stop the replay at instruction 0 and
				// report a false divergence.
				p.err = fmt.Errorf("the trace ends without a footer after %d segments: %w", s.segment, logfmt.ErrIncomplete)
				m.replayCap, m.hasCap = p.last+1, true
				break
			}
			p.eof, p.footer = true, f
			// The recorded run ended at footer.Instret; an exit or a
			// fault happens at an instruction that does not retire.
			m.replayCap, m.hasCap = p.footer.Instret, true
			if !earlyEnd(p.footer.Reason) && m.replayCap < math.MaxUint64 {
				m.replayCap++ // the last instruction (exit or fault) does not retire
			}
		case err != nil:
			p.err = err
			m.replayCap, m.hasCap = p.last+1, true
		default:
			p.i, p.segPos = 0, at
			if p.ahead == nil { // else the reader goroutine logs it
				p.seg = evs
				if ce := m.log.Check(zap.DebugLevel, "segment read"); ce != nil {
					ce.Write(zap.Int("events", len(evs)), zap.Uint64("next_instret", evs[0].Instret))
				}
			}
		}
	}
	// Until the guest takes this event, it cannot run past the event's
	// instruction: that bounds a replay whose footer is still unread.
	// One instruction more is let run, so that a guest which makes
	// its read or system call one instruction late is reported by what
	// it does there (the guest reads cycle; the trace expected ...).
	ev := p.event(p.i)
	m.replayCap, m.hasCap = ev.Instret+2, true
	return ev, nil
}

// count is the number of events in the segment (or with ahead, the batch)
// being replayed.
func (p *replayer) count() int {
	if p.ahead != nil {
		return p.cur.len()
	}
	return len(p.seg)
}

// event returns event i of the segment or batch being replayed. With
// ahead, a read of cycle, time or seed is made from its ND entry into
// p.ev, valid until the next call.
func (p *replayer) event(i int) *logfmt.Event {
	if p.ahead == nil {
		return &p.seg[i]
	}
	if j, ok := slices.BinarySearch(p.cur.idx, i); ok {
		return &p.cur.evs[j]
	}
	// A read: its entry holds it whole (a trace's instruction counts are
	// at most logfmt.MaxInstret).
	e := ndbuf.EntryAt(p.cur.raw[i*ndbuf.EntrySize:])
	p.ev = logfmt.Event{Kind: e.Kind, Instret: e.Instret, PC: e.PC, Value: e.Value}
	return &p.ev
}

// read reads the next segment: from the reader goroutine if there is one,
// else from the Reader.
func (p *replayer) read(m *Machine) aheadSeg {
	if p.ahead == nil {
		s := aheadSeg{at: p.r.Pos()}
		s.all, s.err = p.r.Next()
		s.footer, s.done = p.r.Footer()
		s.segment = p.r.Segment()
		return s
	}
	p.unwindow(m)
	s := p.ahead.next(p.prev)
	if s.err == nil {
		for j, n := range p.cur.reads { // the batch done
			m.events[logfmt.KindCycle+logfmt.Kind(j)] += n
		}
		p.prev, p.cur = p.cur, s.segBufs
		p.batch++
	}
	return s
}

// start reads ahead before the first instruction: the first segment, or
// the footer of a trace without events, or the error of a trace whose
// first segment is missing or damaged. peek learns where the replay must
// stop only when it reads past the last event; a recording without events
// (a bare-metal program stopped by --max-insns, --timeout or a signal) is
// thus bounded from its first instruction too, instead of running on to
// the program's own end, or for ever. A read error is kept (peek's errors
// are sticky) and reported where the replay stops.
//
// Outside a debugger (Machine.Run) segments are read by a goroutine, a
// batch ahead of the guest.
func (p *replayer) start(m *Machine) {
	if !m.dbg.started && p.ahead == nil {
		p.startAhead(m.log)
	}
	p.peek(m)
}

func (p *replayer) take(m *Machine) {
	ev := p.event(p.i)
	p.last, p.took = ev.Instret, true
	m.events[ev.Kind]++
	p.i++
	p.peek(m) // learn early whether the trace ends here
}

// ndEmpty handles cause 25: refill the buffer with the CSR events that come
// next in the trace, up to the next event the monitor itself answers.
func (p *replayer) ndEmpty(m *Machine, e rv64.Exit) error {
	if p.ahead != nil {
		return p.ndEmptyAhead(m, e)
	}
	u := m.Hart.ND
	size := int(m.Hart.CSR.Get(csr.Ndsize))
	p.scratch = p.scratch[:0]
	for len(p.scratch) < size {
		ev, err := p.peek(m)
		if err != nil || ev == nil || !ev.Kind.IsRead() {
			break
		}
		p.scratch = append(p.scratch, ndbuf.Entry{Kind: ndbuf.Kind(ev.Kind), Instret: ev.Instret, PC: ev.PC, Value: ev.Value})
		p.take(m)
	}
	if len(p.scratch) == 0 {
		want := ndbuf.Kind(e.Tval).String() + " read"
		return p.missing(m, want, e.PC)
	}
	u.Fill(p.scratch)
	return nil
}

// ndEmptyAhead is ndEmpty from segments read ahead: the CSR events that
// come next are handed to the buffer as the entries the reader goroutine
// laid out, and taken together. When they lie in the batch being replayed
// (a whole buffer's worth, or a run that ends before the batch does), the
// buffer becomes a window on them and nothing is copied; otherwise each
// run is copied into the unit's own buffer.
func (p *replayer) ndEmptyAhead(m *Machine, e rv64.Exit) error {
	u := m.Hart.ND
	u.Clear()
	if p.own != nil {
		u.Mem, p.own = p.own, nil
	}
	size := len(u.Mem) / ndbuf.EntrySize
	filled := 0
	for filled < size {
		ev, err := p.peek(m)
		if err != nil || ev == nil || !ev.Kind.IsRead() {
			break
		}
		k := min(p.cur.next(p.i)-p.i, size-filled)
		raw := p.cur.raw[p.i*ndbuf.EntrySize : (p.i+k)*ndbuf.EntrySize : (p.i+k)*ndbuf.EntrySize]
		if filled == 0 && (k == size || p.i+k < p.cur.len()) {
			// The entries [p.i, p.i+k) are all this refill takes.
			p.own, p.window = u.Mem, p.batch
			u.Mem = raw
			u.CSR.SetRaw(csr.Ndtail, uint64(k))
		} else {
			u.Append(raw)
		}
		p.last = p.event(p.i + k - 1).Instret
		p.i += k
		filled += k
		p.took = true
	}
	if filled == 0 {
		want := ndbuf.Kind(e.Tval).String() + " read"
		return p.missing(m, want, e.PC)
	}
	p.peek(m) // learn early whether the trace ends here
	return nil
}

// taken adds to ev, the events counted so far, the reads of cycle, time
// and seed that the guest has taken from the batch being replayed (a
// batch's reads are added to m.events when the next batch replaces it),
// and takes off those handed to the ND buffer that it still holds.
func (p *replayer) taken(m *Machine, ev *[256]uint64) {
	c := countReads(p.cur.raw[:min(p.i, p.cur.len())*ndbuf.EntrySize])
	for j, n := range c {
		ev[logfmt.KindCycle+logfmt.Kind(j)] += n
	}
	if u := m.Hart.ND; u != nil {
		h, t := u.CSR.Raw(csr.Ndhead), u.CSR.Raw(csr.Ndtail)
		if h < t && t*ndbuf.EntrySize <= uint64(len(u.Mem)) {
			for j, n := range countReads(u.Mem[h*ndbuf.EntrySize : t*ndbuf.EntrySize]) {
				k := logfmt.KindCycle + logfmt.Kind(j)
				ev[k] -= min(ev[k], n)
			}
		}
	}
}

// unwindow gives the unit its own buffer back, with the entries it has
// not taken yet, if its window is on the batch before the current one,
// whose arrays go back to the reader goroutine.
func (p *replayer) unwindow(m *Machine) {
	if p.own == nil || p.window == p.batch {
		return
	}
	u := m.Hart.ND
	h, t := u.CSR.Raw(csr.Ndhead), u.CSR.Raw(csr.Ndtail)
	copy(p.own[h*ndbuf.EntrySize:], u.Mem[h*ndbuf.EntrySize:t*ndbuf.EntrySize])
	u.Mem, p.own = p.own, nil
}

// missing reports that the guest wants an event (what, at pc) that the
// trace does not have next.
func (p *replayer) missing(m *Machine, what string, pc uint64) error {
	n := m.Hart.Instret()
	ev, err := p.peek(m)
	switch {
	case err != nil:
		return fmt.Errorf("%w: replay stopped at instruction %d (pc %#x), where the guest makes a %s: %w", ErrTraceEnd, n, pc, what, err)
	case ev == nil:
		return fmt.Errorf("%w: at instruction %d, pc %#x (%s): the guest makes a %s, but the recorded run had no more events",
			ErrDivergence, n, pc, m.insnText(pc), what)
	}
	return fmt.Errorf("%w: at instruction %d, pc %#x (%s): the guest makes a %s; the trace expected %s",
		ErrDivergence, n, pc, m.insnText(pc), what, m.describe(*ev))
}

// callText names a system call, or for a semihosting program a
// semihosting operation, for divergence messages: "system call 63 (read)",
// "semihosting call 6 (SYS_READ)".
func (m *Machine) callText(nr uint64) string {
	kind := m.Prog.Kind.String()
	if m.Prog.Kind == KindSemihost {
		return fmt.Sprintf("semihosting call %d (%s)", nr, CallName(kind, nr))
	}
	return fmt.Sprintf("system call %d (%s)", nr, CallName(kind, nr))
}

// describe says what a trace event is, for divergence messages.
func (m *Machine) describe(ev logfmt.Event) string {
	if ev.Kind == logfmt.KindSyscall {
		return fmt.Sprintf("%s at instruction %d, pc %#x", m.callText(ev.Nr), ev.Instret, ev.PC)
	}
	article := "a"
	if ev.Kind == logfmt.KindInput {
		article = "an"
	}
	return fmt.Sprintf("%s %s event at instruction %d, pc %#x (value %#x)", article, ev.Kind, ev.Instret, ev.PC, ev.Value)
}

// diverged reports an ExitDiverge: the entry at ndhead is not this read.
func (p *replayer) diverged(m *Machine, e rv64.Exit) error {
	want := m.Hart.ND.Peek()
	return fmt.Errorf("%w: at instruction %d, pc %#x (%s): the guest reads %s; the trace expected a %s read at instruction %d, pc %#x (value %#x)",
		ErrDivergence, m.Hart.Instret(), e.PC, m.insnText(e.PC), ndbuf.Kind(e.Tval), want.Kind, want.Instret, want.PC, want.Value)
}

// syscall answers a recorded system call from the trace: the guest memory
// the recorded call wrote is written again and a0 is the recorded result.
// before, if not nil, is called with the result before the memory is
// written.
func (p *replayer) syscall(m *Machine, nr uint64, before func(r uint64) error) (uint64, error) {
	h := m.Hart
	what := m.callText(nr)
	if u := h.ND; !u.Empty() {
		want := u.Peek()
		return 0, fmt.Errorf("%w: at instruction %d, pc %#x (%s): the guest makes %s; the trace expected a %s read at instruction %d, pc %#x",
			ErrDivergence, h.Instret(), h.PC, m.insnText(h.PC), what, want.Kind, want.Instret, want.PC)
	}
	ev, err := p.peek(m)
	if err != nil || ev == nil || ev.Kind != logfmt.KindSyscall || ev.Nr != nr || ev.Instret != h.Instret() || ev.PC != h.PC {
		return 0, p.missing(m, what, h.PC)
	}
	if err := p.checkRegs(m, *ev); err != nil {
		return 0, err
	}
	if before != nil {
		if err := before(ev.Value); err != nil {
			return 0, err
		}
	}
	if err := p.apply(m, *ev); err != nil {
		return 0, err
	}
	r := ev.Value
	p.take(m)
	return r, nil
}

// checkRegs compares the hash of the integer registers at a system call
// with the one the trace recorded for it (format version 2 on), so that a
// run that went wrong between two events is caught at the first system
// call after it, not only at the end.
func (p *replayer) checkRegs(m *Machine, ev logfmt.Event) error {
	if !p.r.HasRegs() {
		return nil
	}
	h := m.Hart
	if got := logfmt.RegsHash(&h.X); got != ev.Regs {
		return fmt.Errorf("%w: at instruction %d, pc %#x (%s): the guest makes %s as recorded, but its registers differ (hash %#016x, recorded %#016x): a0-a7 are %#x %#x %#x %#x %#x %#x %#x %#x",
			ErrDivergence, h.Instret(), h.PC, m.insnText(h.PC), m.callText(ev.Nr), got, ev.Regs,
			h.X[10], h.X[11], h.X[12], h.X[13], h.X[14], h.X[15], h.X[16], h.X[17])
	}
	return nil
}

// input replays the monitor input written at start-up (the auxv random
// bytes).
func (p *replayer) input(m *Machine) error {
	ev, err := p.peek(m)
	if err != nil || ev == nil || ev.Kind != logfmt.KindInput || ev.Instret != 0 {
		return p.missing(m, "start-up input", m.Hart.PC)
	}
	if err := p.apply(m, *ev); err != nil {
		return err
	}
	p.take(m)
	return nil
}

func (p *replayer) apply(m *Machine, ev logfmt.Event) error {
	for _, w := range ev.Writes {
		b, ok := m.guestWrite(w.Addr, uint64(len(w.Data)))
		if !ok {
			return fmt.Errorf("%w: the trace's %s writes %d bytes at %#x, outside guest memory", ErrDivergence, m.describe(ev), len(w.Data), w.Addr)
		}
		copy(b, w.Data)
	}
	return nil
}

// finish checks, at the end of the guest's run, that the trace ends here
// too and that the final state is the recorded one.
func (p *replayer) finish(m *Machine, reason string) error {
	h := m.Hart
	if u := h.ND; !u.Empty() {
		want := u.Peek()
		return fmt.Errorf("%w: the guest ended (%s) at instruction %d, pc %#x; the trace expected a %s read at instruction %d, pc %#x",
			ErrDivergence, reason, h.Instret(), h.PC, want.Kind, want.Instret, want.PC)
	}
	ev, err := p.peek(m)
	if err != nil {
		return fmt.Errorf("%w: the guest ended (%s) at instruction %d, but the trace cannot confirm it: %w", ErrTraceEnd, reason, h.Instret(), err)
	}
	if ev != nil {
		return fmt.Errorf("%w: the guest ended (%s) at instruction %d, pc %#x; the trace expected %s", ErrDivergence, reason, h.Instret(), h.PC, m.describe(*ev))
	}
	f := p.footer
	digest := m.Digest()
	m.stats.Digest = digest
	switch {
	case f.Reason != reason:
		return fmt.Errorf("%w: the recorded run ended by %q at instruction %d, the replay by %s at instruction %d", ErrDivergence, f.Reason, f.Instret, reason, h.Instret())
	case f.Instret != h.Instret():
		return fmt.Errorf("%w: the recorded run ended at instruction %d, the replay at %d", ErrDivergence, f.Instret, h.Instret())
	case f.Status != m.status:
		return fmt.Errorf("%w: the recorded run exited with status %d, the replay with %d", ErrDivergence, f.Status, m.status)
	case f.Digest != digest:
		return fmt.Errorf("%w: final state differs at instruction %d: digest %s, recorded %s", ErrDivergence, h.Instret(), digest, f.Digest)
	}
	if got := m.eventCounts(); !sameCounts(f.Events, got) {
		return fmt.Errorf("%w: the recorded run counted events %s (the trace's footer), the replay %s", ErrDivergence, countsText(f.Events), countsText(got))
	}
	return nil
}

// sameCounts reports whether a and b count the same events, a kind
// missing from one counting as 0.
func sameCounts(a, b map[string]uint64) bool {
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	for k, n := range b {
		if a[k] != n {
			return false
		}
	}
	return true
}

// countsText prints event counts by kind name, in order of name, quoted
// (a footer may hold any name): "cycle" 3, "syscall" 1.
func countsText(c map[string]uint64) string {
	if len(c) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(c)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q %d", k, c[k])
	}
	return b.String()
}

// atCap handles replay reaching the instruction count where the trace says
// the run must stop: just past the next event the guest has not made, or
// the end of the recorded run, or of an incomplete trace.
func (p *replayer) atCap(m *Machine) (string, error) {
	h := m.Hart
	switch {
	case p.i < p.count():
		ev := *p.event(p.i)
		return "", fmt.Errorf("%w: at instruction %d, pc %#x (%s): the guest has run past the trace's next event, %s",
			ErrDivergence, h.Instret(), h.PC, m.insnText(h.PC), m.describe(ev))
	case p.err != nil && !p.took:
		return "", fmt.Errorf("%w: replay stopped at instruction %d (pc %#x): the trace holds no event to replay: %w", ErrTraceEnd, h.Instret(), h.PC, p.err)
	case p.err != nil:
		return "", fmt.Errorf("%w: replayed to instruction %d (pc %#x), just after the last recorded event: %w", ErrTraceEnd, h.Instret(), h.PC, p.err)
	case p.footer.Reason == ReasonStuck && m.semi != nil && m.stuck():
		// The recording stopped a guest stuck in a jump to itself here:
		// the replay ends with the same message, and finish compares
		// the state.
		return ReasonStuck, m.stuckError()
	case p.footer.Reason == ReasonStuck:
		return "", fmt.Errorf("%w: the recorded run was stopped stuck in a jump to itself at instruction %d, but the guest is at pc %#x (%s)",
			ErrDivergence, h.Instret(), h.PC, m.insnText(h.PC))
	case earlyEnd(p.footer.Reason):
		// The recording stopped here; so does the replay, and finish
		// compares the state.
		return p.footer.Reason, fmt.Errorf("the recorded run was stopped here (%s): %w at instruction %d, pc %#x",
			p.footer.Reason, errEarlyEnd[p.footer.Reason], h.Instret(), h.PC)
	}
	return "", fmt.Errorf("%w: the recorded run ended (%q) at instruction %d, but the guest runs on at pc %#x",
		ErrDivergence, p.footer.Reason, p.footer.Instret, h.PC)
}

var errEarlyEnd = map[string]error{
	ReasonLimit: ErrInsnLimit, ReasonTimeout: ErrTimeout, ReasonInterrupted: ErrInterrupted,
}

// insnText disassembles the instruction at pc for messages.
func (m *Machine) insnText(pc uint64) string {
	w, ok := m.insnAt(pc)
	if !ok {
		return "not in memory"
	}
	return rv64.Disasm(w, pc)
}
