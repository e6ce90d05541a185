package timetravel

import "github.com/rvsim/rvsim/vmm"

// machine is what the engine needs of a vmm.Machine and its hart: running
// forward to an instruction count, checkpoints, and the hart's breakpoint
// skip and memory-access query. vmmMachine adapts the real one; the unit
// tests drive the engine with a fake.
type machine interface {
	// Icount is the debugger's instruction count (vmm.Machine.Icount).
	Icount() uint64
	// PC is the pc of the next instruction.
	PC() uint64
	// Advance runs forward until Icount() == limit or a stop.
	Advance(limit uint64) mstop
	// Checkpoint takes a checkpoint of the machine between Advance calls.
	Checkpoint() (ckpt, error)
	// Restore puts the machine back (or forward) to c.
	Restore(c ckpt) error
	// Release drops c.
	Release(c ckpt)
	// CheckpointBytes is the memory held by all kept checkpoints.
	CheckpointBytes() uint64
	// SkipBreakpointOnce lets the next instruction at the current pc run
	// past a breakpoint there.
	SkipBreakpointOnce()
	// Access is the guest memory the next instruction would read or write.
	Access() (addr, n uint64, load, store bool)
	// Stop makes a running Advance return soon with stopInterrupted.
	Stop()
}

// ckpt is a checkpoint a machine took.
type ckpt interface{ Icount() uint64 }

// stopKind says why Advance returned (vmm.StopKind).
type stopKind uint8

const (
	stopLimit       stopKind = iota // Icount() reached the limit
	stopBreak                       // a breakpoint at PC, not executed
	stopWatch                       // a store hit a write watchpoint: done; addr, size set
	stopEnd                         // the recorded (or plain) run ended
	stopInterrupted                 // Stop was called
	stopError                       // a simulator or trace failure
)

// mstop is what Advance returned (vmm.Stop, with what the engine uses).
type mstop struct {
	kind       stopKind
	pc         uint64
	addr, size uint64     // stopWatch
	result     vmm.Result // stopEnd: what Run would return
	err        error      // stopEnd (the run's error, nil for an exit) and stopError
}

// vmmMachine is the real machine.
type vmmMachine struct{ m *vmm.Machine }

func (v vmmMachine) Icount() uint64          { return v.m.Icount() }
func (v vmmMachine) PC() uint64              { return v.m.Hart.PC }
func (v vmmMachine) CheckpointBytes() uint64 { return v.m.CheckpointBytes() }
func (v vmmMachine) SkipBreakpointOnce()     { v.m.Hart.SkipBreakpointOnce() }
func (v vmmMachine) Stop()                   { v.m.Stop() }
func (v vmmMachine) Release(c ckpt)          { v.m.Release(c.(*vmm.Checkpoint)) }
func (v vmmMachine) Restore(c ckpt) error    { return v.m.Restore(c.(*vmm.Checkpoint)) }

func (v vmmMachine) Access() (addr, n uint64, load, store bool) { return v.m.Hart.Access() }

func (v vmmMachine) Checkpoint() (ckpt, error) {
	c, err := v.m.Checkpoint()
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (v vmmMachine) Advance(limit uint64) mstop {
	s := v.m.Advance(limit)
	out := mstop{pc: s.PC, addr: s.Addr, size: s.Size, result: s.Result, err: s.Err}
	switch s.Kind {
	case vmm.StopLimit:
		out.kind = stopLimit
	case vmm.StopBreak:
		out.kind = stopBreak
	case vmm.StopWatch:
		out.kind = stopWatch
	case vmm.StopEnd:
		out.kind = stopEnd
	case vmm.StopInterrupted:
		out.kind = stopInterrupted
	default:
		out.kind = stopError
	}
	return out
}
