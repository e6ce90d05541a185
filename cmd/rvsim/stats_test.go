package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRecordReplayStats checks --stats of record and replay: MIPS and CPU
// time are printed, and the second, normal-mode run behind the slowdown is
// made only with --baseline (the info log shows each run's load).
func TestRecordReplayStats(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "t.zst")
	elf := programPath("ndloop")
	common := []string{`rvsim: stats: instructions [1-9][0-9]*\n`, `rvsim: stats: wall time [0-9.]+s\n`,
		`rvsim: stats: cpu time [0-9.]+s\n`, `rvsim: stats: MIPS [0-9.]+\n`, `rvsim: stats: events [1-9][0-9]* \(`}
	check := func(what string, r runResult, loads int, slowdown bool) {
		t.Helper()
		if r.status != 0 {
			t.Fatalf("%s: status %d: %s", what, r.status, r.stderr)
		}
		for _, re := range common {
			if !regexp.MustCompile(re).MatchString(r.stderr) {
				t.Errorf("%s: stderr lacks %q:\n%s", what, re, r.stderr)
			}
		}
		if n := strings.Count(r.stderr, "rvsim: info: loaded "); n != loads {
			t.Errorf("%s: %d runs, want %d:\n%s", what, n, loads, r.stderr)
		}
		re := regexp.MustCompile(`rvsim: stats: slowdown [0-9.]+ against a normal run, by CPU time \([0-9.]+ vs [0-9.]+ ns per 1000 instructions\)\n`)
		if re.MatchString(r.stderr) != slowdown {
			t.Errorf("%s: slowdown line present: %v, want %v:\n%s", what, !slowdown, slowdown, r.stderr)
		}
	}
	check("record --stats", cli(t, "", "--log-level", "info", "record", "--stats", "--nd-buffer", "16", "-o", trace, elf, "300"), 1, false)
	check("replay --stats", cli(t, "", "--log-level", "info", "replay", "--stats", elf, trace), 1, false)
	check("record --stats --baseline", cli(t, "", "--log-level", "info", "record", "--stats", "--baseline", "--nd-buffer", "16", "-o", trace, elf, "300"), 2, true)
	check("replay --stats --baseline", cli(t, "", "--log-level", "info", "replay", "--stats", "--baseline", elf, trace), 2, true)
}

// TestStatsJSON checks that with --log-format json everything rvsim
// writes on stderr is JSON, one object per line, stats included.
func TestStatsJSON(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "t.zst")
	elf := programPath("hello")
	for _, args := range [][]string{
		{"run", "--stats", elf},
		{"record", "--stats", "--baseline", "-o", trace, elf},
		{"replay", "--stats", elf, trace},
	} {
		r := cli(t, "", append([]string{"--log-format", "json"}, args...)...)
		if r.status != 0 {
			t.Fatalf("%v: status %d: %s", args, r.status, r.stderr)
		}
		objs := map[string]map[string]any{}
		for _, l := range strings.Split(strings.TrimRight(r.stderr, "\n"), "\n") {
			if l == "a line on stderr" { // the guest's
				continue
			}
			var o map[string]any
			if err := json.Unmarshal([]byte(l), &o); err != nil {
				t.Errorf("%v: stderr line is not a JSON object: %q", args, l)
				continue
			}
			msg, _ := o["msg"].(string)
			objs[msg] = o
		}
		st, ok := objs["stats"]
		if !ok {
			t.Fatalf("%v: no stats object in %q", args, r.stderr)
		}
		for _, k := range []string{"instructions", "wall_seconds", "cpu_seconds", "mips"} {
			if v, ok := st[k].(float64); !ok || (k == "instructions" && v <= 0) {
				t.Errorf("%v: stats %s = %v", args, k, st[k])
			}
		}
		if args[0] != "run" {
			if _, ok := st["exits_by_cause"].(map[string]any); !ok {
				t.Errorf("%v: stats lack exits_by_cause: %v", args, st)
			}
			// A number, as every count is, however large it is.
			if _, ok := st["modelled_exit_cycles"].(float64); !ok {
				t.Errorf("%v: stats modelled_exit_cycles = %#v, want a number", args, st["modelled_exit_cycles"])
			}
		}
		if args[0] == "record" {
			if _, ok := st["slowdown"].(float64); !ok {
				t.Errorf("%v: --baseline gives no slowdown: %v", args, st)
			}
		}
		if args[0] == "replay" {
			id, ok := objs[identicalMsg(objs)]
			if !ok || id["digest"] != footerOf(t, trace).Digest {
				t.Errorf("replay: no JSON line saying the replay is identical with the recorded digest: %q", r.stderr)
			}
		}
	}
}

// identicalMsg returns the message of the "replay identical" object.
func identicalMsg(objs map[string]map[string]any) string {
	for m := range objs {
		if strings.HasPrefix(m, "replay identical: ") {
			return m
		}
	}
	return ""
}
