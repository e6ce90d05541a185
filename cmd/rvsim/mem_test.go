package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/internal/rusage"
)

// runRSS runs rvsim and returns what it did and its peak RSS in KiB.
func runRSS(t *testing.T, args ...string) (runResult, int64) {
	t.Helper()
	cmd := exec.Command(rvsimBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !asExit(err, &ee) {
		t.Fatalf("rvsim %v: %v", args, err)
	}
	return runResult{out.String(), errb.String(), cmd.ProcessState.ExitCode()}, rusage.PeakRSS(cmd.ProcessState)
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

// TestLargeMemoryCostsNothing runs, records and replays hello with 64 GiB
// and 1 TiB of guest memory: the guest runs as with 256 MiB, and rvsim's
// peak RSS stays small, since guest memory is reserved, not allocated.
func TestLargeMemoryCostsNothing(t *testing.T) {
	hello := programPath("hello")
	want := rvsim(t, "", "run", hello)
	if want.status != 0 {
		t.Fatalf("hello: status %d, stderr %q", want.status, want.stderr)
	}
	// A child's peak RSS as wait4 reports it is at least the test
	// process's own (the child shares its memory until exec): the limit
	// is 32 MiB above what a run with 256 MiB of guest memory reports.
	_, base := runRSS(t, "run", "--mem", "256M", hello)
	limit := base + 32<<10
	for _, mem := range []string{"64G", "1T"} {
		r, rss := runRSS(t, "run", "--mem", mem, hello)
		if r.status != 0 || r.stdout != want.stdout || r.stderr != want.stderr {
			t.Fatalf("--mem %s: status %d, stdout %q, stderr %q; want those of --mem 256M", mem, r.status, r.stdout, r.stderr)
		}
		if rss > limit {
			t.Errorf("--mem %s: peak RSS %d KiB, want at most %d (32 MiB above --mem 256M's)", mem, rss, limit)
		}
		t.Logf("--mem %s: peak RSS %d KiB", mem, rss)
		trace := filepath.Join(t.TempDir(), "t.zst")
		if r, rss := runRSS(t, "record", "--mem", mem, "-o", trace, hello); r.status != 0 || rss > limit {
			t.Fatalf("record --mem %s: status %d, peak RSS %d KiB, stderr %q", mem, r.status, rss, r.stderr)
		}
		r, rss = runRSS(t, "replay", hello, trace)
		if r.status != 0 || !strings.Contains(r.stderr, "rvsim: replay identical") || rss > limit {
			t.Fatalf("replay of --mem %s: status %d, peak RSS %d KiB, stderr %q", mem, r.status, rss, r.stderr)
		}
	}
}

// TestMemFlag: sizes out of range are refused by the flag, and a size the
// host cannot reserve (more than the 128 TiB of an x86-64 process's
// address space, with room for the rest of the process) is one line.
func TestMemFlag(t *testing.T) {
	hello := programPath("hello")
	for _, mem := range []string{"0", "4095", "5000", "129T", "1P", "-1", "99999999999999999999"} {
		r := rvsim(t, "", "run", "--mem", mem, hello)
		if r.status != exitSimError {
			t.Errorf("--mem %s: status %d, want %d", mem, r.status, exitSimError)
		}
		oneLine(t, r, `^rvsim: --mem: "`+regexp.QuoteMeta(mem)+`" is not a whole number of 4K pages from 4K to 128T`)
	}
	r := rvsim(t, "", "run", "--mem", "128T", hello)
	if r.status != exitSimError {
		t.Errorf("--mem 128T: status %d, want %d", r.status, exitSimError)
	}
	oneLine(t, r, `^rvsim: --mem 128T: cannot reserve guest memory: 140737488355328 bytes: mmap: cannot allocate memory$`)
}

// rewriteHeaderJSON returns the trace with its header's JSON changed by edit,
// and the header frame's CRC-32C recomputed, so that only the checks of
// the fields can refuse it.
func rewriteHeaderJSON(t *testing.T, trace []byte, edit func(map[string]any)) []byte {
	t.Helper()
	const tagLen = 8 + 4 // "RVSIMHDR", version
	size := int(binary.LittleEndian.Uint32(trace[4:]))
	payload := trace[8 : 8+size]
	var h map[string]any
	if err := json.Unmarshal(payload[tagLen:size-4], &h); err != nil {
		t.Fatal(err)
	}
	edit(h)
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	p := append([]byte(nil), trace[:8]...)
	binary.LittleEndian.PutUint32(p[4:], uint32(tagLen+len(js)+4))
	p = append(append(p, payload[:tagLen]...), js...)
	p = binary.LittleEndian.AppendUint32(p, crc32.Checksum(p[8:], crc32.MakeTable(crc32.Castagnoli)))
	return append(p, trace[8+size:]...)
}

// TestCraftedHeaders replays traces whose header fields are out of range
// or do not match the program: each is one line naming the trace file and
// the field, exit 125, and nothing is reserved for a refused trace.
func TestCraftedHeaders(t *testing.T) {
	hello := programPath("hello")
	dir := t.TempDir()
	trace := filepath.Join(dir, "hello.zst")
	if r := rvsim(t, "", "record", "-o", trace, hello); r.status != 0 {
		t.Fatalf("record: %d %q", r.status, r.stderr)
	}
	orig, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	set := func(k string, v any) func(map[string]any) { return func(h map[string]any) { h[k] = v } }
	for _, c := range []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"mem0", set("mem_size", 0), `mem_size 0: want a multiple of 4096 from 4096 to 140737488355328 bytes`},
		{"mem2^62", set("mem_size", uint64(1)<<62), `mem_size 4611686018427387904: want a multiple`},
		{"mem-unaligned", set("mem_size", 256<<20+1), `mem_size 268435457: want a multiple`},
		{"mem-max", set("mem_size", uint64(1)<<47+4096), `mem_size 140737488359424: want a multiple`},
		{"nd0", set("nd_buffer", 0), `nd_buffer 0: want 1 to 1048576 entries`},
		{"nd-huge", set("nd_buffer", uint64(1)<<40), `nd_buffer 1099511627776: want 1 to 1048576 entries`},
		{"kind", set("kind", "bare-metal"), `kind "bare-metal": .*hello.elf is a linux program`},
		{"kind-escape", set("kind", "\x1b[2K"), `kind "\\x1b\[2K"`},
		{"isa", set("isa", "rv32i\r"), `isa "rv32i\\r": want "rv64im`},
		{"args", set("args", []string{}), `args is empty`},
		{"args-huge", set("args", []string{"hello", strings.Repeat("a", 1<<20)}), `args and env take 1048583 bytes: want at most 1048576`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, "t.zst", rewriteHeaderJSON(t, orig, c.edit))
			r := rvsim(t, "", "replay", hello, p)
			if r.status != exitSimError {
				t.Errorf("status %d, want %d", r.status, exitSimError)
			}
			oneLine(t, r, `^rvsim: replay: trace "`+regexp.QuoteMeta(p)+`": bad trace header: `+c.want)
		})
	}
	// A valid but different memory size replays the same program in
	// another layout (the stack at the top of 1 TiB): the guest prints
	// what it prints, then the replay ends in another state and says so
	// in one line, at no cost for the memory.
	_, base := runRSS(t, "run", "--mem", "256M", hello)
	limit := base + 32<<10 // as in TestLargeMemoryCostsNothing
	p := writeFile(t, "t.zst", rewriteHeaderJSON(t, orig, set("mem_size", uint64(1)<<40)))
	r, rss := runRSS(t, "replay", hello, p)
	if r.status != exitSimError || rss > limit || strings.Contains(r.stderr, "goroutine") ||
		!strings.HasPrefix(lastLine(r.stderr), "rvsim: replay diverged: final state differs at instruction") {
		t.Errorf("mem_size 1T: status %d, peak RSS %d KiB, stderr %q", r.status, rss, r.stderr)
	}
	// A trace of another program is refused by its hash before anything
	// else is looked at: the huge memory size is never reserved.
	p = writeFile(t, "t.zst", rewriteHeaderJSON(t, orig, set("mem_size", uint64(1)<<62)))
	r = rvsim(t, "", "replay", programPath("nondet"), p)
	if r.status != exitSimError {
		t.Errorf("another ELF: status %d, want %d", r.status, exitSimError)
	}
	oneLine(t, r, `^rvsim: replay: trace "`+regexp.QuoteMeta(p)+`": trace was recorded from another ELF: the trace names ELF sha256 [0-9a-f]{64} `)
	p = writeFile(t, "t.zst", rewriteHeaderJSON(t, orig, set("mem_size", uint64(64)<<40)))
	r, rss = runRSS(t, "replay", programPath("nondet"), p)
	if r.status != exitSimError || rss > limit {
		t.Errorf("another ELF, 64T: status %d, peak RSS %d KiB", r.status, rss)
	}
	oneLine(t, r, `trace was recorded from another ELF`)
}
