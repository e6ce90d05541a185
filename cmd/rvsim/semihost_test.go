package main

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// semihostProgram returns programs/bin/semihost_name_rv64im.elf, or builds
// programs/semihost/name.c for rv64im with picolibc's semihosting library
// into dir; the test is skipped when neither can be had.
func semihostProgram(t *testing.T, dir, name string) string {
	t.Helper()
	bin := programPath("semihost_" + name + "_rv64im")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	const cc = "riscv64-unknown-elf-gcc"
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("%s is not built and %s is not installed", bin, cc)
	}
	out := filepath.Join(dir, name+".elf")
	b, err := exec.Command(cc, "--specs=picolibc.specs", "--oslib=semihost", "--crt0=semihost", "-march=rv64im", "-mabi=lp64",
		"-O2", "-o", out, filepath.Join(repo, "programs", "semihost", name+".c")).CombinedOutput()
	if err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, b)
	}
	return out
}

// TestSemihostCLI records the stdin semihosting program, replays it
// (identical output, and the one-line verdict), stops a replay with
// --stop-at, and checks that inspect names the semihosting operations:
// SYS_READ (6) with the bytes of the input, then SYS_FLEN (12) and
// SYS_READ of the features file that picolibc's exit reads.
func TestSemihostCLI(t *testing.T) {
	dir := t.TempDir()
	prog := semihostProgram(t, dir, "stdin")
	stdin := writeFile(t, "in.txt", []byte("semi\nhost\n"))
	const want = "1: SEMI\n2: HOST\n2 lines, 10 bytes\n"
	if r := rvsim(t, stdin, "run", prog); r.stdout != want || r.status != 0 || r.stderr != "" {
		t.Fatalf("run: %+v", r)
	}
	trace := filepath.Join(dir, "t.zst")
	if r := rvsim(t, stdin, "record", "-o", trace, prog); r.stdout != want || r.status != 0 {
		t.Fatalf("record: %+v", r)
	}
	r := rvsim(t, "", "replay", prog, trace)
	if r.stdout != want || r.status != 0 {
		t.Fatalf("replay: %+v", r)
	}
	oneLine(t, r, `^rvsim: replay identical: \d+ instructions, final state digest [0-9a-f]{64}$`)
	r = rvsim(t, "", "replay", "--stop-at", "5000", prog, trace)
	if r.status != 0 {
		t.Fatalf("replay --stop-at: %+v", r)
	}
	oneLine(t, r, `^rvsim: replay stopped as asked at instruction 5000 \(--stop-at\), pc 0x[0-9a-f]+: faithful to the trace up to there, state digest [0-9a-f]{64}$`)

	in := inspectEventsJSON(t, trace, "--data=all")
	var read []byte
	names := map[string]bool{}
	for _, s := range in.Segments {
		for _, e := range s.EventList {
			if e.Kind != "syscall" || e.Nr == nil {
				continue
			}
			names[e.Name] = true
			want := map[string]uint64{"SYS_READ": 6, "SYS_FLEN": 12, "SYS_ERRNO": 0x13}[e.Name]
			if want == 0 || *e.Nr != want {
				t.Fatalf("event %s nr %d: not a semihosting operation this program makes", e.Name, *e.Nr)
			}
			for _, w := range e.Writes {
				b, _ := hex.DecodeString(w.Data)
				read = append(read, b...)
			}
		}
	}
	if !names["SYS_READ"] || !names["SYS_FLEN"] || string(read) != "semi\nhost\nSHFB\x03" {
		t.Fatalf("inspect: operations %v, bytes read %q", names, read)
	}
	r = rvsim(t, "", "inspect", trace)
	if !regexp.MustCompile(`program +".*" \("semihost"\)`).MatchString(r.stdout) {
		t.Fatalf("inspect does not say the kind: %s", r.stdout)
	}
}
