package csr

import (
	"math/bits"
	"os"
	"strings"
	"sync"
	"time"
)

// Clock is a host clock read from the processor's time-stamp counter, so
// that translated code can read it itself, with the same arithmetic as
// Cycle and Time: cycle = (tsc-TSC0)*NsMult >> 32 nanoseconds (cycles at
// a nominal 1 GHz), time = (tsc-TSC0)*TickMult >> 32 ticks at TimebaseHz.
// The multipliers are measured once per process, when first needed
// (Mults), so that a program that never reads a counter does not wait
// for the measure.
type Clock struct {
	TSC0 uint64
}

// Mults returns the clock's multipliers (32.32 fixed point).
func (c *Clock) Mults() (ns, ticks uint64) { return tscMults() }

// Cycle returns the cycle count at time-stamp counter value tsc.
func (c *Clock) Cycle(tsc uint64) uint64 {
	ns, _ := tscMults()
	return scale(tsc-c.TSC0, ns)
}

// Time returns the time at time-stamp counter value tsc.
func (c *Clock) Time(tsc uint64) uint64 {
	_, ticks := tscMults()
	return scale(tsc-c.TSC0, ticks)
}

func scale(d, mult uint64) uint64 {
	hi, lo := bits.Mul64(d, mult)
	return hi<<32 | lo>>32
}

var (
	calibrate sync.Once
	nsMult    uint64 // nanoseconds per tick of the counter, 32.32 fixed point
)

// tscUsable reports whether the time-stamp counter can serve as a clock:
// on amd64, when the kernel uses it as its own clock source, which it does
// only when the counter is invariant and the same on every core.
// It reads the kernel's choice once per process: every DefaultHost asks.
var tscUsable = sync.OnceValue(func() bool {
	if !hasTSC {
		return false
	}
	b, err := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource")
	return err == nil && strings.TrimSpace(string(b)) == "tsc"
})

// tscMults returns the multipliers of the time-stamp counter, measuring
// them against the monotonic clock once (1 ms).
func tscMults() (ns, ticks uint64) {
	calibrate.Do(func() {
		nsMult = 1 << 32 // if the measure fails: a nominal 1 GHz counter
		t0, c0 := time.Now(), rdtsc()
		for time.Since(t0) < time.Millisecond {
		}
		dt, dc := time.Since(t0), rdtsc()-c0
		if dc == 0 || dt <= 0 {
			return
		}
		hi, lo := bits.Mul64(uint64(dt.Nanoseconds()), 1<<32)
		if hi >= dc {
			return
		}
		nsMult, _ = bits.Div64(hi, lo, dc)
	})
	return nsMult, max(nsMult/(1e9/TimebaseHz), 1)
}

// tscHost returns a Host whose Cycle and Time read the time-stamp counter
// from now on, or false if it cannot serve as a clock.
func tscHost() (Host, bool) {
	if !tscUsable() {
		return Host{}, false
	}
	c := &Clock{TSC0: rdtsc()}
	return Host{
		Cycle: func() uint64 { return c.Cycle(rdtsc()) },
		Time:  func() uint64 { return c.Time(rdtsc()) },
		Clock: c,
	}, true
}
