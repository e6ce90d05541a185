//go:build linux && !mips && !mipsle && !mips64 && !mips64le

package vmm

import "syscall"

// hostToLinux passes a host errno through: on Linux hosts other than MIPS
// (amd64, arm64, riscv64, ppc64, s390x, loong64, 386, arm), errno numbers
// are the asm-generic ones (include/uapi/asm-generic/errno-base.h and
// errno.h), which riscv64 uses too: EPIPE is 32, EAGAIN 11, ENOSPC 28 on
// both sides. 133 (EHWPOISON) is the highest.
func hostToLinux(e syscall.Errno) (int, bool) {
	if e == 0 || e > 133 {
		return 0, false
	}
	return int(e), true
}
