//go:build linux

package vmm

import (
	"syscall"
	"time"
	"unsafe"
)

// pollfd is struct pollfd of Linux.
type pollfd struct {
	fd      int32
	events  int16
	revents int16
}

const (
	pollIN  = 0x1
	pollOUT = 0x4
)

// pollable reports whether reads or writes of rc's descriptor can block
// for good (a pipe, socket or terminal): everything but regular files and
// block devices, whose reads and writes always complete.
func pollable(rc rawConner) bool {
	typ, ok := fdType(rc, nil)
	return ok && typ != syscall.S_IFREG && typ != syscall.S_IFBLK
}

// fdType returns the type bits (S_IFMT) of rc's descriptor, and calls
// also, if not nil, with the descriptor while it is held.
func fdType(rc rawConner, also func(fd uintptr)) (uint32, bool) {
	c, err := rc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var st syscall.Stat_t
	var serr error = syscall.ENOTSUP
	err = c.Control(func(fd uintptr) {
		serr = syscall.Fstat(int(fd), &st)
		if also != nil {
			also(fd)
		}
	})
	return st.Mode & syscall.S_IFMT, err == nil && serr == nil
}

// waitWritable waits at most d for rc's descriptor to take a write (or to
// have an error or hang-up, which the write then reports).
func waitWritable(rc rawConner, d time.Duration) (bool, error) { return waitReady(rc, pollOUT, d) }

// waitReadable waits at most d for rc's descriptor to have input (or an
// end of file, error or hang-up, which the read then reports).
func waitReadable(rc rawConner, d time.Duration) (bool, error) { return waitReady(rc, pollIN, d) }

// waitReady waits at most d for one of events on rc's descriptor.
func waitReady(rc rawConner, events int16, d time.Duration) (bool, error) {
	c, err := rc.SyscallConn()
	if err != nil {
		return false, err
	}
	var n uintptr
	var perr syscall.Errno
	err = c.Control(func(fd uintptr) {
		p := pollfd{fd: int32(fd), events: events}
		ts := syscall.NsecToTimespec(int64(d))
		n, _, perr = syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	})
	switch {
	case err != nil:
		return false, err
	case perr == syscall.EINTR:
		return false, nil
	case perr != 0:
		return false, perr
	}
	return n > 0, nil
}

// endlessDevice reports whether rc's descriptor is a character device
// that is not a terminal (/dev/zero, /dev/urandom, ...): a read from one
// that comes back short was cut by a signal to rvsim (the Go runtime's
// preemption), not by the device, and is read on.
func endlessDevice(rc rawConner) bool {
	tty := false
	typ, ok := fdType(rc, func(fd uintptr) {
		var t syscall.Termios
		_, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
		tty = e == 0
	})
	return ok && typ == syscall.S_IFCHR && !tty
}
