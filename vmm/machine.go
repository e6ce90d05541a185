package vmm

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/rv64"
)

// DefaultMemory is the guest memory size when the user gives none.
const DefaultMemory = 256 << 20

// PageSize is the guest page size (AT_PAGESZ, mmap and brk granularity).
const PageSize = 4096

// chunk is how many instructions the run loop lets the hart run between
// checks of the instruction limit and the stop flag.
const chunk = 1 << 22

// Config is what a run needs besides the program.
type Config struct {
	MemSize  uint64        // guest memory in bytes; DefaultMemory if 0
	MaxInsns uint64        // stop after this many instructions; 0 means no limit
	Timeout  time.Duration // stop after this much wall-clock time; 0 means no limit
	Args     []string      // argv, argv[0] included
	Env      []string      // envp, "KEY=VALUE"
	FSRoot   string        // directory the guest may open files below (read-only); "" for none
	// Sysroot is the directory of the target's libraries, where a
	// dynamic program's interpreter and the libraries it opens (library
	// paths only: /lib, /usr/lib, /etc/ld.so.cache, ...) are found,
	// read-only, as with qemu-riscv64's -L. "" for none. Replay takes
	// everything from the trace and needs none.
	Sysroot string
	// Stdin, Stdout and Stderr are the guest's standard streams. An
	// *os.File, or a HostFiler, is a host file to the guest's fstat and
	// lseek; one with SyscallConn is polled, so that Stop ends a wait on
	// it, and takes terminal ioctls.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Log    *zap.Logger

	// Record, when set, records the run: the trace is written to it.
	Record io.Writer
	// TraceName names the trace (its path) in record and replay errors;
	// it may be empty.
	TraceName string
	// NDBuffer is the ND buffer capacity in entries for record
	// (DefaultNDBuffer if 0). Replay takes it from the trace.
	NDBuffer uint64
	// Replay, when set, replays the trace it reads. Args and Env must be
	// the trace header's; MemSize is taken from the header (0, or the
	// header's). New checks the header before it reserves memory.
	Replay *logfmt.Reader
	// Version is the rvsim version written into trace headers.
	Version string
	// Progress, when set, is called from the run loop about once a
	// second with how far the run is.
	Progress func(ProgressReport)
	// Engine runs the hart: EngineJIT, EngineInterp, or "" for the
	// default, which is $RVSIM_ENGINE when set, else jit when its
	// self-check passes on this host, else the interpreter
	// (Machine.Engine says which runs, and why). The default does not
	// wait for the check: the interpreter runs until its verdict is in,
	// and a short program ends before it (selfcheck.go). A jit engine
	// asked for by name or by the variable waits for the verdict in New:
	// one that cannot run is an error.
	Engine string
	// EngineChosen, when set, is called once with what Machine.Engine
	// then says, as soon as the engine that runs the hart is known: by
	// New, or, while the default engine waits for jit's self-check (the
	// interpreter running meanwhile), from the run loop when the verdict
	// comes in or when the run ends before it.
	EngineChosen func(name, note string)
}

// Errors that end a run early, returned wrapped with where it stopped.
var (
	// ErrInsnLimit: the run reached Config.MaxInsns.
	ErrInsnLimit = errors.New("instruction limit reached")
	// ErrTimeout: the run reached Config.Timeout.
	ErrTimeout = errors.New("time limit reached")
	// ErrInterrupted: Machine.Stop was called (a signal).
	ErrInterrupted = errors.New("interrupted")
	// ErrStopAt: a replay reached Config.MaxInsns, where the user asked it
	// to stop. The replay was faithful up to there; Result.Stats.Digest is
	// the state digest at that point.
	ErrStopAt = errors.New("replay stopped where asked")
)

// FaultError is returned when the guest dies of an exception it does not
// handle. Status is the exit status a signalled process would have.
type FaultError struct {
	Cause, Tval, PC uint64
	Insn            uint32 // the instruction at PC, if it could be fetched
	InsnOK          bool
	Status          int
}

func (e *FaultError) Error() string {
	in := "(instruction not fetchable)"
	if e.InsnOK {
		word := "%08x %s"
		if e.Insn&3 != 3 { // a compressed parcel
			word = "%04x %s"
		}
		in = fmt.Sprintf(word, e.Insn, rv64.Disasm(e.Insn, e.PC))
	}
	return fmt.Sprintf("guest fault: %s (cause %d, tval %#x) at pc %#x: %s",
		rv64.CauseName(e.Cause), e.Cause, e.Tval, e.PC, in)
}

// Signal numbers of the Linux signals a fault maps to.
const (
	sigILL  = 4
	sigTRAP = 5
	sigBUS  = 7
	sigSEGV = 11
	sigSYS  = 31
)

// faultSignal maps an exception cause to the signal Linux would deliver.
func faultSignal(cause uint64) int {
	switch cause {
	case rv64.CauseIllegal:
		return sigILL
	case rv64.CauseBreakpoint:
		return sigTRAP
	case rv64.CauseMisalignedFetch, 4, 6:
		return sigBUS
	case rv64.CauseEcallU, rv64.CauseEcallM:
		return sigSYS
	}
	return sigSEGV
}

// Result is the outcome of a run.
type Result struct {
	Status  int    // the guest's exit status
	Instret uint64 // instructions retired
	Wall    time.Duration
	Stats   Stats
}

// Stats counts what a run cost the record/replay machinery.
type Stats struct {
	Events     map[string]uint64 // non-deterministic events by kind
	Exits      map[string]uint64 // exits to the monitor by cause
	TraceBytes uint64            // size of the trace written (record)
	Segments   uint64            // segments written (record)
	Digest     string            // final state digest (record and replay)
}

// Exit causes as Stats.Exits names them.
const (
	ExitSyscall = "syscall"  // ecall from a Linux program (cause 8)
	ExitHTIF    = "htif"     // a tohost command of a bare-metal program
	ExitSemi    = "semihost" // a semihosting call (semihost.go)
	ExitNDFull  = "nd-full"  // cause 24
	ExitNDEmpty = "nd-empty" // cause 25
)

// Machine is a program loaded into a fresh hart, ready to run.
type Machine struct {
	Prog *Program
	Hart *rv64.Hart
	cfg  Config
	log  *zap.Logger

	linux  *linux // Linux user-mode state, nil for bare-metal programs
	rec    *recorder
	rep    *replayer
	stats  Stats
	events [256]uint64 // events by kind, counted without a map on the hot path

	// replayCap, when hasCap is set, is the instruction count at which
	// replay must stop: where the recorded run ended, or where an
	// incomplete trace runs out.
	replayCap uint64
	hasCap    bool

	exited bool
	status int

	hostErr error // the host lost guest memory (rv64.Memory.Move): the run ends with it

	warnedHTIF bool // a bad HTIF system call block was reported

	wr           writeCall // the guest write in progress (writes.go)
	htifOut      [2]int    // how HTIF writes stdout and stderr: ioUnknown, ioDirect or ioPoll
	warnedOutput bool      // a replayed write the host refused was reported

	stop atomic.Bool // set by Stop, from any goroutine

	semi *semihost // semihosting state, nil for other programs (semihost.go)

	eng engine // the engine that runs the hart (engine.go)

	dbg debugState // Advance and checkpoints (debug.go, checkpoint.go)
	// calls counts the system calls and semihosting calls completed: an
	// ecall does not retire, but the debugger counts it (Icount).
	calls uint64
}

// Stop asks a running machine to stop at the next check (within a few
// million instructions): a recording is then finished with a footer that
// marks it interrupted. A guest read or write waiting on a pipe, terminal
// or socket is abandoned within pollInterval (the guest's call gets EINTR,
// or the count written so far, and the result is recorded). It is safe to
// call from a signal handler goroutine.
func (m *Machine) Stop() { m.stop.Store(true) }

// New builds the machine for prog: memory, segments, hart and, for Linux
// programs, the initial stack.
func New(prog *Program, cfg Config) (*Machine, error) {
	choice, err := chooseEngine(cfg.Engine)
	if err != nil {
		return nil, err
	}
	if cfg.Replay != nil {
		// The trace decides the memory: check it before any is reserved.
		h := cfg.Replay.Header()
		if err := checkHeader(prog, h, cfg.TraceName); err != nil {
			return nil, err
		}
		if cfg.MemSize != 0 && cfg.MemSize != h.MemSize {
			return nil, fmt.Errorf("replay: memory size %d differs from the trace's mem_size %d", cfg.MemSize, h.MemSize)
		}
		cfg.MemSize = h.MemSize
	}
	if cfg.MemSize == 0 {
		cfg.MemSize = DefaultMemory
	}
	if err := CheckMemSize(cfg.MemSize); err != nil {
		return nil, fmt.Errorf("--mem %s: %w", sizeString(cfg.MemSize), err)
	}
	if cfg.Stdin == nil {
		cfg.Stdin = os.Stdin
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if len(cfg.Args) == 0 {
		cfg.Args = []string{prog.Path}
	}
	base := prog.Low() &^ (PageSize - 1)
	grown := false // the size is the program's layout's, not --mem's
	if prog.Kind == KindSemihost {
		size, err := semihostMemSize(prog, base, cfg.MemSize)
		if err != nil {
			return nil, err
		}
		grown = size != cfg.MemSize
		cfg.MemSize = size
	}
	mem, err := rv64.NewMemory(base, cfg.MemSize)
	if err != nil {
		if grown {
			return nil, fmt.Errorf("load %s: its segments and stack (__stack %#x) need %s of memory from %#x: %w", prog.Path, prog.RAMTop, sizeString(cfg.MemSize), base, err)
		}
		if cfg.Replay != nil {
			return nil, fmt.Errorf("replay: trace %q: mem_size %s: %w", cfg.TraceName, sizeString(cfg.MemSize), err)
		}
		return nil, fmt.Errorf("--mem %s: %w", sizeString(cfg.MemSize), err)
	}
	m, err := newMachine(prog, cfg, mem, choice)
	if err != nil {
		mem.Close()
		return nil, err
	}
	return m, nil
}

// farSegments is how far from the lowest the segments of a program
// without a Linux ABI note must reach for a load error to suggest that
// the program is bare-metal (its RAM far above its code) rather than more
// --mem.
const farSegments = 64 << 20

// newMachine is New once mem is reserved; on an error the caller releases
// mem.
func newMachine(prog *Program, cfg Config, mem rv64.Memory, choice engineChoice) (*Machine, error) {
	for i, s := range prog.Segments {
		if !mem.Contains(s.Vaddr, s.Memsz) {
			size := fmt.Sprintf("--mem %d", cfg.MemSize)
			if cfg.Replay != nil {
				size = fmt.Sprintf("the trace's mem_size %d", cfg.MemSize)
			}
			hint := ""
			end := uint64(0)
			for _, x := range prog.Segments {
				end = max(end, x.Vaddr+x.Memsz)
			}
			switch {
			case prog.NoABI && s.Vaddr >= mem.End() && end-mem.Base >= farSegments:
				// Memory for a Linux program starts at its lowest
				// segment: a segment far above it (picolibc's RAM, 256
				// MiB above its code) does not fit, and more --mem would
				// only run a program that never ends.
				hint = "; the program has no Linux ABI note and makes no semihosting call: if it is a bare-metal program, it must end through semihosting or a tohost symbol (picolibc: link with --crt0=semihost)"
			case cfg.Replay == nil && s.Vaddr >= mem.Base:
				need := pageUp(end - mem.Base)
				if prog.Kind == KindLinux {
					need = linuxMem(mem.Base, max(end, prog.High()), 0) // and a heap and a stack
				}
				hint = "; it needs --mem " + sizeString(memHint(need)) + " at least"
				if prog.Interp != "" {
					hint += " (and more for its interpreter)"
				}
			}
			return nil, fmt.Errorf("load %s: segment %d [%#x, %#x) does not fit in guest memory [%#x, %#x) (%s): %w%s",
				prog.Path, i, s.Vaddr, s.Vaddr+s.Memsz, mem.Base, mem.End(), size, ErrLayout, hint)
		}
		dst, _ := mem.Slice(s.Vaddr, uint64(len(s.Data)))
		copy(dst, s.Data)
	}
	h := rv64.New(mem, csr.New(csr.DefaultHost()))
	h.PC = prog.Entry
	m := &Machine{Prog: prog, Hart: h, cfg: cfg, log: cfg.Log,
		stats: Stats{Events: map[string]uint64{}, Exits: map[string]uint64{}}}
	switch {
	case cfg.Record != nil && cfg.Replay != nil:
		return nil, errors.New("a run cannot both record and replay")
	case cfg.Record != nil:
		if err := m.setupRecord(cfg.Record, cfg.Version); err != nil {
			return nil, err
		}
	case cfg.Replay != nil:
		if err := m.setupReplay(cfg.Replay); err != nil {
			return nil, err
		}
	}
	switch prog.Kind {
	case KindBare:
		h.Priv = csr.PrivM
		h.WatchToHost(prog.ToHost)
	case KindSemihost:
		if err := m.setupSemihost(); err != nil {
			if m.rec != nil {
				err = withTraceError(err, m.rec.abandon())
			}
			return nil, fmt.Errorf("load %s: %w", prog.Path, err)
		}
	case KindLinux:
		if err := m.setupLinux(); err != nil {
			if m.rec != nil {
				// Nothing is written (abandon), or the trace is left
				// without a footer; the user learns also that it
				// could not take what was recorded so far.
				err = withTraceError(err, m.rec.abandon())
			}
			if errors.Is(err, ErrTraceEnd) || errors.Is(err, ErrDivergence) {
				// Replaying the start-up input failed: a trace problem
				// (the message names the trace), not a loading one.
				return nil, err
			}
			return nil, fmt.Errorf("load %s: %w", prog.Path, err)
		}
	}
	// Last: the engine takes the hart as set up (its ND unit too).
	eng, err := startEngine(choice, h)
	if err != nil {
		m.closeFiles()
		if m.rec != nil {
			err = withTraceError(err, m.rec.abandon())
		}
		return nil, err
	}
	m.eng = eng
	if m.rec != nil {
		// The machine is built: the trace's header goes out now, so
		// that a recording that could not start leaves its output as
		// it was (an existing trace stays whole).
		if err := m.rec.start(); err != nil {
			m.closeFiles()
			m.closeEngine()
			return nil, fmt.Errorf("%s%w", errorPrefix(m.cfg.TraceName), err)
		}
	}
	m.logLoad()
	if !eng.waiting {
		m.engineChosen()
	}
	return m, nil
}

// Close releases the machine's guest memory. The machine must not be used
// afterwards. A machine that is not closed is released when the garbage
// collector finds it unreachable, but its memory, outside the Go heap,
// does not count towards the collector's pace: close machines explicitly
// when many are made.
func (m *Machine) Close() {
	m.closeFiles()
	m.closeEngine()
	m.Hart.Close()
}

// closeFiles releases what the Linux and semihosting set-up opened on the
// host (the --fs root, the sysroot, the guest's files).
func (m *Machine) closeFiles() {
	if l := m.linux; l != nil {
		if l.root != nil {
			l.root.Close()
			l.root = nil
		}
		l.sysroot.close()
		for _, f := range l.files {
			if f.f != nil {
				f.f.Close()
			}
		}
	}
	m.closeSemihost()
}

// sizeString writes a byte count as --mem takes it: with the largest
// binary suffix that divides it.
func sizeString(n uint64) string {
	for _, u := range []struct {
		s     string
		shift uint
	}{{"T", 40}, {"G", 30}, {"M", 20}, {"K", 10}} {
		if n != 0 && n&(1<<u.shift-1) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.s)
		}
	}
	return fmt.Sprint(n)
}

// Run runs the guest to its end. It returns the Result when the guest
// exits, a *FaultError when it dies of an exception, and another error when
// the simulator stops it (instruction limit, replay divergence, trace
// errors). In record mode the trace is finished whenever the guest's run
// ends; in replay mode the end is checked against the trace.
func (m *Machine) Run() (_ Result, err error) {
	start := time.Now()
	if m.rep != nil {
		m.rep.start(m)
	}
	reason, runErr := m.loop(start)
	defer func() { m.logEnd(reason, err, time.Since(start)) }()
	return m.finishRun(reason, runErr, start)
}

// finishRun ends a run that the loop ended for reason (empty: the
// simulator failed) with runErr: a recording gets its footer, a replay
// checks the end against the trace's.
func (m *Machine) finishRun(reason string, runErr error, start time.Time) (Result, error) {
	m.settleEngine() // a run that ended before the self-check's verdict ran on the interpreter
	if reason == reasonStopAt {
		// A replay stopped where the user asked: nothing to compare with
		// the recorded end, which lies further on.
		m.stats.Digest = m.Digest()
		return m.result(start), runErr
	}
	if reason == "" && m.rec != nil {
		// The simulator failed: keep the segments recorded so far.
		runErr = withTraceError(runErr, m.rec.stop())
	}
	if reason != "" {
		var err error
		if m.rec != nil {
			err = m.rec.finish(m, reason)
		}
		if m.rep != nil {
			err = m.rep.finish(m, reason)
		}
		if err != nil {
			return m.result(start), err
		}
	}
	return m.result(start), runErr
}

// withTraceError adds to err, the reason a run or its set-up failed, the
// error of finishing its trace, unless there is none or err already is it
// (a failed write stops the run, and stop returns that failure again).
func withTraceError(err, traceErr error) error {
	if traceErr == nil || errors.Is(err, traceErr) {
		return err
	}
	return fmt.Errorf("%w (and the trace could not be finished: %w)", err, traceErr)
}

// Reasons a guest's run ends, as trace footers name them.
const (
	ReasonExit        = "exit"
	ReasonFault       = "fault"
	ReasonLimit       = "limit"
	ReasonTimeout     = "timeout"
	ReasonInterrupted = "interrupted"
	// ReasonSignal: the guest was killed by a signal's default action
	// (SIGPIPE, after a write to a pipe that no one reads); the status is
	// 128 plus the signal number.
	ReasonSignal = "signal"
	// ReasonUnsupported: the monitor stopped the guest at a call it does
	// not model (ErrUnsupported: clone, execve, a signal whose handler
	// would have to run; ErrSemihostOp: an unknown semihosting
	// operation). The footer's instruction count is that of the call.
	ReasonUnsupported = "unsupported"
	// ReasonStuck: the monitor stopped a semihosting program that jumps
	// to itself for ever (ErrStuck), at the instruction count where it
	// noticed.
	ReasonStuck = "stuck"

	// reasonStopAt ends a replay at Config.MaxInsns; never in a trace.
	reasonStopAt = "stop-at"
)

// earlyEnd reports whether a recorded run that ended for reason stopped at
// an instruction count rather than at a guest action.
func earlyEnd(reason string) bool {
	return reason == ReasonLimit || reason == ReasonTimeout || reason == ReasonInterrupted || reason == ReasonStuck
}

// stopReason is the reason a run ends when the monitor stops the guest
// with err at a call it does not model, or "" when err is a failure of the
// simulator or the trace.
func stopReason(err error) string {
	if errors.Is(err, ErrUnsupported) || errors.Is(err, ErrSemihostOp) {
		return ReasonUnsupported
	}
	return ""
}

// loopState is what the run loop keeps from one chunk to the next.
type loopState struct {
	start        time.Time
	debug        bool // exits are logged
	nextProgress time.Time
	progressTick uint
	deadline     time.Time
	// afterEcall is set when the last exit was a system call. The ecall
	// does not retire: after it the hart is at the same instruction count
	// as before it, one instruction further. A run is not stopped there,
	// since a replay reaches that count at the ecall itself, before the
	// system call: a due stop runs one more instruction first.
	afterEcall bool
	// debugger is set for Advance: Machine.Stop and the timeout are its
	// caller's, and breakpoint and watchpoint exits are returned.
	debugger bool
}

func (m *Machine) newLoop(start time.Time, debugger bool) loopState {
	ls := loopState{start: start, debugger: debugger,
		debug:        m.log.Core().Enabled(zap.DebugLevel), // checked once: exits can be millions
		nextProgress: start.Add(progressEvery),             // a run shorter than that shows no line
	}
	if m.cfg.Timeout > 0 && !debugger {
		ls.deadline = time.Now().Add(m.cfg.Timeout)
	}
	return ls
}

// loop runs the hart and handles its exits until the guest's run ends
// (reason set, err the fault or limit if any) or the simulator fails
// (reason empty).
func (m *Machine) loop(start time.Time) (reason string, err error) {
	ls := m.newLoop(start, false)
	for !m.exited {
		if _, reason, err, end := m.step(&ls, chunk); end {
			return reason, err
		}
	}
	return m.exitReason(), nil
}

// exitReason is the reason of a run that ended by the guest's own action.
func (m *Machine) exitReason() string {
	if m.linux != nil && m.linux.killedBy != 0 || m.semi != nil && m.semi.killedBy != 0 {
		return ReasonSignal
	}
	return ReasonExit
}

// step runs the hart for at most limit instructions and handles the exit
// it returns: the body of the run loop, which Run and Advance share. end
// is set when the run is over: reason and err are then what loop returns.
// A breakpoint or watchpoint exit (ls.debugger only) is returned as e,
// unhandled.
func (m *Machine) step(ls *loopState, limit uint64) (e rv64.Exit, reason string, err error, end bool) {
	h := m.Hart
	if m.hostErr != nil {
		return e, "", m.hostErr, true // guest memory is not whole: the machine never runs again
	}
	done := h.Instret()
	budget := min(uint64(chunk), limit)
	if !ls.debugger {
		interrupted := m.stop.Load()
		timedOut := !ls.deadline.IsZero() && time.Now().After(ls.deadline)
		switch {
		case (interrupted || timedOut) && ls.afterEcall:
			budget = 1
		case interrupted:
			return e, ReasonInterrupted, fmt.Errorf("%w at instruction %d, pc %#x", ErrInterrupted, done, h.PC), true
		case timedOut:
			return e, ReasonTimeout, fmt.Errorf("%w: %v, stopped at instruction %d, pc %#x", ErrTimeout, m.cfg.Timeout, done, h.PC), true
		}
	}
	if m.cfg.MaxInsns != 0 {
		if done >= m.cfg.MaxInsns {
			if m.rep != nil {
				return e, reasonStopAt, fmt.Errorf("%w: instruction %d, pc %#x", ErrStopAt, done, h.PC), true
			}
			return e, ReasonLimit, m.limitError(), true
		}
		budget = min(budget, m.cfg.MaxInsns-done)
	}
	if m.rec != nil {
		if err := m.rec.failure(); err != nil {
			return e, "", err, true
		}
	}
	if m.hasCap {
		if done >= m.replayCap {
			reason, err := m.rep.atCap(m)
			return e, reason, err, true
		}
		budget = min(budget, m.replayCap-done)
	}
	e = m.run(budget)
	ls.afterEcall = e.Kind == rv64.ExitEcall || e.Kind == rv64.ExitSemihost
	if ls.debug && e.Kind != rv64.ExitBudget {
		m.logExit(e)
	}
	if m.cfg.Progress != nil {
		// The clock is read at most every 256 exits: ND exits can
		// come a million a second.
		if ls.progressTick++; ls.progressTick%256 == 0 || e.Kind == rv64.ExitBudget {
			m.progress(ls.start, &ls.nextProgress)
		}
	}
	switch e.Kind {
	case rv64.ExitBudget:
		// A replay stops where the recording noticed (atCap): its
		// chunks end elsewhere.
		if m.semi != nil && m.rep == nil && m.stuck() {
			return e, ReasonStuck, m.stuckError(), true
		}
	case rv64.ExitEcall:
		m.stats.Exits[ExitSyscall]++
		if err := m.syscall(); err != nil {
			return e, stopReason(err), err, true
		}
		m.calls++
	case rv64.ExitHost:
		m.stats.Exits[ExitHTIF]++
		if err := m.htif(); err != nil {
			return e, "", err, true
		}
	case rv64.ExitSemihost:
		m.stats.Exits[ExitSemi]++
		if err := m.semihostCall(); err != nil {
			return e, stopReason(err), err, true
		}
		m.calls++
	case rv64.ExitTrap:
		return e, ReasonFault, m.fault(e), true
	case rv64.ExitNDFull:
		m.stats.Exits[ExitNDFull]++
		if err := m.rec.ndFull(m); err != nil {
			return e, "", err, true
		}
	case rv64.ExitNDEmpty:
		m.stats.Exits[ExitNDEmpty]++
		if err := m.rep.ndEmpty(m, e); err != nil {
			return e, "", err, true
		}
	case rv64.ExitDiverge:
		return e, "", m.rep.diverged(m, e), true
	case rv64.ExitBreak, rv64.ExitWatch:
		if ls.debugger {
			return e, "", nil, false
		}
		fallthrough
	default:
		return e, "", fmt.Errorf("unexpected exit kind %d at pc %#x", e.Kind, e.PC), true
	}
	return e, "", nil, false
}

func (m *Machine) limitError() error {
	h := m.Hart
	return fmt.Errorf("%w: %d instructions, stopped at pc %#x", ErrInsnLimit, h.Instret(), h.PC)
}

func (m *Machine) result(start time.Time) Result {
	m.stats.Events = m.eventCounts()
	return Result{Status: m.status, Instret: m.Hart.Instret(), Wall: time.Since(start), Stats: m.stats}
}

// eventCounts returns the events counted so far, by kind name.
func (m *Machine) eventCounts() map[string]uint64 {
	c := map[string]uint64{}
	for k, n := range m.eventsNow() {
		if n != 0 {
			c[logfmt.Kind(k).String()] = n
		}
	}
	return c
}

// eventsNow returns the events counted so far, by kind: m.events, and in
// a replay that reads ahead, the reads the guest has taken from the batch
// being replayed (the replayer counts a batch's reads when it is done).
func (m *Machine) eventsNow() [256]uint64 {
	ev := m.events
	if p := m.rep; p != nil && p.ahead != nil {
		p.taken(m, &ev)
	}
	return ev
}

func (m *Machine) fault(e rv64.Exit) *FaultError {
	fe := &FaultError{Cause: e.Cause, Tval: e.Tval, PC: e.PC, Status: 128 + faultSignal(e.Cause)}
	fe.Insn, fe.InsnOK = m.insnAt(e.PC)
	return fe
}

// insnAt returns the instruction word at pc, for messages.
// A compressed instruction is its 16-bit parcel (its low two bits are not
// 0b11), so that one in the last halfword of memory is shown too; a 4-byte
// instruction that does not fit in memory is not fetchable.
func (m *Machine) insnAt(pc uint64) (uint32, bool) {
	b, ok := m.guest(pc, 2)
	if !ok {
		return 0, false
	}
	if lo := binary.LittleEndian.Uint16(b); lo&3 != 3 {
		return uint32(lo), true
	}
	if b, ok = m.guest(pc, 4); !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b), true
}

func (m *Machine) exit(status int) {
	m.exited, m.status = true, status
}

// hostRandom fills b with host entropy.
func hostRandom(b []byte) { rand.Read(b) }
