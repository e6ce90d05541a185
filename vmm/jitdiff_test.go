package vmm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rvsim/rvsim/jit"
)

// Every shipped program run on both engines in lockstep: each is recorded
// twice (with the interpreter and with the engine), and each recording
// replayed twice, by the interpreter
// and by the native-code engine, both advanced to the same instruction
// counts in chunks of random sizes; at every stop the stops and the whole
// machine states (sameState: registers, pc, privilege, CSRs, the ND
// buffer, memory, the monitor's counts and the digest) must be equal.
// Replaying makes both runs see the same clock, entropy and input.

// jitDiffProgram is one line of programs/manifest.tsv.
type jitDiffProgram struct {
	line       int
	name, kind string
	args       []string
	stdin      string // below programs/, or ""
}

// readManifestPrograms reads programs/manifest.tsv.
func readManifestPrograms(t *testing.T) []jitDiffProgram {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "programs", "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []jitDiffProgram
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		c := strings.Split(s, "\t")
		if len(c) != 6 {
			t.Fatalf("manifest.tsv:%d: %d columns, want 6", line, len(c))
		}
		p := jitDiffProgram{line: line, name: c[0], kind: c[1]}
		if c[2] != "-" {
			p.args = strings.Fields(c[2])
		}
		if c[3] != "-" {
			p.stdin = c[3]
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		t.Fatal("manifest.tsv lists no programs")
	}
	return out
}

// recordForDiff records p with engine and returns the recording and how
// many instructions (Icount) the recorded run took.
func recordForDiff(t *testing.T, p jitDiffProgram, engine string) (dbgRec, uint64) {
	t.Helper()
	cfg := Config{Engine: engine, Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader("")}
	if p.kind == "glibc-dynamic" || p.kind == "glibc-static" {
		cfg.MemSize = 64 << 20
	}
	if p.kind == "glibc-dynamic" {
		cfg.Sysroot = "/usr/riscv64-linux-gnu"
		if _, err := os.Stat(filepath.Join(cfg.Sysroot, "lib")); err != nil {
			t.Skipf("no sysroot at %s: %v", cfg.Sysroot, err)
		}
	}
	if p.kind == "semihost" {
		cfg.FSRoot = filepath.Join("..", "programs", "testdata")
	}
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", p.name+".elf"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Args = append([]string{prog.Path}, p.args...)
	if p.stdin != "" {
		b, err := os.ReadFile(filepath.Join("..", "programs", p.stdin))
		if err != nil {
			t.Fatal(err)
		}
		cfg.Stdin = bytes.NewReader(b)
	}
	path := filepath.Join(t.TempDir(), p.name+".zst")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg.Record, cfg.TraceName = f, path
	m, err := New(prog, cfg)
	if engine == EngineJIT && err != nil && (errors.Is(err, jit.ErrUnsupported) || jit.SelfCheck() != nil) {
		t.Skipf("no native-code engine here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var fe *FaultError
	if _, err := m.Run(); err != nil && !errors.As(err, &fe) {
		t.Fatalf("record: %v", err)
	}
	return dbgRec{name: p.name, prog: prog, path: path}, m.Icount()
}

// replayOn returns a machine replaying rec on engine.
func replayOn(t *testing.T, rec dbgRec, engine string) *Machine {
	t.Helper()
	r := openTrace(t, rec)
	h := r.Header()
	m, err := New(rec.prog, Config{Args: h.Args, Env: h.Env, Replay: r, TraceName: rec.path,
		Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader(""), Engine: engine})
	if engine == EngineJIT && err != nil && (errors.Is(err, jit.ErrUnsupported) || jit.SelfCheck() != nil) {
		t.Skipf("no native-code engine here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	if name, note := m.Engine(); name != engine {
		t.Fatalf("asked for engine %s, runs %s (%s)", engine, name, note)
	}
	return m
}

// stopString describes a stop for comparing and reporting.
func stopString(s Stop) string {
	str := fmt.Sprintf("%s pc %#x addr %#x size %d", s.Kind, s.PC, s.Addr, s.Size)
	if s.Kind == StopEnd {
		str += fmt.Sprintf(" status %d instret %d digest %s events %v exits %v", s.Result.Status, s.Result.Instret, s.Result.Stats.Digest, s.Result.Stats.Events, s.Result.Stats.Exits)
	}
	if s.Err != nil {
		str += " err: " + s.Err.Error()
	}
	return str
}

// diffEngines replays rec on both engines in lockstep, to total
// instructions in about steps chunks (some of them a few instructions),
// and fails at the first difference. It returns the number of stops
// compared and what the engine did.
func diffEngines(t *testing.T, rec dbgRec, total uint64, steps int, rng *rand.Rand) (int, jit.Stats) {
	t.Helper()
	ref, eng := replayOn(t, rec, EngineInterp), replayOn(t, rec, EngineJIT)
	mean := max(total/uint64(steps), 1)
	n := 0
	for {
		var chunk uint64
		if rng.Intn(5) == 0 {
			chunk = 1 + uint64(rng.Intn(5))
		} else {
			chunk = 1 + uint64(rng.Int63n(int64(2*mean)))
		}
		limit := ref.Icount() + chunk
		want, got := ref.Advance(limit), eng.Advance(limit)
		n++
		if ws, gs := stopString(want), stopString(got); ws != gs {
			t.Fatalf("Advance(%d), stop %d: engine %s, interpreter %s", limit, n, gs, ws)
		}
		if err := sameState(eng, ref); err != nil {
			t.Fatalf("Advance(%d), stop %d (%s): engine differs from the interpreter: %v", limit, n, stopString(want), err)
		}
		if want.Kind == StopEnd || want.Kind == StopError {
			st, _ := eng.JITStats()
			return n, st
		}
	}
}

// TestJITDiffPrograms replays every program of programs/manifest.tsv,
// recorded by each engine, on both engines in lockstep (every fourth
// with -short).
func TestJITDiffPrograms(t *testing.T) {
	needJIT(t)
	if _, err := os.Stat(filepath.Join("..", "programs", "bin", "hello.elf")); err != nil {
		t.Fatalf("the shipped programs are not built (scripts/build-programs.sh): %v", err)
	}
	progs := readManifestPrograms(t)
	start := time.Now()
	var blocks, entries, interpreted, insns uint64
	for i, p := range progs {
		if testing.Short() && i%4 != 0 {
			continue
		}
		for _, recEngine := range []string{EngineInterp, EngineJIT} {
			t.Run(fmt.Sprintf("%s:%d/recorded-by-%s", p.name, p.line, recEngine), func(t *testing.T) {
				rec, total := recordForDiff(t, p, recEngine)
				rng := rand.New(rand.NewSource(int64(p.line)))
				n, st := diffEngines(t, rec, total, 60, rng)
				t.Logf("%d instructions, %d stops compared; the engine translated %d blocks, entered native code %d times, interpreted %d instructions",
					total, n, st.Blocks, st.Entries, st.Interpreted)
				blocks, entries, interpreted, insns = blocks+st.Blocks, entries+st.Entries, interpreted+st.Interpreted, insns+total
			})
		}
	}
	t.Logf("%d programs in %v: %d instructions, %d interpreted, %d blocks translated, %d entries into native code",
		len(progs), time.Since(start), insns, interpreted, blocks, entries)
	// The comparison is of native code with the interpreter only if the
	// engine ran some.
	if !t.Failed() && (blocks == 0 || entries == 0 || interpreted >= insns) {
		t.Errorf("the engine translated %d blocks, entered them %d times and interpreted %d of %d instructions: the programs did not run as native code",
			blocks, entries, interpreted, insns)
	}
}
