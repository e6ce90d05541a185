package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/vmm"
)

// errProgramNotFound: replay was given only a trace, and the program it
// was recorded from is at none of the paths the trace names.
var errProgramNotFound = errors.New("the recorded program is not found")

func (a *app) replayCmd() *cobra.Command {
	var rf rrFlags
	var stats, progress bool
	var stopAt uint64
	cmd := &cobra.Command{
		Use:   "replay [flags] [PROG.elf] TRACE.zst",
		Short: "Re-execute exactly what a trace recorded, and check the final state",
		Long: `Re-execute exactly what a trace recorded, and check the final state.

Without PROG.elf, the program is found by the path the trace records, as
given to record (relative to the working directory), then by its absolute
path at recording time; its SHA-256 must be the recorded one. A program
that has moved is given explicitly: rvsim replay PROG.elf TRACE.zst.

--stop-at N stops the replay after N instructions; it then prints the
program counter and the state digest there and exits with status 0.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			tracePath := args[len(args)-1]
			var prog *vmm.Program
			if len(args) == 2 {
				p, err := vmm.LoadFile(args[0])
				if err != nil {
					return err
				}
				prog = p
			}
			f, err := os.Open(tracePath)
			if err != nil {
				return fmt.Errorf("replay: %w", err)
			}
			defer f.Close()
			r, err := logfmt.NewReader(bufio.NewReaderSize(f, 1<<16), tracePath)
			if err != nil {
				return err
			}
			h := r.Header()
			if prog == nil {
				if prog, err = findProgram(tracePath, h); err != nil {
					return err
				}
			}
			cfg := vmm.Config{
				MemSize: h.MemSize, MaxInsns: stopAt, Args: h.Args, Env: h.Env,
				Stdin: strings.NewReader(""), Stdout: a.stdout, Stderr: a.stderr, Log: a.log,
				Replay: r, Version: Version, Progress: a.progress(progress),
			}
			m, err := vmm.New(prog, cfg)
			if err != nil {
				return err
			}
			mr, runErr := a.runMeasured(m)
			res := mr.res
			var fe *vmm.FaultError
			switch {
			case errors.Is(runErr, vmm.ErrStopAt):
				// Faithful up to where the user asked it to stop: not
				// a failure.
				a.say(fmt.Sprintf("replay stopped as asked at instruction %d (--stop-at), pc %#x: faithful to the trace up to there, state digest %s",
					res.Instret, m.Hart.PC, res.Stats.Digest),
					zap.Uint64("instructions", res.Instret), zap.String("pc", fmt.Sprintf("%#x", m.Hart.PC)), zap.String("digest", res.Stats.Digest))
				runErr = nil
			case runErr == nil || errors.As(runErr, &fe) || errors.Is(runErr, vmm.ErrInsnLimit) ||
				errors.Is(runErr, vmm.ErrTimeout) || errors.Is(runErr, vmm.ErrInterrupted):
				a.say(fmt.Sprintf("replay identical: %d instructions, final state digest %s", res.Instret, res.Stats.Digest),
					zap.Uint64("instructions", res.Instret), zap.String("digest", res.Stats.Digest))
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
	return cmd
}

// findProgram finds the program a trace was recorded from when replay is
// given no PROG: at the path recorded (as given to record), then at the
// absolute path recorded. A program whose SHA-256 is the recorded one is
// preferred; failing that, the first one found is returned, and the
// replay refuses it naming both hashes.
func findProgram(tracePath string, h logfmt.Header) (*vmm.Program, error) {
	var paths []string
	for _, p := range []string{h.ELF, h.ELFAbs} {
		if p != "" && (len(paths) == 0 || paths[0] != p) {
			paths = append(paths, p)
		}
	}
	var first *vmm.Program
	for _, p := range paths {
		prog, err := vmm.LoadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("replay %q: the recorded program: %w", tracePath, err)
		}
		if fmt.Sprintf("%x", prog.SHA256) == h.ELFSHA256 {
			return prog, nil
		}
		if first == nil {
			first = prog
		}
	}
	if first != nil {
		return first, nil
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	where := "the trace names no path"
	if len(quoted) > 0 {
		where = "tried " + strings.Join(quoted, " and ")
	}
	return nil, fmt.Errorf("replay %q: %w (%s); give it: rvsim replay PROG TRACE", tracePath, errProgramNotFound, where)
}
