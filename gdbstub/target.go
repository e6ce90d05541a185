package gdbstub

import (
	"errors"

	"go.uber.org/zap"
)

// Register numbers, as the target description gives them (regnum) and as p/P
// packets carry them. They follow gdb's riscv target and QEMU: 0-31 are
// x0-x31, 32 is pc, 33-64 are f0-f31, and a CSR numbered c is RegCSR+c (so
// fflags is 66, frm 67 and fcsr 68).
const (
	RegX0     = 0
	RegPC     = 32
	RegF0     = 33
	RegCSR    = 65
	RegFflags = RegCSR + 1
	RegFrm    = RegCSR + 2
	RegFcsr   = RegCSR + 3
	// regLast is one past the highest register number (the last CSR, 0xfff).
	regLast = RegCSR + 0x1000
)

// BreakType is the kind of a breakpoint or watchpoint, the digit of a Z or z
// packet.
type BreakType uint8

// The five kinds of Z packet.
const (
	BreakSoftware BreakType = iota // Z0: a software breakpoint
	BreakHardware                  // Z1: a hardware breakpoint
	WatchWrite                     // Z2: a write watchpoint
	WatchRead                      // Z3: a read watchpoint
	WatchAccess                    // Z4: an access (read or write) watchpoint
)

// String names the kind as gdb's manual does.
func (t BreakType) String() string {
	switch t {
	case BreakSoftware:
		return "software breakpoint"
	case BreakHardware:
		return "hardware breakpoint"
	case WatchWrite:
		return "write watchpoint"
	case WatchRead:
		return "read watchpoint"
	case WatchAccess:
		return "access watchpoint"
	}
	return "unknown breakpoint kind"
}

// Action is what gdb asks the target to do when it resumes it.
type Action uint8

// The actions Resume is asked for.
const (
	Step            Action = iota // s, vCont;s: execute one instruction
	Continue                      // c, vCont;c: run until a stop
	ReverseStep                   // bs: go back one instruction
	ReverseContinue               // bc: run backwards until a stop
)

// String names the action.
func (a Action) String() string {
	switch a {
	case Step:
		return "step"
	case Continue:
		return "continue"
	case ReverseStep:
		return "reverse step"
	case ReverseContinue:
		return "reverse continue"
	}
	return "unknown action"
}

// StopReason says why Resume returned; it selects the stop reply sent to gdb.
type StopReason uint8

// The stop reasons and the replies they make.
const (
	StopSignal      StopReason = iota // T<Signal>thread:1; (5 after a step, 2 after Interrupt)
	StopBreakpoint                    // T05swbreak:;thread:1; (hwbreak: for a Z1 breakpoint)
	StopWatch                         // T05watch:<Addr>;thread:1; (rwatch:/awatch: by WatchKind); see Stop
	StopReplayBegin                   // T05replaylog:begin;thread:1;
	StopReplayEnd                     // T05replaylog:end;thread:1;
	StopExited                        // W<Status>: the session ends
	StopKilled                        // X<Signal>: the session ends
	StopError                         // the action failed: E.<Err's text>
)

// Stop is what Resume returns: why the target stopped and the details the
// stop reply carries.
//
// gdb's riscv target has non-steppable watchpoints (a trigger fires before
// the accessing instruction commits): after a watchpoint stop, gdb removes
// its watchpoints, steps over the instruction in the direction it runs (s,
// or bs when reversing), and then compares the watched values. So a
// watchpoint stop is either
//
//   - before the access going forwards (pc at the accessing instruction,
//     memory not yet written) and just after it going backwards, with
//     SteppedOver false: gdb's step over it is a real step; or
//   - where that step would take it: after the access going forwards (as
//     a hart's write watchpoint stops) and before it going backwards, with
//     SteppedOver true: Serve then answers gdb's step over it (the next
//     resume in the same direction while no watchpoint is inserted: gdb's
//     software single-step, a breakpoint and c, forwards; bs backwards)
//     with a stop at once, without calling Resume.
//
// A forward stop after the access without SteppedOver makes gdb step one
// instruction too far (the values it shows are right, pc is one
// instruction late), and a backward stop before the access one instruction
// too far back.
type Stop struct {
	Reason      StopReason
	Signal      int       // StopSignal (0 means 5, SIGTRAP), StopKilled
	Status      int       // StopExited: the exit status (low 8 bits)
	Addr        uint64    // StopWatch: the data address that triggered it
	WatchKind   BreakType // StopWatch: which kind fired; StopBreakpoint: BreakHardware for a Z1 one
	SteppedOver bool      // StopWatch: the target is past the accessing instruction in the direction it ran
	Err         error     // StopError
}

// CSR names one control and status register listed in the target
// description's org.gnu.gdb.riscv.csr feature; its register number is
// RegCSR+Num.
type CSR struct {
	Num  uint16
	Name string
}

// Target is the machine gdb debugs. Serve calls every method from one
// goroutine, except Interrupt, which it calls from another while Resume runs.
type Target interface {
	// ReadRegister reads register n (see RegPC and friends); ok is false
	// when the register is unavailable (gdb shows it as <unavailable>).
	ReadRegister(n int) (v uint64, ok bool)
	// WriteRegister writes register n; an error becomes an E reply (a
	// replay refuses writes).
	WriteRegister(n int, v uint64) error
	// CSRs lists the CSRs of the target description's csr feature.
	CSRs() []CSR
	// ReadMemory reads guest memory at addr into b and returns how many
	// bytes it read from the start of b; 0 and an error make an E reply.
	ReadMemory(addr uint64, b []byte) (int, error)
	// WriteMemory writes b to guest memory at addr.
	WriteMemory(addr uint64, b []byte) error
	// InsertBreak sets a breakpoint or watchpoint. kind is the instruction
	// length (Z0, Z1) or the watched length (Z2-Z4). An error wrapping
	// ErrUnsupported makes the empty reply (gdb then does without).
	InsertBreak(t BreakType, addr, kind uint64) error
	// RemoveBreak clears what InsertBreak set.
	RemoveBreak(t BreakType, addr, kind uint64) error
	// CanReverse reports whether ReverseStep and ReverseContinue work; it
	// decides whether qSupported offers ReverseStep+;ReverseContinue+.
	CanReverse() bool
	// Resume runs the target and blocks until it stops.
	Resume(a Action) Stop
	// Interrupt makes a running Resume return soon (StopSignal, signal 2).
	// It may be called from any goroutine.
	Interrupt()
	// Monitor runs a monitor command (gdb's "monitor CMD", packet qRcmd)
	// and returns the text to show.
	Monitor(cmd string) (string, error)
	// Kill ends the target: gdb sent k or the connection was lost.
	Kill()
}

// Options tune Serve.
type Options struct {
	// Log receives one debug line per packet in each direction and the
	// session's errors; nil logs nothing.
	Log *zap.Logger
	// PacketSize is the largest packet the stub accepts and sends, the
	// PacketSize of qSupported; 0 means DefaultPacketSize.
	PacketSize int
	// NoRLE turns off run-length encoding of hex replies.
	NoRLE bool
}

// DefaultPacketSize is the PacketSize Serve offers gdb when Options leave it 0.
const DefaultPacketSize = 0x4000

// minPacketSize is the smallest PacketSize Serve accepts (a g reply must fit).
const minPacketSize = 1024

// ErrUnsupported, wrapped in an error from InsertBreak or RemoveBreak, makes
// Serve answer the empty reply: gdb learns the kind is not supported.
var ErrUnsupported = errors.New("not supported")
