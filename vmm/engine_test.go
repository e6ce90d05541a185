package vmm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/jit"
	"github.com/rvsim/rvsim/logfmt"
)

// unsetEngineEnv removes RVSIM_ENGINE for the test (restored after it).
func unsetEngineEnv(t *testing.T) {
	t.Helper()
	t.Setenv(EngineEnv, "")
	os.Unsetenv(EngineEnv)
}

// failSelfCheck makes the jit self-check fail with reason for the test.
func failSelfCheck(t *testing.T, reason string) {
	t.Helper()
	c := &checkRun{done: make(chan struct{}), err: errors.New(reason)}
	close(c.done)
	setCheck(t, c)
}

// setCheck makes c the process's self-check for the test.
func setCheck(t *testing.T, c *checkRun) {
	t.Helper()
	checkMu.Lock()
	saved := theCheck
	theCheck = c
	checkMu.Unlock()
	t.Cleanup(func() {
		checkMu.Lock()
		theCheck = saved
		checkMu.Unlock()
	})
}

// newEngineHello builds a machine for hello.elf with the given
// Config.Engine; it is closed at the end of the test.
func newEngineHello(t *testing.T, engine string) (*Machine, error) {
	t.Helper()
	prog, err := LoadFile(helloELF)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(prog, Config{MemSize: 1 << 20, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Engine: engine})
	if err == nil {
		t.Cleanup(m.Close)
	}
	return m, err
}

// TestEngineSelection checks which engine a Config gets: by name, from
// RVSIM_ENGINE, by default, and the errors for names that are neither.
func TestEngineSelection(t *testing.T) {
	jitErr := SelfCheck() // the process's verdict, waited for
	defJIT, defNote := EngineJIT, ""
	if jitErr != nil {
		defJIT, defNote = EngineInterp, "jit: "+jitErr.Error()
	}
	for _, tc := range []struct {
		env    string // "-": unset
		engine string
		name   string // "": an error is wanted
		note   string
		errHas []string
	}{
		{"-", "", defJIT, defNote, nil},
		{"-", "interp", EngineInterp, "", nil},
		{"-", "jit", EngineJIT, "", nil},
		{"interp", "", EngineInterp, "RVSIM_ENGINE=interp", nil},
		{"jit", "", EngineJIT, "RVSIM_ENGINE=jit", nil},
		{"jit", "interp", EngineInterp, "", nil}, // the name given wins
		{"interp", "jit", EngineJIT, "", nil},
		{"-", "fast", "", "", []string{`"fast"`, "jit", "interp"}},
		{"-", "JIT", "", "", []string{`"JIT"`}},
		{"qemu", "", "", "", []string{"RVSIM_ENGINE", `"qemu"`, "jit", "interp"}},
		{"", "", defJIT, defNote, nil},            // set but empty: as if unset
		{"qemu", "interp", EngineInterp, "", nil}, // the variable is not read
	} {
		t.Run(fmt.Sprintf("env=%s,engine=%s", tc.env, tc.engine), func(t *testing.T) {
			if tc.env == "-" {
				unsetEngineEnv(t)
			} else {
				t.Setenv(EngineEnv, tc.env)
			}
			m, err := newEngineHello(t, tc.engine)
			if tc.name == "" {
				if err == nil {
					t.Fatalf("New: no error; engine %q", m.eng.name)
				}
				if !errors.Is(err, ErrEngine) {
					t.Errorf("New: %v, not ErrEngine", err)
				}
				for _, s := range tc.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("New: %q does not name %s", err, s)
					}
				}
				return
			}
			if tc.name == EngineJIT && jitErr != nil {
				// Asked for by name on a host where it cannot run.
				if err == nil || !strings.Contains(err.Error(), jitErr.Error()) {
					t.Fatalf("New: %v, want an error naming %q", err, jitErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name, note := m.Engine(); name != tc.name || note != tc.note {
				t.Errorf("Engine() = %q, %q; want %q, %q", name, note, tc.name, tc.note)
			}
			_, isJIT := m.JITStats()
			if isJIT != (tc.name == EngineJIT) {
				t.Errorf("JITStats: jit %v, engine %s", isJIT, tc.name)
			}
			res, err := m.Run()
			if err != nil || res.Status != 0 {
				t.Fatalf("Run: status %d, %v", res.Status, err)
			}
			if st, _ := m.JITStats(); tc.name == EngineInterp && st != (jit.Stats{}) {
				t.Errorf("the interpreter ran, yet JITStats = %+v", st)
			}
		})
	}
}

// TestEngineFallback makes the jit self-check fail: by default the
// interpreter runs, with a note giving the reason; asked for by name or
// by RVSIM_ENGINE, jit is an error naming the reason and what asked.
func TestEngineFallback(t *testing.T) {
	failSelfCheck(t, "the self-check's sum was 41, want 42")
	t.Run("default", func(t *testing.T) {
		unsetEngineEnv(t)
		m, err := newEngineHello(t, "")
		if err != nil {
			t.Fatal(err)
		}
		name, note := m.Engine()
		if want := "jit: the self-check's sum was 41, want 42"; name != EngineInterp || note != want {
			t.Errorf("Engine() = %q, %q; want interp, %q", name, note, want)
		}
		if _, err := m.Run(); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct{ env, engine, what string }{
		{"-", "jit", "--engine jit"},
		{"jit", "", "RVSIM_ENGINE=jit"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			if tc.env == "-" {
				unsetEngineEnv(t)
			} else {
				t.Setenv(EngineEnv, tc.env)
			}
			_, err := newEngineHello(t, tc.engine)
			if err == nil {
				t.Fatal("New: no error")
			}
			for _, s := range []string{tc.what, "the self-check's sum was 41, want 42"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("New: %q does not name %q", err, s)
				}
			}
		})
	}
	t.Run("interp", func(t *testing.T) {
		t.Setenv(EngineEnv, "interp")
		m, err := newEngineHello(t, "")
		if err != nil {
			t.Fatal(err)
		}
		if name, _ := m.Engine(); name != EngineInterp {
			t.Errorf("engine %s", name)
		}
	})
}

// TestEngineFailedRecord: a recording asked to run on a jit engine that
// cannot start fails before the guest runs, naming the reason.
func TestEngineFailedRecord(t *testing.T) {
	failSelfCheck(t, "no executable memory")
	unsetEngineEnv(t)
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "ndloop.elf"))
	if err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	_, err = New(prog, Config{MemSize: 1 << 20, Args: []string{prog.Path, "10"}, Stdin: strings.NewReader(""),
		Stdout: io.Discard, Stderr: io.Discard, Record: &trace, TraceName: "t.zst", Engine: EngineJIT})
	if err == nil || !strings.Contains(err.Error(), "no executable memory") {
		t.Fatalf("New: %v, want the self-check's failure", err)
	}
}

// crossEngineCase is a program recorded with one engine and replayed with
// the other.
type crossEngineCase struct {
	name     string
	args     []string
	ndBuffer uint64
}

// TestRecordReplayAcrossEngines records non-deterministic programs with
// each engine and replays each trace with the other (and the same): the
// replay ends as recorded (it checks the footer's digest), with the
// recording's instruction count and digest. With a buffer of 16 entries
// the ND buffer fills and empties in the middle of the guest's loops.
func TestRecordReplayAcrossEngines(t *testing.T) {
	jitErr := SelfCheck() // the process's verdict, waited for
	for _, tc := range []crossEngineCase{
		{"ndloop", []string{"20000"}, 16},
		{"ndloop", []string{"3000"}, DefaultNDBuffer},
		{"nondet", nil, 1},
		{"debug_bare", nil, 16},
		{"glibc_nondet_static", nil, 4},
		{"semihost_clock", nil, 2},
	} {
		for _, rec := range []string{EngineInterp, EngineJIT} {
			for _, rep := range []string{EngineInterp, EngineJIT} {
				t.Run(fmt.Sprintf("%s-%d/%s-to-%s", tc.name, tc.ndBuffer, rec, rep), func(t *testing.T) {
					if jitErr != nil && (rec == EngineJIT || rep == EngineJIT) {
						t.Skipf("the native-code engine does not run here: %v", jitErr)
					}
					crossEngine(t, tc, rec, rep)
				})
			}
		}
	}
}

// crossEngine records tc with engine rec and replays it with engine rep.
func crossEngine(t *testing.T, tc crossEngineCase, rec, rep string) {
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", tc.name+".elf"))
	if err != nil {
		t.Fatal(err)
	}
	stdin := func() io.Reader {
		b, err := os.ReadFile(filepath.Join("..", "programs", "testdata", "cat-input.txt"))
		if err != nil {
			t.Fatal(err)
		}
		return bytes.NewReader(b)
	}
	var trace, out bytes.Buffer
	m, err := New(prog, Config{MemSize: 4 << 20, Args: append([]string{prog.Path}, tc.args...), Stdin: stdin(),
		Stdout: &out, Stderr: io.Discard, Record: &trace, TraceName: "t.zst", NDBuffer: tc.ndBuffer, Engine: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	recRes, err := m.Run()
	if err != nil {
		t.Fatalf("record with %s: %v", rec, err)
	}
	if len(recRes.Stats.Events) == 0 {
		t.Fatalf("record with %s: no events", rec)
	}
	r, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	var replayOut bytes.Buffer
	m2, err := New(prog, Config{MemSize: h.MemSize, Args: h.Args, Env: h.Env, Stdin: strings.NewReader(""),
		Stdout: &replayOut, Stderr: io.Discard, Replay: r, TraceName: "t.zst", Engine: rep})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if name, _ := m2.Engine(); name != rep {
		t.Fatalf("replay runs %s, want %s", name, rep)
	}
	res, err := m2.Run()
	if err != nil {
		t.Fatalf("replay with %s of a recording with %s: %v", rep, rec, err)
	}
	if res.Instret != recRes.Instret || res.Stats.Digest != recRes.Stats.Digest || res.Status != recRes.Status {
		t.Errorf("replay with %s: %d instructions, status %d, digest %s; recorded with %s: %d, %d, %s",
			rep, res.Instret, res.Status, res.Stats.Digest, rec, recRes.Instret, recRes.Status, recRes.Stats.Digest)
	}
	if !bytes.Equal(replayOut.Bytes(), out.Bytes()) {
		t.Errorf("replay's output differs from the recording's:\n%q\n%q", replayOut.Bytes(), out.Bytes())
	}
}

// TestEngineOfTheSuite: the machines of this run of the suite (which build
// them with Config.Engine empty) run the engine RVSIM_ENGINE names, so that
// the test matrix of scripts/test.sh runs what it says.
func TestEngineOfTheSuite(t *testing.T) {
	want, err := EngineFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	m, err := newEngineHello(t, "")
	if err != nil {
		t.Fatal(err)
	}
	name, note := m.Engine()
	t.Logf("the suite runs on %s (%s)", name, note)
	if want != "" && (name != want || note != EngineEnv+"="+want) {
		t.Errorf("%s=%s, yet the default machine runs %s (%s)", EngineEnv, want, name, note)
	}
	if want == "" && name != EngineJIT && !strings.HasPrefix(note, "jit: ") {
		t.Errorf("no %s: the default machine runs %s (%q), not jit nor the interpreter with jit's failure", EngineEnv, name, note)
	}
}

// TestEngineNotBuilt: on a host the native-code engine is not built for,
// the default engine is the interpreter from New on, with the reason (not
// a self-check pending, nor a program that "ended before its verdict"),
// and jit asked for by name is an error naming it.
func TestEngineNotBuilt(t *testing.T) {
	saved := jitBuilt
	jitBuilt = false
	defer func() { jitBuilt = saved }()
	unsetEngineEnv(t)
	m, err := newEngineHello(t, "")
	if err != nil {
		t.Fatal(err)
	}
	want := "jit: " + jit.ErrUnsupported.Error()
	if name, note := m.Engine(); name != EngineInterp || note != want {
		t.Errorf("before the run: Engine() = %q, %q; want interp, %q", name, note, want)
	}
	if _, err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if name, note := m.Engine(); name != EngineInterp || note != want {
		t.Errorf("after the run: Engine() = %q, %q; want interp, %q", name, note, want)
	}
	_, err = newEngineHello(t, EngineJIT)
	if !errors.Is(err, jit.ErrUnsupported) || !strings.Contains(err.Error(), "--engine jit") {
		t.Errorf("--engine jit: %v; want an error naming the flag and %v", err, jit.ErrUnsupported)
	}
}
