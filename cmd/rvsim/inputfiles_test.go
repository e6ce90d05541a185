package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// The program or the trace named on the command line may be a device, a
// directory or a pipe: rvsim reads a bounded amount and ends with one
// line, quickly. TestProgramFileKinds (inputfiles_unix_test.go) tries
// the program's kinds, FIFOs among them.

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
