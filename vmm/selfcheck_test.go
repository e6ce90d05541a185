package vmm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rvsim/rvsim/jit"
	"github.com/rvsim/rvsim/logfmt"
)

// pendingCheck makes the process's self-check, for the test, one whose
// verdict comes in only when the test calls the function returned.
func pendingCheck(t *testing.T) (verdict func(error)) {
	t.Helper()
	c := &checkRun{done: make(chan struct{})}
	setCheck(t, c)
	var once sync.Once
	return func(err error) {
		once.Do(func() {
			c.err = err
			close(c.done)
		})
	}
}

// needJIT skips the test where the native-code engine cannot run.
func needJIT(t *testing.T) {
	t.Helper()
	if err := jit.SelfCheck(); err != nil {
		t.Skipf("the native-code engine does not run here: %v", err)
	}
}

// chosen records the calls of Config.EngineChosen.
type chosen struct{ calls []string }

func (c *chosen) f(name, note string) { c.calls = append(c.calls, name+"|"+note) }

// newDefault builds a machine for the program with the given
// Config.Engine (RVSIM_ENGINE unset); trace, if not nil, is a recording
// of it to replay.
func newDefault(t *testing.T, name string, args []string, engine string, trace []byte, ch *chosen) (*Machine, *bytes.Buffer) {
	t.Helper()
	unsetEngineEnv(t)
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", name+".elf"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cfg := Config{MemSize: 16 << 20, Args: append([]string{prog.Path}, args...), Stdin: strings.NewReader(""),
		Stdout: &out, Stderr: &out, Engine: engine}
	if trace != nil {
		r, err := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
		if err != nil {
			t.Fatal(err)
		}
		h := r.Header()
		cfg.MemSize, cfg.Args, cfg.Env, cfg.Replay, cfg.TraceName = h.MemSize, h.Args, h.Env, r, "t.zst"
	}
	if ch != nil {
		cfg.EngineChosen = ch.f
	}
	m, err := New(prog, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, &out
}

// recordInterp records the program on the interpreter and returns the
// trace, its output and instruction count.
func recordInterp(t *testing.T, name string, args []string) ([]byte, string, uint64) {
	t.Helper()
	unsetEngineEnv(t)
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", name+".elf"))
	if err != nil {
		t.Fatal(err)
	}
	var trace, out bytes.Buffer
	m, err := New(prog, Config{MemSize: 16 << 20, Args: append([]string{prog.Path}, args...), Stdin: strings.NewReader(""),
		Stdout: &out, Stderr: &out, Record: &trace, TraceName: "t.zst", Engine: EngineInterp})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	res, err := m.Run()
	if err != nil {
		t.Fatal(err)
	}
	return trace.Bytes(), out.String(), res.Instret
}

// advanceToEnd runs m with Advance: to instruction count at, where the
// verdict (err) comes in, then to the end, and returns how it ended.
func advanceToEnd(t *testing.T, m *Machine, at uint64, verdict func(error), err error) Stop {
	t.Helper()
	if st := m.Advance(at); st.Kind != StopLimit {
		t.Fatalf("Advance(%d): %v, %v (the program is shorter)", at, st.Kind, st.Err)
	}
	if name, note := m.Engine(); name != EngineJIT || note != notePending {
		t.Fatalf("before the verdict: Engine() = %q, %q", name, note)
	}
	verdict(err)
	st := m.Advance(math.MaxUint64)
	if st.Kind != StopEnd {
		t.Fatalf("Advance: %v, %v", st.Kind, st.Err)
	}
	return st
}

// TestEngineVerdictMidRun: the default engine runs the interpreter until
// the self-check's verdict is in; a verdict that passes in mid-run makes
// the jit engine, which translates from there, and one that fails leaves
// the interpreter with the reason. Either way the run is exactly the
// interpreter's: it replays a recording made on the interpreter, whose
// end (instruction count, status, state digest) the replay checks, with
// the same output. The engine is reported once, when the verdict comes
// in.
func TestEngineVerdictMidRun(t *testing.T) {
	needJIT(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"bench", []string{"2"}},
		{"crc", []string{"1"}},
		{"ndloop", []string{"20000"}},
		{"bare_hello", nil},
		{"glibc_fp_static", nil},
		{"glibc_nondet_static", nil},
	} {
		trace, wantOut, n := recordInterp(t, tc.name, tc.args)
		for _, at := range []uint64{1, 1000, 123457} {
			if at >= n {
				continue
			}
			for _, fail := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/at=%d/fail=%v", tc.name, at, fail), func(t *testing.T) {
					verdict := pendingCheck(t)
					var ch chosen
					m, out := newDefault(t, tc.name, tc.args, "", trace, &ch)
					if len(ch.calls) != 0 {
						t.Fatalf("the engine was reported before the verdict: %q", ch.calls)
					}
					var err error
					if fail {
						err = errors.New("the sum was 41")
					}
					st := advanceToEnd(t, m, at, verdict, err)
					if st.Err != nil || st.Result.Instret != n {
						t.Errorf("the replay ended at %d instructions with %v; recorded: %d", st.Result.Instret, st.Err, n)
					}
					if out.String() != wantOut {
						t.Errorf("output %q, recorded %q", out, wantOut)
					}
					name, note := m.Engine()
					switch {
					case fail && (name != EngineInterp || note != "jit: the sum was 41"):
						t.Errorf("Engine() = %q, %q; want interp with the reason", name, note)
					case !fail && (name != EngineJIT || !strings.HasPrefix(note, "from instruction ")):
						t.Errorf("Engine() = %q, %q; want jit from an instruction", name, note)
					}
					if len(ch.calls) != 1 || ch.calls[0] != name+"|"+note {
						t.Errorf("EngineChosen calls %q, want one with %q, %q", ch.calls, name, note)
					}
					st2, isJIT := m.JITStats()
					if isJIT != !fail {
						t.Errorf("JITStats: jit %v", isJIT)
					}
					if !fail && (st2.Blocks == 0 || m.eng.waited == 0 || st2.Interpreted < m.eng.waited) {
						t.Errorf("JITStats %+v: want blocks translated, and the instructions before the verdict interpreted", st2)
					}
				})
			}
		}
	}
}

// TestEngineEndsBeforeVerdict: a program that ends before the
// self-check's verdict ran on the interpreter, which the machine reports
// (Engine, EngineChosen, no jit figures), with the interpreter's results.
func TestEngineEndsBeforeVerdict(t *testing.T) {
	trace, wantOut, n := recordInterp(t, "hello", nil)
	pendingCheck(t) // never in
	testEndsBefore(t, trace, wantOut, n)
}

// TestEngineShortNoCheck: a program shorter than pendingStart
// instructions does not start the self-check; it runs on the interpreter,
// which the machine reports.
func TestEngineShortNoCheck(t *testing.T) {
	trace, wantOut, n := recordInterp(t, "hello", nil)
	setCheck(t, nil)
	testEndsBefore(t, trace, wantOut, n)
	if startedCheck() != nil {
		t.Error("a program of", n, "instructions started the self-check")
	}
}

// TestEngineStartsCheck: a program that runs longer than pendingStart
// instructions starts the self-check, and runs jit from its verdict on,
// with the interpreter's results (its replay checks them). bench 10 runs
// about 24M instructions, past pendingStart+pendingPatience, where the
// machine waits for the verdict however slow the check's goroutine is.
func TestEngineStartsCheck(t *testing.T) {
	needJIT(t)
	trace, wantOut, n := recordInterp(t, "bench", []string{"10"})
	if n <= pendingStart+pendingPatience {
		t.Fatalf("bench 10 runs %d instructions, not past %d", n, pendingStart+pendingPatience)
	}
	setCheck(t, nil)
	m, out := newDefault(t, "bench", []string{"10"}, "", trace, nil)
	if _, err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if out.String() != wantOut {
		t.Errorf("output %q, recorded %q", out, wantOut)
	}
	if startedCheck() == nil {
		t.Fatal("the self-check was not started")
	}
	name, note := m.Engine()
	var at uint64
	if _, err := fmt.Sscanf(note, "from instruction %d,", &at); err != nil || name != EngineJIT || at < pendingStart {
		t.Errorf("Engine() = %q, %q; want jit from instruction %d or later", name, note, pendingStart)
	}
}

// testEndsBefore runs hello, plainly and replaying trace, with the
// default engine, whose verdict does not come in.
func testEndsBefore(t *testing.T, trace []byte, wantOut string, n uint64) {
	t.Helper()
	for _, replay := range []bool{false, true} {
		var ch chosen
		var tr []byte
		if replay {
			tr = trace
		}
		m, out := newDefault(t, "hello", nil, "", tr, &ch)
		if name, note := m.Engine(); name != EngineJIT || note != notePending {
			t.Errorf("before the run: Engine() = %q, %q", name, note)
		}
		res, err := m.Run()
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != wantOut || res.Instret != n {
			t.Errorf("replay %v: %d instructions, output %q; the interpreter: %d, %q", replay, res.Instret, out, n, wantOut)
		}
		name, note := m.Engine()
		if name != EngineInterp || note != noteEnded {
			t.Errorf("Engine() = %q, %q; want interp, %q", name, note, noteEnded)
		}
		if len(ch.calls) != 1 || ch.calls[0] != name+"|"+note {
			t.Errorf("EngineChosen calls %q", ch.calls)
		}
		if _, isJIT := m.JITStats(); isJIT {
			t.Error("JITStats says jit")
		}
	}
}

// TestEngineVerdictAtNew: a verdict already in when the machine is built
// decides its engine in New, reported there.
func TestEngineVerdictAtNew(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprint("fail=", fail), func(t *testing.T) {
			if fail {
				failSelfCheck(t, "no executable memory")
			} else {
				needJIT(t)
				pendingCheck(t)(nil)
			}
			var ch chosen
			m, _ := newDefault(t, "hello", nil, "", nil, &ch)
			want := EngineJIT + "|"
			if fail {
				want = EngineInterp + "|jit: no executable memory"
			}
			if len(ch.calls) != 1 || ch.calls[0] != want {
				t.Errorf("EngineChosen calls %q, want %q", ch.calls, want)
			}
			if _, err := m.Run(); err != nil {
				t.Fatal(err)
			}
			if len(ch.calls) != 1 {
				t.Errorf("EngineChosen calls %q after the run", ch.calls)
			}
		})
	}
}

// TestEngineExplicitWaits: jit asked for by name waits in New for the
// verdict: a failure is New's error, before the guest runs.
func TestEngineExplicitWaits(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprint("fail=", fail), func(t *testing.T) {
			if !fail {
				needJIT(t)
			}
			verdict := pendingCheck(t)
			var err error
			if fail {
				err = errors.New("the sum was 41")
			}
			time.AfterFunc(20*time.Millisecond, func() { verdict(err) })
			unsetEngineEnv(t)
			prog, lerr := LoadFile(helloELF)
			if lerr != nil {
				t.Fatal(lerr)
			}
			var out bytes.Buffer
			m, nerr := New(prog, Config{MemSize: 1 << 20, Stdin: strings.NewReader(""), Stdout: &out, Stderr: io.Discard, Engine: EngineJIT})
			if fail {
				if nerr == nil || !strings.Contains(nerr.Error(), "--engine jit") || !strings.Contains(nerr.Error(), "the sum was 41") {
					t.Fatalf("New: %v", nerr)
				}
				return
			}
			if nerr != nil {
				t.Fatal(nerr)
			}
			defer m.Close()
			if name, note := m.Engine(); name != EngineJIT || note != "" {
				t.Errorf("Engine() = %q, %q", name, note)
			}
		})
	}
}

// TestEngineImpatient: a machine that has interpreted pendingPatience
// instructions since it started the self-check waits for the verdict, and
// then runs jit.
func TestEngineImpatient(t *testing.T) {
	needJIT(t)
	verdict := pendingCheck(t)
	m, _ := newDefault(t, "bench", []string{"2"}, "", nil, nil)
	m.eng.waited = pendingStart + pendingPatience
	time.AfterFunc(10*time.Millisecond, func() { verdict(nil) })
	if _, err := m.Run(); err != nil {
		t.Fatal(err)
	}
	if name, note := m.Engine(); name != EngineJIT || note != "" {
		t.Errorf("Engine() = %q, %q; want jit from the first instruction", name, note)
	}
	if st, _ := m.JITStats(); st.Blocks == 0 {
		t.Errorf("JITStats %+v: nothing translated", st)
	}
}

// TestRecordVerdictMidRun records with the default engine while the
// self-check runs (the verdict comes in at some point of the run), and
// replays on the interpreter: the replay checks the recording's end and
// digest.
func TestRecordVerdictMidRun(t *testing.T) {
	needJIT(t)
	unsetEngineEnv(t)
	verdict := pendingCheck(t)
	time.AfterFunc(2*time.Millisecond, func() { verdict(nil) })
	crossEngine(t, crossEngineCase{"ndloop", []string{"20000"}, 16}, "", EngineInterp)
}

// TestCheckPanics: a self-check that panics gives its verdict: the panic,
// as an error.
func TestCheckPanics(t *testing.T) {
	c := startCheck(func() error { panic("boom") })
	if err := c.wait(); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("verdict %v", err)
	}
}

// TestSelfCheckOnce: the process's self-check runs once; StartSelfCheck
// and SelfCheck, from several goroutines, share it.
func TestSelfCheckOnce(t *testing.T) {
	StartSelfCheck()
	first := processCheck()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			StartSelfCheck()
			errs[i] = SelfCheck()
		})
	}
	wg.Wait()
	if processCheck() != first {
		t.Error("the self-check was started again")
	}
	want := jit.SelfCheck()
	for _, err := range errs {
		if (err == nil) != (want == nil) {
			t.Errorf("SelfCheck() = %v, jit.SelfCheck() = %v", err, want)
		}
	}
}
