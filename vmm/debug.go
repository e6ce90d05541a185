package vmm

// The monitor's side of a debugger: an instruction count that counts
// system calls, running forward to a count or a stop (Advance), and what
// the trace holds next.

import (
	"fmt"
	"io"
	"time"

	"github.com/rvsim/rvsim/checkpoint"
	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/rv64"
)

// debugState is what Advance and the checkpoints keep in a Machine.
type debugState struct {
	started bool      // Advance has run: the replay read ahead, ls is set
	ls      loopState // Advance's run loop
	ended   *Stop     // the StopEnd Advance returned, until a Restore

	store *checkpoint.Store // guest memory versions of the kept checkpoints
	fixed uint64            // bytes of the kept checkpoints besides their pages

	// outHigh is the instruction count (Icount) just past the last guest
	// output written to the host; quietBelow, set by Restore to outHigh,
	// keeps output before that count from being written again when a
	// restored run makes it a second time.
	outHigh, quietBelow uint64

	// watchHit is set when the monitor wrote guest memory that a
	// watchpoint covers (monitorWrote): Advance stops after the call.
	watchHit             bool
	watchAddr, watchSize uint64
}

// monitorWrote notes that the monitor wrote guest memory [addr, addr+n)
// (a system call's results, a replayed input, memory given back): Run
// does not see such writes, so a write watchpoint over them makes Advance
// stop once the call is done, as after a store. The first such write of a
// call is the one reported.
func (m *Machine) monitorWrote(addr, n uint64) {
	if d := &m.dbg; !d.watchHit && m.Hart.Watched(addr, n) {
		d.watchHit, d.watchAddr, d.watchSize = true, addr, n
	}
}

// Icount is the debugger's instruction count: instructions retired
// (instret) plus the system calls and semihosting calls completed (an
// ecall, or a semihosting ebreak, does not retire, but stepping over one
// is a step).
func (m *Machine) Icount() uint64 { return m.Hart.Instret() + m.calls }

// Replaying reports whether the machine replays a trace (reverse
// execution needs it).
func (m *Machine) Replaying() bool { return m.rep != nil }

// StopKind says why Advance returned.
type StopKind uint8

// Stop kinds.
const (
	StopLimit       StopKind = iota // Icount() reached the limit given to Advance
	StopBreak                       // the hart hit a breakpoint: PC not executed
	StopWatch                       // a write watchpoint fired: the store done, or the system call whose results the monitor wrote over it; Addr, Size: the write
	StopEnd                         // the guest's run ended (exit, fault, signal, the recorded end of an early-stopped recording); Result and Err are what Run would return
	StopInterrupted                 // Machine.Stop was called during Advance (the flag is cleared on return)
	StopError                       // a simulator or trace failure (Err); the machine can still be restored
)

var stopNames = [...]string{"limit", "breakpoint", "watchpoint", "end", "interrupted", "error"}

func (k StopKind) String() string {
	if int(k) < len(stopNames) {
		return stopNames[k]
	}
	return fmt.Sprintf("StopKind(%d)", k)
}

// Stop is where and why Advance returned.
type Stop struct {
	Kind       StopKind
	PC         uint64
	Addr, Size uint64 // StopWatch: the store's address and size in bytes
	Result     Result // StopEnd
	// Err: for StopEnd, what Run would return (nil for a guest that
	// exited as recorded; a *FaultError for one that died of a fault; an
	// error wrapping ErrDivergence or ErrTraceEnd if the end is not the
	// recorded one); for StopError, the failure.
	Err error
}

// Advance runs forward until Icount() == limit, or a stop: a breakpoint or
// watchpoint the hart reports, a system call (or semihosting call, or
// HTIF command) whose writes into guest memory overlap a watchpoint
// (stopped after the call), Machine.Stop, the guest's end, or a
// failure. It handles every exit as Run does (system calls, HTIF,
// semihosting, the ND buffer, the replay's bounds, and at the guest's end
// the checks against the trace's footer). It works for a replay and for a
// plain run, not for a recording. Once StopEnd has been returned, Advance
// returns it again until a Restore. A limit at or below Icount() returns
// StopLimit at once.
func (m *Machine) Advance(limit uint64) Stop {
	d := &m.dbg
	h := m.Hart
	if d.ended != nil {
		return *d.ended
	}
	if m.rec != nil {
		return Stop{Kind: StopError, PC: h.PC, Err: fmt.Errorf("advance: a recording cannot be debugged")}
	}
	if !d.started {
		d.started = true
		d.ls = m.newLoop(time.Now(), true)
		if m.rep != nil {
			m.rep.start(m)
		}
	}
	for {
		if m.exited {
			return m.ended(m.exitReason(), nil)
		}
		if m.stop.Load() {
			m.stop.Store(false)
			return Stop{Kind: StopInterrupted, PC: h.PC}
		}
		n := m.Icount()
		if n >= limit {
			return Stop{Kind: StopLimit, PC: h.PC}
		}
		e, reason, err, end := m.step(&d.ls, limit-n)
		switch {
		case end && reason == "":
			return Stop{Kind: StopError, PC: h.PC, Err: err}
		case end:
			return m.ended(reason, err)
		case e.Kind == rv64.ExitBreak:
			return Stop{Kind: StopBreak, PC: h.PC}
		case e.Kind == rv64.ExitWatch:
			return Stop{Kind: StopWatch, PC: h.PC, Addr: e.Tval, Size: e.Cause}
		case d.watchHit:
			d.watchHit = false
			return Stop{Kind: StopWatch, PC: h.PC, Addr: d.watchAddr, Size: d.watchSize}
		}
	}
}

// ended finishes the run as Run does and keeps the StopEnd for the next
// Advance.
func (m *Machine) ended(reason string, runErr error) Stop {
	res, err := m.finishRun(reason, runErr, m.dbg.ls.start)
	st := Stop{Kind: StopEnd, PC: m.Hart.PC, Result: res, Err: err}
	m.dbg.ended = &st
	return st
}

// UpcomingEvents returns up to n recorded events from the current position
// on (copies), without moving the replay: fewer at the end of the trace.
// Reading beyond the segment in hand needs a seekable trace; without one
// it returns what that segment holds and an error wrapping
// logfmt.ErrNotSeekable. A plain run has no events.
func (m *Machine) UpcomingEvents(n int) ([]logfmt.Event, error) {
	p := m.rep
	if p == nil || n <= 0 {
		return nil, nil
	}
	if _, err := p.peek(m); err != nil {
		return nil, err
	}
	var out []logfmt.Event
	for _, ev := range p.seg[min(p.i, len(p.seg)):] {
		if len(out) == n {
			return out, nil
		}
		out = append(out, copyEvent(ev))
	}
	if len(out) == n || p.eof || p.err != nil {
		return out, nil
	}
	if !p.r.Seekable() {
		return out, fmt.Errorf("events beyond segment %d: %w", p.segPos.Segment(), logfmt.ErrNotSeekable)
	}
	// Read on, then go back to the segment in hand: the reader's buffers,
	// which p.seg shares, are overwritten by the segments read ahead.
	at := p.where()
	defer func() {
		if err := p.reload(at); err != nil && p.err == nil {
			p.err = err
		}
	}()
	for len(out) < n {
		evs, err := p.r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, err
		}
		for _, ev := range evs {
			if len(out) == n {
				break
			}
			out = append(out, copyEvent(ev))
		}
	}
	return out, nil
}

// copyEvent copies ev and its memory writes, which alias the reader's
// buffers.
func copyEvent(ev logfmt.Event) logfmt.Event {
	c := ev
	c.Writes = nil
	for _, w := range ev.Writes {
		c.Writes = append(c.Writes, logfmt.MemWrite{Addr: w.Addr, Data: append([]byte(nil), w.Data...)})
	}
	return c
}

// quiet reports whether guest output made now was already written before
// a Restore went back: it is then not written again. Output that is
// written moves the high-water mark.
func (m *Machine) quiet() bool {
	d := &m.dbg
	n := m.Icount()
	if n < d.quietBelow {
		return true
	}
	d.outHigh = max(d.outHigh, n+1)
	return false
}
