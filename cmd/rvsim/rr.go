package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/vmm"
)

// defaultExitCost is the modelled cost of one exit to the monitor, in
// cycles: a VM exit round trip on x86 is on the order of 1,000-2,500.
const defaultExitCost = 1500

// rrFlags are the flags record and replay share beyond machineFlags.
type rrFlags struct {
	exitCost uint64
}

func (f *rrFlags) register(cmd *cobra.Command) {
	cmd.Flags().Uint64Var(&f.exitCost, "exit-cost", defaultExitCost, "modelled cost of one exit to the monitor, in cycles (for --stats)")
}

func (a *app) recordCmd() *cobra.Command {
	var mf machineFlags
	var rf rrFlags
	var out string
	var ndBuffer uint64
	cmd := &cobra.Command{
		Use:   "record [flags] PROG.elf [ARGS...]",
		Short: "Run a program and record its non-deterministic events into a trace",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if ndBuffer == 0 || ndBuffer > 1<<24 {
				return fmt.Errorf("--nd-buffer %d: want 1 to %d entries", ndBuffer, 1<<24)
			}
			prog, cfg, err := a.load(&mf, args)
			if err != nil {
				return err
			}
			// SIGINT and SIGTERM finish the trace: the current segment and
			// a footer that marks it interrupted. They are caught before
			// the trace is created, so that one that arrives while the
			// machine is being built is not lost (nor kills rvsim and
			// leaves a trace without a footer): it stops the run at once.
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(sigs)
			f, err := createTrace(out)
			if err != nil {
				return fmt.Errorf("record: %w", err)
			}
			defer f.Close()
			// A guest blocked reading standard input must not keep a
			// signal from ending the recording: its read is abandoned.
			stop := make(chan struct{})
			cfg.Stdin = &stopReader{r: cfg.Stdin, stop: stop}
			cfg.Record, cfg.TraceName, cfg.NDBuffer, cfg.Version = f, out, ndBuffer, Version
			m, err := vmm.New(prog, cfg)
			if err != nil {
				return err
			}
			done := make(chan struct{})
			go func() {
				select {
				case <-sigs:
					m.Stop()
					close(stop)
				case <-done:
				}
			}()
			res, runErr := m.Run()
			close(done)
			if err := f.Close(); err != nil && runErr == nil {
				runErr = fmt.Errorf("record: %s: %w", out, err)
			}
			if mf.stats {
				a.printRRStats(res, rf.exitCost, a.baseline(prog, cfg, res))
			}
			return a.finish(res, runErr)
		},
	}
	mf.register(cmd)
	rf.register(cmd)
	guestArgsAfterProgram(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "trace.zst", "trace file to write")
	cmd.Flags().Uint64Var(&ndBuffer, "nd-buffer", vmm.DefaultNDBuffer, "ND buffer capacity in entries (1 is one exit per event)")
	return cmd
}

func (a *app) replayCmd() *cobra.Command {
	var rf rrFlags
	var stats bool
	var maxInsns uint64
	cmd := &cobra.Command{
		Use:   "replay [flags] PROG.elf TRACE.zst",
		Short: "Re-execute exactly what a trace recorded, and check the final state",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			prog, err := vmm.LoadFile(args[0])
			if err != nil {
				return err
			}
			f, err := os.Open(args[1])
			if err != nil {
				return fmt.Errorf("replay: %w", err)
			}
			defer f.Close()
			r, err := logfmt.NewReader(bufio.NewReaderSize(f, 1<<16), args[1])
			if err != nil {
				return err
			}
			h := r.Header()
			cfg := vmm.Config{
				MemSize: h.MemSize, MaxInsns: maxInsns, Args: h.Args, Env: h.Env,
				Stdin: strings.NewReader(""), Stdout: a.stdout, Stderr: a.stderr, Log: a.log,
				Replay: r, Version: Version,
			}
			m, err := vmm.New(prog, cfg)
			if err != nil {
				return err
			}
			res, runErr := m.Run()
			var fe *vmm.FaultError
			if runErr == nil || errors.As(runErr, &fe) || errors.Is(runErr, vmm.ErrInsnLimit) ||
				errors.Is(runErr, vmm.ErrTimeout) || errors.Is(runErr, vmm.ErrInterrupted) {
				fmt.Fprintf(a.stderr, "rvsim: replay identical: %d instructions, final state digest %s\n", res.Instret, res.Stats.Digest)
			}
			if stats {
				cfg.Replay = nil
				a.printRRStats(res, rf.exitCost, a.baseline(prog, cfg, res))
			}
			return a.finish(res, runErr)
		},
	}
	rf.register(cmd)
	cmd.Flags().BoolVar(&stats, "stats", false, "print what the replay cost on stderr at the end")
	cmd.Flags().Uint64Var(&maxInsns, "max-insns", 0, "stop with an error after this many instructions (0: no limit)")
	return cmd
}

// createTrace creates the file record writes the trace to. Tests replace
// it to make writes fail as on a full disk.
var createTrace = func(name string) (io.WriteCloser, error) { return os.Create(name) }

// errReadInterrupted is what a guest's read of standard input gets when a
// signal ends the recording while the read waits for input.
var errReadInterrupted = errors.New("read interrupted: the recording is ending")

// stopReader reads r, but gives up waiting once stop is closed: a guest
// that waits for input on an idle terminal or pipe then gets an error
// (which the trace records), and the run loop sees the stop request. Each
// Read reads r only as far as it is asked, so nothing is read ahead that
// the guest did not ask for; a read given up on is left to finish in the
// background and its bytes are dropped.
type stopReader struct {
	r    io.Reader
	stop <-chan struct{}
	buf  []byte // reused: once a read is given up on, no other starts
}

type readResult struct {
	b   []byte
	err error
}

// Read reads up to len(p) bytes from r, unless stop is or gets closed
// first.
func (s *stopReader) Read(p []byte) (int, error) {
	select {
	case <-s.stop:
		return 0, errReadInterrupted
	default:
	}
	if len(p) == 0 {
		return 0, nil
	}
	if cap(s.buf) < len(p) {
		s.buf = make([]byte, len(p))
	}
	b := s.buf[:len(p)]
	ch := make(chan readResult, 1)
	go func() {
		n, err := s.r.Read(b)
		ch <- readResult{b[:n], err}
	}()
	select {
	case res := <-ch:
		return copy(p, res.b), res.err
	case <-s.stop:
		return 0, errReadInterrupted
	}
}

// baseline runs the program once more in normal mode, output discarded and
// no input, for at most as many instructions as res, and returns its wall
// time per 1000 instructions: the denominator of the slowdown.
func (a *app) baseline(prog *vmm.Program, cfg vmm.Config, res vmm.Result) time.Duration {
	if res.Instret == 0 {
		return 0
	}
	cfg.Record, cfg.Replay = nil, nil
	cfg.Stdin, cfg.Stdout, cfg.Stderr = strings.NewReader(""), io.Discard, io.Discard
	cfg.MaxInsns = res.Instret
	m, err := vmm.New(prog, cfg)
	if err != nil {
		return 0
	}
	r, _ := m.Run()
	if r.Instret == 0 {
		return 0
	}
	return time.Duration(float64(r.Wall) / float64(r.Instret) * 1000)
}

func sum(m map[string]uint64) uint64 {
	var t uint64
	for _, v := range m {
		t += v
	}
	return t
}

// byKey formats a count map as "a 1, b 2" in key order.
func byKey(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// printRRStats prints the cost figures of a record or replay run. base is
// the wall time of 1000 instructions in a normal run (0 if unknown).
func (a *app) printRRStats(res vmm.Result, exitCost uint64, base time.Duration) {
	s := res.Stats
	events, exits := sum(s.Events), sum(s.Exits)
	nd := s.Exits[vmm.ExitNDFull] + s.Exits[vmm.ExitNDEmpty]
	perM := func(n uint64) float64 {
		if res.Instret == 0 {
			return 0
		}
		return float64(n) * 1e6 / float64(res.Instret)
	}
	w := a.stderr
	fmt.Fprintf(w, "rvsim: stats: instructions %d\n", res.Instret)
	fmt.Fprintf(w, "rvsim: stats: events %d (%s)\n", events, byKey(s.Events))
	fmt.Fprintf(w, "rvsim: stats: exits %d (%s)\n", exits, byKey(s.Exits))
	fmt.Fprintf(w, "rvsim: stats: exits per million instructions %.2f (nd buffer %.2f)\n", perM(exits), perM(nd))
	fmt.Fprintf(w, "rvsim: stats: modelled exit cost %d cycles (%d exits x %d cycles)\n", exits*exitCost, exits, exitCost)
	if s.TraceBytes > 0 {
		bpe := 0.0
		if events > 0 {
			bpe = float64(s.TraceBytes) / float64(events)
		}
		fmt.Fprintf(w, "rvsim: stats: trace bytes %d in %d segments, bytes per event %.2f\n", s.TraceBytes, s.Segments, bpe)
	}
	fmt.Fprintf(w, "rvsim: stats: wall time %.6fs\n", res.Wall.Seconds())
	if base > 0 && res.Instret > 0 {
		per := float64(res.Wall) / float64(res.Instret) * 1000
		fmt.Fprintf(w, "rvsim: stats: slowdown %.3f against a normal run (%.1f vs %.1f ns per 1000 instructions)\n",
			per/float64(base), per, float64(base))
	}
}
