package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/logfmt"
)

// guestStderr drops rvsim's own lines from stderr, leaving the guest's.
func guestStderr(s string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "rvsim: ") && l != "" {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

var identicalRE = regexp.MustCompile(`rvsim: replay identical: (\d+) instructions, final state digest ([0-9a-f]{64})`)

// footerOf reads a trace's footer with rvsim inspect --json.
func footerOf(t *testing.T, trace string) logfmt.Footer {
	t.Helper()
	in, r := inspectTraceJSON(t, trace)
	if r.status != 0 || in == nil || !in.Complete || in.Footer == nil {
		t.Fatalf("inspect says %s is incomplete: status %d: %s", trace, r.status, r.stderr)
	}
	return *in.Footer
}

// recordReplay records prog with the given buffer size and stdin, replays it
// with no stdin, and checks that everything the guest did is reproduced.
func recordReplay(t *testing.T, e manifestEntry, ndBuffer string) (rec, rep runResult, trace string) {
	t.Helper()
	trace = filepath.Join(t.TempDir(), e.name+".zst")
	elf := programPath(e.name)
	rec = rvsim(t, entryStdin(e), append([]string{"record", "--nd-buffer", ndBuffer, "-o", trace}, rvsimArgs(e)...)...)
	if rec.status != e.status {
		t.Fatalf("record: exit status %d, want %d\n%s", rec.status, e.status, rec.stderr)
	}
	rep = rvsim(t, "", "replay", elf, trace)
	if rep.stdout != rec.stdout {
		t.Errorf("replay stdout differs:\nrecord:\n%s\nreplay:\n%s", rec.stdout, rep.stdout)
	}
	if guestStderr(rep.stderr) != guestStderr(rec.stderr) {
		t.Errorf("replay stderr differs:\nrecord:\n%s\nreplay:\n%s", rec.stderr, rep.stderr)
	}
	if rep.status != rec.status {
		t.Errorf("replay exit status %d, record %d\n%s", rep.status, rec.status, rep.stderr)
	}
	m := identicalRE.FindStringSubmatch(rep.stderr)
	if m == nil {
		t.Fatalf("replay did not report an identical run:\n%s", rep.stderr)
	}
	f := footerOf(t, trace)
	if m[2] != f.Digest {
		t.Errorf("replay digest %s, recorded %s", m[2], f.Digest)
	}
	if m[1] != strings.TrimSpace(jsonNumber(f.Instret)) {
		t.Errorf("replay ran %s instructions, recorded %d", m[1], f.Instret)
	}
	return rec, rep, trace
}

func jsonNumber(v uint64) string { b, _ := json.Marshal(v); return string(b) }

// TestRecordReplayEveryProgram records and replays every program, with the
// classic one-entry buffer, a small one that forces many drains and
// refills, and the default.
func TestRecordReplayEveryProgram(t *testing.T) {
	for _, e := range readManifest(t) {
		for _, nd := range []string{"1", "3", "4096"} {
			t.Run(e.name+"/nd-buffer="+nd, func(t *testing.T) {
				t.Parallel()
				recordReplay(t, e, nd)
			})
		}
	}
}

func manifestByName(t *testing.T, name string) manifestEntry {
	t.Helper()
	for _, e := range readManifest(t) {
		if e.name == name {
			return e
		}
	}
	t.Fatalf("manifest has no program %s", name)
	return manifestEntry{}
}

// TestStdinIsRecorded records a program reading piped input and replays it
// with none.
func TestStdinIsRecorded(t *testing.T) {
	input := filepath.Join(t.TempDir(), "input.txt")
	text := "first line\nsecond line with more words\n" + strings.Repeat("x", 10000) + "\n"
	if err := os.WriteFile(input, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	e := manifestByName(t, "cat")
	e.stdin, e.status = "", 0
	trace := filepath.Join(t.TempDir(), "cat.zst")
	rec := rvsim(t, input, "record", "-o", trace, programPath("cat"))
	if rec.status != 0 || rec.stdout != text {
		t.Fatalf("record: status %d, stdout %d bytes, want %d\n%s", rec.status, len(rec.stdout), len(text), rec.stderr)
	}
	rep := rvsim(t, "", "replay", programPath("cat"), trace)
	if rep.status != 0 || rep.stdout != text {
		t.Fatalf("replay without input: status %d, stdout %q\n%s", rep.status, rep.stdout, rep.stderr)
	}
}

// TestNondeterminismIsReplayed: two normal runs of the demo differ; every
// replay of one recording prints what was recorded.
func TestNondeterminismIsReplayed(t *testing.T) {
	elf := programPath("nondet")
	a := rvsim(t, "", "run", elf)
	b := rvsim(t, "", "run", elf)
	if a.status != 0 || b.status != 0 {
		t.Fatalf("run: status %d and %d\n%s%s", a.status, b.status, a.stderr, b.stderr)
	}
	if a.stdout == b.stdout {
		t.Fatalf("two normal runs printed the same thing; the demo is not non-deterministic:\n%s", a.stdout)
	}
	trace := filepath.Join(t.TempDir(), "nondet.zst")
	rec := rvsim(t, "", "record", "-o", trace, elf)
	for i := 0; i < 2; i++ {
		rep := rvsim(t, "", "replay", elf, trace)
		if rep.stdout != rec.stdout || rep.status != rec.status {
			t.Fatalf("replay %d printed\n%s\nrecord printed\n%s", i, rep.stdout, rec.stdout)
		}
	}
}

// TestZstdAcceptsTraces uses the zstd command as the referee of the file
// format.
func TestZstdAcceptsTraces(t *testing.T) {
	zstd, err := exec.LookPath("zstd")
	if err != nil {
		t.Fatal("the zstd command is needed (Debian package zstd)")
	}
	for _, e := range readManifest(t) {
		t.Run(e.name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "t.zst")
			rvsim(t, entryStdin(e), append([]string{"record", "--nd-buffer", "2", "-o", trace}, rvsimArgs(e)...)...)
			if out, err := exec.Command(zstd, "-t", trace).CombinedOutput(); err != nil {
				t.Fatalf("zstd -t: %v\n%s", err, out)
			}
			if out, err := exec.Command(zstd, "-dc", trace).Output(); err != nil {
				t.Fatalf("zstd -dc: %v\n%s", err, out)
			}
		})
	}
}

func TestReplayRefusesOtherELF(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "hello.zst")
	if r := rvsim(t, "", "record", "-o", trace, programPath("hello")); r.status != 0 {
		t.Fatalf("record: %s", r.stderr)
	}
	r := rvsim(t, "", "replay", programPath("nondet"), trace)
	if r.status != exitSimError {
		t.Errorf("status %d, want %d", r.status, exitSimError)
	}
	oneLine(t, r, `recorded from another ELF: the trace names ELF sha256 [0-9a-f]{64} .*has sha256 [0-9a-f]{64}`)
}

// rewriteTrace copies a trace, letting edit change each event.
func rewriteTrace(t *testing.T, src, dst string, edit func(seg, i int, e *logfmt.Event)) {
	t.Helper()
	copyTrace(t, src, dst, nil, edit, nil)
}

// copyTrace copies the trace src to dst through logfmt's reader and
// writer, letting the non-nil edit functions change the header, each event
// and the footer: the checksums are computed afresh, so the copy is a
// valid trace that says what the edits made it say.
func copyTrace(t *testing.T, src, dst string, header func(*logfmt.Header), event func(seg, i int, e *logfmt.Event), footer func(*logfmt.Footer)) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := logfmt.NewReader(bufio.NewReader(in), src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	h := r.Header()
	if header != nil {
		header(&h)
	}
	w, err := logfmt.NewWriter(out, h)
	if err != nil {
		t.Fatal(err)
	}
	for seg := 0; ; seg++ {
		evs, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if event != nil {
			evs = append([]logfmt.Event(nil), evs...)
			for i := range evs {
				event(seg, i, &evs[i])
			}
		}
		if err := w.WriteSegment(evs); err != nil {
			t.Fatal(err)
		}
	}
	f, _ := r.Footer()
	if footer != nil {
		footer(&f)
	}
	if err := w.Close(f); err != nil {
		t.Fatal(err)
	}
}

// TestEditedTraceDiverges changes one recorded event and expects replay to
// stop with a divergence that names that event's instruction.
func TestEditedTraceDiverges(t *testing.T) {
	elf := programPath("nondet")
	trace := filepath.Join(t.TempDir(), "nondet.zst")
	if r := rvsim(t, "", "record", "--nd-buffer", "4", "-o", trace, elf); r.status != 0 {
		t.Fatalf("record: %s", r.stderr)
	}
	// Find a CSR event that is not the first and has room before it, so
	// that its instruction count can move back by one.
	var evs []logfmt.Event
	rewriteTrace(t, trace, filepath.Join(t.TempDir(), "copy.zst"), func(seg, i int, e *logfmt.Event) {
		evs = append(evs, *e)
	})
	var target logfmt.Event
	for i := 1; i < len(evs) && target.Kind == 0; i++ {
		k := evs[i].Kind
		if (k == logfmt.KindCycle || k == logfmt.KindTime) && evs[i].Instret-1 > evs[i-1].Instret {
			target = evs[i]
		}
	}
	if target.Kind == 0 {
		t.Fatalf("no cycle or time event with room before it among %d events", len(evs))
	}
	other := logfmt.KindTime
	if target.Kind == logfmt.KindTime {
		other = logfmt.KindCycle
	}
	edits := map[string]func(e *logfmt.Event){
		"kind":    func(e *logfmt.Event) { e.Kind = other },
		"pc":      func(e *logfmt.Event) { e.PC += 4 },
		"instret": func(e *logfmt.Event) { e.Instret-- },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad.zst")
			rewriteTrace(t, trace, bad, func(seg, i int, e *logfmt.Event) {
				if e.Kind == target.Kind && e.Instret == target.Instret && e.PC == target.PC {
					edit(e)
				}
			})
			r := rvsim(t, "", "replay", elf, bad)
			if r.status != exitSimError {
				t.Fatalf("status %d, want %d\n%s", r.status, exitSimError, r.stderr)
			}
			want := regexp.MustCompile(`rvsim: replay diverged: at instruction ` + jsonNumber(target.Instret) + `, pc 0x[0-9a-f]+ \(.+\): the guest reads ` + target.Kind.String() + `; the trace expected`)
			if !want.MatchString(r.stderr) {
				t.Errorf("stderr %q does not name the divergence at instruction %d", r.stderr, target.Instret)
			}
		})
	}
	t.Run("value", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.zst")
		rewriteTrace(t, trace, bad, func(seg, i int, e *logfmt.Event) {
			if e.Kind == target.Kind && e.Instret == target.Instret {
				e.Value += 12345
			}
		})
		r := rvsim(t, "", "replay", elf, bad)
		if r.status != exitSimError || !strings.Contains(r.stderr, "rvsim: replay diverged") {
			t.Fatalf("a changed value must not replay as identical: status %d\n%s", r.status, r.stderr)
		}
	})
}

// TestFooterEventCountsChecked: a replay checks the footer's event counts
// against the events it replayed, as it checks the footer's instret,
// status and digest: a footer that counts one cycle read more is a
// divergence, not "replay identical"; a kind counted 0 is the same as one
// not counted.
func TestFooterEventCountsChecked(t *testing.T) {
	prog := programPath("ndloop")
	dir := t.TempDir()
	trace := filepath.Join(dir, "t.zst")
	if r := rvsim(t, "", "record", "-o", trace, prog, "2000"); r.status != 0 {
		t.Fatalf("record: status %d, %s", r.status, r.stderr)
	}
	lied, zero := filepath.Join(dir, "lied.zst"), filepath.Join(dir, "zero.zst")
	copyTrace(t, trace, lied, nil, nil, func(f *logfmt.Footer) { f.Events["cycle"]++ })
	copyTrace(t, trace, zero, nil, nil, func(f *logfmt.Footer) { f.Events["seed"] = 0 })
	r := rvsim(t, "", "replay", prog, lied)
	if r.status != exitSimError || strings.Contains(r.stderr, "replay identical") ||
		!regexp.MustCompile(`rvsim: replay diverged: the recorded run counted events .*"cycle" \d+.* \(the trace's footer\), the replay .*"cycle" \d+`).MatchString(r.stderr) {
		t.Errorf("replay of a footer that counts one cycle read more: status %d, stderr %q", r.status, r.stderr)
	}
	if r := rvsim(t, "", "replay", prog, zero); r.status != 0 || !replayIdentical.MatchString(r.stderr) {
		t.Errorf("replay of a footer that counts 0 seed reads: status %d, stderr %q", r.status, r.stderr)
	}
}
