package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rvsim/rvsim/logfmt"
)

// The crash tests kill rvsim record with SIGKILL at several points of a
// long run and check what it leaves behind: every trace passes zstd -t up
// to its last whole frame, rvsim inspect says it is incomplete with its
// number of whole segments, and rvsim replay reproduces the run up to the
// last recorded event and stops there, naming the instruction count.
// RVSIM_LONG=1 kills at more points, later in the run.

// longRun is an ndloop argument that no test lets finish: about 16
// billion instructions.
const longRun = "100000000"

// syncBuffer is a bytes.Buffer that a test may read while a process
// writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// recording is a running rvsim process, most often a recording.
type recording struct {
	cmd            *exec.Cmd
	trace          string
	stdout, stderr syncBuffer
	waited         chan error // receives Wait's result
}

// startRecord starts rvsim record of prog into trace with a 16-entry ND
// buffer.
func startRecord(t *testing.T, trace string, stdin io.Reader, prog string, args ...string) *recording {
	t.Helper()
	return startCmd(t, trace, stdin, exec.Command(rvsimBin, recordArgs(trace, prog, args...)...))
}

// recordArgs are rvsim's arguments for startRecord.
func recordArgs(trace, prog string, args ...string) []string {
	return append([]string{"record", "--nd-buffer", "16", "-o", trace, "--", programPath(prog)}, args...)
}

// startCmd starts cmd, an rvsim process (a recording into trace, or ""
// for none), with stdin as its standard input. Its standard error goes to
// r.stderr, and its standard output to r.stdout unless cmd has one. The
// test's end kills it if it still runs.
func startCmd(t *testing.T, trace string, stdin io.Reader, cmd *exec.Cmd) *recording {
	t.Helper()
	r := &recording{trace: trace, waited: make(chan error, 1), cmd: cmd}
	r.cmd.Stdin, r.cmd.Stderr = stdin, &r.stderr
	if r.cmd.Stdout == nil {
		r.cmd.Stdout = &r.stdout
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.waited <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			<-r.waited
		}
	})
	return r
}

// waitSize waits until the trace holds at least n bytes. It fails the
// test if the recorder ends first or the trace does not grow in time.
func (r *recording) waitSize(t *testing.T, n int64, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if fi, err := os.Stat(r.trace); err == nil && fi.Size() >= n {
			return
		}
		select {
		case err := <-r.waited:
			t.Fatalf("rvsim record ended (%v) before the trace reached %d bytes: %s", err, n, r.stderr.String())
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the trace did not reach %d bytes in %v", n, limit)
		}
	}
}

// signal sends sig and waits for the recorder to end, at most limit; it
// returns the exit status (128+signal if it was killed by one).
func (r *recording) signal(t *testing.T, sig syscall.Signal, limit time.Duration) int {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.waited:
		status, sig, ok := waitStatus(err)
		if !ok {
			t.Fatalf("rvsim record: %v", err)
		}
		if sig != 0 {
			return 128 + sig
		}
		return status
	case <-time.After(limit):
		t.Fatalf("rvsim record did not end within %v of %v: %s", limit, sig, r.stderr.String())
	}
	return 0
}

// waitStatus reads the result of a command's Wait: its exit status, or
// the signal that killed it (sig != 0); ok is false for any other error.
func waitStatus(err error) (status, sig int, ok bool) {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, 0, true
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode(), 0, true
	case errors.As(err, &ee):
		return 0, signalNumber(ee), true
	}
	return 0, 0, false
}

// inspectJSON is the part of rvsim inspect --json these tests read.
type inspectJSON struct {
	Complete bool   `json:"complete"`
	Problem  string `json:"problem"`
	Segments []struct {
		Index  int   `json:"index"`
		Offset int64 `json:"offset"`
		Bytes  int64 `json:"bytes"`
		Events int   `json:"events"`
	} `json:"segments"`
	TotalEvents uint64         `json:"total_events"`
	Footer      *logfmt.Footer `json:"footer"`
}

// inspectTraceJSON runs rvsim inspect --json; it returns nil when inspect
// printed no report (no header to report on).
func inspectTraceJSON(t *testing.T, trace string) (*inspectJSON, runResult) {
	t.Helper()
	r := rvsim(t, "", "inspect", "--json", trace)
	if r.stdout == "" {
		return nil, r
	}
	var in inspectJSON
	if err := json.Unmarshal([]byte(r.stdout), &in); err != nil {
		t.Fatalf("inspect --json: %v\n%s", err, r.stdout)
	}
	return &in, r
}

// zstdTest runs the reference decoder's test on data.
func zstdTest(t *testing.T, data []byte) error {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cut.zst")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("zstd", "-q", "-t", p).CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// lastEvent reads a trace's whole segments and returns the last event's
// instruction count and how many events there are.
func lastEvent(t *testing.T, trace string) (instret uint64, events int) {
	t.Helper()
	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := logfmt.NewReader(bufio.NewReader(f), trace)
	if err != nil {
		t.Fatal(err)
	}
	for {
		evs, err := r.Next()
		if err != nil {
			return instret, events
		}
		instret = evs[len(evs)-1].Instret
		events += len(evs)
	}
}

var (
	replayedToRE  = regexp.MustCompile(`^rvsim: end of trace: replayed to instruction (\d+) \(pc 0x[0-9a-f]+\), just after the last recorded event: trace (\S+): frame (\d+) \(segment (\d+)\) at offset (\d+): .*: incomplete trace$`)
	replayStartRE = regexp.MustCompile(`^rvsim: end of trace: replay stopped at instruction 0 \(pc 0x[0-9a-f]+\), where the guest makes a start-up input: trace (\S+): frame 1 \(segment 0\) at offset \d+: .*: incomplete trace$`)
)

// checkCutShort checks a trace a recorder left without a footer, as the
// user would: zstd -t, inspect and replay. It returns a one-line summary.
func checkCutShort(t *testing.T, trace, prog string) string {
	t.Helper()
	data, err := os.ReadFile(trace)
	if errors.Is(err, os.ErrNotExist) {
		r := rvsim(t, "", "inspect", trace)
		oneLine(t, r, `no such file`)
		return "no trace file (killed before it was created)"
	}
	if err != nil {
		t.Fatal(err)
	}
	in, ir := inspectTraceJSON(t, trace)
	if ir.status != exitSimError {
		t.Errorf("inspect of a trace without footer: status %d, want %d", ir.status, exitSimError)
	}
	if badPanic(ir.stderr) {
		t.Fatalf("inspect panicked: %s", ir.stderr)
	}
	if in == nil {
		// Killed before the header was whole: nothing is readable, and
		// inspect says so.
		hdr := 0
		if len(data) >= 8 {
			hdr = 8 + int(binary.LittleEndian.Uint32(data[4:8]))
		}
		if len(data) >= 8 && len(data) >= hdr {
			t.Fatalf("inspect printed no report for a %d-byte trace with a whole header: %s", len(data), ir.stderr)
		}
		oneLine(t, ir, `trace \S+ is incomplete: 0 whole segments, 0 events readable, no whole header: trace \S+: frame 0 \(header\) at offset 0: .*incomplete trace$`)
		rep := rvsim(t, "", "replay", programPath(prog), trace)
		if rep.status != exitSimError {
			t.Errorf("replay: status %d, want %d", rep.status, exitSimError)
		}
		oneLine(t, rep, `^rvsim: trace \S+: frame 0 \(header\) at offset 0: .*incomplete trace$`)
		return fmt.Sprintf("%d bytes, no whole header: inspect and replay say so", len(data))
	}
	if in.Complete || in.Footer != nil {
		t.Fatalf("inspect says a trace without footer is complete")
	}
	n := len(in.Segments)
	oneLine(t, ir, fmt.Sprintf(`^rvsim: trace \S+ is incomplete: %s, %d event%s readable: trace \S+: frame %d \(segment %d\) at offset \d+: .*incomplete trace$`, wholeSegments(n), in.TotalEvents, plural(uint64(in.TotalEvents)), n+1, n))
	text := rvsim(t, "", "inspect", trace)
	if want := fmt.Sprintf("complete         no: %s (", wholeSegments(n)); !strings.Contains(text.stdout, want) {
		t.Errorf("inspect does not say %q:\n%s", want, text.stdout)
	}

	// zstd -t, the referee, accepts the trace up to its last whole frame;
	// if anything follows, it is not a whole frame.
	end := int64(8 + binary.LittleEndian.Uint32(data[4:8]))
	if n > 0 {
		s := in.Segments[n-1]
		end = s.Offset + s.Bytes
	}
	if err := zstdTest(t, data[:end]); err != nil {
		t.Errorf("zstd -t rejects the trace cut at its last whole frame (offset %d): %v", end, err)
	}
	if int64(len(data)) > end {
		if err := zstdTest(t, data); err == nil {
			t.Errorf("zstd -t accepts all %d bytes, but inspect reads only %d whole segments ending at %d", len(data), n, end)
		}
	}

	// replay reproduces the run to its last recorded event and stops.
	rep := rvsim(t, "", "replay", programPath(prog), trace)
	if rep.status != exitSimError || badPanic(rep.stderr) {
		t.Errorf("replay: status %d, want %d: %s", rep.status, exitSimError, rep.stderr)
	}
	line := strings.TrimRight(rep.stderr, "\n")
	if n == 0 {
		if !replayStartRE.MatchString(line) {
			t.Errorf("replay of a trace with no whole segment: %q", line)
		}
		return fmt.Sprintf("%d bytes, 0 whole segments: replay stops before the first instruction", len(data))
	}
	m := replayedToRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("replay does not stop at the end of the trace with the instruction count: %q", line)
	}
	last, events := lastEvent(t, trace)
	if got, _ := strconv.ParseUint(m[1], 10, 64); got != last+1 {
		t.Errorf("replay stopped at instruction %d; the last recorded event is at %d", got, last)
	}
	if m[2] != trace || m[3] != strconv.Itoa(n+1) || m[4] != strconv.Itoa(n) || m[5] != strconv.FormatInt(end, 10) {
		t.Errorf("replay's message names another place than frame %d (segment %d) at offset %d: %q", n+1, n, end, line)
	}
	return fmt.Sprintf("%d bytes, %d whole segments, %d events; replay stopped at instruction %s", len(data), n, events, m[1])
}

// TestRecordKilled kills rvsim record with SIGKILL at once, when the
// header is written, after a few segments, after a hundred, and after a
// delay (more points, later in the run, with RVSIM_LONG=1).
func TestRecordKilled(t *testing.T) {
	type point struct {
		name  string
		size  int64         // kill once the trace holds this many bytes
		delay time.Duration // or after this long
	}
	points := []point{
		{"at once", 0, 0},
		{"header written", 1, 0},
		{"after 8 KiB", 8 << 10, 0},
		{"after 128 KiB", 128 << 10, 0},
		{"after 400 ms", 0, 400 * time.Millisecond},
	}
	if longTests() {
		for _, kb := range []int64{2, 4, 16, 64, 256, 1024, 4096, 16384} {
			points = append(points, point{fmt.Sprintf("after %d KiB", kb), kb << 10, 0})
		}
		for _, ms := range []int{5, 20, 100, 1000, 3000, 10000} {
			points = append(points, point{fmt.Sprintf("after %d ms", ms), 0, time.Duration(ms) * time.Millisecond})
		}
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "killed.zst")
			r := startRecord(t, trace, nil, "ndloop", longRun)
			switch {
			case p.size > 0:
				r.waitSize(t, p.size, 30*time.Second)
			case p.delay > 0:
				time.Sleep(p.delay)
			}
			if st := r.signal(t, syscall.SIGKILL, 10*time.Second); st != 128+int(syscall.SIGKILL) {
				t.Fatalf("rvsim record ended with status %d before SIGKILL: %s", st, r.stderr.String())
			}
			t.Logf("killed %s: %s", p.name, checkCutShort(t, trace, "ndloop"))
		})
	}
}

// wholeSegments is how inspect counts n whole segments.
func wholeSegments[T int | uint64](n T) string {
	return fmt.Sprintf("%d whole segment%s", n, plural(uint64(n)))
}
