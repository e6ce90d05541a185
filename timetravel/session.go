package timetravel

import (
	"errors"
	"fmt"
	"sync"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/gdbstub"
	"github.com/rvsim/rvsim/rv64"
	"github.com/rvsim/rvsim/vmm"
)

// DefaultCheckpointMem is the checkpoint memory cap when Config gives none.
const DefaultCheckpointMem = 256 << 20

// Config is how a Session keeps checkpoints.
type Config struct {
	CheckpointMem uint64 // cap on checkpoint memory; DefaultCheckpointMem (256 MiB) when 0
	Interval      uint64 // icount between checkpoints; 0: automatic (DefaultInterval, grown while checkpoints cost much)
	Log           *zap.Logger
}

// Errors of a Session, returned wrapped.
var (
	// ErrReplayWrite: gdb asked to change a register or memory in a replay,
	// which must stay the recorded run.
	ErrReplayWrite = errors.New("a replay cannot be changed: it must stay the recorded run (registers and memory are read-only; use rvsim run --gdb to change a run)")
	// ErrNotGuestMemory: an access outside guest memory (the monitor's ND
	// buffer is outside too).
	ErrNotGuestMemory = errors.New("not guest memory")
	// ErrForwardOnly: a plain run cannot go back.
	ErrForwardOnly = errForwardOnly
	// ErrPastEnd: a seek beyond the end of the run.
	ErrPastEnd = errPastEnd
	// ErrBeforeStart: a seek before the instruction count the session
	// started at (0 for a machine that had not run).
	ErrBeforeStart = errBeforeStart
)

// Session debugs a machine: a replay forward and backward, a plain run
// forward only. It is a gdbstub.Target; its methods other than Interrupt
// are called from one goroutine at a time.
type Session struct {
	m      *vmm.Machine
	h      *rv64.Hart
	e      *engine
	log    *zap.Logger
	replay bool
	capB   uint64
	csrs   []gdbstub.CSR
	csrOK  map[uint16]bool
	bps    map[uint64]*bpCount
	mu     sync.Mutex // guards killed
	killed bool
}

// bpCount counts the software and hardware breakpoints gdb set at a pc.
type bpCount struct{ sw, hw int }

// New makes a Session for m, stopped where m is (before its first
// instruction when it is fresh). A replay gets reverse execution and takes
// its first checkpoint here; its trace must be a seekable file.
func New(m *vmm.Machine, cfg Config) (*Session, error) {
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	capB := cfg.CheckpointMem
	if capB == 0 {
		capB = DefaultCheckpointMem
	}
	s := &Session{m: m, h: m.Hart, log: log, replay: m.Replaying(), capB: capB, bps: map[uint64]*bpCount{}}
	e, err := newEngine(vmmMachine{m}, s.replay, cfg.Interval, capB, func(msg string) { log.Warn(msg) })
	if err != nil {
		return nil, err
	}
	s.e = e
	s.csrs, s.csrOK = csrList()
	return s, nil
}

// csrList is the CSRs the target description lists: those whose value a
// read does not take from the host (cycle, time and seed are left out).
func csrList() ([]gdbstub.CSR, map[uint16]bool) {
	nums := []uint16{csr.Fflags, csr.Frm, csr.Fcsr, csr.Mstatus, csr.Misa, csr.Medeleg, csr.Mideleg, csr.Mie,
		csr.Mtvec, csr.Mcounteren, csr.Mcountinhibit, csr.Mscratch, csr.Mepc, csr.Mcause, csr.Mtval, csr.Mip,
		csr.Mseccfg, csr.Minstret, csr.Instret, csr.Mvendorid, csr.Marchid, csr.Mimpid, csr.Mhartid}
	list := make([]gdbstub.CSR, 0, len(nums))
	ok := make(map[uint16]bool, len(nums))
	for _, n := range nums {
		list = append(list, gdbstub.CSR{Num: n, Name: csr.Name(n)})
		ok[n] = true
	}
	return list, ok
}

// Icount is the instruction count the session is at.
func (s *Session) Icount() uint64 { return s.m.Icount() }

// Seek goes to icount n, backwards (a replay only) or forwards, through
// breakpoints and watchpoints.
func (s *Session) Seek(n uint64) error { return s.e.seek(n) }

// Checkpoints lists the kept checkpoints, by icount.
func (s *Session) Checkpoints() []CheckpointInfo { return s.e.cps.infos() }

// End reports whether the session is at the end of the run, and then how
// it ended: what vmm.Machine.Run would have returned.
func (s *Session) End() (vmm.Result, error, bool) {
	if s.e.ended == nil {
		return vmm.Result{}, nil, false
	}
	return s.e.ended.result, s.e.ended.err, true
}

// Close releases the checkpoints.
func (s *Session) Close() {
	for _, c := range s.e.cps.list {
		s.m.Release(c.c.(*vmm.Checkpoint))
	}
	s.e.cps.list = nil
}

// CSRs lists the CSRs of the target description.
func (s *Session) CSRs() []gdbstub.CSR { return s.csrs }

// ReadRegister reads register n in gdb's numbering.
func (s *Session) ReadRegister(n int) (uint64, bool) {
	h := s.h
	switch {
	case n == 0:
		return 0, true
	case n > 0 && n < gdbstub.RegPC:
		return h.X[n], true
	case n == gdbstub.RegPC:
		return h.PC, true
	case n >= gdbstub.RegF0 && n < gdbstub.RegF0+32:
		return h.F[n-gdbstub.RegF0], true
	case n >= gdbstub.RegCSR && n < gdbstub.RegCSR+4096 && s.csrOK[uint16(n-gdbstub.RegCSR)]:
		return h.CSR.Get(uint16(n - gdbstub.RegCSR)), true
	}
	return 0, false
}

// WriteRegister writes register n: refused in a replay.
func (s *Session) WriteRegister(n int, v uint64) error {
	if s.replay {
		return fmt.Errorf("write register %d: %w", n, ErrReplayWrite)
	}
	h := s.h
	switch {
	case n == 0:
		// x0 stays zero, as a write by an instruction.
	case n > 0 && n < gdbstub.RegPC:
		h.X[n] = v
	case n == gdbstub.RegPC:
		h.PC = v
	case n >= gdbstub.RegF0 && n < gdbstub.RegF0+32:
		h.F[n-gdbstub.RegF0] = v
	case n >= gdbstub.RegCSR && n < gdbstub.RegCSR+4096 && s.csrOK[uint16(n-gdbstub.RegCSR)]:
		num := uint16(n - gdbstub.RegCSR)
		if csr.ReadOnly(num) {
			return fmt.Errorf("write register %d: %s is read-only", n, csr.Name(num))
		}
		h.CSR.Set(num, v)
	default:
		return fmt.Errorf("write register %d: no such register", n)
	}
	return nil
}

// guest returns the part of guest memory [addr, addr+n) that starts at addr.
func (s *Session) guest(addr uint64, n int) ([]byte, error) {
	mem := &s.h.Mem
	if addr < mem.Base || addr >= mem.End() {
		return nil, fmt.Errorf("address %#x: %w (%#x-%#x)", addr, ErrNotGuestMemory, mem.Base, mem.End())
	}
	off := addr - mem.Base
	end := off + uint64(n)
	if end > mem.Size() || end < off {
		end = mem.Size()
	}
	return mem.Data[off:end], nil
}

// ReadMemory reads guest memory from addr into b: as many bytes as are in
// guest memory from addr on, or an error when addr is outside it.
func (s *Session) ReadMemory(addr uint64, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	g, err := s.guest(addr, len(b))
	if err != nil {
		return 0, fmt.Errorf("read memory: %w", err)
	}
	return copy(b, g), nil
}

// WriteMemory writes b into guest memory at addr: refused in a replay, and
// for bytes outside guest memory.
func (s *Session) WriteMemory(addr uint64, b []byte) error {
	if s.replay {
		return fmt.Errorf("write memory at %#x: %w", addr, ErrReplayWrite)
	}
	if len(b) == 0 {
		return nil
	}
	g, err := s.guest(addr, len(b))
	if err != nil {
		return fmt.Errorf("write memory: %w", err)
	}
	if len(g) < len(b) {
		return fmt.Errorf("write memory at %#x, %d bytes: %w past %#x", addr, len(b), ErrNotGuestMemory, s.h.Mem.End())
	}
	copy(g, b)
	s.h.Invalidate(addr, uint64(len(b)))
	return nil
}

// InsertBreak sets a breakpoint (Z0, Z1) or watchpoint (Z2-Z4).
func (s *Session) InsertBreak(t gdbstub.BreakType, addr, kind uint64) error {
	switch t {
	case gdbstub.BreakSoftware, gdbstub.BreakHardware:
		c := s.bps[addr]
		if c == nil {
			c = &bpCount{}
			s.bps[addr] = c
			s.h.SetBreakpoint(addr)
		}
		if t == gdbstub.BreakSoftware {
			c.sw++
		} else {
			c.hw++
		}
		return nil
	case gdbstub.WatchWrite, gdbstub.WatchRead, gdbstub.WatchAccess:
		if kind == 0 || addr+kind < addr {
			return fmt.Errorf("watchpoint at %#x of %d bytes: want a length from 1 that does not wrap", addr, kind)
		}
		w := watch{kind: watchKindOf(t), addr: addr, n: kind}
		s.e.watches = append(s.e.watches, w)
		if w.kind == watchWrite {
			s.h.SetWatch(addr, kind)
		}
		return nil
	}
	return fmt.Errorf("breakpoint type %d: not supported", t)
}

// ClearBreaks removes every breakpoint and watchpoint: what a live run
// that gdb detached from runs on without.
func (s *Session) ClearBreaks() {
	for addr := range s.bps {
		s.h.ClearBreakpoint(addr)
	}
	clear(s.bps)
	for _, w := range s.e.watches {
		if w.kind == watchWrite {
			s.h.ClearWatch(w.addr, w.n)
		}
	}
	s.e.watches = nil
}

// RemoveBreak clears what InsertBreak set.
func (s *Session) RemoveBreak(t gdbstub.BreakType, addr, kind uint64) error {
	switch t {
	case gdbstub.BreakSoftware, gdbstub.BreakHardware:
		c := s.bps[addr]
		if c == nil || t == gdbstub.BreakSoftware && c.sw == 0 || t == gdbstub.BreakHardware && c.hw == 0 {
			return fmt.Errorf("no breakpoint at %#x", addr)
		}
		if t == gdbstub.BreakSoftware {
			c.sw--
		} else {
			c.hw--
		}
		if c.sw+c.hw == 0 {
			delete(s.bps, addr)
			s.h.ClearBreakpoint(addr)
		}
		return nil
	case gdbstub.WatchWrite, gdbstub.WatchRead, gdbstub.WatchAccess:
		k := watchKindOf(t)
		for i, w := range s.e.watches {
			if w.kind == k && w.addr == addr && w.n == kind {
				s.e.watches = append(s.e.watches[:i], s.e.watches[i+1:]...)
				if k == watchWrite {
					s.h.ClearWatch(addr, kind)
				}
				return nil
			}
		}
		return fmt.Errorf("no watchpoint at %#x of %d bytes", addr, kind)
	}
	return fmt.Errorf("breakpoint type %d: not supported", t)
}

func watchKindOf(t gdbstub.BreakType) watchKind {
	switch t {
	case gdbstub.WatchRead:
		return watchRead
	case gdbstub.WatchAccess:
		return watchAccess
	}
	return watchWrite
}

func breakTypeOf(k watchKind) gdbstub.BreakType {
	switch k {
	case watchRead:
		return gdbstub.WatchRead
	case watchAccess:
		return gdbstub.WatchAccess
	}
	return gdbstub.WatchWrite
}

// CanReverse reports whether the session can go backwards: a replay.
func (s *Session) CanReverse() bool { return s.replay }

// Resume runs the action and says where it stopped.
func (s *Session) Resume(a gdbstub.Action) gdbstub.Stop {
	var r result
	switch a {
	case gdbstub.Step:
		r = s.e.step()
	case gdbstub.Continue:
		r = s.e.cont()
	case gdbstub.ReverseStep:
		r = s.e.reverseStep()
	case gdbstub.ReverseContinue:
		r = s.e.reverseCont()
	default:
		return gdbstub.Stop{Reason: gdbstub.StopError, Err: fmt.Errorf("action %d: not supported", a)}
	}
	st := s.stop(a, r)
	s.log.Debug("gdb resume", zap.Uint8("action", uint8(a)), zap.Uint8("reason", uint8(st.Reason)),
		zap.Uint64("icount", s.m.Icount()), zap.String("pc", fmt.Sprintf("%#x", s.h.PC)))
	return st
}

// Signals of stop replies.
const (
	sigINT  = 2
	sigTRAP = 5
	sigKILL = 9
)

// stop turns where the engine stopped into a stop reply.
func (s *Session) stop(a gdbstub.Action, r result) gdbstub.Stop {
	switch r.kind {
	case resDone:
		return gdbstub.Stop{Reason: gdbstub.StopSignal, Signal: sigTRAP}
	case resBreak:
		st := gdbstub.Stop{Reason: gdbstub.StopBreakpoint, Signal: sigTRAP, Addr: s.h.PC, WatchKind: gdbstub.BreakSoftware}
		if c := s.bps[s.h.PC]; c != nil && c.sw == 0 && c.hw > 0 {
			st.WatchKind = gdbstub.BreakHardware
		}
		return st
	case resWatch:
		// Forwards the stop is after the accessing instruction, backwards
		// before it: where gdb's own step over it (riscv watchpoints are
		// non-steppable) would take it, which Serve then answers at once.
		return gdbstub.Stop{Reason: gdbstub.StopWatch, Signal: sigTRAP, Addr: r.addr, WatchKind: breakTypeOf(r.wkind), SteppedOver: true}
	case resBegin:
		return gdbstub.Stop{Reason: gdbstub.StopReplayBegin, Signal: sigTRAP}
	case resInterrupted:
		return gdbstub.Stop{Reason: gdbstub.StopSignal, Signal: sigINT}
	case resEnd:
		return s.endStop(r.end)
	}
	return gdbstub.Stop{Reason: gdbstub.StopError, Err: r.err}
}

// endStop is the stop reply at the end of the run: W with the exit status
// for an exit, X with the signal for a fault, replaylog:end for a
// recording that was stopped early (instruction limit, timeout, signal) or
// ended by the monitor (X 9 for such a plain run), and an error for a
// replay that diverged or a trace that failed.
func (s *Session) endStop(end mstop) gdbstub.Stop {
	var fe *vmm.FaultError
	switch err := end.err; {
	case err == nil:
		return gdbstub.Stop{Reason: gdbstub.StopExited, Status: end.result.Status}
	case errors.As(err, &fe):
		return gdbstub.Stop{Reason: gdbstub.StopKilled, Signal: fe.Status - 128}
	case s.replay && earlyEnd(err):
		return gdbstub.Stop{Reason: gdbstub.StopReplayEnd, Signal: sigTRAP}
	case !s.replay && earlyEnd(err):
		return gdbstub.Stop{Reason: gdbstub.StopKilled, Signal: sigKILL}
	}
	return gdbstub.Stop{Reason: gdbstub.StopError, Err: end.err}
}

// earlyEnd reports whether a run's error says it ended other than by the
// guest's exit or fault, but as recorded: stopped (a limit, a timeout, a
// signal), or ended by the monitor (an unsupported system call or
// semihosting operation, a guest stuck in a loop). A replay ends there too.
func earlyEnd(err error) bool {
	return errors.Is(err, vmm.ErrInsnLimit) || errors.Is(err, vmm.ErrTimeout) ||
		errors.Is(err, vmm.ErrInterrupted) || errors.Is(err, vmm.ErrStopAt) ||
		errors.Is(err, vmm.ErrUnsupported) || errors.Is(err, vmm.ErrSemihostOp) || errors.Is(err, vmm.ErrStuck)
}

// Interrupt makes a running Resume return soon (Ctrl-C in gdb).
func (s *Session) Interrupt() {
	s.e.intr.Store(true)
	s.m.Stop()
}

// Kill ends the session (gdb's k, or the connection lost).
func (s *Session) Kill() {
	s.mu.Lock()
	s.killed = true
	s.mu.Unlock()
}

// Killed reports whether gdb killed the session.
func (s *Session) Killed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.killed
}
