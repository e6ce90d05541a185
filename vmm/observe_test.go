package vmm

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/rvsim/rvsim/logfmt"
)

// TestReplayStopAtAndProgress replays ndloop to half its recorded length
// with MaxInsns: the run ends with ErrStopAt and the state digest there,
// and Config.Progress sees the instruction count grow.
func TestReplayStopAtAndProgress(t *testing.T) {
	var trace bytes.Buffer
	_, rec, err := recordNdloop(t, &trace)
	if err != nil {
		t.Fatal(err)
	}
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "ndloop.elf"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if h.ELFAbs == "" || !filepath.IsAbs(h.ELFAbs) || filepath.Base(h.ELFAbs) != "ndloop.elf" {
		t.Errorf("header elf_abs %q: want the absolute path of ndloop.elf", h.ELFAbs)
	}
	half := rec.Instret / 2
	defer func(d time.Duration) { progressEvery = d }(progressEvery)
	progressEvery = 0 // a report at every check
	var reports []ProgressReport
	m, err := New(prog, Config{MemSize: h.MemSize, Args: h.Args, Env: h.Env, MaxInsns: half,
		Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Replay: r,
		Progress: func(p ProgressReport) { reports = append(reports, p) }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Run()
	if !errors.Is(err, ErrStopAt) || errors.Is(err, ErrDivergence) {
		t.Fatalf("replay to %d of %d instructions: %v, want ErrStopAt", half, rec.Instret, err)
	}
	if res.Instret != half || res.Stats.Digest != m.Digest() || len(res.Stats.Digest) != 64 {
		t.Errorf("stopped at %d with digest %q, want %d and the machine's digest %s", res.Instret, res.Stats.Digest, half, m.Digest())
	}
	if len(reports) == 0 {
		t.Fatal("no progress report")
	}
	if last := reports[len(reports)-1]; last.Instret == 0 || last.Instret > half || last.Events == 0 || last.TraceBytes != 0 {
		t.Errorf("last progress report %+v: want instructions in (0, %d], events, no trace bytes (replay)", last, half)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i].Instret < reports[i-1].Instret || reports[i].Elapsed < reports[i-1].Elapsed {
			t.Errorf("progress went backwards: %+v then %+v", reports[i-1], reports[i])
		}
	}
}

// TestRunEndedFaultStatus: the info line "run ended" of a run a guest
// fault ends gives the status rvsim exits with (128 + the signal), not 0.
func TestRunEndedFaultStatus(t *testing.T) {
	prog, err := LoadFile("../programs/bin/illegal.elf")
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.InfoLevel)
	m, err := New(prog, Config{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Log: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var fe *FaultError
	if _, err := m.Run(); !errors.As(err, &fe) {
		t.Fatalf("run: %v, want a guest fault", err)
	}
	ended := logs.FilterMessage("run ended").All()
	if len(ended) != 1 || ended[0].ContextMap()["status"] != int64(fe.Status) {
		t.Errorf("run ended: %v, want status %d", ended, fe.Status)
	}
}
