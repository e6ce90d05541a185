package gdbstub

import (
	"errors"
	"strings"
	"testing"
)

func TestBreakpoints(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	c.call("qSupported:swbreak+;hwbreak+", "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+")
	c.call("Z0,10014,4", "OK")
	c.call("c", "T05swbreak:;thread:1;")
	if fake.pc != 0x10014 || fake.x[rA0] != 1 {
		t.Errorf("stopped at pc %#x a0 %d", fake.pc, fake.x[rA0])
	}
	c.call("?", "T05swbreak:;thread:1;")
	c.call("z0,10014,4", "OK")
	c.call("z0,10014,4", "E.no breakpoint at 0x10014")
	c.call("Z1,10010,4", "OK")
	c.call("c", "T05hwbreak:;thread:1;")
	c.call("z1,10010,4", "OK")
	// conditions after the kind are ignored
	c.call("Z0,10018,2;X2,0a", "OK")
	if _, ok := fake.breaks[0x10018]; !ok {
		t.Errorf("Z0 with a condition list did not insert")
	}
	c.call("z0,10018,2", "OK")
	c.call("Z2,10800,8", "OK")
	c.call("c", "T05watch:10800;thread:1;")
	if fake.pc != 0x1000c {
		t.Errorf("write watch stopped at %#x, want 0x1000c (the sd)", fake.pc)
	}
	c.call("z2,10800,8", "OK")
	c.call("Z3,10800,8", "OK")
	c.call("c", "T05rwatch:10800;thread:1;")
	c.call("z3,10800,8", "OK")
	c.call("Z4,10804,4", "OK")
	c.call("c", "T05awatch:10800;thread:1;")
	c.call("z4,10804,4", "OK")
	fake.noAccessWatch = true
	c.call("Z4,10800,8", "") // unsupported
	c.call("Z5,10800,8", "")
	c.call("Z9,0,0", "")
	c.call("Z0,10014", "E22")
	c.call("Z,10014,4", "E22")
	c.call("Z00,10014,4", "E22")
	c.call("Z0,zz,4", "E22")
	c.call("Z2,10800,0", "E22")
	c.call("Z3,ffffffffffffff00,101", "E22") // wraps around
	c.call("Z2,ffffffffffffff00,100", "OK")  // up to the last byte
	c.call("z2,ffffffffffffff00,100", "OK")
	c.call("c", "W2a")
	if err := c.wait(); err != nil {
		t.Errorf("Serve after W: %v", err)
	}
}

// Without swbreak+ from gdb, a breakpoint stop is a plain T05.
func TestBreakpointNoSwbreak(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	c.call("Z0,10014,4", "OK")
	c.call("c", "T05thread:1;")
}

func TestStepContinueExit(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	c.call("?", "T05thread:1;")
	c.call("s", "T05thread:1;")
	c.call("s", "T05thread:1;")
	c.call("p20", hexLE(0x10008, 8))
	c.call("p1b", hexLE(0, 8)) // s11
	c.call("vCont?", "vCont;c;C;s;S")
	c.call("vCont;s:1;c", "T05thread:1;")
	c.call("p20", hexLE(0x1000c, 8))
	c.call("vCont;S05", "T05thread:1;")
	c.call("vCont;s:p1.1", "T05thread:1;")
	c.call("vCont;c:2;s", "T05thread:1;") // c is for another thread
	c.call("p20", hexLE(0x10018, 8))
	c.call("vCont;s:2", "E22")
	c.call("vCont;x", "E22")
	c.call("vCont;", "E22")
	c.call("vCont;cc", "E22")
	c.call("vCont;C123", "E22")
	c.call("s1000c", "T05thread:1;") // s ADDR writes pc first
	c.call("p20", hexLE(0x10010, 8))
	c.call("szz", "E22")
	c.call("S05;10004", "T05thread:1;")
	c.call("p20", hexLE(0x10008, 8))
	c.call("Cxx", "E22")
	if calls := fake.callList(); !strings.Contains(strings.Join(calls, " "), "WriteRegister(32, 0x1000c)") {
		t.Errorf("s ADDR did not write pc: %q", calls)
	}
	// from a1 = 5 again, with a0 = 1: the loop makes a0 6, and 6+37 = 43
	c.call("vCont;c", "W2b")
	if err := c.wait(); err != nil {
		t.Errorf("Serve after W: %v", err)
	}
	if fake.killed.Load() {
		t.Errorf("target killed after its exit")
	}
}

func TestExitStatusAndOtherStops(t *testing.T) {
	for _, c := range []struct {
		st   Stop
		want string
		end  bool
	}{
		{Stop{Reason: StopExited, Status: 0}, "W00", true},
		{Stop{Reason: StopExited, Status: 0x1ff}, "Wff", true},
		{Stop{Reason: StopKilled, Signal: 11}, "X0b", true},
		{Stop{Reason: StopKilled}, "X09", true},
		{Stop{Reason: StopSignal}, "T05thread:1;", false},
		{Stop{Reason: StopSignal, Signal: 2}, "T02thread:1;", false},
		{Stop{Reason: StopSignal, Signal: 11}, "T0bthread:1;", false},
		{Stop{Reason: StopReplayBegin}, "T05replaylog:begin;thread:1;", false},
		{Stop{Reason: StopReplayEnd}, "T05replaylog:end;thread:1;", false},
		{Stop{Reason: StopWatch, Addr: 0xdeadbeef0, WatchKind: WatchWrite}, "T05watch:deadbeef0;thread:1;", false},
		{Stop{Reason: StopError, Err: errors.New("trace #3 is $bad} *really*\n")}, "E.trace ?3 is ?bad? ?really??", false},
		{Stop{Reason: StopError}, "E.error", false},
		{Stop{Reason: 99}, "E.unknown stop reason 99", false},
	} {
		s := &server{t: newFake()}
		got, end := s.stopReply(c.st)
		if got != c.want || end != c.end {
			t.Errorf("stopReply(%+v) = %q, %v; want %q, %v", c.st, got, end, c.want, c.end)
		}
	}
}

// stopTarget returns a fixed stop from Resume.
type stopTarget struct {
	*fakeTarget
	st Stop
}

func (s *stopTarget) Resume(Action) Stop { return s.st }

func TestKilledEndsSession(t *testing.T) {
	c := serve(t, &stopTarget{newFake(), Stop{Reason: StopKilled, Signal: 4}}, false)
	c.call("c", "X04")
	if err := c.wait(); err != nil {
		t.Errorf("Serve after X: %v", err)
	}
}

func TestResumeError(t *testing.T) {
	c := serve(t, &stopTarget{newFake(), Stop{Reason: StopError, Err: errors.New("trace: corrupt frame")}}, false)
	c.call("c", "E.trace: corrupt frame")
	// the last stop is still the first one
	c.call("?", "T05thread:1;")
}

func TestReverse(t *testing.T) {
	fake := newFake()
	fake.reverse = true
	c := serve(t, fake, false)
	c.call("bs", "T05replaylog:begin;thread:1;")
	c.call("s", "T05thread:1;")
	c.call("s", "T05thread:1;")
	c.call("s", "T05thread:1;")
	c.call("bs", "T05thread:1;")
	c.call("p20", hexLE(0x10008, 8))
	c.call("bs", "T05thread:1;")
	c.call("p20", hexLE(0x10004, 8))
	c.call("Z0,10014,4", "OK")
	c.call("c", "T05thread:1;") // first hit, a0 = 1
	c.call("z0,10014,4", "OK")
	c.call("s", "T05thread:1;")
	c.call("Z0,10014,4", "OK")
	c.call("c", "T05thread:1;") // second hit, a0 = 2
	c.call("p20", hexLE(0x10014, 8))
	c.call("pa", hexLE(2, 8))
	c.call("bc", "T05thread:1;") // back to the first hit
	c.call("pa", hexLE(1, 8))
	c.call("z0,10014,4", "OK")
	c.call("bc", "T05replaylog:begin;thread:1;")
	c.call("p20", hexLE(0x10000, 8))
	c.call("Z2,10800,8", "OK")
	c.call("c", "T05watch:10800;thread:1;") // before the first sd: a0 = 1
	c.call("p20", hexLE(0x1000c, 8))
	// step over it with the watchpoint removed, as gdb does
	c.call("z2,10800,8", "OK")
	c.call("s", "T05thread:1;")
	c.call("Z2,10800,8", "OK")
	c.call("c", "T05watch:10800;thread:1;") // before the second: a0 = 2
	c.call("p20", hexLE(0x1000c, 8))
	c.call("pa", hexLE(2, 8))
	c.call("m10800,8", hexLE(1, 8))
	// backwards, the watchpoint stops just after the nearest store before
	// now, the one that wrote 1
	c.call("bc", "T05watch:10800;thread:1;")
	c.call("p20", hexLE(0x10010, 8))
	c.call("pa", hexLE(1, 8))
	c.call("m10800,8", hexLE(1, 8))
	c.call("z2,10800,8", "OK")
	c.call("bs", "T05thread:1;")
	c.call("m10800,8", hexLE(0, 8)) // before the first store
	if got := fake.callList(); !strings.Contains(strings.Join(got, " "), "Resume(reverse continue)") {
		t.Errorf("calls %q", got)
	}
}

func TestNoReverse(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	c.call("bs", "")
	c.call("bc", "")
	c.call("bx", "")
	for _, call := range fake.callList() {
		if strings.HasPrefix(call, "Resume") {
			t.Errorf("a target that cannot reverse got %s", call)
		}
	}
}

// spinning returns a fake that loops for ever at fakeSpin, and a channel
// closed when Resume starts.
func spinning() (*fakeTarget, chan struct{}) {
	fake := newFake()
	fake.pc = fakeSpin
	started := make(chan struct{})
	fake.resumeHook = func() { close(started) }
	return fake, started
}

func TestCtrlC(t *testing.T) {
	fake, started := spinning()
	c := serve(t, fake, false)
	c.send(pkt("c"))
	c.expect("+")
	<-started
	c.send("\x03")
	c.expect(pkt("T02thread:1;"))
	if fake.pc != fakeSpin {
		t.Errorf("pc %#x", fake.pc)
	}
	// a Ctrl-C while stopped is ignored
	c.send("\x03")
	c.call("?", "T02thread:1;")
	if n := fake.interrupts.Load(); n != 1 {
		t.Errorf("%d interrupts, want 1", n)
	}
}

// A Ctrl-C right behind the packet that resumes stops the target even if
// it comes before Resume starts.
func TestCtrlCRightAfterResume(t *testing.T) {
	fake, _ := spinning()
	fake.resumeHook = nil
	c := serve(t, fake, false)
	c.noAck()
	for i := 0; i < 20; i++ {
		c.send(pkt("vCont;c:1") + "\x03")
		c.expect(pkt("T02thread:1;"))
	}
	c.call("qC", "QC1")
}

func TestDisconnectDuringResume(t *testing.T) {
	fake, started := spinning()
	c := serve(t, fake, false)
	c.send(pkt("c"))
	c.expect("+")
	<-started
	c.c.Close()
	if err := c.wait(); err != nil {
		t.Errorf("Serve: %v", err)
	}
	if !fake.killed.Load() || fake.interrupts.Load() == 0 {
		t.Errorf("killed %v, interrupts %d", fake.killed.Load(), fake.interrupts.Load())
	}
}

// A client that floods the stub with packets while the target runs cannot
// block the reader: Ctrl-C still arrives.
func TestFloodWhileRunning(t *testing.T) {
	fake, started := spinning()
	c := serve(t, fake, false)
	c.noAck()
	c.send(pkt("c"))
	<-started
	for i := 0; i < 3*maxQueued; i++ {
		c.send(pkt("qC"))
	}
	c.send("\x03")
	c.expect(pkt("T02thread:1;"))
	// the queued packets are answered (those that fitted), then the session goes on
	for i := 0; i < maxQueued; i++ {
		c.expect(pkt("QC1"))
	}
	c.call("qAttached", "1")
}

// TestFloodWhileStopped: a client that writes many packets without waiting
// for the replies (while the target is stopped) gets a reply to every one,
// in order: the stub reads on as it answers, it drops none.
func TestFloodWhileStopped(t *testing.T) {
	c := serve(t, newFake(), false)
	c.noAck()
	const n = 5 * maxQueued
	go func() {
		for i := 0; i < n; i++ {
			c.send(pkt("qC"))
		}
	}()
	for i := 0; i < n; i++ {
		c.expect(pkt("QC1"))
	}
	c.call("qAttached", "1")
}

// After a SteppedOver watchpoint stop, gdb's step over the access (the next
// resume that way with the watchpoints removed) is answered without
// running; a resume with a watchpoint inserted, or the other way, runs.
func TestSteppedOverWatch(t *testing.T) {
	fake := newFake()
	fake.reverse = true
	fake.watchAfter = true
	c := serve(t, fake, false)
	resumes := func() int {
		n := 0
		for _, call := range fake.callList() {
			if strings.HasPrefix(call, "Resume") {
				n++
			}
		}
		return n
	}
	c.call("Z2,10800,8", "OK")
	c.call("c", "T05watch:10800;thread:1;")
	c.call("p20", hexLE(0x10010, 8)) // after the sd
	// gdb's software single-step over it: a breakpoint at the next
	// instruction, the watchpoint removed, continue
	c.call("z2,10800,8", "OK")
	c.call("Z0,10014,4", "OK")
	n := resumes()
	c.call("vCont;c:1", "T05thread:1;")
	if resumes() != n {
		t.Errorf("the step over the access ran the target")
	}
	c.call("p20", hexLE(0x10010, 8))
	c.call("z0,10014,4", "OK")
	// the next resume runs
	c.call("s", "T05thread:1;")
	c.call("p20", hexLE(0x10014, 8))

	// with the watchpoint still inserted, a resume is the user's: it runs
	c.call("Z2,10800,8", "OK")
	c.call("c", "T05watch:10800;thread:1;")
	c.call("s", "T05thread:1;")
	c.call("p20", hexLE(0x10014, 8))

	// backwards: the stop is before the sd; gdb's bs over it is answered
	c.call("bc", "T05watch:10800;thread:1;")
	c.call("p20", hexLE(0x1000c, 8))
	c.call("z2,10800,8", "OK")
	n = resumes()
	c.call("bs", "T05thread:1;")
	if resumes() != n {
		t.Errorf("the reverse step over the access ran the target")
	}
	c.call("p20", hexLE(0x1000c, 8))
	c.call("bs", "T05thread:1;")
	c.call("p20", hexLE(0x10008, 8))

	// a forward resume after a backward stop is not the step over
	c.call("Z2,10800,8", "OK")
	c.call("bc", "T05watch:10800;thread:1;")
	c.call("z2,10800,8", "OK")
	c.call("s", "T05thread:1;")
	c.call("p20", hexLE(0x10010, 8))
}
