package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rvsim/rvsim/logfmt"
)

// TestReplayStopAt checks that a replay stopped where the user asked is
// reported as such, with exit status 0, and that the state digest it gives
// is the real state there: that of a recording stopped at the same count
// (bare_spin has no non-deterministic input, so both runs are the same).
func TestReplayStopAt(t *testing.T) {
	dir := t.TempDir()
	elf := programPath("bare_spin")
	short, long := filepath.Join(dir, "short.zst"), filepath.Join(dir, "long.zst")
	if r := cli(t, "", "record", "--max-insns", "100000", "-o", short, elf); r.status != exitSimError {
		t.Fatalf("record --max-insns 100000: status %d: %s", r.status, r.stderr)
	}
	if r := cli(t, "", "record", "--max-insns", "300000", "-o", long, elf); r.status != exitSimError {
		t.Fatalf("record --max-insns 300000: status %d: %s", r.status, r.stderr)
	}
	want := footerOf(t, short).Digest
	for _, flag := range []string{"--stop-at", "--max-insns"} {
		r := cli(t, "", "replay", flag, "100000", elf, long)
		if r.status != 0 {
			t.Errorf("replay %s 100000: exit status %d, want 0", flag, r.status)
		}
		oneLine(t, r, `^rvsim: replay stopped as asked at instruction 100000 \(--stop-at\), pc 0x[0-9a-f]+: faithful to the trace up to there, state digest `+want+`$`)
	}

	// A program with events and system calls, stopped half way.
	nd := programPath("ndloop")
	trace := filepath.Join(dir, "ndloop.zst")
	if r := cli(t, "", "record", "--nd-buffer", "16", "-o", trace, nd, "2000"); r.status != 0 {
		t.Fatalf("record ndloop: status %d: %s", r.status, r.stderr)
	}
	f := footerOf(t, trace)
	half := f.Instret / 2
	r := cli(t, "", "replay", "--stop-at", fmt.Sprint(half), nd, trace)
	if r.status != 0 || strings.Contains(r.stderr, "diverged") {
		t.Errorf("replay --stop-at %d: status %d: %s", half, r.status, r.stderr)
	}
	if !regexp.MustCompile(fmt.Sprintf(`rvsim: replay stopped as asked at instruction %d \(--stop-at\)`, half)).MatchString(r.stderr) {
		t.Errorf("replay --stop-at %d does not say where it stopped: %s", half, r.stderr)
	}
	// A stop beyond the recorded end changes nothing.
	r = cli(t, "", "replay", "--stop-at", fmt.Sprint(f.Instret+100), nd, trace)
	if m := identicalRE.FindStringSubmatch(r.stderr); r.status != 0 || m == nil || m[2] != f.Digest {
		t.Errorf("replay --stop-at beyond the end: status %d: %s", r.status, r.stderr)
	}
}

// headerOf reads a trace's header.
func headerOf(t *testing.T, trace string) logfmt.Header {
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
	return r.Header()
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// rvsimIn runs the rvsim binary in directory dir.
func rvsimIn(t *testing.T, dir string, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(rvsimBin, args...)
	cmd.Dir = dir
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return runResult{out.String(), errb.String(), status}
}

// TestReplayTraceAlone checks "rvsim replay TRACE": the program is found
// by the path recorded, relative to the working directory, then by the
// absolute path recorded; a moved or replaced program is reported.
func TestReplayTraceAlone(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, programPath("hello"), filepath.Join(dir, "prog.elf"))
	rec := rvsimIn(t, dir, "record", "-o", "t.zst", "prog.elf", "one")
	if rec.status != 0 {
		t.Fatalf("record: status %d: %s", rec.status, rec.stderr)
	}
	trace := filepath.Join(dir, "t.zst")
	h := headerOf(t, trace)
	if h.ELF != "prog.elf" || h.ELFAbs != filepath.Join(dir, "prog.elf") {
		t.Errorf("header elf %q, elf_abs %q; want %q and %q", h.ELF, h.ELFAbs, "prog.elf", filepath.Join(dir, "prog.elf"))
	}
	digest := footerOf(t, trace).Digest

	// From the recording's directory, by the relative path; from
	// another, by the absolute one.
	for _, wd := range []string{dir, t.TempDir()} {
		r := rvsimIn(t, wd, "replay", trace)
		m := identicalRE.FindStringSubmatch(r.stderr)
		if r.status != 0 || m == nil || m[2] != digest || r.stdout != rec.stdout {
			t.Errorf("replay TRACE in %s: status %d, stdout %q: %s", wd, r.status, r.stdout, r.stderr)
		}
	}

	// Another program at the recorded path: refused, naming both hashes.
	copyFile(t, programPath("args"), filepath.Join(dir, "prog.elf"))
	r := rvsimIn(t, t.TempDir(), "replay", trace)
	if r.status != exitSimError {
		t.Errorf("replay TRACE with another program: status %d", r.status)
	}
	oneLine(t, r, `trace was recorded from another ELF: the trace names ELF sha256 `+h.ELFSHA256+` .* has sha256 [0-9a-f]{64}: give the program it was recorded from, or leave the program out to have the trace name it$`)

	// The program gone: both paths named, and how to give it.
	if err := os.Remove(filepath.Join(dir, "prog.elf")); err != nil {
		t.Fatal(err)
	}
	r = rvsimIn(t, t.TempDir(), "replay", trace)
	if r.status != exitSimError {
		t.Errorf("replay TRACE without the program: status %d", r.status)
	}
	oneLine(t, r, regexp.QuoteMeta(fmt.Sprintf(`the recorded program is not found (tried %q and %q); give it: rvsim replay PROG TRACE`, "prog.elf", h.ELFAbs)))
	// debug says the same, naming itself.
	r = rvsimIn(t, t.TempDir(), "debug", trace)
	if r.status != exitSimError {
		t.Errorf("debug TRACE without the program: status %d", r.status)
	}
	oneLine(t, r, `^rvsim: debug ".*": `+regexp.QuoteMeta(fmt.Sprintf(`the recorded program is not found (tried %q and %q); give it: rvsim debug PROG TRACE`, "prog.elf", h.ELFAbs))+`$`)
	// Given explicitly, it replays.
	abs := absProgramPath(t, "hello")
	r = rvsimIn(t, t.TempDir(), "replay", abs, trace)
	if m := identicalRE.FindStringSubmatch(r.stderr); r.status != 0 || m == nil || m[2] != digest {
		t.Errorf("replay PROG TRACE: status %d: %s", r.status, r.stderr)
	}
}

// TestReplayTraceWithoutEvents replays traces of a bare-metal program that
// asks for no event, stopped by an instruction limit: the replay stops
// where the recording did and checks the state, instead of running on.
func TestReplayTraceWithoutEvents(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "spin.zst")
	elf := programPath("bare_spin")
	if r := cli(t, "", "record", "--max-insns", "50000", "-o", trace, elf); r.status != exitSimError {
		t.Fatalf("record: status %d: %s", r.status, r.stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, rvsimBin, "replay", elf, trace).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("replay still running after 30s (the recording stopped at 50000 instructions)")
	}
	m := identicalRE.FindStringSubmatch(string(out))
	if m == nil || m[1] != "50000" || m[2] != footerOf(t, trace).Digest {
		t.Errorf("replay: %v: %s", err, out)
	}
}

// TestReplayTraceAloneNotRegular: a trace whose recorded program path
// names a device or a pipe (crafted: /dev/stdin) is refused without
// reading it; replay reads no standard input.
func TestReplayTraceAloneNotRegular(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "hello.zst")
	if r := cli(t, "", "record", "-o", orig, programPath("hello")); r.status != 0 {
		t.Fatalf("record: %d %s", r.status, r.stderr)
	}
	trace := filepath.Join(dir, "stdin.zst")
	rewriteHeader(t, orig, trace, func(h *logfmt.Header) { h.ELF, h.ELFAbs = "/dev/stdin", "" })
	r := cli(t, "", "replay", trace)
	if r.status != exitSimError {
		t.Errorf("status %d, want %d", r.status, exitSimError)
	}
	oneLine(t, r, `^rvsim: replay ".*stdin.zst": the recorded program "/dev/stdin" is not a regular file; give it: rvsim replay PROG TRACE$`)
}
