//go:build linux

package vmm

import (
	"syscall"
	"unsafe"
)

// hostIoctl runs the terminal request req (TCGETS or TIOCGWINSZ, whose
// structures riscv64 and the hosts Go runs Linux on share) on rc's host
// descriptor into b. A descriptor that is not a terminal gives ENOTTY.
func hostIoctl(rc rawConner, req uint64, b []byte) error {
	c, err := rc.SyscallConn()
	if err != nil {
		return syscall.ENOTTY
	}
	var errno syscall.Errno
	if err := c.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(req), uintptr(unsafe.Pointer(&b[0])))
	}); err != nil {
		return syscall.ENOTTY
	}
	if errno != 0 {
		return errno
	}
	return nil
}
