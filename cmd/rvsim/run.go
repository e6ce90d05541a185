package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/rvsim/rvsim/timetravel"
	"github.com/rvsim/rvsim/vmm"
)

func (a *app) runCmd() *cobra.Command {
	var mf machineFlags
	var gf gdbFlags
	cmd := &cobra.Command{
		Use:   "run [flags] PROG.elf [ARGS...]",
		Short: "Run a program in normal mode",
		Long: `Run a program in normal mode.

rvsim's flags come before the program: everything after it, flags and "--"
included, is the guest's arguments, as with qemu-riscv64.

--gdb ADDR serves one gdb instead, stopped before the first instruction,
forwards only (a run is not deterministic: record it and use replay --gdb
or rvsim debug to go back).`,
		Args: argCount(1, -1, "rvsim run [flags] PROG.elf [ARGS...]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if gf.addr != "" && mf.stats {
				return errors.New("run --gdb: --stats measures a run without gdb")
			}
			defer catchSIGPIPE()()
			a.startSelfCheck(&mf.engine, gf.addr != "")
			prog, cfg, err := a.load(&mf, args)
			if err != nil {
				return err
			}
			cfg.Progress = a.progress(mf.progress, progressRun)
			defer a.eraseOnSignals(cfg.Progress)()
			if gf.addr != "" {
				if cfg.Engine, err = a.debuggerEngine(&mf.engine); err != nil {
					return err
				}
			}
			m, err := a.newMachine(prog, cfg, gf.addr != "")
			if err != nil {
				return err
			}
			if gf.addr != "" {
				return a.serveGDB(m, gf.addr, timetravel.Config{})
			}
			mr, err := a.runMeasured(m)
			if mf.stats {
				a.printStats(basicStats(mr))
			}
			return a.finish(mr.res, err)
		},
	}
	mf.register(cmd)
	gf.register(cmd, false)
	guestArgsAfterProgram(cmd)
	return cmd
}

// guestArgsAfterProgram makes cmd stop parsing its flags at the program:
// as with qemu-riscv64, everything after it, flags and "--" included,
// belongs to the guest. A "--" before the program ends rvsim's flags.
func guestArgsAfterProgram(cmd *cobra.Command) {
	cmd.Flags().SetInterspersed(false)
}

// load loads the program named by args[0] and makes its configuration
// with the rest of args as the guest's arguments.
func (a *app) load(mf *machineFlags, args []string) (*vmm.Program, vmm.Config, error) {
	prog, err := vmm.LoadFile(args[0])
	if err != nil {
		return nil, vmm.Config{}, wrongKind(err, args[0], "replay it: rvsim replay [flags] [PROG.elf] TRACE.zst")
	}
	cfg, err := mf.config(a, prog, args[1:])
	return prog, cfg, err
}

// finish turns the end of a run into rvsim's exit status and message.
func (a *app) finish(res vmm.Result, err error) error {
	var fe *vmm.FaultError
	if errors.As(err, &fe) {
		a.fatal(err)
		return &exitError{fe.Status}
	}
	if err != nil {
		return err
	}
	a.status = res.Status
	return nil
}
