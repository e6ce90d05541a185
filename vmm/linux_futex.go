package vmm

import (
	"encoding/binary"
	"fmt"
)

// futex(2) for a process of one thread. glibc calls it even then: a
// pthread_once or __libc_once initialiser (iconv_open, setlocale, C++
// static locals) wakes the waiters once it has run, whether or not there
// are any. With one thread there never are: a wake wakes nobody, and a
// wait either finds the word changed (EAGAIN), times out (at once, as
// nanosleep returns at once), or would wait for ever, which stops the
// run rather than hang it. The other operations (requeue, wake_op, the
// priority-inheritance locks) are used only between threads: ENOSYS, as
// an unsupported call.

// futex operations (linux/futex.h) and the flags or'ed into them.
const (
	futexWait           = 0
	futexWake           = 1
	futexLockPI         = 6
	futexWaitBitset     = 9
	futexWakeBitset     = 10
	futexWaitRequeuePI  = 11
	futexLockPI2        = 13
	futexPrivateFlag    = 128
	futexClockRealtime  = 256
	futexCmdMask        = ^(futexPrivateFlag | futexClockRealtime)
	eTIMEDOUT           = 110
	futexBitsetMatchAny = 0xffffffff
)

// sysFutex answers futex(uaddr, op, val, timeout, uaddr2, val3) as Linux
// does for a process with one thread, checking the arguments in Linux's
// order (kernel/futex/syscalls.c). A wait that nothing could end is an
// error that stops the run (ErrUnsupported).
func (m *Machine) sysFutex(uaddr uint64, op int32, val uint32, timeout, val3 uint64) (uint64, error) {
	cmd := op & futexCmdMask
	hasTimeout := cmd == futexWait || cmd == futexLockPI || cmd == futexLockPI2 || cmd == futexWaitBitset || cmd == futexWaitRequeuePI
	if timeout != 0 && hasTimeout {
		b, ok := m.guest(timeout, 16)
		if !ok {
			return errno(eFAULT), nil
		}
		sec, nsec := int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
		if sec < 0 || nsec < 0 || nsec >= 1e9 {
			return errno(eINVAL), nil
		}
	}
	if op&futexClockRealtime != 0 && cmd != futexWaitBitset && cmd != futexWaitRequeuePI && cmd != futexLockPI2 {
		return errno(eNOSYS), nil
	}
	bitset := uint32(val3)
	switch cmd {
	case futexWait, futexWaitBitset:
		if cmd == futexWait {
			bitset = futexBitsetMatchAny
		}
		if bitset == 0 || uaddr%4 != 0 {
			return errno(eINVAL), nil
		}
		b, ok := m.guest(uaddr, 4)
		if !ok {
			return errno(eFAULT), nil
		}
		switch {
		case binary.LittleEndian.Uint32(b) != val:
			return errno(eAGAIN), nil
		case timeout != 0:
			return errno(eTIMEDOUT), nil
		}
		return 0, fmt.Errorf("%w: futex wait at pc %#x on the word at %#x, with no timeout: the guest has no other thread to wake it, so it would wait for ever",
			ErrUnsupported, m.Hart.PC, uaddr)
	case futexWake, futexWakeBitset:
		if cmd == futexWake {
			bitset = futexBitsetMatchAny
		}
		if bitset == 0 || uaddr%4 != 0 {
			return errno(eINVAL), nil
		}
		if op&futexPrivateFlag == 0 {
			// A shared futex's key is the page behind the address:
			// Linux faults an address with nothing there.
			if _, ok := m.guest(uaddr, 4); !ok {
				return errno(eFAULT), nil
			}
		} else if uaddr >= userEnd-3 {
			return errno(eFAULT), nil // not a user address at all (access_ok)
		}
		return 0, nil // no thread waits
	}
	m.unsupported(sysFutex)
	return errno(eNOSYS), nil
}
