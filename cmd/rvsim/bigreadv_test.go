package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rvsim/rvsim/vmm"
)

// programs/src/bigreadv.c asks readv for 1024 vectors of 1 MiB, from
// standard input. A read returns at most 1 MiB (a legal short read), a
// readv too, in run, record and replay alike: the recorded event stays
// small, and record's memory with it.

var bigReadvLine = regexp.MustCompile(`^readv [0-9]+: 1048576 bytes, checksum [0-9a-f]{16}$`)

func TestBigReadvRecordReplay(t *testing.T) {
	elf := programPath("bigreadv")
	for _, input := range []string{"/dev/zero", "/dev/urandom"} {
		t.Run(filepath.Base(input), func(t *testing.T) {
			run := rvsim(t, input, "run", elf)
			trace := filepath.Join(t.TempDir(), "t.zst")
			rec := rvsim(t, input, "record", "-o", trace, elf)
			rep := rvsim(t, "", "replay", elf, trace)
			for _, r := range []struct {
				what string
				res  runResult
			}{{"run", run}, {"record", rec}, {"replay", rep}} {
				lines := strings.Split(strings.TrimRight(r.res.stdout, "\n"), "\n")
				if r.res.status != 0 || len(lines) != 4 {
					t.Fatalf("%s: status %d, stdout %q, stderr %q; want 4 reads and status 0", r.what, r.res.status, r.res.stdout, r.res.stderr)
				}
				for _, l := range lines {
					if !bigReadvLine.MatchString(l) {
						t.Errorf("%s: %q: want a read of 1048576 bytes", r.what, l)
					}
				}
			}
			if input == "/dev/zero" && run.stdout != rec.stdout {
				t.Errorf("run and record read different data from /dev/zero:\n%s\n%s", run.stdout, rec.stdout)
			}
			if rep.stdout != rec.stdout || !identicalRE.MatchString(rep.stderr) {
				t.Errorf("replay: stdout %q (recorded %q), stderr %q: want the recorded output, identical", rep.stdout, rec.stdout, rep.stderr)
			}
			if st, err := os.Stat(trace); err != nil || st.Size() > 8<<20 {
				t.Errorf("trace: %v, want a small trace", err)
			}
		})
	}
}

// failAfter lets the first n writes through, then fails as a full disk
// does.
type failAfter struct {
	f *os.File
	n int
}

func (w *failAfter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, &os.PathError{Op: "write", Path: w.f.Name(), Err: syscall.ENOSPC}
	}
	w.n--
	return w.f.Write(p)
}

func (w *failAfter) Close() error { return w.f.Close() }

// TestRecordStopsWhenTraceFails: once a segment could not be written, the
// guest must not run on unrecorded. bigreadv reads 1 MiB (a segment's
// worth) and then computes for a while before it prints: the run stops
// within that computation, before anything is printed. The computation
// is longer on the native-code engine, so that it still outlasts the
// writer's compression of the segment (slow under the race detector,
// which leaves native code as fast as ever).
func TestRecordStopsWhenTraceFails(t *testing.T) {
	passes := "20"
	if e, _ := vmm.EngineFromEnv(); e != vmm.EngineInterp && vmm.SelfCheck() == nil {
		passes = "400"
	}
	saved := createTrace
	defer func() { createTrace = saved }()
	trace := filepath.Join(t.TempDir(), "t.zst")
	createTrace = func(name string) (io.WriteCloser, error) {
		f, err := os.Create(name)
		if err != nil {
			return nil, err
		}
		return &failAfter{f, 1}, nil // the header, then nothing
	}
	done := make(chan runResult, 1)
	go func() {
		var out, errb bytes.Buffer
		status := execute([]string{"record", "-o", trace, programPath("bigreadv"), "2", passes}, zeros{}, &out, &errb)
		done <- runResult{out.String(), errb.String(), status}
	}()
	var r runResult
	select {
	case r = <-done:
	case <-time.After(120 * time.Second):
		t.Fatal("record did not stop after its trace's writes failed")
	}
	if r.status != exitSimError || r.stdout != "" {
		t.Fatalf("status %d, stdout %q: want %d and a guest stopped before it printed; stderr %q", r.status, r.stdout, exitSimError, r.stderr)
	}
	q := regexp.QuoteMeta(trace)
	oneLine(t, r, fmt.Sprintf(`^rvsim: record: %s: writing trace segment 0 .*: write %s: no space left on device \(the trace is incomplete: its header and 0 whole segments are readable\)$`, q, q))
}
