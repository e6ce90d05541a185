package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The program named on the command line may be any path: a device, a
// directory, a pipe or a FIFO. Whatever it is, rvsim reads a bounded
// amount and ends with one line, quickly; an ELF that comes through a pipe
// (/dev/stdin) still runs.

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// rvsimWithin runs the rvsim binary with stdin, failing the test if it is
// still running after limit: the bug these tests catch is a hang or a
// read without end.
func rvsimWithin(t *testing.T, limit time.Duration, stdin io.Reader, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, rvsimBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	cmd.WaitDelay = time.Second // an endless stdin copier must not keep Wait waiting
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("rvsim %v still running after %v (stderr %q)", args, limit, errb.String())
	}
	status := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		status = ee.ExitCode()
	case err != nil && !errors.Is(err, exec.ErrWaitDelay):
		t.Fatalf("rvsim %v: %v", args, err)
	}
	return runResult{out.String(), errb.String(), status}
}

func checkRefused(t *testing.T, r runResult, re string) {
	t.Helper()
	if r.status != exitSimError {
		t.Fatalf("exit status %d, want %d; stderr %q", r.status, exitSimError, r.stderr)
	}
	oneLine(t, r, re)
}

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

// The trace named on the command line is read as a stream: a device, a
// directory or an endless pipe is refused at its first bytes.
func TestTraceFileKinds(t *testing.T) {
	const limit = 30 * time.Second
	hello := programPath("hello")
	notTrace := regexp.QuoteMeta("not an rvsim trace")
	checkRefused(t, rvsimWithin(t, limit, nil, "replay", hello, "/dev/zero"), `^rvsim: trace /dev/zero: .*`+notTrace+`$`)
	checkRefused(t, rvsimWithin(t, limit, nil, "inspect", "/dev/zero"), `^rvsim: trace /dev/zero: .*`+notTrace+`$`)
	checkRefused(t, rvsimWithin(t, limit, zeros{}, "replay", hello, "/dev/stdin"), `^rvsim: trace /dev/stdin: .*`+notTrace+`$`)
	checkRefused(t, rvsimWithin(t, limit, nil, "inspect", t.TempDir()), `^rvsim: trace .*: is a directory: `+notTrace+`$`)
}
