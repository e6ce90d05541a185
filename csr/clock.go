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
type Clock struct {
	TSC0     uint64
	NsMult   uint64
	TickMult uint64
}

// Cycle returns the cycle count at time-stamp counter value tsc.
func (c *Clock) Cycle(tsc uint64) uint64 { return scale(tsc-c.TSC0, c.NsMult) }

// Time returns the time at time-stamp counter value tsc.
func (c *Clock) Time(tsc uint64) uint64 { return scale(tsc-c.TSC0, c.TickMult) }

func scale(d, mult uint64) uint64 {
	hi, lo := bits.Mul64(d, mult)
	return hi<<32 | lo>>32
}

var (
	calibrate sync.Once
	nsMult    uint64 // nanoseconds per tick of the counter, 32.32 fixed point; 0: no usable counter
)

// tscMults returns the multipliers of the time-stamp counter, measuring
// them once (1 ms): 0 when the counter cannot serve as a clock (not
// amd64, or the kernel does not use it as its own clock source, which it
// does only when the counter is invariant and the same on every core).
func tscMults() (ns, ticks uint64) {
	calibrate.Do(func() {
		if !hasTSC {
			return
		}
		b, err := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource")
		if err != nil || strings.TrimSpace(string(b)) != "tsc" {
			return
		}
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
	return nsMult, nsMult / (1e9 / TimebaseHz)
}

// tscHost returns a Host whose Cycle and Time read the time-stamp counter
// from now on, or false if it cannot serve as a clock.
func tscHost() (Host, bool) {
	ns, ticks := tscMults()
	if ns == 0 || ticks == 0 {
		return Host{}, false
	}
	c := &Clock{TSC0: rdtsc(), NsMult: ns, TickMult: ticks}
	return Host{
		Cycle: func() uint64 { return c.Cycle(rdtsc()) },
		Time:  func() uint64 { return c.Time(rdtsc()) },
		Clock: c,
	}, true
}
