package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/vmm"
)

// measured is the result of a run with the CPU time the process spent on
// it (0 if unknown). The CPU time leaves out time spent waiting (for a
// terminal, a pipe): it is what a slowdown is based on.
type measured struct {
	res vmm.Result
	cpu time.Duration
	eng []stat // the engine's figures (engineStats)
}

// runMeasured runs m and measures the CPU time it took.
func runMeasured(m *vmm.Machine) (measured, error) {
	c0, ok0 := cpuTime()
	res, err := m.Run()
	c1, ok1 := cpuTime()
	mr := measured{res: res, eng: engineStats(m)}
	if ok0 && ok1 {
		mr.cpu = c1 - c0
	}
	return mr, err
}

// mips is n instructions in d, in millions per second (0 if d is 0).
func mips(n uint64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds() / 1e6
}

// basicStats are the figures every run has: instructions, wall and CPU
// time, MIPS (instructions per second of wall time, and of CPU time), and
// the engine's.
func basicStats(mr measured) []stat {
	n, wall := mr.res.Instret, mr.res.Wall
	s := []stat{
		{fmt.Sprintf("instructions %d", n), []zap.Field{zap.Uint64("instructions", n)}},
		{fmt.Sprintf("wall time %.6fs", wall.Seconds()), []zap.Field{zap.Float64("wall_seconds", wall.Seconds())}},
	}
	if mr.cpu > 0 {
		s = append(s, stat{fmt.Sprintf("cpu time %.6fs", mr.cpu.Seconds()), []zap.Field{zap.Float64("cpu_seconds", mr.cpu.Seconds())}})
	}
	s = append(s, stat{fmt.Sprintf("MIPS %.1f", mips(n, wall)), []zap.Field{zap.Float64("mips", mips(n, wall))}})
	if mr.cpu > 0 {
		s = append(s, stat{fmt.Sprintf("MIPS per CPU second %.1f", mips(n, mr.cpu)), []zap.Field{zap.Float64("mips_cpu", mips(n, mr.cpu))}})
	}
	return append(s, mr.eng...)
}

// baseline runs the program once more in normal mode, output discarded and
// no input, for at most as many instructions as res: the denominator of the
// slowdown. It is only run when asked for (--baseline), since it doubles
// the time taken.
func baseline(prog *vmm.Program, cfg vmm.Config, res vmm.Result) *measured {
	if res.Instret == 0 {
		return nil
	}
	cfg.Record, cfg.Replay, cfg.Progress = nil, nil, nil
	cfg.Stdin, cfg.Stdout, cfg.Stderr = strings.NewReader(""), io.Discard, io.Discard
	cfg.MaxInsns, cfg.Timeout = res.Instret, 0
	m, err := vmm.New(prog, cfg)
	if err != nil {
		return nil
	}
	mr, _ := runMeasured(m)
	if mr.res.Instret == 0 {
		return nil
	}
	return &mr
}

func sum(m map[string]uint64) uint64 {
	var t uint64
	for _, v := range m {
		t += v
	}
	return t
}

// byKey formats a count map as "a 1, b 2" in key order.
func byKey(m map[string]uint64) string { return formatByKey(m, "%s %d") }

// formatByKey formats a count map in key order, each pair with format
// (key, count), joined by ", ".
func formatByKey(m map[string]uint64, format string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf(format, k, m[k])
	}
	return strings.Join(parts, ", ")
}

// rrStats are the cost figures of a record or replay run; base is the
// baseline run (nil if none was made).
func rrStats(mr measured, exitCost uint64, base *measured) []stat {
	// exits x exitCost, exactly: --exit-cost may be any 64-bit count.
	modelled := new(big.Int).Mul(new(big.Int).SetUint64(sum(mr.res.Stats.Exits)), new(big.Int).SetUint64(exitCost)).String()
	res := mr.res
	s := res.Stats
	events, exits := sum(s.Events), sum(s.Exits)
	nd := s.Exits[vmm.ExitNDFull] + s.Exits[vmm.ExitNDEmpty]
	perM := func(n uint64) float64 {
		if res.Instret == 0 {
			return 0
		}
		return float64(n) * 1e6 / float64(res.Instret)
	}
	out := basicStats(mr)
	out = append(out,
		stat{fmt.Sprintf("events %d (%s)", events, byKey(s.Events)),
			[]zap.Field{zap.Uint64("events", events), zap.Any("events_by_kind", s.Events)}},
		stat{fmt.Sprintf("exits %d (%s)", exits, byKey(s.Exits)),
			[]zap.Field{zap.Uint64("exits", exits), zap.Any("exits_by_cause", s.Exits)}},
		stat{fmt.Sprintf("exits per million instructions %.2f (nd buffer %.2f)", perM(exits), perM(nd)),
			[]zap.Field{zap.Float64("exits_per_million", perM(exits)), zap.Float64("nd_exits_per_million", perM(nd))}},
		stat{fmt.Sprintf("modelled exit cost %s cycles (%d exits x %d cycles)", modelled, exits, exitCost),
			[]zap.Field{zap.Reflect("modelled_exit_cycles", json.Number(modelled)), zap.Uint64("exit_cost", exitCost)}},
	)
	if s.TraceBytes > 0 {
		bpe := 0.0
		if events > 0 {
			bpe = float64(s.TraceBytes) / float64(events)
		}
		out = append(out, stat{fmt.Sprintf("trace bytes %d in %d segment%s, bytes per event %.2f", s.TraceBytes, s.Segments, plural(s.Segments), bpe),
			[]zap.Field{zap.Uint64("trace_bytes", s.TraceBytes), zap.Uint64("segments", s.Segments), zap.Float64("bytes_per_event", bpe)}})
	}
	if base != nil && res.Instret > 0 {
		// By CPU time when it is known: waiting on a terminal or a pipe
		// is not the simulator's cost.
		what, t, bt := "CPU", mr.cpu, base.cpu
		if t <= 0 || bt <= 0 {
			what, t, bt = "wall", res.Wall, base.res.Wall
		}
		per := float64(t) / float64(res.Instret) * 1000
		bper := float64(bt) / float64(base.res.Instret) * 1000
		slow := 0.0
		if bper > 0 {
			slow = per / bper
		}
		out = append(out, stat{
			fmt.Sprintf("slowdown %.3f against a normal run, by %s time (%.1f vs %.1f ns per 1000 instructions)", slow, what, per, bper),
			[]zap.Field{zap.Float64("slowdown", slow), zap.String("slowdown_by", strings.ToLower(what)),
				zap.Float64("ns_per_1000", per), zap.Float64("baseline_ns_per_1000", bper)}})
	}
	return out
}

// plural is "s" unless n is 1.
func plural(n uint64) string {
	if n == 1 {
		return ""
	}
	return "s"
}
