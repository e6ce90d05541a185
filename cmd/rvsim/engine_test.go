package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/vmm"
)

// unsetEngineEnv removes RVSIM_ENGINE for the test (restored after it).
func unsetEngineEnv(t *testing.T) {
	t.Helper()
	t.Setenv(vmm.EngineEnv, "")
	os.Unsetenv(vmm.EngineEnv)
}

// engineLine returns the "rvsim: info: engine: ..." line of stderr, "" if
// none, and fails the test if there are several.
func engineLine(t *testing.T, stderr string) string {
	t.Helper()
	var found []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "rvsim: info: engine: ") {
			found = append(found, strings.TrimPrefix(l, "rvsim: info: "))
		}
	}
	if len(found) > 1 {
		t.Fatalf("%d engine lines: %q", len(found), found)
	}
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

// TestEngineFlagErrors: --engine takes jit or interp on every command that
// runs a program; anything else is refused in one line naming both, as
// other bad flag values are, and so is a bad RVSIM_ENGINE.
func TestEngineFlagErrors(t *testing.T) {
	elf := programPath("hello")
	trace := filepath.Join(t.TempDir(), "t.zst")
	for _, args := range [][]string{
		{"run", "--engine", "fast", elf},
		{"run", "--engine=", elf},
		{"record", "-o", trace, "--engine", "qemu", elf},
		{"replay", "--engine", "JIT", trace},
		{"debug", "--engine", "tcg", trace},
	} {
		r := cli(t, "", args...)
		if r.status != exitSimError {
			t.Errorf("%v: status %d, want %d", args, r.status, exitSimError)
		}
		oneLine(t, r, `^rvsim: --engine "[^"]*": want jit or interp$`)
	}
	if _, err := os.Stat(trace); err == nil {
		t.Errorf("record with a bad --engine created the trace")
	}
	t.Setenv(vmm.EngineEnv, "fastest")
	for _, args := range [][]string{{"run", elf}, {"record", "-o", trace, elf}} {
		r := cli(t, "", args...)
		if r.status != exitSimError {
			t.Errorf("RVSIM_ENGINE=fastest %v: status %d", args, r.status)
		}
		oneLine(t, r, `^rvsim: .*RVSIM_ENGINE="fastest": want jit or interp$`)
	}
	// --engine wins over the variable, which is then not read.
	if r := cli(t, "", "run", "--engine", "interp", elf); r.status != 0 {
		t.Errorf("--engine interp with RVSIM_ENGINE=fastest: status %d: %s", r.status, r.stderr)
	}
}

// TestEngineLogged: at --log-level info, run, record and replay say which
// engine runs: the one given, the one RVSIM_ENGINE names (saying so), or
// by default jit where its self-check passes, else the interpreter with
// the reason.
func TestEngineLogged(t *testing.T) {
	jitErr := vmm.SelfCheck() // the process's verdict, waited for
	elf := programPath("ndloop")
	trace := filepath.Join(t.TempDir(), "t.zst")
	unsetEngineEnv(t)
	wantDefault := "engine: jit"
	if jitErr != nil {
		wantDefault = "engine: interp (jit: " + jitErr.Error() + ")"
	}
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"run", elf, "50"}, wantDefault},
		{"", []string{"run", "--engine", "interp", elf, "50"}, "engine: interp"},
		{"", []string{"run", "--engine", "jit", elf, "50"}, "engine: jit"},
		{"interp", []string{"run", elf, "50"}, "engine: interp (RVSIM_ENGINE=interp)"},
		{"jit", []string{"run", elf, "50"}, "engine: jit (RVSIM_ENGINE=jit)"},
		{"jit", []string{"run", "--engine", "interp", elf, "50"}, "engine: interp"},
		{"", []string{"record", "--engine", "interp", "-o", trace, elf, "50"}, "engine: interp"},
		{"", []string{"replay", "--engine", "jit", trace}, "engine: jit"},
		{"interp", []string{"replay", trace}, "engine: interp (RVSIM_ENGINE=interp)"},
	} {
		if tc.env != "" {
			os.Setenv(vmm.EngineEnv, tc.env)
		} else {
			os.Unsetenv(vmm.EngineEnv)
		}
		r := cli(t, "", append([]string{"--log-level", "info"}, tc.args...)...)
		if jitErr != nil && strings.HasPrefix(tc.want, "engine: jit") {
			// jit asked for on a host where it cannot run.
			if r.status != exitSimError || !strings.Contains(r.stderr, jitErr.Error()) {
				t.Errorf("RVSIM_ENGINE=%s %v: status %d, stderr %q; want the reason jit cannot run", tc.env, tc.args, r.status, r.stderr)
			}
			continue
		}
		if r.status != 0 {
			t.Fatalf("RVSIM_ENGINE=%s %v: status %d: %s", tc.env, tc.args, r.status, r.stderr)
		}
		if got := engineLine(t, r.stderr); got != tc.want {
			t.Errorf("RVSIM_ENGINE=%s %v: %q, want %q", tc.env, tc.args, got, tc.want)
		}
	}
	// At the default level (warn), nothing is said.
	os.Unsetenv(vmm.EngineEnv)
	if r := cli(t, "", "run", elf, "50"); engineLine(t, r.stderr) != "" {
		t.Errorf("the engine is logged at warn: %q", r.stderr)
	}
}

// TestEngineStats: --stats names the engine, and for jit gives what it
// translated (blocks, code bytes, translation time, instructions left to
// the interpreter), on the console and in JSON.
func TestEngineStats(t *testing.T) {
	unsetEngineEnv(t)
	jitErr := vmm.SelfCheck() // the process's verdict, waited for
	elf := programPath("bench")
	r := cli(t, "", "run", "--stats", "--engine", "interp", elf, "1")
	if r.status != 0 {
		t.Fatalf("interp: status %d: %s", r.status, r.stderr)
	}
	if !strings.Contains(r.stderr, "rvsim: stats: engine interp\n") || strings.Contains(r.stderr, "stats: jit ") {
		t.Errorf("interp --stats: %s", r.stderr)
	}
	if jitErr != nil {
		t.Logf("the native-code engine does not run here (%v): its figures are not checked", jitErr)
		return
	}
	r = cli(t, "", "run", "--stats", "--engine", "jit", elf, "1")
	if r.status != 0 {
		t.Fatalf("jit: status %d: %s", r.status, r.stderr)
	}
	re := regexp.MustCompile(`rvsim: stats: engine jit\nrvsim: stats: jit blocks ([0-9]+), code bytes ([0-9]+), translation time [0-9.]+s, entries [0-9]+, instructions interpreted [0-9]+, blocks invalidated [0-9]+, cache flushes [0-9]+, loops ([0-9]+), translated again for the watch range 0\n`)
	m := re.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("jit --stats lacks %q:\n%s", re, r.stderr)
	}
	// bench is integer code in loops: the engine translates it, its
	// inner loops as loops.
	if m[1] == "0" || m[2] == "0" || m[3] == "0" {
		t.Errorf("jit translated %s blocks into %s bytes of bench, %s of them loops", m[1], m[2], m[3])
	}
	for _, args := range [][]string{
		{"run", "--stats", "--engine", "jit", elf, "1"},
		{"record", "--stats", "--engine", "jit", "-o", filepath.Join(t.TempDir(), "t.zst"), elf, "1"},
	} {
		r = cli(t, "", append([]string{"--log-format", "json"}, args...)...)
		if r.status != 0 {
			t.Fatalf("%v: status %d: %s", args, r.status, r.stderr)
		}
		var st map[string]any
		for _, l := range strings.Split(strings.TrimRight(r.stderr, "\n"), "\n") {
			var o map[string]any
			if json.Unmarshal([]byte(l), &o) == nil && o["msg"] == "stats" {
				st = o
			}
		}
		if st == nil || st["engine"] != "jit" {
			t.Fatalf("%v: no stats object with engine jit: %s", args, r.stderr)
		}
		for _, k := range []string{"jit_blocks", "jit_code_bytes", "jit_translate_seconds", "jit_entries", "jit_interpreted", "jit_loops", "jit_watched"} {
			if _, ok := st[k].(float64); !ok {
				t.Errorf("%v: stats %s = %v", args, k, st[k])
			}
		}
	}
}

// TestEngineDebugger: a debugger session (rvsim debug, replay --gdb, run
// --gdb) runs the interpreter, which stops at every instruction: --engine
// jit is refused in one line, --engine interp is taken, and RVSIM_ENGINE=jit
// is set aside, saying so at info level.
func TestEngineDebugger(t *testing.T) {
	elf, trace := debugTrace(t)
	for _, args := range [][]string{
		{"debug", "--engine", "jit", elf, trace},
		{"replay", "--gdb", "127.0.0.1:0", "--engine", "jit", elf, trace},
		{"run", "--gdb", "127.0.0.1:0", "--engine", "jit", elf},
	} {
		r := cli(t, "", args...)
		if r.status != exitSimError {
			t.Errorf("%v: status %d, want %d", args, r.status, exitSimError)
		}
		oneLine(t, r, `^rvsim: --engine jit: a debugger runs the interpreter, which stops exactly at every instruction`)
	}
	dir := t.TempDir()
	gdb := fakeGDB(t, dir, "mygdb", 0, 0, "")
	for _, env := range []string{"jit", "interp", "-"} {
		if env == "-" {
			unsetEngineEnv(t)
		} else {
			t.Setenv(vmm.EngineEnv, env)
		}
		for _, extra := range [][]string{nil, {"--engine", "interp"}} {
			args := append([]string{"--log-level", "info", "debug", "--gdb-path", gdb}, extra...)
			r := cli(t, "", append(args, elf, trace)...)
			if r.status != 0 {
				t.Fatalf("RVSIM_ENGINE=%s %v: status %d: %s", env, args, r.status, r.stderr)
			}
			if got, want := engineLine(t, r.stderr), "engine: interp (a debugger: it stops at every instruction)"; got != want {
				t.Errorf("RVSIM_ENGINE=%s %v: %q, want %q", env, args, got, want)
			}
		}
	}
	t.Setenv(vmm.EngineEnv, "warp")
	oneLine(t, cli(t, "", "debug", "--gdb-path", gdb, elf, trace), `^rvsim: .*RVSIM_ENGINE="warp": want jit or interp$`)
}

// TestRecordReplayEngines records ndloop with each engine (the ND buffer
// filling many times) and replays each trace with both: every replay is
// identical (to the footer's digest, which replay checks), with the same
// final digest on both engines.
func TestRecordReplayEngines(t *testing.T) {
	unsetEngineEnv(t)
	jitErr := vmm.SelfCheck() // the process's verdict, waited for
	elf := programPath("ndloop")
	dir := t.TempDir()
	engines := []string{"interp", "jit"}
	if jitErr != nil {
		t.Logf("the native-code engine does not run here (%v): interp only", jitErr)
		engines = engines[:1]
	}
	identical := regexp.MustCompile(`(?m)^rvsim: replay identical: ([0-9]+) instructions, final state digest ([0-9a-f]+)$`)
	for _, rec := range engines {
		digest := ""
		trace := filepath.Join(dir, rec+".zst")
		if r := cli(t, "", "record", "--engine", rec, "--nd-buffer", "8", "-o", trace, elf, "3000"); r.status != 0 {
			t.Fatalf("record --engine %s: status %d: %s", rec, r.status, r.stderr)
		}
		for _, rep := range engines {
			r := cli(t, "", "replay", "--engine", rep, trace)
			m := identical.FindStringSubmatch(r.stderr)
			if r.status != 0 || m == nil {
				t.Fatalf("record --engine %s, replay --engine %s: status %d: %s", rec, rep, r.status, r.stderr)
			}
			if digest == "" {
				digest = m[2]
			} else if m[2] != digest {
				t.Errorf("record --engine %s, replay --engine %s: digest %s, replay --engine %s's %s", rec, rep, m[2], engines[0], digest)
			}
		}
	}
}

// TestEngineDefaultStartUp runs the rvsim binary (a fresh process, whose
// self-check has not run) with the default engine: a program shorter than
// the instructions after which the self-check starts runs on the
// interpreter and says so in its engine line and --stats; a longer one
// starts it and runs jit from its verdict on (or the interpreter, with
// the reason, where jit cannot run), with the interpreter's output; jit
// asked for by name waits for the verdict and runs from the first
// instruction.
func TestEngineDefaultStartUp(t *testing.T) {
	jitErr := vmm.SelfCheck()
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, vmm.EngineEnv+"=") {
			env = append(env, kv)
		}
	}
	rvsim := func(args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(rvsimBin, args...)
		cmd.Env = env
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("rvsim %v: %v\n%s", args, err, errb.String())
		}
		return out.String(), errb.String()
	}
	check := func(stderr, want string, prefix bool) {
		t.Helper()
		line := engineLine(t, stderr)
		stats := ""
		for _, l := range strings.Split(stderr, "\n") {
			if s, ok := strings.CutPrefix(l, "rvsim: stats: engine "); ok {
				stats = "engine: " + s
			}
		}
		if (prefix && !strings.HasPrefix(line, want)) || (!prefix && line != want) || stats != line {
			t.Errorf("engine line %q, --stats %q; want %q", line, stats, want)
		}
	}
	_, stderr := rvsim("run", "--log-level", "info", "--stats", programPath("hello"))
	check(stderr, "engine: interp (jit: the program ended before its self-check's verdict)", false)

	wantOut, _ := rvsim("run", "--engine", "interp", programPath("bench"), "2")
	out, stderr := rvsim("run", "--log-level", "info", "--stats", programPath("bench"), "2")
	if jitErr != nil {
		check(stderr, "engine: interp (jit: "+jitErr.Error()+")", false)
	} else {
		check(stderr, "engine: jit (from instruction ", true)
		if !strings.Contains(stderr, "rvsim: stats: jit blocks ") {
			t.Errorf("no jit figures in --stats: %s", stderr)
		}
	}
	if out != wantOut {
		t.Errorf("output %q, the interpreter's %q", out, wantOut)
	}
	if jitErr == nil {
		_, stderr = rvsim("run", "--log-level", "info", "--stats", "--engine", "jit", programPath("hello"))
		check(stderr, "engine: jit", false)
	}
}
