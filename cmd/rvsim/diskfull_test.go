package main

import (
	"errors"
	"fmt"
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

// The disk-full tests make the trace's writes fail. Recording must stop
// at once with one "rvsim:" line that names the trace file and says what
// could not be written and why, exit non-zero, and leave the segments
// already written readable (inspect, replay and zstd -t as for a killed
// recorder). The injected failure always runs; the real /dev/full and a
// 64 KiB tmpfs run when the system allows. RVSIM_LONG=1 fails the writes
// at a hundred more places and fills tmpfs file systems of four sizes.

// fullFile writes to f until limit bytes are written, then fails as a
// full disk does: a short write, then ENOSPC.
type fullFile struct {
	f     *os.File
	limit int64
}

func (w *fullFile) Write(p []byte) (int, error) {
	if int64(len(p)) <= w.limit {
		n, err := w.f.Write(p)
		w.limit -= int64(n)
		return n, err
	}
	n, err := w.f.Write(p[:w.limit])
	w.limit -= int64(n)
	if err == nil {
		err = &os.PathError{Op: "write", Path: w.f.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}

func (w *fullFile) Close() error { return w.f.Close() }

// diskFullRE is the message of a record that could not write its trace.
func diskFullRE(path string) *regexp.Regexp {
	q := regexp.QuoteMeta(path)
	return regexp.MustCompile(`^rvsim: record: ` + q + `: writing trace (header \(frame 0\)|segment (\d+) \(frame \d+\)|footer \(frame \d+\)) at offset \d+( \(\d+ of its \d+ bytes written\))?: write ` + q + `: no space left on device( \(the trace is incomplete: its header and (\d+) whole segments are readable\))?$`)
}

// checkDiskFull checks what record said and left behind when its trace
// could not be written: status 125, one line naming the file and what
// failed, and a trace readable up to its last whole segment.
func checkDiskFull(t *testing.T, r runResult, trace, prog string) string {
	t.Helper()
	if r.status != exitSimError || badPanic(r.stderr) {
		t.Fatalf("record on a full disk: status %d, want %d: %s", r.status, exitSimError, r.stderr)
	}
	line := strings.TrimRight(r.stderr, "\n")
	m := diskFullRE(trace).FindStringSubmatch(line)
	if m == nil || strings.Contains(line, "\n") {
		t.Fatalf("the message does not name the trace, what failed and why:\n%s", r.stderr)
	}
	// m[1] what failed, m[2] its segment number, m[5] the whole segments
	// the trace keeps: after a segment or the footer failed, the message
	// says how many (as many as the failed segment's number).
	if strings.HasPrefix(m[1], "header") != (m[5] == "") || m[2] != "" && m[2] != m[5] {
		t.Errorf("the message does not say how many whole segments the trace keeps: %q", line)
	}
	summary := checkCutShort(t, trace, prog)
	if in, _ := inspectTraceJSON(t, trace); in != nil && m[5] != "" && fmt.Sprint(len(in.Segments)) != m[5] {
		t.Errorf("record says %s whole segments are readable, inspect reads %d", m[5], len(in.Segments))
	}
	return summary
}

// TestRecordDiskFullInjected makes the trace's writes fail after N bytes,
// in the header, at and inside the first segment, and later on, with the
// command line run in-process.
func TestRecordDiskFullInjected(t *testing.T) {
	saved := createTrace
	defer func() { createTrace = saved }()
	limits := []int64{0, 100, 380, 1000, 12 << 10, 40 << 10}
	if longTests() {
		for l := int64(1); l < 100<<10; l += 997 {
			limits = append(limits, l)
		}
	}
	for _, limit := range limits {
		t.Run(fmt.Sprintf("after %d bytes", limit), func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "full.zst")
			createTrace = func(name string) (io.WriteCloser, error) {
				f, err := os.Create(name)
				if err != nil {
					return nil, err
				}
				return &fullFile{f, limit}, nil
			}
			done := make(chan runResult, 1)
			go func() {
				done <- cli(t, "", "record", "--mem", "1M", "--nd-buffer", "16", "-o", trace, "--", programPath("ndloop"), longRun)
			}()
			var r runResult
			select {
			case r = <-done:
			case <-time.After(60 * time.Second):
				t.Fatal("record did not stop after its trace's writes failed")
			}
			t.Logf("%s\n\t%s", strings.TrimSpace(r.stderr), checkDiskFull(t, r, trace, "ndloop"))
		})
	}
}

// TestRecordDevFull records to /dev/full: the header cannot be written.
func TestRecordDevFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("no /dev/full on this system: %v", err)
	}
	r := rvsim(t, "", "record", "-o", "/dev/full", programPath("hello"))
	if r.status != exitSimError {
		t.Errorf("status %d, want %d", r.status, exitSimError)
	}
	oneLine(t, r, `^rvsim: record: /dev/full: writing trace header \(frame 0\) at offset 0: write /dev/full: no space left on device$`)
	t.Log(strings.TrimSpace(r.stderr))
}

// TestRecordTmpfsFull records a long run into a 64 KiB tmpfs, which fills
// up after some segments (16 KiB to 1 MiB with RVSIM_LONG=1). It needs
// root and a kernel that lets it mount.
func TestRecordTmpfsFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	sizes := []string{"64k"}
	if longTests() {
		sizes = append(sizes, "16k", "256k", "1m")
	}
	for _, size := range sizes {
		t.Run(size, func(t *testing.T) { recordTmpfsFull(t, size) })
	}
}

func recordTmpfsFull(t *testing.T, size string) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (%v: %s); the injected failure is tested in TestRecordDiskFullInjected", err, strings.TrimSpace(string(out)))
	}
	defer func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	}()
	trace := filepath.Join(dir, "full.zst")
	rec := startRecord(t, trace, nil, "ndloop", longRun)
	var r runResult
	select {
	case err := <-rec.waited:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		r = runResult{rec.stdout.String(), rec.stderr.String(), rec.cmd.ProcessState.ExitCode()}
	case <-time.After(60 * time.Second):
		t.Fatal("record did not stop when the file system filled up")
	}
	t.Logf("%s\n\t%s", strings.TrimSpace(r.stderr), checkDiskFull(t, r, trace, "ndloop"))
}
