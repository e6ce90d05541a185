package vmm

// jit's start-up self-check, kept off the start of a run.
//
// The check (jit.SelfCheck, about 0.3 ms of CPU on a cold process) runs
// at most once per process, in a goroutine of its own. A machine whose
// engine is the default waits for nothing: until the verdict is in, the
// interpreter runs the hart (it is exact, and the jit engine would
// interpret code that is not hot yet anyway), in slices of pendingSlice
// instructions, between which the machine looks for the verdict without
// waiting. The check starts only once the machine has run pendingStart
// instructions: a short program (a hello world, a test) runs exactly as
// on the interpreter, with no check competing with it for the host's
// cores, and one that runs longer gets jit a millisecond or so later. A
// verdict that passes makes the jit engine, which runs from that
// instruction on; one that fails leaves the interpreter, with the reason.
// Either is reported when it comes in (Config.EngineChosen); a run that
// ends first ran on the interpreter and says so. A machine that has
// interpreted pendingPatience instructions more without a verdict (a
// host too busy to run the check beside it) waits for it. jit asked for
// by name (--engine jit, RVSIM_ENGINE=jit) waits for the verdict in New,
// so that a failure is an error before the guest runs; the command line
// starts the check for it as soon as it has read its flags
// (StartSelfCheck).

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

// startedCheck returns the process's self-check, nil if it has not been
// started.
func startedCheck() *checkRun {
	checkMu.Lock()
	defer checkMu.Unlock()
	return theCheck
}

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
// it has not been started, for a machine that will wait for its verdict
// in New (jit asked for by name), or use it from its first instruction
// (the default engine). It runs once per process, and is cheap to call
// again.
func StartSelfCheck() { processCheck() }

// SelfCheck returns the verdict of jit's start-up self-check (nil: it
// passed), waiting for it, and starting it if it has not been.
func SelfCheck() error { return processCheck().wait() }

// pendingSlice is how many instructions the interpreter runs between two
// looks at a pending verdict; pendingStart is how many the machine runs
// before it starts the self-check, if no one has; pendingPatience is how
// many more it runs before it waits for the verdict.
const (
	pendingSlice    = 1 << 14
	pendingStart    = 1 << 16
	pendingPatience = 1 << 24
)

// Engine notes of the default engine around the self-check.
const (
	notePending = "until its self-check passes, the interpreter runs"
	noteEnded   = "jit: the program ended before its self-check's verdict"
)

// errEnded is the reason of a run that ended before the verdict.
var errEnded = errors.New(noteEnded)

// runPending runs the hart for at most budget instructions, with
// rv64.Hart.Run's contract, while the default engine waits for the
// self-check's verdict: on the interpreter until the verdict is in, on
// the engine it decides from there.
func (m *Machine) runPending(budget uint64) rv64.Exit {
	h := m.Hart
	end := h.CSR.Instret + budget
	if end < h.CSR.Instret {
		end = ^uint64(0)
	}
	for {
		if m.eng.check == nil && m.eng.waited >= pendingStart {
			m.eng.check = processCheck()
		}
		if c := m.eng.check; c != nil {
			err, ok := c.verdict()
			if !ok && m.eng.waited >= pendingStart+pendingPatience {
				err, ok = c.wait(), true
			}
			if ok {
				m.decide(err)
				if h.CSR.Instret >= end {
					return rv64.Exit{Kind: rv64.ExitBudget, PC: h.PC}
				}
				return m.run(end - h.CSR.Instret)
			}
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
	m.eng.waiting = false
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
	if m.eng.waiting {
		m.decide(errEnded)
	}
}

// engineChosen reports the engine, once known, to Config.EngineChosen.
func (m *Machine) engineChosen() {
	if f := m.cfg.EngineChosen; f != nil {
		f(m.eng.name, m.eng.note)
	}
}
