package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// A guest that never ends (programs/src/forever.c: it computes, allocates
// or prints without end, reading the cycle counter as it goes) is ended by
// --max-insns, --timeout or the memory size, with one clear line, and the
// trace up to that point replays exactly: same output, same final state.

// limitCase is one way to stop forever.elf.
type limitCase struct {
	name  string
	flags []string // flags of record (and run)
	mode  string   // forever.elf's argument
	want  string   // the record's last stderr line
}

var limitCases = []limitCase{
	{"spin-insns", []string{"--max-insns", "3000000"}, "spin", `^rvsim: instruction limit reached: 3000000 instructions, stopped at pc 0x[0-9a-f]+$`},
	{"print-insns", []string{"--max-insns", "2000000"}, "print", `^rvsim: instruction limit reached: 2000000 instructions, stopped at pc 0x[0-9a-f]+$`},
	{"alloc-mem", []string{"--mem", "2M", "--max-insns", "20000000"}, "alloc", `^rvsim: instruction limit reached: 20000000 instructions, stopped at pc 0x[0-9a-f]+$`},
	{"spin-timeout", []string{"--timeout", "100ms"}, "spin", `^rvsim: time limit reached: 100ms, stopped at instruction [0-9]+, pc 0x[0-9a-f]+$`},
	// A guest that makes a system call every few hundred instructions: a
	// time limit may fall just after one, where the replay must still
	// arrive at the same state.
	{"print-timeout", []string{"--timeout", "50ms"}, "print", `^rvsim: time limit reached: 50ms, stopped at instruction [0-9]+, pc 0x[0-9a-f]+$`},
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var stoppedAt = regexp.MustCompile(`(?:limit reached: ([0-9]+) instructions|stopped at instruction ([0-9]+))`)

// stopCount returns the instruction count a limit message gives.
func stopCount(t *testing.T, line string) uint64 {
	t.Helper()
	m := stoppedAt.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no instruction count in %q", line)
	}
	n, _ := strconv.ParseUint(m[1]+m[2], 10, 64)
	return n
}

func TestLimitsEndRecordings(t *testing.T) {
	elf := programPath("forever")
	for _, c := range limitCases {
		rounds := 1
		if strings.HasSuffix(c.name, "-timeout") {
			rounds = 4 // where a time limit falls varies from run to run
		}
		for round := range rounds {
			t.Run(fmt.Sprintf("%s/%d", c.name, round), func(t *testing.T) {
				trace := filepath.Join(t.TempDir(), "t.zst")
				args := append(append([]string{"record", "-o", trace}, c.flags...), elf, c.mode)
				rec := rvsim(t, "", args...)
				if rec.status != exitSimError {
					t.Fatalf("record: exit status %d, want %d; stderr %q", rec.status, exitSimError, rec.stderr)
				}
				line := lastLine(rec.stderr)
				if !regexp.MustCompile(c.want).MatchString(line) {
					t.Fatalf("record: last stderr line %q does not match %q", line, c.want)
				}
				for _, l := range strings.Split(strings.TrimRight(rec.stderr, "\n"), "\n") {
					if !strings.HasPrefix(l, "rvsim: ") {
						t.Errorf("record: stderr line %q is not rvsim's", l)
					}
				}
				n := stopCount(t, line)
				f := footerOf(t, trace)
				if f.Instret != n {
					t.Errorf("footer instret %d, message %d", f.Instret, n)
				}

				rep := rvsim(t, "", "replay", elf, trace)
				if rep.status != exitSimError {
					t.Errorf("replay: exit status %d, want %d; stderr %q", rep.status, exitSimError, rep.stderr)
				}
				if rep.stdout != rec.stdout {
					t.Errorf("replay stdout (%d bytes) differs from the recording's (%d bytes)", len(rep.stdout), len(rec.stdout))
				}
				if want := fmt.Sprintf("rvsim: replay identical: %d instructions", n); !strings.Contains(rep.stderr, want) {
					t.Errorf("replay stderr %q lacks %q", rep.stderr, want)
				}
				if want := "the recorded run was stopped here"; !strings.Contains(rep.stderr, want) {
					t.Errorf("replay stderr %q lacks %q", rep.stderr, want)
				}
				if c.mode == "alloc" {
					m := regexp.MustCompile(`^alloc: out of memory after ([0-9]+) KiB\n$`).FindStringSubmatch(rec.stdout)
					if m == nil {
						t.Fatalf("alloc stdout %q: the guest never ran out of memory", rec.stdout)
					}
					if kib, _ := strconv.Atoi(m[1]); kib <= 0 || kib > 2048 {
						t.Errorf("the guest allocated %d KiB in 2 MiB of memory", kib)
					}
					if !strings.Contains(rec.stderr, "exceeds guest memory") {
						t.Errorf("record stderr %q does not report the refused brk", rec.stderr)
					}
				}
			})
		}
	}
}

// TestRunTimeout: a plain run of an endless loop ends at its time limit
// with one line and the simulator's error status.
func TestRunTimeout(t *testing.T) {
	r := rvsim(t, "", "run", "--timeout", "100ms", programPath("forever"), "spin")
	if r.status != exitSimError {
		t.Errorf("exit status %d, want %d", r.status, exitSimError)
	}
	oneLine(t, r, `^rvsim: time limit reached: 100ms, stopped at instruction [0-9]+, pc 0x[0-9a-f]+$`)
}
