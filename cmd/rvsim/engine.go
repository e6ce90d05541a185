package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/rvsim/rvsim/vmm"
)

// engineFlag is --engine: "jit", "interp", or "" when not given (the
// default: vmm.Config's).
type engineFlag struct{ name string }

// String returns the engine given, "" if none.
func (f *engineFlag) String() string { return f.name }

// Set takes an engine name; anything but jit or interp is refused, as a
// bad flag value (flagError words it).
func (f *engineFlag) Set(v string) error {
	if v != vmm.EngineJIT && v != vmm.EngineInterp {
		return errors.New("want " + vmm.EngineJIT + " or " + vmm.EngineInterp)
	}
	f.name = v
	return nil
}

// Type is the value's name in the help text: the names it takes.
func (f *engineFlag) Type() string { return "jit|interp" }

// register adds --engine to cmd; debugger says the command serves a
// debugger, which runs the interpreter.
func (f *engineFlag) register(cmd *cobra.Command, debugger bool) {
	usage := "engine that runs the guest: jit (native code) or interp (the interpreter); default: $" + vmm.EngineEnv +
		", else jit where its start-up self-check passes, else interp"
	if debugger {
		usage = "engine that runs the guest: only interp (the interpreter) with a debugger, which stops at every instruction"
	}
	cmd.Flags().Var(f, "engine", usage)
}

// errDebuggerJIT: --engine jit with a debugger, which runs the
// interpreter.
var errDebuggerJIT = errors.New("--engine jit: a debugger runs the interpreter, which stops exactly at every instruction; leave --engine out or give --engine interp")

// debuggerEngine returns the engine of a debugger session (rvsim debug,
// run --gdb, replay --gdb): the interpreter. --engine jit is an error;
// RVSIM_ENGINE=jit is not (it sets a default for every command) and is
// set aside, but a value that is neither jit nor interp is.
func (a *app) debuggerEngine(f *engineFlag) (string, error) {
	if f.name == vmm.EngineJIT {
		return "", errDebuggerJIT
	}
	if _, err := vmm.EngineFromEnv(); err != nil {
		return "", err
	}
	return vmm.EngineInterp, nil
}

// startSelfCheck starts jit's start-up self-check in the background when
// the command line asks for jit by name (--engine jit, or RVSIM_ENGINE=jit
// without --engine, and no debugger): New waits for its verdict, which is
// then sooner in. The default engine starts it only once a program has run
// long enough for jit to matter.
func (a *app) startSelfCheck(f *engineFlag, debugger bool) {
	if debugger || f.name == vmm.EngineInterp {
		return
	}
	if v, err := vmm.EngineFromEnv(); err == nil && (f.name == vmm.EngineJIT || v == vmm.EngineJIT) {
		vmm.StartSelfCheck()
	}
}

// newMachine builds the machine for prog and logs at info level which
// engine runs it, and why when it is not plainly the one asked for: once
// known, which for the default engine may be in mid-run, when jit's
// self-check gives its verdict, or at the end of a run that ended before
// it. debugger says that the engine is the interpreter because a
// debugger will drive the machine.
func (a *app) newMachine(prog *vmm.Program, cfg vmm.Config, debugger bool) (*vmm.Machine, error) {
	cfg.EngineChosen = func(name, note string) {
		if debugger {
			note = "a debugger: it stops at every instruction"
		}
		a.log.Info("engine: " + engineText(name, note))
	}
	a.progressStreams(&cfg)
	return vmm.New(prog, cfg)
}

// engineText is an engine's name, with the note saying why, if any.
func engineText(name, note string) string {
	if note == "" {
		return name
	}
	return name + " (" + note + ")"
}

// engineStats are the --stats figures of the engine: its name and, for
// the native-code engine, what it translated and how much it left to the
// interpreter.
func engineStats(m *vmm.Machine) []stat {
	name, note := m.Engine()
	out := []stat{{"engine " + engineText(name, note), []zap.Field{zap.String("engine", name), zap.String("engine_note", note)}}}
	js, ok := m.JITStats()
	if !ok {
		return out
	}
	return append(out, stat{
		fmt.Sprintf("jit blocks %d, code bytes %d, translation time %.6fs, entries %d, instructions interpreted %d, blocks invalidated %d, cache flushes %d, loops %d, translated again for the watch range %d",
			js.Blocks, js.CodeBytes, js.TranslateTime.Seconds(), js.Entries, js.Interpreted, js.Invalidated, js.Flushes, js.Loops, js.Watched),
		[]zap.Field{zap.Uint64("jit_blocks", js.Blocks), zap.Uint64("jit_code_bytes", js.CodeBytes),
			zap.Float64("jit_translate_seconds", js.TranslateTime.Seconds()), zap.Uint64("jit_entries", js.Entries),
			zap.Uint64("jit_interpreted", js.Interpreted), zap.Uint64("jit_invalidated", js.Invalidated),
			zap.Uint64("jit_flushes", js.Flushes), zap.Uint64("jit_loops", js.Loops), zap.Uint64("jit_watched", js.Watched)}})
}
