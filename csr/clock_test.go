package csr

import (
	"fmt"
	"testing"
	"time"
)

// TestClockAgainstMonotonic checks the time-stamp counter clock against
// Go's monotonic clock: cycles are nanoseconds and time ticks at
// TimebaseHz, within a few percent, and neither goes back. A reading is
// two calls, which a busy host may pull apart (the test descheduled
// between them skews the ratios), so a measurement off by more than the
// tolerance is taken again, up to five times; only one that is never
// within it fails.
func TestClockAgainstMonotonic(t *testing.T) {
	h := DefaultHost()
	if h.Clock == nil {
		t.Skip("the time-stamp counter is not the kernel's clock source here")
	}
	var problem string
	for try := 0; try < 5; try++ {
		c0, t0, w0 := h.Cycle(), h.Time(), time.Now()
		time.Sleep(20 * time.Millisecond)
		c1, t1, w := h.Cycle(), h.Time(), time.Since(w0)
		if c1 < c0 || t1 < t0 {
			t.Fatalf("the clock went back: cycle %d -> %d, time %d -> %d", c0, c1, t0, t1)
		}
		dc, dt := float64(c1-c0), float64(t1-t0)
		switch ns, r := float64(w.Nanoseconds()), dc/dt; {
		case dc < 0.9*ns || dc > 1.1*ns+2e6:
			problem = fmt.Sprintf("cycle advanced %.0f in %.0f ns", dc, ns)
		case r < 90 || r > 110:
			problem = fmt.Sprintf("cycle/time ratio %.1f, want %d (1 GHz / %d Hz)", r, int(1e9/TimebaseHz), TimebaseHz)
		default:
			problem = ""
		}
		if problem == "" {
			break
		}
		t.Logf("try %d: %s", try, problem)
	}
	if problem != "" {
		t.Error(problem)
	}
	ns, ticks := h.Clock.Mults()
	tsc := uint64(12345678901)
	if got, want := h.Clock.Cycle(h.Clock.TSC0+tsc), scale(tsc, ns); got != want {
		t.Errorf("Cycle = %d, want %d", got, want)
	}
	if got, want := h.Clock.Time(h.Clock.TSC0+tsc), scale(tsc, ticks); got != want {
		t.Errorf("Time = %d, want %d", got, want)
	}
}
