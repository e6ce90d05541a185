package timetravel

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// watchKind is the kind of a watchpoint.
type watchKind uint8

const (
	watchWrite  watchKind = iota // Z2: the hart stops after a store (vmm StopWatch)
	watchRead                    // Z3: single-stepped, Access reports a load
	watchAccess                  // Z4: single-stepped, Access reports a load or store
)

// watch is one watchpoint gdb set.
type watch struct {
	kind    watchKind
	addr, n uint64
}

func overlaps(a, n, b, m uint64) bool { return n > 0 && m > 0 && a < b+m && b < a+n }

// resKind says where a command of the engine left the machine.
type resKind uint8

const (
	resDone        resKind = iota // the step, seek or run reached its target
	resBreak                      // stopped before the instruction at a breakpoint
	resWatch                      // a watchpoint: wkind and addr (the watchpoint's own address)
	resBegin                      // reverse execution reached the start of the recording (icount 0)
	resEnd                        // the run's end: end
	resInterrupted                // Interrupt
	resError                      // err
)

// result is where a command of the engine stopped.
type result struct {
	kind  resKind
	wkind watchKind
	addr  uint64
	end   mstop
	err   error
}

// errForwardOnly: a plain run cannot go back.
var errForwardOnly = errors.New("a plain run goes forward only: going back needs a replay (rvsim replay --gdb)")

// errPastEnd: a seek beyond the end of the run.
var errPastEnd = errors.New("the run ends before that instruction count")

// errBeforeStart: a seek before where the session started (its first
// checkpoint).
var errBeforeStart = errors.New("the session started after that instruction count")

// errInterrupted: Interrupt stopped a seek.
var errInterrupted = errors.New("interrupted")

// engine moves a machine forward and backward in instruction counts, with
// checkpoints; it stops at breakpoints (set in the hart by the session)
// and at the watchpoints in watches.
type engine struct {
	m       machine
	reverse bool // a replay: checkpoints and reverse execution
	cps     checkpoints
	watches []watch
	intr    atomic.Bool // Interrupt was called: the next loop check stops
	ended   *mstop      // the machine is at the end of the run (Advance returned stopEnd there)
	endAt   uint64      // the icount of the end, once known
	endSeen bool
}

// newEngine takes the initial checkpoint (reverse only).
func newEngine(m machine, reverse bool, interval, capBytes uint64, logf func(string)) (*engine, error) {
	e := &engine{m: m, reverse: reverse}
	e.cps = checkpoints{m: m, interval: interval, capBytes: capBytes, logf: logf, near: nearDist, user: userDist}
	if interval == 0 {
		e.cps.interval, e.cps.auto = DefaultInterval, true
	}
	if reverse {
		if err := e.cps.take(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// single reports whether forward runs must go one instruction at a time:
// a read or access watchpoint is set.
func (e *engine) single() bool {
	for _, w := range e.watches {
		if w.kind != watchWrite {
			return true
		}
	}
	return false
}

// accessHit returns the read or access watchpoint that the next
// instruction's memory access overlaps.
func (e *engine) accessHit() (watch, bool) {
	a, n, load, store := e.m.Access()
	if !load && !store {
		return watch{}, false
	}
	for _, w := range e.watches {
		switch {
		case w.kind == watchRead && load, w.kind == watchAccess:
			if overlaps(a, n, w.addr, w.n) {
				return w, true
			}
		}
	}
	return watch{}, false
}

// writeHit returns the address of the write watchpoint a store of size
// bytes at addr overlapped (addr itself if none does: the hart's ranges
// are the session's, so that does not happen).
func (e *engine) writeHit(addr, size uint64) uint64 {
	for _, w := range e.watches {
		if w.kind == watchWrite && overlaps(addr, size, w.addr, w.n) {
			return w.addr
		}
	}
	return addr
}

// setEnd records that the machine is at the end of the run.
func (e *engine) setEnd(s mstop) result {
	e.ended = &s
	e.endAt, e.endSeen = e.m.Icount(), true
	return result{kind: resEnd, end: s}
}

// restore puts the machine back to checkpoint i.
func (e *engine) restore(i int) error {
	if err := e.m.Restore(e.cps.list[i].c); err != nil {
		return fmt.Errorf("restore the checkpoint at icount %d: %w", e.cps.list[i].at, err)
	}
	e.ended = nil
	return nil
}

// forward runs forward to icount target. With hits set it stops at
// breakpoints and watchpoints (the caller has let the first instruction
// past a breakpoint at the current pc); without, it runs through them (a
// seek). It takes checkpoints on the way (reverse only).
func (e *engine) forward(target uint64, hits bool) result {
	if e.ended != nil {
		return result{kind: resEnd, end: *e.ended}
	}
	single := hits && e.single()
	for {
		if e.intr.Swap(false) {
			return result{kind: resInterrupted}
		}
		now := e.m.Icount()
		if now >= target {
			return result{kind: resDone}
		}
		limit := target
		next := uint64(0)
		if e.reverse {
			if i := e.cps.before(now); i >= 0 {
				next = e.cps.list[i].at + e.cps.interval
				if next > now && next < limit {
					limit = next
				}
			}
		}
		var wh watch
		var whit bool
		if single {
			wh, whit = e.accessHit()
			limit = now + 1
		}
		t0 := time.Now()
		s := e.m.Advance(limit)
		switch s.kind {
		case stopLimit:
			if whit {
				return result{kind: resWatch, wkind: wh.kind, addr: wh.addr}
			}
			if e.reverse && limit == next {
				ran := time.Since(t0)
				t1 := time.Now()
				if err := e.cps.take(); err != nil {
					return result{kind: resError, err: err}
				}
				if !single {
					e.cps.adapt(time.Since(t1), ran)
				}
			}
		case stopBreak:
			if hits {
				return result{kind: resBreak}
			}
			e.m.SkipBreakpointOnce()
		case stopWatch:
			if hits {
				return result{kind: resWatch, wkind: watchWrite, addr: e.writeHit(s.addr, s.size)}
			}
		case stopEnd:
			return e.setEnd(s)
		case stopInterrupted:
			e.intr.Store(false)
			return result{kind: resInterrupted}
		default:
			return result{kind: resError, err: s.err}
		}
	}
}

// Step runs one instruction forward (stepi), stopping on a watchpoint it
// triggers.
func (e *engine) step() result {
	now := e.m.Icount()
	e.m.SkipBreakpointOnce()
	return e.forward(now+1, true)
}

// cont runs forward until a breakpoint, a watchpoint, the end or an
// interrupt.
func (e *engine) cont() result {
	e.m.SkipBreakpointOnce()
	r := e.forward(^uint64(0), true)
	e.userStop(r)
	return r
}

// userStop drops a checkpoint where a forward run stopped for the user,
// if the last one is far back.
func (e *engine) userStop(r result) {
	if !e.reverse || r.kind == resEnd || r.kind == resError {
		return
	}
	now := e.m.Icount()
	if i := e.cps.before(now); i >= 0 && now-e.cps.list[i].at >= e.cps.user {
		if err := e.cps.take(); err != nil && e.cps.logf != nil {
			e.cps.logf(err.Error())
		}
	}
}

// seek goes to icount n: from the nearest checkpoint at or before n, or
// from where the machine is when that is nearer and not after n; it runs
// through breakpoints and watchpoints. A seek that runs far drops a
// checkpoint shortly before n on the way.
func (e *engine) seek(n uint64) error {
	now := e.m.Icount()
	if n == now && (e.ended == nil || e.endAt == n) {
		return nil
	}
	if e.endSeen && n > e.endAt {
		return fmt.Errorf("seek %d: %w (it ends at icount %d; still at icount %d)", n, errPastEnd, e.endAt, now)
	}
	if n < now || e.ended != nil {
		if !e.reverse {
			return fmt.Errorf("seek %d: %w", n, errForwardOnly)
		}
		i := e.cps.before(n)
		if i < 0 {
			return fmt.Errorf("seek %d: %w (icount %d)", n, errBeforeStart, e.start())
		}
		if err := e.restore(i); err != nil {
			return err
		}
	} else if e.reverse {
		if i := e.cps.before(n); e.cps.list[i].at > now {
			if err := e.restore(i); err != nil {
				return err
			}
		}
	}
	if from := e.m.Icount(); e.reverse && n-from > 2*e.cps.near {
		if r := e.forward(n-e.cps.near, false); r.kind != resDone {
			return e.seekErr(n, now, r)
		}
		if err := e.cps.take(); err != nil {
			return err
		}
	}
	if r := e.forward(n, false); r.kind != resDone && !(r.kind == resEnd && e.m.Icount() == n) {
		return e.seekErr(n, now, r)
	}
	return nil
}

// seekErr is the error of a seek to n, from icount from, that stopped
// with r. A seek past the end of a replay goes back to from, where the
// failed seek leaves the session as if it had not run; a plain run stays
// at its end.
func (e *engine) seekErr(n, from uint64, r result) error {
	switch r.kind {
	case resEnd:
		end := e.m.Icount()
		if !e.reverse {
			return fmt.Errorf("seek %d: %w (it ends at icount %d, where the run is now)", n, errPastEnd, end)
		}
		if err := e.seek(from); err != nil {
			return fmt.Errorf("seek %d: %w (it ends at icount %d), and going back to icount %d failed: %v", n, errPastEnd, end, from, err)
		}
		return fmt.Errorf("seek %d: %w (it ends at icount %d; still at icount %d)", n, errPastEnd, end, from)
	case resInterrupted:
		return fmt.Errorf("seek %d: %w at icount %d", n, errInterrupted, e.m.Icount())
	case resError:
		return fmt.Errorf("seek %d: %w", n, r.err)
	}
	return fmt.Errorf("seek %d: stopped at icount %d", n, e.m.Icount())
}

// reverseStep goes back one instruction; at the start (icount 0, or where
// the session began) it stays (resBegin).
func (e *engine) reverseStep() result {
	if !e.reverse {
		return result{kind: resError, err: errForwardOnly}
	}
	now := e.m.Icount()
	if now <= e.start() {
		return result{kind: resBegin}
	}
	interrupted, err := e.seekAll(now - 1)
	if err != nil {
		return seekResult(err)
	}
	if interrupted {
		return result{kind: resInterrupted}
	}
	return result{kind: resDone}
}

// seekAll is seek(n) for a command whose stop must be where it says (a
// reverse step, a reverse-continue's hit): an interrupt does not leave the
// machine where the seek happened to be, up to an interval away, but lets
// the seek finish (it runs at most an interval), and is reported.
func (e *engine) seekAll(n uint64) (interrupted bool, err error) {
	for range 100 {
		if err = e.seek(n); !errors.Is(err, errInterrupted) {
			return interrupted, err
		}
		interrupted = true
	}
	return interrupted, err
}

// hit is a breakpoint or watchpoint hit found by re-running an interval:
// at is the icount the reverse stop is at (before the instruction).
type hit struct {
	at    uint64
	kind  resKind
	wkind watchKind
	addr  uint64
}

// lastHit re-runs from checkpoint i up to icount end and returns the
// last breakpoint or watchpoint hit before end.
func (e *engine) lastHit(i int, end uint64) (hit, bool, result) {
	if err := e.restore(i); err != nil {
		return hit{}, false, result{kind: resError, err: err}
	}
	var last hit
	found := false
	single := e.single()
	for {
		if e.intr.Swap(false) {
			return hit{}, false, result{kind: resInterrupted}
		}
		now := e.m.Icount()
		if now >= end {
			return last, found, result{kind: resDone}
		}
		limit := end
		var wh watch
		var whit bool
		if single {
			wh, whit = e.accessHit()
			limit = now + 1
		}
		s := e.m.Advance(limit)
		switch s.kind {
		case stopLimit:
			if whit {
				last, found = hit{at: now, kind: resWatch, wkind: wh.kind, addr: wh.addr}, true
			}
		case stopBreak:
			if now := e.m.Icount(); now < end {
				last, found = hit{at: now, kind: resBreak}, true
			}
			e.m.SkipBreakpointOnce()
		case stopWatch:
			// The store has retired: the reverse stop is before it.
			if at := e.m.Icount() - 1; at < end {
				last, found = hit{at: at, kind: resWatch, wkind: watchWrite, addr: e.writeHit(s.addr, s.size)}, true
			}
			if whit {
				last, found = hit{at: now, kind: resWatch, wkind: wh.kind, addr: wh.addr}, true
			}
		case stopEnd:
			e.setEnd(s)
			return last, found, result{kind: resDone}
		case stopInterrupted:
			e.intr.Store(false)
			return hit{}, false, result{kind: resInterrupted}
		default:
			return hit{}, false, result{kind: resError, err: s.err}
		}
	}
}

// reverseCont goes back to the last breakpoint or watchpoint hit before
// now, re-running the intervals between checkpoints from the latest
// backwards; with none, to the start (resBegin).
func (e *engine) reverseCont() result {
	if !e.reverse {
		return result{kind: resError, err: errForwardOnly}
	}
	start := e.m.Icount()
	hi := start
	for hi > e.start() {
		i := e.cps.before(hi - 1)
		h, ok, r := e.lastHit(i, hi)
		if r.kind != resDone {
			if r.kind == resInterrupted {
				// Back where reverse-continue started, so that a stop
				// is never somewhere it did not pass.
				if _, err := e.seekAll(start); err != nil {
					return result{kind: resError, err: err}
				}
			}
			return r
		}
		if ok {
			if _, err := e.seekAll(h.at); err != nil {
				return seekResult(err)
			}
			return result{kind: h.kind, wkind: h.wkind, addr: h.addr}
		}
		hi = e.cps.list[i].at
	}
	if _, err := e.seekAll(e.start()); err != nil {
		return seekResult(err)
	}
	return result{kind: resBegin}
}

// start is the earliest position reverse execution reaches: the first
// checkpoint, taken when the session began (icount 0 for a fresh machine).
func (e *engine) start() uint64 {
	if len(e.cps.list) == 0 {
		return 0
	}
	return e.cps.list[0].at
}

// seekResult is the result of a command whose seek failed: interrupted,
// or an error.
func seekResult(err error) result {
	if errors.Is(err, errInterrupted) {
		return result{kind: resInterrupted}
	}
	return result{kind: resError, err: err}
}
