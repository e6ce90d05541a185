//go:build linux

package main

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// pipeBytes returns how many bytes wait in the pipe read by f (FIONREAD,
// Linux's number).
func pipeBytes(t *testing.T, f *os.File) int {
	t.Helper()
	const fionread = 0x541B
	var n int32
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var errno syscall.Errno
	rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, fionread, uintptr(unsafe.Pointer(&n)))
	})
	if errno != 0 {
		t.Fatal(errno)
	}
	return int(n)
}

// TestRecordSignalWhileWriting: SIGTERM or SIGINT reaches a recording
// whose guest is blocked writing to a pipe that no one reads (`rvsim
// record prog | sleep 20`). rvsim abandons the write and ends promptly
// with the interrupted footer; the replay is identical to that point and
// outputs exactly the bytes that went into the pipe.
func TestRecordSignalWhileWriting(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "t.zst")
			r, pr := startRecordPiped(t, trace, "forever", "print")
			deadline := time.Now().Add(20 * time.Second)
			for last := -1; ; {
				n := pipeBytes(t, pr)
				if n == last && n >= 4096 {
					break // full: the writer waits
				}
				if time.Now().After(deadline) {
					t.Fatalf("the pipe did not fill: %d bytes", n)
				}
				last = n
				time.Sleep(100 * time.Millisecond)
			}
			st := r.signal(t, sig, 5*time.Second)
			n, _ := checkInterrupted(t, trace, "forever", r.stderr.String(), st)
			piped, err := io.ReadAll(pr)
			if err != nil {
				t.Fatal(err)
			}
			rep := rvsim(t, "", "replay", programPath("forever"), trace)
			if rep.stdout != string(piped) {
				t.Errorf("replay wrote %d bytes, the recording put %d into the pipe", len(rep.stdout), len(piped))
			}
			t.Logf("%v: interrupted at instruction %d with %d bytes in the pipe", sig, n, len(piped))
		})
	}
}
