package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/vmm"
)

// defaultExitCost is the modelled cost of one exit to the monitor, in
// cycles: a VM exit round trip on x86 is on the order of 1,000-2,500.
const defaultExitCost = 1500

// rrFlags are the flags record and replay share beyond machineFlags.
type rrFlags struct {
	exitCost uint64
	baseline bool
}

func (f *rrFlags) register(cmd *cobra.Command) {
	cmd.Flags().Uint64Var(&f.exitCost, "exit-cost", defaultExitCost, "modelled cost of one exit to the monitor, in cycles (for --stats)")
	cmd.Flags().BoolVar(&f.baseline, "baseline", false, "print --stats with the slowdown against a normal run, by CPU time: runs the program a second time, output discarded")
}

func (a *app) recordCmd() *cobra.Command {
	var mf machineFlags
	var rf rrFlags
	var out string
	var ndBuffer uint64
	cmd := &cobra.Command{
		Use:   "record [flags] PROG.elf [ARGS...]",
		Short: "Run a program and record its non-deterministic events into a trace",
		Long: `Run a program and record its non-deterministic events into a trace.

rvsim's flags come before the program: everything after it, flags and "--"
included, is the guest's arguments, as with qemu-riscv64. The trace (-o) may
not be the program itself, nor an existing file that is not an rvsim trace,
nor a trace another rvsim is recording into; an existing trace is replaced,
with a warning, once the program is loaded: a recording that cannot start
leaves it as it was.`,
		Args: argCount(1, -1, "rvsim record [flags] PROG.elf [ARGS...]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ndBuffer == 0 || ndBuffer > vmm.MaxNDBuffer {
				return fmt.Errorf("--nd-buffer %d: want 1 to %d entries", ndBuffer, vmm.MaxNDBuffer)
			}
			a.startSelfCheck(&mf.engine, false)
			prog, cfg, err := a.load(&mf, args)
			if err != nil {
				return err
			}
			// SIGINT, SIGTERM, SIGHUP and SIGQUIT finish the trace: the current
			// segment and a footer that marks it interrupted. They are
			// caught before the trace is created, so that one that arrives
			// while the machine is being built is not lost (nor kills rvsim
			// and leaves a trace without a footer): it stops the run at
			// once. A SIGINT or SIGHUP ignored when rvsim started (nohup)
			// stays ignored: it does not stop the recording. SIGPIPE is
			// caught too: a reader that quits is the guest's EPIPE, not
			// rvsim's death.
			sigs := make(chan os.Signal, 1)
			if caught := caughtSignals(); len(caught) > 0 { // none would mean every signal
				signal.Notify(sigs, caught...)
			}
			quitTaken.Add(1)
			defer quitTaken.Add(-1)
			defer signal.Stop(sigs)
			defer catchSIGPIPE()()
			replacing, err := a.checkOutput(out, prog)
			if err != nil {
				return err
			}
			_, statErr := os.Stat(out) // through a link: the file the open may create
			f, err := createTrace(out)
			if err != nil {
				return fmt.Errorf("record: %w", err)
			}
			defer f.Close()
			t := &traceOut{WriteCloser: f, name: out, replacing: replacing, warn: func(s string) { a.log.Warn(s) }}
			cfg.Record, cfg.TraceName, cfg.NDBuffer, cfg.Version = t, out, ndBuffer, Version
			cfg.Progress = a.progress(mf.progress, progressRecord)
			m, err := a.newMachine(prog, cfg, false)
			if err != nil {
				t.abandon(errors.Is(statErr, fs.ErrNotExist))
				return err
			}
			done := make(chan struct{})
			go func() {
				select {
				case <-sigs:
					// A guest blocked reading or writing a pipe or terminal
					// gives way too: vmm abandons the call. So does a trace
					// written to a pipe nobody reads, after a grace period.
					m.Stop()
					stopTraceWrites(f)
				case <-done:
				}
			}()
			mr, runErr := a.runMeasured(m)
			close(done)
			if err := f.Close(); err != nil && runErr == nil {
				runErr = fmt.Errorf("record: %s: %w", out, err)
			}
			if mf.stats || rf.baseline {
				var base *measured
				if rf.baseline {
					base = baseline(prog, cfg, mr.res)
				}
				a.printStats(rrStats(mr, rf.exitCost, base))
			}
			return a.finish(mr.res, runErr)
		},
	}
	mf.register(cmd)
	rf.register(cmd)
	guestArgsAfterProgram(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "trace.zst", "trace file to write; refused if it is the program, an existing file that is not an rvsim trace, or where rvsim's standard output or error goes (the program writes there too)")
	cmd.Flags().Uint64Var(&ndBuffer, "nd-buffer", vmm.DefaultNDBuffer, "ND buffer capacity in entries (1 is one exit per event)")
	return cmd
}

func (a *app) replayCmd() *cobra.Command {
	var rf rrFlags
	var stats, progress bool
	var stopAt uint64
	var gf gdbFlags
	var ef engineFlag
	cmd := &cobra.Command{
		Use:   "replay [flags] [PROG.elf] TRACE.zst",
		Short: "Re-execute exactly what a trace recorded, and check the final state",
		Long: `Re-execute exactly what a trace recorded, and check the final state.

Without PROG.elf, the program is found by the path the trace records, as
given to record (relative to the working directory), then by its absolute
path at recording time; its SHA-256 must be the recorded one. A program
that has moved is given explicitly: rvsim replay PROG.elf TRACE.zst.

--stop-at N stops the replay after N instructions; it then prints the
program counter and the state digest there and exits with status 0.

--gdb ADDR serves one gdb (target remote ADDR) instead, stopped before the
first instruction: forwards and backwards (reverse-stepi, reverse-continue,
watchpoints), with "monitor help" for the instruction-count commands. The
trace must be a regular file. rvsim exits with status 0 when gdb detaches
or kills, and as the replay would when gdb ran it to its end.`,
		Args: argCount(1, 2, "rvsim replay [flags] [PROG.elf] TRACE.zst"),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer catchSIGPIPE()()
			a.startSelfCheck(&ef, gf.addr != "")
			tracePath := args[len(args)-1]
			var prog *vmm.Program
			if len(args) == 2 {
				p, err := vmm.LoadFile(args[0])
				if err != nil {
					return wrongKind(err, args[0], replayOrder)
				}
				prog = p
			}
			if gf.addr != "" {
				if err := regularTrace(tracePath, "replay --gdb"); err != nil {
					return err
				}
			} else if cmd.Flags().Changed("checkpoint-mem") {
				return errors.New("replay: --checkpoint-mem goes with --gdb (it caps the checkpoints of reverse execution)")
			}
			f, err := os.Open(tracePath)
			if err != nil {
				return fmt.Errorf("replay: %w", err)
			}
			defer f.Close()
			var src io.Reader = bufio.NewReaderSize(f, 1<<16)
			if gf.addr != "" {
				if err := gf.check(f, tracePath, stopAt, stats || rf.baseline); err != nil {
					return err
				}
				src = f // seekable
			}
			r, err := logfmt.NewReader(src, tracePath)
			if err != nil {
				if len(args) == 1 {
					return wrongKind(err, tracePath, replayTrace)
				}
				return wrongKind(err, tracePath, replayOrder)
			}
			h := r.Header()
			if prog == nil {
				if prog, err = findProgram("replay", tracePath, h); err != nil {
					return err
				}
			}
			cfg := vmm.Config{
				MemSize: h.MemSize, MaxInsns: stopAt, Args: h.Args, Env: h.Env, TraceName: tracePath,
				Stdin: strings.NewReader(""), Stdout: a.stdout, Stderr: a.stderr, Log: a.log,
				Replay: r, Version: Version, Progress: a.progress(progress, progressReplay), Engine: ef.name,
			}
			defer a.eraseOnSignals(cfg.Progress)()
			if gf.addr != "" {
				if cfg.Engine, err = a.debuggerEngine(&ef); err != nil {
					return err
				}
			}
			m, err := a.newMachine(prog, cfg, gf.addr != "")
			if err != nil {
				return err
			}
			if gf.addr != "" {
				return a.replayGDB(m, &gf)
			}
			mr, runErr := a.runMeasured(m)
			res := mr.res
			switch {
			case errors.Is(runErr, vmm.ErrStopAt):
				// Faithful up to where the user asked it to stop: not
				// a failure.
				a.say(fmt.Sprintf("replay stopped as asked at instruction %d (--stop-at), pc %#x: faithful to the trace up to there, state digest %s",
					res.Instret, m.Hart.PC, res.Stats.Digest),
					zap.Uint64("instructions", res.Instret), zap.String("pc", fmt.Sprintf("%#x", m.Hart.PC)), zap.String("digest", res.Stats.Digest))
				runErr = nil
			case endedAsRecorded(runErr):
				// runErr is how the recording was stopped, and is
				// reported after this line.
				a.sayIdentical(res)
			}
			if stats || rf.baseline {
				var base *measured
				if rf.baseline {
					cfg.Replay = nil
					base = baseline(prog, cfg, res)
				}
				a.printStats(rrStats(mr, rf.exitCost, base))
			}
			return a.finish(res, runErr)
		},
	}
	rf.register(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&stats, "stats", false, "print what the replay cost on stderr at the end")
	fl.BoolVar(&progress, "progress", false, "show a progress line, redrawn about once a second, when stderr is a terminal")
	fl.Uint64Var(&stopAt, "stop-at", 0, "stop the replay after this many instructions and print the state digest there; exit status 0 (0: no stop)")
	fl.Uint64Var(&stopAt, "max-insns", 0, "the same as --stop-at")
	gf.register(cmd, true)
	ef.register(cmd, false)
	var sysroot string
	fl.StringVarP(&sysroot, "sysroot", "L", "", "accepted and ignored, so that a recording's command line replays as it is: a replay needs no sysroot, the trace holds every byte the guest mapped or read")
	return cmd
}

// endedAsRecorded reports whether a replay that ended with runErr (what
// vmm.Machine.Run returned) ended as the recording did: nil for an exit,
// or how the recorded run was stopped (a fault, the instruction limit, the
// timeout, an interrupt, a stuck or unsupported call). Anything else is a
// divergence or a trace failure.
func endedAsRecorded(runErr error) bool {
	var fe *vmm.FaultError
	return runErr == nil || errors.As(runErr, &fe) || errors.Is(runErr, vmm.ErrInsnLimit) ||
		errors.Is(runErr, vmm.ErrTimeout) || errors.Is(runErr, vmm.ErrInterrupted) ||
		errors.Is(runErr, vmm.ErrStuck) || errors.Is(runErr, vmm.ErrUnsupported) || errors.Is(runErr, vmm.ErrSemihostOp)
}

// sayIdentical prints the line of a replay that ended as recorded.
func (a *app) sayIdentical(res vmm.Result) {
	a.say(fmt.Sprintf("replay identical: %d instructions, final state digest %s", res.Instret, res.Stats.Digest),
		zap.Uint64("instructions", res.Instret), zap.String("digest", res.Stats.Digest))
}

// createTrace creates the file record writes the trace to. Tests replace
// it to make writes fail as on a full disk.
var createTrace = openTrace

// openTrace opens name for writing only: opened read-write, a pipe or
// FIFO (`-o /dev/stdout`, `-o /dev/fd/3`, `-o fifo`) would have rvsim as
// one of its own readers, so that a reader that quits never gave EPIPE and
// a stalled one blocked the recorder for ever. A FIFO is opened without
// waiting for a reader: with none, the open fails at once. A pipe or FIFO
// is written through the runtime's poller, so that a stop can put a
// deadline on a write that waits (see stopTraceWrites). A regular file is
// locked (lockTrace), not emptied (traceOut.Write empties it at the first
// write, once the machine is built): a second recording into a trace being recorded
// fails, and leaves that one whole.
func openTrace(name string) (io.WriteCloser, error) {
	if fi, err := os.Stat(name); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
		f, err := os.OpenFile(name, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if errors.Is(err, syscall.ENXIO) {
			return nil, fmt.Errorf("open %s: a FIFO that no process reads", name)
		}
		return f, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode().IsRegular() {
		err = lockTrace(f)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

// replayOrder is what wrongKind adds for replay's arguments, and
// replayTrace for a program given alone.
const (
	replayOrder = "the program comes first, the trace last: rvsim replay [flags] [PROG.elf] TRACE.zst"
	replayTrace = "give the trace too, last: rvsim replay [flags] [PROG.elf] TRACE.zst"
)

// errTraceLocked is openTrace's error for a trace that another rvsim is
// recording into.
var errTraceLocked = errors.New("another rvsim is recording into this trace; nothing written: wait for it or give another -o")

// traceWriteGrace is how long, after a signal asked a recording to stop,
// the trace's last segments and footer may wait on a pipe or FIFO whose
// reader does not read before the write is given up.
const traceWriteGrace = 2 * time.Second

// stopTraceWrites puts a deadline on the trace's writes, if the trace is
// a pipe or FIFO (a regular file has none and needs none): a recorder
// whose trace reader stalls still ends when asked to stop.
func stopTraceWrites(f io.Writer) {
	if d, ok := f.(interface{ SetWriteDeadline(time.Time) error }); ok {
		d.SetWriteDeadline(time.Now().Add(traceWriteGrace))
	}
}
