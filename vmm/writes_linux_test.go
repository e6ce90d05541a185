//go:build linux

package vmm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestHostErrno: host errors reach the guest with their own errno, however
// they are wrapped, and the fs sentinels keep their meaning. Each errno
// comes from a real host call where one makes it easily.
func TestHostErrno(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	_, epipe := w.Write([]byte("x")) // EPIPE: no reader (not fd 1 or 2, so no SIGPIPE death)
	w.Close()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, enospc := full.Write([]byte("x"))
	full.Close()
	_, enoent := os.Open(filepath.Join(t.TempDir(), "none"))
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	_, eagain := syscall.Read(fds[0], make([]byte, 1)) // an empty non-blocking pipe
	syscall.Close(fds[0])
	syscall.Close(fds[1])
	for _, c := range []struct {
		name string
		err  error
		want int
	}{
		{"EPIPE from a write to a pipe with no reader", epipe, ePIPE},
		{"ENOSPC from a write to /dev/full", enospc, eNOSPC},
		{"ENOENT from an open", enoent, eNOENT},
		{"EAGAIN from a non-blocking read", eagain, eAGAIN},
		{"EINTR wrapped with %w", fmt.Errorf("read stdin: %w", syscall.EINTR), eINTR},
		{"EDQUOT in an *os.SyscallError", os.NewSyscallError("write", syscall.EDQUOT), eDQUOT},
		{"EFBIG in an *fs.PathError", &fs.PathError{Op: "write", Path: "f", Err: syscall.EFBIG}, eFBIG},
		{"EROFS", syscall.EROFS, eROFS},
		{"EISDIR", &fs.PathError{Op: "read", Path: "d", Err: syscall.EISDIR}, eISDIR},
		{"fs.ErrNotExist without an errno", fmt.Errorf("open: %w", fs.ErrNotExist), eNOENT},
		{"fs.ErrPermission without an errno", fs.ErrPermission, eACCES},
		{"an error without an errno", errors.New("something broke"), eIO},
	} {
		if got := hostErrno(c.err); got != c.want {
			t.Errorf("%s (%v): errno %d, want %d", c.name, c.err, got, c.want)
		}
	}
	// The generic numbers, as riscv64 Linux has them, on this host too.
	for e, want := range map[syscall.Errno]int{syscall.EPIPE: 32, syscall.EAGAIN: 11, syscall.ENOSPC: 28, syscall.EINTR: 4, syscall.EDQUOT: 122} {
		if got := hostErrno(e); got != want {
			t.Errorf("%v: errno %d, want Linux's %d", e, got, want)
		}
	}
}
