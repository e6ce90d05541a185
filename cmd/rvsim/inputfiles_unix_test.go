//go:build unix

package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProgramFileKinds: the program named on the command line may be any
// path: a device, a directory, a pipe or a FIFO. Whatever it is, rvsim
// reads a bounded amount and ends with one line, quickly; an ELF that
// comes through a pipe (/dev/stdin) still runs.
func TestProgramFileKinds(t *testing.T) {
	const limit = 30 * time.Second
	dir := t.TempDir()
	hello, err := os.ReadFile(programPath("hello"))
	if err != nil {
		t.Fatal(err)
	}
	devZero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer devZero.Close()

	t.Run("dev-zero", func(t *testing.T) {
		checkRefused(t, rvsimWithin(t, limit, nil, "run", "/dev/zero"),
			`^rvsim: load /dev/zero: is a character device: not an ELF file$`)
	})
	t.Run("stdin-dev-zero", func(t *testing.T) {
		checkRefused(t, rvsimWithin(t, limit, devZero, "run", "/dev/stdin"),
			`^rvsim: load /dev/stdin: is a character device: not an ELF file$`)
	})
	t.Run("directory", func(t *testing.T) {
		checkRefused(t, rvsimWithin(t, limit, nil, "run", dir),
			`^rvsim: load .*: is a directory: not an ELF file$`)
	})
	t.Run("pipe-of-zeros", func(t *testing.T) {
		checkRefused(t, rvsimWithin(t, limit, zeros{}, "run", "/dev/stdin"),
			`^rvsim: load /dev/stdin: offset 0: no ELF magic: not an ELF file$`)
	})
	t.Run("pipe-of-elf", func(t *testing.T) {
		// exec feeds a non-file reader through a pipe.
		r := rvsimWithin(t, limit, bytes.NewReader(hello), "run", "/dev/stdin", "one", "two")
		if r.status != 0 || !strings.Contains(r.stdout, "argv[2] = two") {
			t.Fatalf("status %d, stdout %q, stderr %q: want hello.elf's run", r.status, r.stdout, r.stderr)
		}
	})
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("fifo-without-writer", func(t *testing.T) {
		// Opening a FIFO that no one writes to blocks until someone
		// does: rvsim must not wait for ever.
		checkRefused(t, rvsimWithin(t, limit, nil, "run", fifo),
			`^rvsim: load .*fifo: offset 0: no ELF magic: not an ELF file$`)
	})
	t.Run("fifo-of-zeros", func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer w.Close()
			io.Copy(w, zeros{}) // until rvsim closes its end
		}()
		// rvsim may open the FIFO before the writer does and find it
		// empty: run it until the writer has been read from.
		for range 100 {
			r := rvsimWithin(t, limit, nil, "run", fifo)
			checkRefused(t, r, `^rvsim: load .*fifo: offset 0: no ELF magic: not an ELF file$`)
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		t.Fatal("the FIFO's writer was never read from")
	})
}
