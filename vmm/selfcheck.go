package vmm

// jit's start-up self-check, run in the background so that it costs the
// start of a run nothing.
//
// The check (jit.SelfCheck, about a millisecond) runs once per process,
// in its own goroutine, started by StartSelfCheck as early as the command
// line knows that the engine may be jit, else by New. A machine whose
// engine is the default waits for nothing: until the verdict is in, the
// interpreter runs the hart (which is exact, and which the jit engine
// would run anyway for code not yet hot), in slices of pendingSlice
// instructions, between which the machine looks for the verdict without
// waiting. A verdict that passes makes the jit engine, which runs from
// that instruction on; one that fails leaves the interpreter, with the
// reason. Either is logged when it comes in (Config.EngineChosen). A run
// that ends first ran on the interpreter and says so. Only a run that
// has interpreted pendingPatience instructions (tens of milliseconds)
// without a verdict, on a host too busy to run the check beside it,
// waits for it. jit asked for by name (--engine jit, RVSIM_ENGINE=jit)
// waits for the verdict in New, so that a failure is an error before the
// guest runs.

import (
	"errors"
	"fmt"
	"sync"

	"github.com/rvsim/rvsim/jit"
	"github.com/rvsim/rvsim/rv64"
)

// checkRun is one run of the self-check; its verdict is err once done is
// closed.
type checkRun struct {
	done chan struct{}
	err  error
}

// startCheck runs check in a goroutine of its own. A panic in it is its
// verdict: the interpreter runs.
func startCheck(check func() error) *checkRun {
	c := &checkRun{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer func() {
			if r := recover(); r != nil {
				c.err = fmt.Errorf("jit self-check: %v", r)
			}
		}()
		c.err = check()
	}()
	return c
}

// verdict returns the check's verdict, and false while it runs.
func (c *checkRun) verdict() (error, bool) {
	select {
	case <-c.done:
		return c.err, true
	default:
		return nil, false
	}
}

// wait returns the check's verdict once it is in.
func (c *checkRun) wait() error {
	<-c.done
	return c.err
}

var (
	checkMu  sync.Mutex
	theCheck *checkRun // the process's self-check, once started
)

// processCheck returns the process's self-check, starting it if it has
// not been.
func processCheck() *checkRun {
	checkMu.Lock()
	defer checkMu.Unlock()
	if theCheck == nil {
		theCheck = startCheck(jit.SelfCheck)
	}
	return theCheck
}

// StartSelfCheck starts jit's start-up self-check in the background, if
// it has not been started: a machine built with the default engine then
// finds its verdict sooner. It runs once per process, and is cheap to
// call again.
func StartSelfCheck() { processCheck() }

// SelfCheck returns the verdict of jit's start-up self-check (nil: it
// passed), waiting for it, and starting it if it has not been.
func SelfCheck() error { return processCheck().wait() }

// pendingSlice is how many instructions the interpreter runs between two
// looks at a pending verdict; pendingPatience is how many a machine runs
// before it waits for it.
const (
	pendingSlice    = 1 << 14
	pendingPatience = 1 << 24
)

// Engine notes of the default engine around the self-check.
const (
	notePending = "its self-check is running: the interpreter runs until it passes"
	noteEnded   = "jit: the program ended before its self-check did"
)

// errEnded is the reason of a run that ended before the verdict.
var errEnded = errors.New(noteEnded)

// runPending runs the hart for at most budget instructions, with
// rv64.Hart.Run's contract, while the self-check's verdict is pending:
// on the interpreter until the verdict is in, on the engine it decides
// from there.
func (m *Machine) runPending(budget uint64) rv64.Exit {
	h := m.Hart
	end := h.CSR.Instret + budget
	if end < h.CSR.Instret {
		end = ^uint64(0)
	}
	for {
		err, ok := m.eng.pending.verdict()
		if !ok && m.eng.waited >= pendingPatience {
			err, ok = m.eng.pending.wait(), true
		}
		if ok {
			m.decide(err)
			if h.CSR.Instret >= end {
				return rv64.Exit{Kind: rv64.ExitBudget, PC: h.PC}
			}
			return m.run(end - h.CSR.Instret)
		}
		before := h.CSR.Instret
		x := h.Run(min(end-before, pendingSlice))
		m.eng.waited += h.CSR.Instret - before
		if x.Kind != rv64.ExitBudget || h.CSR.Instret >= end || h.CSR.Instret == before {
			return x
		}
	}
}

// decide ends the wait for the verdict: err nil makes the jit engine,
// which runs from the current instruction on; else (or if the engine
// cannot be made) the interpreter runs, with the reason. The engine is
// then reported (Config.EngineChosen).
func (m *Machine) decide(err error) {
	at := m.Hart.CSR.Instret
	m.eng.pending = nil
	var e *jit.Engine
	if err == nil {
		e, err = jit.New(m.Hart)
	}
	switch {
	case errors.Is(err, errEnded):
		m.eng.name, m.eng.note = EngineInterp, noteEnded
	case err != nil:
		m.eng.name, m.eng.note = EngineInterp, "jit: "+err.Error()
	case at == 0:
		m.eng.jit, m.eng.name, m.eng.note = e, EngineJIT, ""
	default:
		m.eng.jit, m.eng.name = e, EngineJIT
		m.eng.note = fmt.Sprintf("from instruction %d, once its self-check passed", at)
	}
	m.engineChosen()
}

// settleEngine ends a run's wait for the verdict, if it still waits: the
// program ran on the interpreter, which the machine then reports.
func (m *Machine) settleEngine() {
	if m.eng.pending != nil {
		m.decide(errEnded)
	}
}

// engineChosen reports the engine, once known, to Config.EngineChosen.
func (m *Machine) engineChosen() {
	if f := m.cfg.EngineChosen; f != nil {
		f(m.eng.name, m.eng.note)
	}
}
