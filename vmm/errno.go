package vmm

import (
	"errors"
	"io/fs"
	"syscall"
)

// hostErrno turns a host error into the Linux errno a guest sees. An error
// that carries a syscall.Errno (wrapped in an *os.PathError, *os.SyscallError
// or a monitor error with %w) passes its number through, translated to
// Linux's numbering where the host's differs (hostToLinux). Without one,
// the fs sentinels keep their meaning, and anything else is EIO.
func hostErrno(err error) int {
	var en syscall.Errno
	if errors.As(err, &en) {
		if e, ok := hostToLinux(en); ok {
			return e
		}
		return eIO
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return eNOENT
	case errors.Is(err, fs.ErrPermission):
		return eACCES
	case errors.Is(err, fs.ErrExist):
		return eEXIST
	case errors.Is(err, fs.ErrClosed):
		return eBADF
	}
	return eIO
}

// rootErrno is hostErrno for the errors of os.Root: one that carries no
// errno is the root refusing a path that leads outside it (a symlink to
// an absolute path or up through ".."), which the guest sees as EACCES.
func rootErrno(err error) int {
	var en syscall.Errno
	if !errors.As(err, &en) && !errors.Is(err, fs.ErrNotExist) {
		return eACCES
	}
	return hostErrno(err)
}
