//go:build !(linux && amd64)

package jit

import "github.com/rvsim/rvsim/rv64"

// Engine runs one hart's code as native code. On this host there is none:
// New fails with ErrUnsupported.
type Engine struct{ h *rv64.Hart }

// New fails with ErrUnsupported on this host.
func New(h *rv64.Hart) (*Engine, error) { return nil, ErrUnsupported }

// Run runs the interpreter (an Engine is never made on this host).
func (e *Engine) Run(budget uint64) rv64.Exit { return e.h.Run(budget) }

// Stats returns zero counts.
func (e *Engine) Stats() Stats { return Stats{} }

// Close does nothing.
func (e *Engine) Close() {}

// SelfCheck fails with ErrUnsupported on this host.
func SelfCheck() error { return ErrUnsupported }
