package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/rvsim/rvsim/gdbstub"
	"github.com/rvsim/rvsim/timetravel"
	"github.com/rvsim/rvsim/vmm"
)

// gdbFlags are the flags of run and replay that serve gdb instead of
// running to the end.
type gdbFlags struct {
	addr          string
	checkpointMem string
	capBytes      uint64 // checkpointMem parsed (check)
}

func (g *gdbFlags) register(cmd *cobra.Command, replay bool) {
	fl := cmd.Flags()
	fl.StringVar(&g.addr, "gdb", "", "serve one gdb on ADDR (:1234 or 1234 is 127.0.0.1:1234; host:port as given), stopped before the first instruction")
	if replay {
		fl.StringVar(&g.checkpointMem, "checkpoint-mem", "256M", "with --gdb: cap on the memory the checkpoints of reverse execution hold, with a K, M, G or T suffix as --mem")
	}
}

// checkpointCap parses --checkpoint-mem.
func (g *gdbFlags) checkpointCap() (uint64, error) { return parseCheckpointMem(g.checkpointMem) }

// parseCheckpointMem parses a --checkpoint-mem value (replay --gdb's and
// debug's).
func parseCheckpointMem(v string) (uint64, error) {
	n, err := parseSize(v)
	if err != nil {
		return 0, fmt.Errorf("--checkpoint-mem: %w", err)
	}
	return n, nil
}

// regularTrace refuses, before the trace is opened, a path that is not a
// regular file: reverse execution seeks back in it, and opening a FIFO
// that no one writes would block for ever. what names the command.
func regularTrace(path, what string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return regularMode(fi, path, what)
}

// seekableTrace checks that the trace f, opened from path for the command
// what, is a regular file: regularTrace has checked the path, this checks
// what was opened.
func seekableTrace(f *os.File, path, what string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return regularMode(fi, path, what)
}

// regularMode refuses a trace that is not a regular file.
func regularMode(fi os.FileInfo, path, what string) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s %q: the trace is not a regular file (a pipe or device): reverse execution seeks back in it; copy it to a file first", what, path)
	}
	return nil
}

// check refuses what does not go with --gdb in a replay: a trace that is
// not a regular file, --stop-at (seek with "monitor seek N" instead),
// --stats and --baseline.
func (g *gdbFlags) check(f *os.File, name string, stopAt uint64, stats bool) error {
	c, err := g.checkpointCap()
	if err != nil {
		return err
	}
	g.capBytes = c
	if stopAt != 0 {
		return fmt.Errorf("replay --gdb: --stop-at goes with a replay without gdb; under gdb, \"monitor seek N\" goes to instruction N")
	}
	if stats {
		return fmt.Errorf("replay --gdb: --stats and --baseline measure a replay without gdb")
	}
	return seekableTrace(f, name, "replay --gdb")
}

// replayGDB serves gdb for the replay m with the --checkpoint-mem cap.
func (a *app) replayGDB(m *vmm.Machine, g *gdbFlags) error {
	return a.serveGDB(m, g.addr, timetravel.Config{CheckpointMem: g.capBytes})
}

// serveGDB serves one gdb on addr for m: it listens, says where on stderr,
// and serves the first connection until gdb detaches, kills or
// disconnects. The exit status is 0, unless the run went to its end under
// gdb: then rvsim ends as run or replay would have there (the guest's exit
// status; replay says "replay identical" with the final digest first).
func (a *app) serveGDB(m *vmm.Machine, addr string, cfg timetravel.Config) error {
	cfg.Log = a.log
	s, err := timetravel.New(m, cfg)
	if err != nil {
		return fmt.Errorf("--gdb: %w", err)
	}
	defer s.Close()
	ln, err := gdbstub.Listen(addr)
	if err != nil {
		return fmt.Errorf("--gdb %q: %w", addr, err)
	}
	a.say("waiting for gdb on "+ln.Addr().String(), zap.String("gdb", ln.Addr().String()))
	srv := startGDBServer(a, ln, s)
	<-srv.done
	// gdb has gone, and the machine stands still: a progress line that
	// a long continue drew is erased before what rvsim prints next, or
	// the shell's prompt.
	a.eraseProgress()
	if srv.acceptErr != nil {
		return fmt.Errorf("--gdb %q: %w", addr, srv.acceptErr)
	}
	res, runErr, ended := s.End()
	if !ended && !m.Replaying() && !s.Killed() {
		// gdb detached from a live run: the program runs on to its
		// end without breakpoints, as under gdbserver.
		s.ClearBreaks()
		a.log.Info("gdb detached: the program runs on")
		res, runErr = m.Run()
		a.eraseProgress()
		return a.finish(res, runErr)
	}
	if !ended {
		return nil
	}
	if m.Replaying() {
		if !endedAsRecorded(runErr) {
			return runErr // a divergence or trace failure
		}
		a.sayIdentical(res)
	}
	return a.finish(res, runErr)
}
