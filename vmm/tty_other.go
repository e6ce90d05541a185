//go:build !linux

package vmm

import "syscall"

// hostIoctl reports that no host descriptor is a terminal: the requests'
// structures are Linux's.
func hostIoctl(rawConner, uint64, []byte) error { return syscall.ENOTTY }
