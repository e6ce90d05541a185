package gdbstub

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// vContAction picks the action of vCont;ACTION[:TID];... for the stub's
// thread: the leftmost one whose thread id is absent, -1, 0 or 1. c and C
// continue, s and S step (a signal is not delivered: a replay cannot take
// one); t (stop) and r (range step) are not offered.
func vContAction(list string) (Action, bool) {
	for _, item := range strings.Split(list, ";") {
		act, tid, hasTid := strings.Cut(item, ":")
		if hasTid && !ourThread(tid, true) {
			continue
		}
		if act == "" {
			return 0, false
		}
		switch act[0] {
		case 'c':
			return Continue, len(act) == 1
		case 's':
			return Step, len(act) == 1
		case 'C', 'S':
			if _, ok := parseHex(act[1:]); !ok || len(act) > 3 {
				return 0, false
			}
			if act[0] == 'C' {
				return Continue, true
			}
			return Step, true
		}
		return 0, false
	}
	return 0, false
}

// legacyResume answers s [ADDR], c [ADDR], S SIG[;ADDR], C SIG[;ADDR]: with an
// address, pc is written first; a signal is not delivered.
func (s *server) legacyResume(a Action, sig bool, body string) error {
	addr := body
	if sig {
		num, rest, _ := strings.Cut(body, ";")
		if _, ok := parseHex(num); !ok || len(num) > 2 {
			return s.reply(replyInvalid)
		}
		addr = rest
	}
	if addr != "" {
		pc, ok := parseHex(addr)
		if !ok {
			return s.reply(replyInvalid)
		}
		if err := s.t.WriteRegister(RegPC, pc); err != nil {
			return s.replyErr(err)
		}
	}
	return s.resume(a)
}

// reverse answers bs and bc; a target that cannot go back gets the empty
// reply (unsupported).
func (s *server) reverse(a Action) error {
	if !s.canReverse {
		return s.reply("")
	}
	return s.resume(a)
}

// resume runs the target and sends the stop reply. A Ctrl-C that came
// after the resuming packet stops it before it runs; a connection lost
// during Resume kills the target and ends the session.
//
// After a SteppedOver watchpoint stop, gdb's step over the accessing
// instruction has been done by the target already: it is the next resume
// in the same direction with no watchpoint inserted (gdb removes them for
// that step, and inserts them again for any resume of the user's). Going
// forwards gdb's riscv target single-steps in software (a breakpoint at
// the next instruction, then c), going backwards it sends bs. That resume
// is answered with a SIGTRAP stop where the target is, without Resume.
func (s *server) resume(a Action) error {
	if s.stepOverPending {
		s.stepOverPending = false
		sameWay := a == ReverseStep
		if s.stepOver == Step {
			sameWay = a == Step || a == Continue
		}
		if sameWay && !s.watchesInserted() {
			s.log.Debug("gdb: step over the watched access: already done")
			s.lastStop = "T05thread:" + threadID + ";"
			return s.reply(s.lastStop)
		}
	}
	var st Stop
	if s.in.startRunning() {
		st = Stop{Reason: StopSignal, Signal: 2}
	} else {
		st = s.t.Resume(a)
	}
	if err := s.in.stopRunning(); err != nil {
		if st.Reason != StopExited && st.Reason != StopKilled {
			s.t.Kill()
		}
		if errors.Is(err, io.EOF) {
			return errEnd
		}
		return fmt.Errorf("gdbstub: reading from gdb: %w", err)
	}
	r, end := s.stopReply(st)
	if st.Reason != StopError {
		s.lastStop = r
	}
	if st.Reason == StopWatch && st.SteppedOver {
		s.stepOverPending = true
		s.stepOver = Step
		if a == ReverseStep || a == ReverseContinue {
			s.stepOver = ReverseStep
		}
	}
	if err := s.reply(r); err != nil {
		return err
	}
	if end {
		return errEnd
	}
	return nil
}

// stopReply is the packet that reports st, and whether the session ends
// with it (W, X).
func (s *server) stopReply(st Stop) (string, bool) {
	const thread = "thread:" + threadID + ";"
	switch st.Reason {
	case StopSignal:
		sig := st.Signal
		if sig <= 0 || sig > 0xff {
			sig = 5
		}
		return fmt.Sprintf("T%02x%s", sig, thread), false
	case StopBreakpoint:
		if !s.swbreak {
			return "T05" + thread, false
		}
		hw := st.WatchKind == BreakHardware
		if !hw {
			if pc, ok := s.t.ReadRegister(RegPC); ok &&
				s.breaks[breakKey{BreakHardware, pc}] > 0 && s.breaks[breakKey{BreakSoftware, pc}] == 0 {
				hw = true
			}
		}
		if hw {
			return "T05hwbreak:;" + thread, false
		}
		return "T05swbreak:;" + thread, false
	case StopWatch:
		kind := "watch"
		switch st.WatchKind {
		case WatchRead:
			kind = "rwatch"
		case WatchAccess:
			kind = "awatch"
		}
		return fmt.Sprintf("T05%s:%x;%s", kind, st.Addr, thread), false
	case StopReplayBegin:
		return "T05replaylog:begin;" + thread, false
	case StopReplayEnd:
		return "T05replaylog:end;" + thread, false
	case StopExited:
		return fmt.Sprintf("W%02x", st.Status&0xff), true
	case StopKilled:
		sig := st.Signal
		if sig <= 0 || sig > 0xff {
			sig = 9
		}
		return fmt.Sprintf("X%02x", sig), true
	case StopError:
		return errReply(st.Err), false
	}
	return errReply(fmt.Errorf("unknown stop reason %d", st.Reason)), false
}

// breakpoint answers Z/z TYPE,ADDR,KIND[;conditions] (conditions ignored:
// they are not offered).
func (s *server) breakpoint(insert bool, body string) error {
	typ, rest, ok := strings.Cut(body, ",")
	if !ok || len(typ) != 1 || typ[0] < '0' || typ[0] > '9' {
		return s.reply(replyInvalid)
	}
	if typ[0] > '4' {
		return s.reply("")
	}
	t := BreakType(typ[0] - '0')
	rest, _, _ = strings.Cut(rest, ";")
	addr, kind, ok := parseAddrLen(rest)
	if !ok || t >= WatchWrite && (kind == 0 || addr+kind-1 < addr) {
		// (a watched range is not empty and does not wrap around)
		return s.reply(replyInvalid)
	}
	var err error
	if insert {
		err = s.t.InsertBreak(t, addr, kind)
	} else {
		err = s.t.RemoveBreak(t, addr, kind)
	}
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return s.reply("")
		}
		return s.replyErr(err)
	}
	k := breakKey{t, addr}
	if insert {
		s.breaks[k]++
	} else if s.breaks[k] > 0 {
		s.breaks[k]--
		if s.breaks[k] == 0 {
			delete(s.breaks, k)
		}
	}
	return s.reply("OK")
}

// watchesInserted reports whether a watchpoint (Z2-Z4) is inserted.
func (s *server) watchesInserted() bool {
	for k := range s.breaks {
		if k.t >= WatchWrite {
			return true
		}
	}
	return false
}
