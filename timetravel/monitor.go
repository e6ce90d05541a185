package timetravel

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
	"github.com/rvsim/rvsim/vmm"
)

// ErrMonitor: a monitor command that is unknown or has bad arguments.
var ErrMonitor = errors.New("bad monitor command")

// defaultEvents is how many events "events" lists without a count;
// maxEvents the most it lists.
const (
	defaultEvents = 10
	maxEvents     = 10000
)

// FlushHint is what gdb needs after "monitor seek" to show the new
// position: gdb keeps the registers and frames it read while the target
// is stopped, and a monitor command does not tell it that they changed
// (gdb-multiarch 13 then shows the old pc and backtrace; memory it reads
// afresh).
const FlushHint = "gdb still shows the registers and backtrace of before the seek: run \"maintenance flush register-cache\" (\"flushregs\" before gdb 12) before anything else (a stepi from the old pc would run on from the wrong place)"

const monitorHelp = `rvsim monitor commands:
  icount        the instruction count now (instructions retired plus system and semihosting calls completed) and instret
  seek N        go to instruction count N, backwards (a replay only) or forwards (then: maintenance flush register-cache)
  checkpoints   the checkpoints kept (a replay only): instruction count and bytes each, total and cap
  events [N]    the next N recorded events (a replay only; default 10): kind, instret, pc, value or system call
  help          this text
`

// Monitor runs a gdb monitor command (qRcmd) and returns the text to show.
func (s *Session) Monitor(cmd string) (string, error) {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return monitorHelp, nil
	}
	args := f[1:]
	switch f[0] {
	case "help":
		return monitorHelp, nil
	case "icount":
		if len(args) != 0 {
			return "", fmt.Errorf("%w: icount takes no argument", ErrMonitor)
		}
		return fmt.Sprintf("icount %d, instret %d, pc %#x\n", s.m.Icount(), s.h.Instret(), s.h.PC), nil
	case "seek":
		if len(args) != 1 {
			return "", fmt.Errorf("%w: seek takes one instruction count: seek N", ErrMonitor)
		}
		n, err := strconv.ParseUint(args[0], 0, 64)
		if err != nil {
			return "", fmt.Errorf("%w: seek %q: want an instruction count from 0", ErrMonitor, args[0])
		}
		if err := s.Seek(n); err != nil {
			return "", err
		}
		return fmt.Sprintf("at icount %d, pc %#x\n%s\n", s.m.Icount(), s.h.PC, FlushHint), nil
	case "checkpoints":
		if len(args) != 0 {
			return "", fmt.Errorf("%w: checkpoints takes no argument", ErrMonitor)
		}
		return s.checkpointsText(), nil
	case "events":
		n := defaultEvents
		switch len(args) {
		case 0:
		case 1:
			v, err := strconv.ParseUint(args[0], 0, 64)
			if err != nil || v == 0 || v > maxEvents {
				return "", fmt.Errorf("%w: events %q: want a count from 1 to %d", ErrMonitor, args[0], maxEvents)
			}
			n = int(v)
		default:
			return "", fmt.Errorf("%w: events takes at most one count: events [N]", ErrMonitor)
		}
		return s.eventsText(n)
	}
	return "", fmt.Errorf("%w: %q: try monitor help", ErrMonitor, f[0])
}

func (s *Session) checkpointsText() string {
	var b strings.Builder
	if !s.replay {
		b.WriteString("no checkpoints: a plain run goes forward only\n")
		return b.String()
	}
	infos := s.Checkpoints()
	noun := "checkpoints"
	if len(infos) == 1 {
		noun = "checkpoint"
	}
	fmt.Fprintf(&b, "%d %s, every %d instructions:\n", len(infos), noun, s.e.cps.interval)
	for _, c := range infos {
		fmt.Fprintf(&b, "  icount %d  %d bytes\n", c.Icount, c.Bytes)
	}
	fmt.Fprintf(&b, "total %d bytes, cap %d bytes\n", s.m.CheckpointBytes(), s.capB)
	return b.String()
}

func (s *Session) eventsText(n int) (string, error) {
	if !s.replay {
		return "no recorded events: a plain run\n", nil
	}
	evs := s.bufferedEvents(n)
	more, err := s.m.UpcomingEvents(n - len(evs))
	if err != nil {
		return "", fmt.Errorf("events: %w", err)
	}
	evs = append(evs, more...)
	var b strings.Builder
	if len(evs) == 0 {
		b.WriteString("no more recorded events\n")
	}
	for _, e := range evs {
		b.WriteString(s.eventLine(e))
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// bufferedEvents returns up to n of the events a refill has already moved
// from the trace into the ND buffer and the guest has not read yet
// ([ndhead, ndtail)): they come before the ones UpcomingEvents returns.
func (s *Session) bufferedEvents(n int) []logfmt.Event {
	u := s.h.ND
	if u == nil {
		return nil
	}
	var out []logfmt.Event
	head, tail := u.CSR.Raw(csr.Ndhead), u.CSR.Raw(csr.Ndtail)
	for i := head; i < tail && len(out) < n; i++ {
		off := i * ndbuf.EntrySize
		if off+ndbuf.EntrySize > uint64(len(u.Mem)) {
			break
		}
		e := ndbuf.EntryAt(u.Mem[off:])
		out = append(out, logfmt.Event{Kind: e.Kind, Instret: e.Instret, PC: e.PC, Value: e.Value})
	}
	return out
}

// eventLine is one event: kind, instret, pc, and the value read or the
// system call with its result.
func (s *Session) eventLine(e logfmt.Event) string {
	head := fmt.Sprintf("%-7s instret %d pc %#x", e.Kind, e.Instret, e.PC)
	switch e.Kind {
	case logfmt.KindSyscall:
		name := vmm.SyscallName(e.Nr)
		if s.m.Prog.Kind == vmm.KindSemihost {
			name = vmm.SemihostName(e.Nr)
		}
		return fmt.Sprintf("%s %s (%d) = %#x, %d memory writes", head, name, e.Nr, e.Value, len(e.Writes))
	case logfmt.KindInput:
		return fmt.Sprintf("%s value %#x, %d memory writes", head, e.Value, len(e.Writes))
	}
	return fmt.Sprintf("%s value %#x", head, e.Value)
}
