package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rvsim/rvsim/gdbstub"
	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/timetravel"
	"github.com/rvsim/rvsim/vmm"
)

// errNoGDB: neither --gdb-path, gdb-multiarch nor a gdb that knows RISC-V
// was found.
var errNoGDB = errors.New("no gdb with RISC-V support found: install gdb-multiarch (Debian: apt-get install gdb-multiarch) or give --gdb-path")

// gdbArch is the architecture rvsim's gdb server describes; a gdb that
// cannot `set architecture` to it cannot debug rvsim's guests.
const gdbArch = "riscv:rv64"

// debugFlags are the flags of rvsim debug.
type debugFlags struct {
	gdbPath       string
	sysroot       string
	checkpointMem string
	engine        engineFlag
}

// debugCmd is rvsim debug: a replay served to a gdb that rvsim runs.
func (a *app) debugCmd() *cobra.Command {
	var df debugFlags
	usage := "rvsim debug [flags] [PROG.elf] TRACE.zst [-- GDB-ARGS...]"
	cmd := &cobra.Command{
		Use:   "debug [flags] [PROG.elf] TRACE.zst [-- GDB-ARGS...]",
		Short: "Replay a trace under gdb, forwards and backwards",
		Long: `Replay a trace under gdb, forwards and backwards.

rvsim debug starts the replay's gdb server on a free loopback port and runs
gdb-multiarch (or gdb, if it knows RISC-V; --gdb-path names another) on the
terminal, with the program's symbols loaded and connected to the replay, as
rr replay does. The replay stops before the first instruction. gdb's
continue, step, breakpoints and watchpoints work as on a live program, and
so do reverse-continue, reverse-step and reverse-stepi; "monitor help" lists
rvsim's own commands (icount, seek, events, checkpoints). rvsim exits with
gdb's exit status.

Without PROG.elf, the program is found as rvsim replay finds it. Arguments
after "--" are given to gdb (for example -batch -x SCRIPT).`,
		Args: debugArgs(usage),
		RunE: func(cmd *cobra.Command, args []string) error {
			gdbArgs := []string(nil)
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				args, gdbArgs = args[:dash], args[dash:]
			}
			return a.debug(&df, args, gdbArgs)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&df.gdbPath, "gdb-path", "", "the gdb to run (default: gdb-multiarch, else gdb if it knows riscv:rv64)")
	fl.StringVarP(&df.sysroot, "sysroot", "L", "", "gdb's sysroot, where it finds a dynamic program's libraries and their symbols (set sysroot DIR; default for a dynamic program: $"+sysrootEnv+", else "+vmm.DefaultSysroot+" if it exists)")
	df.engine.register(cmd, true)
	fl.StringVar(&df.checkpointMem, "checkpoint-mem", "", "cap on the memory the replay's checkpoints hold, in bytes or with a K, M, G or T suffix (default 256M)")
	return cmd
}

// debugArgs accepts one or two arguments before "--" (the trace, and the
// program before it) and anything after it.
func debugArgs(usage string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if dash := cmd.ArgsLenAtDash(); dash >= 0 {
			args = args[:dash]
		}
		return argCount(1, 2, usage)(cmd, args)
	}
}

// debug runs rvsim debug: the replay of args' trace served to a gdb that
// runs as rvsim's child, with extra as more of gdb's arguments.
func (a *app) debug(df *debugFlags, args, extra []string) error {
	var ckMem uint64
	if df.checkpointMem != "" {
		v, err := parseCheckpointMem(df.checkpointMem)
		if err != nil {
			return err
		}
		ckMem = v
	}
	engine, err := a.debuggerEngine(&df.engine)
	if err != nil {
		return err
	}
	sysroot, err := sysrootDir(df.sysroot)
	if err != nil {
		return err
	}
	m, prog, closeTrace, err := a.openReplay(args, engine)
	if err != nil {
		return err
	}
	defer closeTrace()
	gdb, err := findGDB(df.gdbPath)
	if err != nil {
		return err
	}
	sess, err := timetravel.New(m, timetravel.Config{CheckpointMem: ckMem, Log: a.log})
	if err != nil {
		return fmt.Errorf("debug: %w", err)
	}
	ln, err := gdbstub.Listen("127.0.0.1:0")
	if err != nil {
		sess.Close()
		return fmt.Errorf("debug: %w", err)
	}
	a.log.Info("gdb server on " + ln.Addr().String())
	srv := startGDBServer(a, ln, sess)
	if df.sysroot == "" && prog.Interp == "" {
		// Without -L, gdb gets a sysroot for a dynamic program only: it
		// finds its interpreter's and libraries' symbols where rvsim run
		// would have found the libraries.
		sysroot = ""
	}
	status, runErr := a.runGDB(gdb, gdbCommandLine(ln.Addr().String(), prog, sysroot, extra))
	// A server still busy after the grace period is left to the exit
	// of rvsim, and so is its session.
	served := srv.stop()
	if served {
		defer sess.Close()
	}
	if runErr != nil {
		return runErr
	}
	if served {
		if err := a.reportDebugEnd(sess); err != nil {
			return err
		}
	}
	if status != 0 {
		return &exitError{status}
	}
	return nil
}

// reportDebugEnd says how the replay ended if gdb ran it to its end, as
// rvsim replay does: "replay identical" with the final digest, or the
// divergence or trace failure (returned).
func (a *app) reportDebugEnd(sess *timetravel.Session) error {
	res, runErr, ended := sess.End()
	if !ended {
		return nil
	}
	if !endedAsRecorded(runErr) {
		return runErr
	}
	a.sayIdentical(res)
	return nil
}

// openReplay opens the trace (the last of args) and builds the machine
// that replays it, with the program args[0] or the one the trace names,
// on engine.
// The trace is read straight from its file, which a replay needs to seek
// in to go back to a checkpoint.
func (a *app) openReplay(args []string, engine string) (*vmm.Machine, *vmm.Program, func(), error) {
	tracePath := args[len(args)-1]
	var prog *vmm.Program
	if len(args) == 2 {
		p, err := vmm.LoadFile(args[0])
		if err != nil {
			return nil, nil, nil, wrongKind(err, args[0], debugOrder)
		}
		prog = p
	}
	if err := regularTrace(tracePath, "debug"); err != nil {
		return nil, nil, nil, err
	}
	f, err := os.Open(tracePath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("debug: %w", err)
	}
	if err := seekableTrace(f, tracePath, "debug"); err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	r, err := logfmt.NewReader(f, tracePath)
	if err != nil {
		f.Close()
		return nil, nil, nil, wrongKind(err, tracePath, debugOrder)
	}
	h := r.Header()
	if prog == nil {
		if prog, err = findProgram("debug", tracePath, h); err != nil {
			f.Close()
			return nil, nil, nil, err
		}
	}
	cfg := vmm.Config{
		MemSize: h.MemSize, Args: h.Args, Env: h.Env, TraceName: tracePath,
		Stdin: strings.NewReader(""), Stdout: a.stdout, Stderr: a.stderr, Log: a.log,
		Replay: r, Version: Version, Engine: engine,
	}
	m, err := a.newMachine(prog, cfg, true)
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	return m, prog, func() { f.Close() }, nil
}

// debugOrder is what wrongKind adds for debug's arguments.
const debugOrder = "the program comes first, the trace last: rvsim debug [flags] [PROG.elf] TRACE.zst [-- GDB-ARGS...]"

// findGDB returns the gdb to run: path if given, else gdb-multiarch from
// $PATH, else gdb if it can set its architecture to riscv:rv64.
func findGDB(path string) (string, error) {
	if path != "" {
		p, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Errorf("--gdb-path %q: %w", path, err)
		}
		if !gdbKnowsRISCV(p) {
			return "", fmt.Errorf("--gdb-path %q: not a gdb that debugs RISC-V (\"set architecture %s\" failed): give one that does (Debian: gdb-multiarch)", path, gdbArch)
		}
		return p, nil
	}
	if p, err := exec.LookPath("gdb-multiarch"); err == nil {
		return p, nil
	}
	if p, err := exec.LookPath("gdb"); err == nil && gdbKnowsRISCV(p) {
		return p, nil
	}
	return "", errNoGDB
}

// gdbKnowsRISCV reports whether the program at path is a gdb that can
// debug riscv:rv64: it says `The target architecture is set to
// "riscv:rv64".` once set to it (a gdb built for the host alone exits 1
// with `Undefined item: "riscv:rv64"`, and a program that is no gdb says
// neither).
func gdbKnowsRISCV(path string) bool {
	cmd := exec.Command(path, "-nx", "--batch", "-ex", "set architecture "+gdbArch, "-ex", "show architecture")
	out, err := cmd.CombinedOutput()
	return err == nil && strings.Contains(string(out), `"`+gdbArch+`"`) && !strings.Contains(string(out), "Undefined")
}

// gdbCommandLine is gdb's arguments: the architecture, the sysroot if
// given, the connection to addr, then extra, then the program, whose
// symbols gdb loads before it runs the -ex commands. A position-independent
// program is loaded bias above its link addresses, which gdb learns from
// no packet of rvsim's (it would from the auxiliary vector): its symbols
// are loaded with that offset (symbol-file -o) before gdb connects, so that
// breakpoints on its functions are where it runs and gdb finds its
// libraries through the dynamic linker's list.
func gdbCommandLine(addr string, prog *vmm.Program, sysroot string, extra []string) []string {
	args := []string{"-ex", "set architecture " + gdbArch}
	if sysroot != "" {
		args = append(args, "-ex", "set sysroot "+sysroot)
	}
	pie := prog.PIE && prog.Bias != 0
	if pie {
		args = append(args, "-ex", "exec-file "+gdbQuote(prog.Path),
			"-ex", fmt.Sprintf("symbol-file -o %#x %s", prog.Bias, gdbQuote(prog.Path)))
	}
	args = append(args, "-ex", "target remote "+addr)
	args = append(args, extra...)
	if pie {
		return args
	}
	return append(args, "--", prog.Path)
}

// gdbQuote quotes a file name for a gdb command that splits its arguments
// as a shell does (libiberty's buildargv): a backslash before every space,
// quote and backslash.
func gdbQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(" \t\n'\"\\", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// runGDB runs gdb with args on rvsim's terminal and returns its exit
// status (128 + the signal if a signal ended it). While gdb runs, rvsim
// takes no notice of SIGINT and SIGQUIT: a Ctrl-C or Ctrl-\ on the
// terminal reaches gdb too, which interrupts the replay through the
// protocol, or quits. The signals are caught rather than ignored, so that
// gdb starts with their default actions and sets its own.
func (a *app) runGDB(gdb string, args []string) (int, error) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGQUIT)
	quitTaken.Add(1)
	defer quitTaken.Add(-1)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-sigs:
			case <-done:
				return
			}
		}
	}()
	cmd := exec.Command(gdb, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	return 0, fmt.Errorf("debug: running %s: %w", gdb, err)
}

// gdbServer serves one gdb connection on a listener in the background.
type gdbServer struct {
	ln   net.Listener
	mu   sync.Mutex
	conn net.Conn
	done chan struct{}
	// acceptErr is why no gdb was served, when the listener failed
	// before stop closed it; read it once done is closed.
	acceptErr error
}

// startGDBServer accepts one connection on ln and serves sess on it.
func startGDBServer(a *app, ln net.Listener, sess *timetravel.Session) *gdbServer {
	s := &gdbServer{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			s.acceptErr = err // or stop closed the listener: gdb never connected
			return
		}
		s.mu.Lock()
		s.conn = conn
		s.mu.Unlock()
		if err := gdbstub.Serve(conn, sess, gdbstub.Options{Log: a.log}); err != nil {
			a.log.Warn("gdb connection ended: " + err.Error())
		}
		conn.Close()
	}()
	return s
}

// serverGrace is how long stop waits for the server to finish once gdb
// has gone.
const serverGrace = 5 * time.Second

// stop ends the server once gdb has gone: no more connections, and the
// connection closed (gdb's end closed it already; a replay running then
// is interrupted by the server, which kills the session). It reports
// whether the server finished within serverGrace.
func (s *gdbServer) stop() bool {
	s.ln.Close()
	s.mu.Lock()
	if s.conn != nil {
		s.conn.Close()
	}
	s.mu.Unlock()
	select {
	case <-s.done:
		return true
	case <-time.After(serverGrace):
		return false
	}
}
