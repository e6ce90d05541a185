package vmm

// The system calls on processes and signals that the monitor answers
// itself or refuses: kill, tkill and tgkill of the guest itself, and
// clone, clone3, execve and execveat, which stop the run.

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// sysKill is kill, tkill and tgkill. The guest can signal only itself (its
// process and thread id is guestPID; kill's 0 and -1 name it too): the
// default action of a signal that terminates ends the guest as that signal
// would (status 128+sig, as abort's SIGABRT gives 134); an ignored signal,
// or one whose default is to be ignored, does nothing; a blocked one is
// pending until the guest unblocks it (deliverPending). A handler cannot
// be run, nor a process stopped: the run stops with ErrUnsupported rather
// than go on as if the signal had been handled.
func (m *Machine) sysKill(nr, a0, a1, a2 uint64) (uint64, error) {
	l := m.linux
	var sig uint64
	self := false
	switch nr {
	case sysKill:
		pid := int32(a0)
		sig, self = a1, pid == guestPID || pid == 0 || pid == -1
	case sysTkill:
		sig, self = a1, int32(a0) == guestPID
		if int32(a0) <= 0 {
			return errno(eINVAL), nil
		}
	case sysTgkill:
		sig, self = a2, int32(a0) == guestPID && int32(a1) == guestPID
		if int32(a0) <= 0 || int32(a1) <= 0 {
			return errno(eINVAL), nil
		}
	}
	// Linux looks the target up before it checks the signal.
	if !self {
		return errno(eSRCH), nil
	}
	if sig = uint64(uint32(sig)); sig > 64 { // an int: the upper half does not count
		return errno(eINVAL), nil
	}
	if sig == 0 {
		return 0, nil
	}
	bit := uint64(1) << (sig - 1)
	if sig != sigKILL && l.sigmask&bit != 0 {
		// Pending until the guest unblocks it (deliverPending): kill's
		// for the process, tkill's and tgkill's for the thread.
		to := pendThread
		if nr == sysKill {
			to = pendProcess
		}
		l.sigpending[to] |= bit
		return 0, nil
	}
	return 0, m.act(sig, SyscallName(nr))
}

// Signals whose default action is to be ignored, and to stop the process.
const (
	sigCHLD, sigCONT, sigTSTP, sigTTIN, sigTTOU, sigURG, sigWINCH = 17, 18, 20, 21, 22, 23, 28
	defaultIgnored                                                = 1<<(sigCHLD-1) | 1<<(sigCONT-1) | 1<<(sigURG-1) | 1<<(sigWINCH-1)
)

// act carries out the action of sig, not blocked, sent by the guest to
// itself (by names how, for messages): nothing for an ignored signal, the
// end of the guest for one whose default action terminates, and a stop
// of the run (ErrUnsupported) for a handler or a stop.
func (m *Machine) act(sig uint64, by string) error {
	l := m.linux
	handler := binary.LittleEndian.Uint64(l.sigact[sig][:8])
	switch {
	case sig == sigKILL:
	case handler == sigIGN:
		return nil
	case handler != sigDFL:
		return fmt.Errorf("%w: %s of signal %d at pc %#x: the guest's handler at %#x cannot be run (the monitor delivers no signals)",
			ErrUnsupported, by, sig, m.Hart.PC, handler)
	}
	switch sig {
	case sigCHLD, sigCONT, sigURG, sigWINCH:
		return nil // ignored by default
	case sigSTOP, sigTSTP, sigTTIN, sigTTOU:
		return fmt.Errorf("%w: %s of signal %d at pc %#x: the monitor cannot stop the guest", ErrUnsupported, by, sig, m.Hart.PC)
	}
	m.log.Info(fmt.Sprintf("the guest killed itself with signal %d (%s) at pc %#x", sig, by, m.Hart.PC))
	l.killedBy = int(sig)
	m.exit(128 + int(sig))
	return nil
}

// Pending signals: those sent to the thread (tkill, tgkill, raise, a
// write's SIGPIPE) and those sent to the process (kill), which Linux keeps
// apart and takes in that order.
const (
	pendThread  = 0
	pendProcess = 1
	// synchronous are the signals Linux takes first from a pending set
	// (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV, SIGSYS), before the
	// lowest-numbered of the others.
	synchronous = 1<<(4-1) | 1<<(5-1) | 1<<(7-1) | 1<<(8-1) | 1<<(11-1) | 1<<(31-1)
)

// nextPending takes the signal Linux delivers next of the pending ones the
// mask does not block (kernel/signal.c, next_signal and dequeue_signal),
// or returns 0.
func (l *linux) nextPending() uint64 {
	for i := range l.sigpending {
		x := l.sigpending[i] &^ l.sigmask
		if x == 0 {
			continue
		}
		if x&synchronous != 0 {
			x &= synchronous
		}
		sig := uint64(bits.TrailingZeros64(x)) + 1
		l.sigpending[i] &^= 1 << (sig - 1)
		return sig
	}
	return 0
}

// deliverPending acts on the pending signals that the mask no longer
// blocks, in Linux's order (nextPending), as Linux does on the way back to
// the guest: a SIGPIPE as a write raised it (raise), any other as kill
// sent it (act). It stops at the first that ends the guest or the run.
func (m *Machine) deliverPending() error {
	l := m.linux
	for sig := l.nextPending(); sig != 0; sig = l.nextPending() {
		if sig == sigPIPE {
			m.raise(int(sig))
		} else if err := m.act(sig, "the unblocking (rt_sigprocmask)"); err != nil {
			return err
		}
		if l.killedBy != 0 {
			return nil
		}
	}
	return nil
}

// sysSigpending is rt_sigpending: the signals raised while blocked and
// still pending, in the first size bytes of a sigset.
func (m *Machine) sysSigpending(set, size uint64) uint64 {
	l := m.linux
	if size > sigsetSize {
		return errno(eINVAL)
	}
	b, ok := m.guestWrite(set, size)
	if !ok {
		return errno(eFAULT)
	}
	var w [sigsetSize]byte
	binary.LittleEndian.PutUint64(w[:], (l.sigpending[pendThread]|l.sigpending[pendProcess])&l.sigmask)
	copy(b, w[:size])
	m.noteWrite(set, size)
	return 0
}

// checkProcessCall makes Linux's first checks of clone, clone3, execve and
// execveat, which the monitor cannot carry out: it returns the error Linux
// gives a call that these checks refuse, or 0 for one that would create a
// thread or process or replace the program.
func (m *Machine) checkProcessCall(nr, a0, a1 uint64) uint64 {
	const (
		cloneVM, cloneFS, cloneSighand, clonePidfd = 0x100, 0x200, 0x800, 0x1000
		cloneThread, cloneNewns, cloneParentSettid = 0x10000, 0x20000, 0x100000
		cloneNewuser                               = 0x10000000
		cloneArgsSize0, e2BIG                      = 64, 7
	)
	switch nr {
	case sysClone:
		f := uint64(uint32(a0)) // the legacy call takes the low 32 bits
		switch {
		case f&(cloneNewns|cloneFS) == cloneNewns|cloneFS, f&(cloneNewuser|cloneFS) == cloneNewuser|cloneFS,
			f&cloneThread != 0 && f&cloneSighand == 0, f&cloneSighand != 0 && f&cloneVM == 0,
			f&clonePidfd != 0 && f&cloneParentSettid != 0:
			return errno(eINVAL)
		}
	case sysClone3:
		switch {
		case a1 < cloneArgsSize0:
			return errno(eINVAL)
		case a1 > PageSize:
			return errno(e2BIG)
		}
		if _, ok := m.guest(a0, a1); !ok {
			return errno(eFAULT)
		}
	case sysExecve, sysExecveat:
		p := a0
		if nr == sysExecveat {
			p = a1
		}
		if _, e := m.cString(p); e != 0 {
			return e
		}
	}
	return 0
}
