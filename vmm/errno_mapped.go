//go:build !linux || mips || mipsle || mips64 || mips64le

package vmm

import "syscall"

// linuxErrnos maps the host's errno values to Linux's generic numbers, for
// hosts whose numbering differs (Darwin, the BSDs, Linux on MIPS): an
// errno not listed here reaches the guest as EIO.
var linuxErrnos = map[syscall.Errno]int{
	syscall.EPERM: ePERM, syscall.ENOENT: eNOENT, syscall.ESRCH: eSRCH, syscall.EINTR: eINTR,
	syscall.EIO: eIO, syscall.ENXIO: eNXIO, syscall.EBADF: eBADF, syscall.EAGAIN: eAGAIN,
	syscall.ENOMEM: eNOMEM, syscall.EACCES: eACCES, syscall.EFAULT: eFAULT, syscall.EEXIST: eEXIST,
	syscall.ENODEV: eNODEV, syscall.ENOTDIR: eNOTDIR, syscall.EISDIR: eISDIR, syscall.EINVAL: eINVAL,
	syscall.ENFILE: eNFILE, syscall.EMFILE: eMFILE, syscall.ENOTTY: eNOTTY, syscall.EFBIG: eFBIG,
	syscall.ENOSPC: eNOSPC, syscall.ESPIPE: eSPIPE, syscall.EROFS: eROFS, syscall.EPIPE: ePIPE,
	syscall.ERANGE: eRANGE, syscall.ENAMETOOLONG: eNAMETOOLONG, syscall.ENOSYS: eNOSYS,
	syscall.ELOOP: eLOOP, syscall.EDQUOT: eDQUOT,
}

// hostToLinux translates a host errno to Linux's number.
func hostToLinux(e syscall.Errno) (int, bool) {
	n, ok := linuxErrnos[e]
	return n, ok
}
