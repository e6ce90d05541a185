package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The damage tests record real traces, damage them one byte or one cut at
// a time, and require that rvsim inspect and rvsim replay either do
// exactly what they do with the undamaged trace (the byte carries no
// meaning) or stop with one "rvsim:" line naming the damaged frame and
// where it starts; never a panic, a hang, or a replay that succeeds with
// another result.
//
// The bulk of the campaign runs the command line in-process (execute, the
// code main calls) to stay fast; a sample of the same cases runs the real
// binary. A damaged byte the runs take as undamaged must also pass the
// reference decoder (zstd -t): only then does it carry no meaning.
//
// The short version (go test) flips every byte of a small trace with
// system call data, and about a thousand bytes spread over the header,
// every segment and the footer of a trace of several segments, with cuts
// at and inside every frame. RVSIM_LONG=1 runs the long version: every
// byte of both traces flipped in two or three ways, a longer trace of five
// segments, and a cut at every byte (several minutes):
//
//	RVSIM_LONG=1 go test -run TestDamaged -v ./cmd/rvsim

// longTests reports whether the long versions are asked for
// (RVSIM_LONG=1).
func longTests() bool { return os.Getenv("RVSIM_LONG") == "1" }

// frameSpan is one frame of a trace: bytes [start, end).
type frameSpan struct {
	start, end int
	name       string // "header", "segment K" or "footer"
}

// traceFrames finds a complete trace's frames: the segments as rvsim
// inspect --json lists them, the header before, the footer after.
func traceFrames(t *testing.T, path string, data []byte) []frameSpan {
	t.Helper()
	in, r := inspectTraceJSON(t, path)
	if r.status != 0 || in == nil || !in.Complete {
		t.Fatalf("inspect --json %s: status %d: %s", path, r.status, r.stderr)
	}
	hdrEnd := 8 + int(binary.LittleEndian.Uint32(data[4:8]))
	fs := []frameSpan{{0, hdrEnd, "header"}}
	at := hdrEnd
	for _, s := range in.Segments {
		off, n := int(s.Offset), int(s.Bytes)
		if off != at {
			t.Fatalf("segment %d at offset %d, the previous frame ends at %d", s.Index, off, at)
		}
		fs = append(fs, frameSpan{off, off + n, fmt.Sprintf("segment %d", s.Index)})
		at = off + n
	}
	return append(fs, frameSpan{at, len(data), "footer"})
}

// frameOf returns the index of the frame holding byte pos (a cut at pos
// falls in the same frame: it is where the reader finds the file short).
func frameOf(fs []frameSpan, pos int) int {
	for i, f := range fs {
		if pos < f.end {
			return i
		}
	}
	return len(fs) - 1
}

// damageCase is one damaged copy of a trace.
type damageCase struct {
	desc  string // e.g. "byte 123 ^0x04", "cut at 456"
	data  []byte
	frame int  // index of the damaged frame
	cut   bool // a cut: the result can never be harmless
}

// flipCase damages byte pos of data with mask.
func flipCase(data []byte, fs []frameSpan, pos int, mask byte) damageCase {
	bad := append([]byte(nil), data...)
	bad[pos] ^= mask
	return damageCase{fmt.Sprintf("byte %d (%s) %#02x^%#02x", pos, fs[frameOf(fs, pos)].name, data[pos], mask), bad, frameOf(fs, pos), false}
}

// cutCase keeps the first n bytes of data.
func cutCase(data []byte, fs []frameSpan, n int) damageCase {
	return damageCase{fmt.Sprintf("cut at %d (%s)", n, fs[frameOf(fs, n)].name), data[:n], frameOf(fs, n), true}
}

// tally counts the outcomes of a campaign.
type tally struct {
	tried, detected, harmless, missed int
	examples                          map[string]string // first message seen per frame kind
}

func (c *tally) String() string {
	return fmt.Sprintf("tried %d, detected %d, harmless %d, missed %d", c.tried, c.detected, c.harmless, c.missed)
}

// frameRE finds where an error message places the problem; traceErrorRE,
// the class of trace error that ends it.
var (
	frameRE      = regexp.MustCompile(`trace (\S+): frame (\d+) \((header|segment \d+|footer)\) at offset (\d+): `)
	traceErrorRE = regexp.MustCompile(`(corrupt trace|incomplete trace|not an rvsim trace|unsupported trace format version)$`)
)

// badPanic reports whether stderr shows a Go panic or stack trace.
func badPanic(stderr string) bool {
	return strings.Contains(stderr, "panic:") || strings.Contains(stderr, "goroutine ")
}

// judgeDetected checks a failed run on a damaged trace: status 125, one
// "rvsim:" line naming the file, the damaged frame and where it starts, a
// trace error class, and (replay) only output the undamaged replay also
// printed.
func judgeDetected(base, got runResult, path string, fs []frameSpan, c damageCase, isReplay bool) string {
	lines := strings.Split(strings.TrimRight(got.stderr, "\n"), "\n")
	line := lines[len(lines)-1]
	switch {
	case got.status != exitSimError:
		return fmt.Sprintf("exit status %d, want %d", got.status, exitSimError)
	case len(lines) != 1 || !strings.HasPrefix(line, "rvsim: "):
		return "stderr is not one line starting \"rvsim: \""
	case !traceErrorRE.MatchString(line):
		return "the message does not end with the class of trace error"
	}
	m := frameRE.FindStringSubmatch(line)
	if m == nil || m[1] != path {
		return "the message does not name the file, the frame and its offset"
	}
	frame, _ := strconv.Atoi(m[2])
	off, _ := strconv.Atoi(m[4])
	if frame != c.frame || off != fs[c.frame].start {
		return fmt.Sprintf("the message names frame %d at offset %d; the damage is in frame %d (%s), which starts at %d",
			frame, off, c.frame, fs[c.frame].name, fs[c.frame].start)
	}
	if isReplay {
		if !strings.HasPrefix(base.stdout, got.stdout) {
			return "the replay printed what the undamaged replay does not"
		}
		return ""
	}
	// inspect shows the whole segments before the damage, and says the
	// trace is not complete (nothing at all when the header is damaged).
	if c.frame == 0 {
		if got.stdout != "" {
			return "inspect printed a report for a trace with a damaged header"
		}
		return ""
	}
	if want := fmt.Sprintf("complete         no: %s (", wholeSegments(c.frame-1)); !strings.Contains(got.stdout, want) {
		return fmt.Sprintf("inspect does not report %q", want)
	}
	return ""
}

// judge classifies one run on a damaged trace: "" and harmless=true when
// it did exactly what the run on the undamaged trace did, "" when it
// detected the damage properly, else what went wrong.
func judge(base, got runResult, path string, fs []frameSpan, c damageCase, isReplay bool) (problem string, harmless bool) {
	switch {
	case badPanic(got.stderr):
		return "a Go panic or stack trace", false
	case got == base && !c.cut:
		return "", true
	case got.status == base.status && got.stdout == base.stdout:
		return "succeeded as if undamaged, but said something else on stderr", false
	case got.status == 0 || got.status == base.status && got.status != exitSimError:
		return "succeeded with another result", false
	}
	return judgeDetected(base, got, path, fs, c, isReplay), false
}

// runner runs rvsim on a trace, in-process or as a process.
type runner func(args ...string) runResult

// inProcess runs the command line in this process, as main does, and
// turns a hang (past limit) or a panic into a result judge rejects.
func inProcess(limit time.Duration) runner {
	return func(args ...string) runResult {
		ch := make(chan runResult, 1)
		go func() {
			defer func() {
				if p := recover(); p != nil {
					ch <- runResult{stderr: fmt.Sprintf("panic: %v\ngoroutine (in-process)\n", p), status: 2}
				}
			}()
			var out, errb strings.Builder
			status := execute(args, strings.NewReader(""), &out, &errb)
			ch <- runResult{out.String(), errb.String(), status}
		}()
		select {
		case r := <-ch:
			return r
		case <-time.After(limit):
			return runResult{stderr: fmt.Sprintf("rvsim: no result after %v (a hang)\n", limit), status: -1}
		}
	}
}

// asProcess runs the real binary, killed after limit.
func asProcess(limit time.Duration) runner {
	return func(args ...string) runResult {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		cmd := exec.CommandContext(ctx, rvsimBin, args...)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		status := 0
		if ctx.Err() != nil {
			return runResult{out.String(), errb.String() + fmt.Sprintf("rvsim: killed after %v (a hang)\n", limit), -1}
		}
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
		} else if err != nil {
			return runResult{out.String(), err.Error(), -1}
		}
		return runResult{out.String(), errb.String(), status}
	}
}

// damageTarget is a recorded trace and what the undamaged trace gives.
type damageTarget struct {
	elf, path string
	data      []byte
	fs        []frameSpan
	inspect   runResult // rvsim inspect on the undamaged trace at path
	replay    runResult
}

// newDamageTarget records elf (args after --) with a 16-entry ND buffer
// and small memory, so that in-process replays stay fast, and runs inspect
// and replay on the undamaged trace with run.
func newDamageTarget(t *testing.T, elf, stdin string, run runner, args ...string) *damageTarget {
	t.Helper()
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.zst")
	rec := rvsim(t, stdin, append([]string{"record", "--mem", "1M", "--nd-buffer", "16", "-o", orig, "--", elf}, args...)...)
	if rec.status != 0 {
		t.Fatalf("record: status %d: %s", rec.status, rec.stderr)
	}
	data, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	d := &damageTarget{elf: elf, path: filepath.Join(dir, "damaged.zst"), data: data, fs: traceFrames(t, orig, data)}
	if err := os.WriteFile(d.path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	d.inspect, d.replay = run("inspect", d.path), run("replay", d.elf, d.path)
	if d.inspect.status != 0 || d.replay.status != 0 || !identicalRE.MatchString(d.replay.stderr) || d.replay.stdout != rec.stdout {
		t.Fatalf("the undamaged trace: inspect status %d, replay status %d: %s%s", d.inspect.status, d.replay.status, d.inspect.stderr, d.replay.stderr)
	}
	t.Logf("%s: %d bytes, %d frames (%d segments)", filepath.Base(elf), len(data), len(d.fs), len(d.fs)-2)
	return d
}

// try writes c's damaged trace, runs inspect and replay on it, and counts
// the outcome. A case is harmless only if both runs are; detected only if
// both detect it.
func (d *damageTarget) try(t *testing.T, run runner, c damageCase, n *tally) {
	t.Helper()
	if err := os.WriteFile(d.path, c.data, 0o644); err != nil {
		t.Fatal(err)
	}
	n.tried++
	ins := run("inspect", d.path)
	rep := run("replay", d.elf, d.path)
	pi, hi := judge(d.inspect, ins, d.path, d.fs, c, false)
	pr, hr := judge(d.replay, rep, d.path, d.fs, c, true)
	switch {
	case pi == "" && pr == "" && hi && hr:
		// The reference zstd decoder is the referee of "no meaning": a
		// byte it finds corrupt must not be accepted silently either.
		if out, err := exec.Command("zstd", "-q", "-t", d.path).CombinedOutput(); err != nil {
			n.missed++
			t.Errorf("%s: inspect and replay accept it as undamaged, but zstd -t rejects it: %v %s", c.desc, err, out)
			return
		}
		n.harmless++
		t.Logf("%s carries no meaning: inspect, replay and zstd -t as undamaged", c.desc)
	case pi == "" && pr == "" && !hi && !hr:
		n.detected++
		if n.examples == nil {
			n.examples = map[string]string{}
		}
		kind := strings.Fields(d.fs[c.frame].name)[0]
		if c.cut {
			kind += " cut"
		}
		if _, seen := n.examples[kind]; !seen {
			n.examples[kind] = strings.TrimSpace(rep.stderr)
		}
	default:
		n.missed++
		if n.missed <= 20 {
			if pi == "" && pr == "" {
				pi = fmt.Sprintf("inspect harmless %v, replay harmless %v", hi, hr)
			}
			t.Errorf("%s: inspect: %s; replay: %s\ninspect (status %d): %s\nreplay (status %d): %s",
				c.desc, orNone(pi), orNone(pr), ins.status, ins.stderr, rep.status, rep.stderr)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "ok"
	}
	return s
}

// allCases is every flip (with each mask) and, with cuts, every cut.
func (d *damageTarget) allCases(masks []byte, cuts bool) []damageCase {
	var cs []damageCase
	for pos := range d.data {
		for _, m := range masks {
			cs = append(cs, flipCase(d.data, d.fs, pos, m))
		}
		if cuts {
			cs = append(cs, cutCase(d.data, d.fs, pos))
		}
	}
	return cs
}

// sampleCases spreads about n flips over the trace: every byte of the
// header and the footer, the first 32 and last 16 bytes of every segment
// (frame header, first block header, payload start, checksum), and a
// stride through the rest; with cuts at every frame boundary and at
// chosen places inside every frame.
func (d *damageTarget) sampleCases(n int) []damageCase {
	pick := map[int]bool{}
	rest := 0
	for i, f := range d.fs {
		if i == 0 || i == len(d.fs)-1 {
			for p := f.start; p < f.end; p++ {
				pick[p] = true
			}
			continue
		}
		for p := f.start; p < f.end; p++ {
			if p < f.start+32 || p >= f.end-16 {
				pick[p] = true
			} else {
				rest++
			}
		}
	}
	stride := max(1, rest/max(1, n-len(pick)))
	k := 0
	for _, f := range d.fs[1 : len(d.fs)-1] {
		for p := f.start + 32; p < f.end-16; p++ {
			if k%stride == 0 {
				pick[p] = true
			}
			k++
		}
	}
	var cs []damageCase
	for pos := range d.data {
		if pick[pos] {
			cs = append(cs, flipCase(d.data, d.fs, pos, byte(1)<<(pos%8)|byte(pos%2)*0xf0))
		}
	}
	for _, f := range d.fs {
		for _, off := range []int{0, 1, 4, 5, 8, (f.end - f.start) / 2, f.end - f.start - 4, f.end - f.start - 1} {
			if off >= 0 && f.start+off < f.end {
				cs = append(cs, cutCase(d.data, d.fs, f.start+off))
			}
		}
	}
	return cs
}

// campaign runs cases and logs the counts; no case may be missed.
func (d *damageTarget) campaign(t *testing.T, what string, run runner, cs []damageCase) {
	t.Helper()
	var flips, cuts tally
	start := time.Now()
	for _, c := range cs {
		if c.cut {
			d.try(t, run, c, &cuts)
		} else {
			d.try(t, run, c, &flips)
		}
	}
	t.Logf("%s: flipped bytes: %v", what, &flips)
	t.Logf("%s: cuts: %v", what, &cuts)
	t.Logf("%s: %d cases in %v", what, len(cs), time.Since(start).Round(time.Millisecond))
	for k, v := range flips.examples {
		t.Logf("%s: e.g. %s: %s", what, k, v)
	}
	for k, v := range cuts.examples {
		t.Logf("%s: e.g. %s: %s", what, k, v)
	}
	if flips.missed+cuts.missed != 0 {
		t.Errorf("%s: %d flips and %d cuts missed", what, flips.missed, cuts.missed)
	}
}

// TestDamagedTraceSyscalls damages every byte of a trace of the
// non-determinism demo (CSR reads, clocks, getrandom and a read of
// standard input, whose data the trace holds), and cuts it at the first
// and last 16 bytes of every frame and every fifth byte (at every byte and
// with three masks with RVSIM_LONG=1).
func TestDamagedTraceSyscalls(t *testing.T) {
	run := inProcess(30 * time.Second)
	d := newDamageTarget(t, programPath("nondet"), filepath.Join(repo, "programs", "testdata", "cat-input.txt"), run)
	if longTests() {
		d.campaign(t, "nondet (long)", run, d.allCases([]byte{0x01, 0x80, 0xff}, true))
		return
	}
	cs := d.allCases([]byte{0x01}, false)
	for _, f := range d.fs {
		for p := f.start; p < f.end; p++ {
			if p < f.start+16 || p >= f.end-16 || p%5 == 0 {
				cs = append(cs, cutCase(d.data, d.fs, p))
			}
		}
	}
	d.campaign(t, "nondet", run, cs)
}

// TestDamagedTraceSegments damages a trace of several segments (ndloop,
// thousands of cycle and time reads): in the short version a few thousand
// bytes spread over the header, every segment and the footer and cuts at
// and inside every frame; with RVSIM_LONG=1 a longer trace, every byte in
// two ways and a cut at every byte.
func TestDamagedTraceSegments(t *testing.T) {
	run := inProcess(60 * time.Second)
	if longTests() {
		d := newDamageTarget(t, programPath("ndloop"), "", run, "20000")
		d.campaign(t, "ndloop 20000 (long)", run, d.allCases([]byte{0x01, 0xff}, true))
		return
	}
	d := newDamageTarget(t, programPath("ndloop"), "", run, "9000")
	if len(d.fs) < 5 {
		t.Fatalf("the trace has %d frames, want at least 3 segments", len(d.fs))
	}
	d.campaign(t, "ndloop 9000", run, d.sampleCases(1000))
}

// TestDamagedTraceBinary runs the real binary on a sample of the damaged
// traces: a byte of each part of every frame, and cuts.
func TestDamagedTraceBinary(t *testing.T) {
	run := asProcess(30 * time.Second)
	d := newDamageTarget(t, programPath("ndloop"), "", run, "9000")
	var cs []damageCase
	for _, f := range d.fs {
		size := f.end - f.start
		for _, off := range []int{0, 5, size / 2} {
			cs = append(cs, flipCase(d.data, d.fs, f.start+off, 0x02))
		}
		cs = append(cs, cutCase(d.data, d.fs, f.start+size/3))
	}
	d.campaign(t, "ndloop 9000 (binary)", run, cs)
}
