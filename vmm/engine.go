package vmm

// Choosing the engine that runs the hart: the native-code engine (jit) or
// the interpreter (rv64.Hart.Run).

import (
	"errors"
	"fmt"
	"os"

	"github.com/rvsim/rvsim/jit"
	"github.com/rvsim/rvsim/rv64"
)

// Engine names, as Config.Engine, --engine and RVSIM_ENGINE take them.
const (
	EngineJIT    = "jit"    // the native-code engine (package jit)
	EngineInterp = "interp" // the interpreter, rv64.Hart.Run
)

// EngineEnv names the environment variable that chooses the engine when
// Config.Engine is empty.
const EngineEnv = "RVSIM_ENGINE"

// ErrEngine: an engine name that is neither "jit" nor "interp", or a jit
// engine asked for that cannot run on this host.
var ErrEngine = errors.New("bad engine")

// engineChoice is the engine a Config asks for, before the engine is made.
type engineChoice struct {
	name     string // EngineJIT or EngineInterp
	explicit bool   // asked for by Config.Engine or RVSIM_ENGINE
	source   string // "" (Config.Engine or the default) or EngineEnv
}

// CheckEngine checks an engine name as Config.Engine takes it: "",
// "jit" or "interp".
func CheckEngine(name string) error {
	switch name {
	case "", EngineJIT, EngineInterp:
		return nil
	}
	return fmt.Errorf("%w %q: want %s or %s", ErrEngine, name, EngineJIT, EngineInterp)
}

// chooseEngine resolves Config.Engine: the name given, else the value of
// RVSIM_ENGINE, else jit (whose self-check decides later whether it runs).
func chooseEngine(name string) (engineChoice, error) {
	if name != "" {
		if err := CheckEngine(name); err != nil {
			return engineChoice{}, err
		}
		return engineChoice{name: name, explicit: true}, nil
	}
	v, err := EngineFromEnv()
	if err != nil {
		return engineChoice{}, err
	}
	if v != "" {
		return engineChoice{name: v, explicit: true, source: EngineEnv}, nil
	}
	return engineChoice{name: EngineJIT}, nil
}

// EngineFromEnv returns the engine RVSIM_ENGINE names, "" when it is not
// set or empty, and an error wrapping ErrEngine naming the variable and its value
// when it is set to anything but "jit" or "interp".
func EngineFromEnv() (string, error) {
	v := os.Getenv(EngineEnv)
	if v == "" {
		return "", nil // unset, or set to nothing: as most tools take it
	}
	if v != EngineJIT && v != EngineInterp {
		return "", fmt.Errorf("%w: %s=%q: want %s or %s", ErrEngine, EngineEnv, v, EngineJIT, EngineInterp)
	}
	return v, nil
}

// engine is the engine a Machine runs the hart with.
type engine struct {
	jit   *jit.Engine // nil: the interpreter, or a closed jit engine
	name  string      // EngineJIT or EngineInterp
	note  string      // why, when it is not plainly what was asked
	final jit.Stats   // the jit engine's Stats when it was closed
	// waiting: the default engine waits for the self-check's verdict,
	// running the interpreter meanwhile (selfcheck.go); check is the
	// self-check once started, waited counts the instructions run.
	waiting bool
	check   *checkRun
	waited  uint64
}

// jitBuilt is jit.Supported; tests set it to see what a host without the
// engine does.
var jitBuilt = jit.Supported

// startEngine makes the engine c asks for, for h. A jit engine that
// cannot run (the self-check or jit.New fails) is an error when it was
// asked for, and the interpreter with a note saying why when it was the
// default. The default engine neither waits for the self-check's verdict
// nor starts the check: the interpreter runs until it is in
// (selfcheck.go). On a host the engine is not built for, there is no
// check: the default is the interpreter from the start, saying why.
func startEngine(c engineChoice, h *rv64.Hart) (engine, error) {
	from := ""
	if c.source != "" {
		from = c.source + "=" + c.name
	}
	if c.name == EngineInterp {
		return engine{name: EngineInterp, note: from}, nil
	}
	var err error
	switch {
	case !jitBuilt:
		err = jit.ErrUnsupported // no self-check to wait for
	case c.explicit:
		err = processCheck().wait()
	default:
		check := startedCheck()
		if check == nil {
			return engine{name: EngineJIT, note: notePending, waiting: true}, nil
		}
		var ok bool
		if err, ok = check.verdict(); !ok {
			return engine{name: EngineJIT, note: notePending, waiting: true, check: check}, nil
		}
	}
	var e *jit.Engine
	if err == nil {
		e, err = jit.New(h)
	}
	if err != nil {
		if c.explicit {
			what := "--engine jit"
			if from != "" {
				what = from
			}
			return engine{}, fmt.Errorf("%s: the native-code engine cannot run here: %w", what, err)
		}
		return engine{name: EngineInterp, note: "jit: " + err.Error()}, nil
	}
	return engine{jit: e, name: EngineJIT, note: from}, nil
}

// run runs the hart for at most budget instructions on the engine, with
// rv64.Hart.Run's contract.
func (m *Machine) run(budget uint64) rv64.Exit {
	if m.eng.waiting {
		return m.runPending(budget)
	}
	if e := m.eng.jit; e != nil {
		return e.Run(budget)
	}
	return m.Hart.Run(budget)
}

// closeEngine releases the jit engine's code cache; a Run after it would
// run the interpreter.
func (m *Machine) closeEngine() {
	if e := m.eng.jit; e != nil {
		m.eng.final = e.Stats()
		e.Close()
		m.eng.jit = nil
	}
}

// Engine says which engine runs the hart, "jit" or "interp", and a note
// saying why when it is not plainly what was asked (the interpreter
// chosen because the native-code engine cannot run here: "jit: " and the
// reason, which is also how a run that ended before the self-check's
// verdict says that it ran on the interpreter; the engine taken from
// RVSIM_ENGINE: "RVSIM_ENGINE=interp"; jit that started in mid-run, once
// its self-check passed: from which instruction), or "". While the
// default engine waits for the self-check's verdict, it is "jit" with a
// note saying so: the interpreter runs meanwhile.
func (m *Machine) Engine() (name, note string) { return m.eng.name, m.eng.note }

// JITStats returns what the native-code engine did so far (until Close),
// and false when the machine runs the interpreter. Instructions
// interpreted include those run while the default engine waited for the
// self-check's verdict.
func (m *Machine) JITStats() (jit.Stats, bool) {
	if m.eng.name != EngineJIT {
		return jit.Stats{}, false
	}
	st := m.eng.final
	if e := m.eng.jit; e != nil {
		st = e.Stats()
	}
	st.Interpreted += m.eng.waited
	return st, true
}
