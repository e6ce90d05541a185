package csr

import (
	"testing"
	"time"
)

// TestClockAgainstMonotonic checks the time-stamp counter clock against
// Go's monotonic clock: cycles are nanoseconds and time ticks at
// TimebaseHz, within a few percent, and neither goes back.
func TestClockAgainstMonotonic(t *testing.T) {
	h := DefaultHost()
	if h.Clock == nil {
		t.Skip("the time-stamp counter is not the kernel's clock source here")
	}
	c0, t0, w0 := h.Cycle(), h.Time(), time.Now()
	time.Sleep(20 * time.Millisecond)
	c1, t1, w := h.Cycle(), h.Time(), time.Since(w0)
	if c1 < c0 || t1 < t0 {
		t.Fatalf("the clock went back: cycle %d -> %d, time %d -> %d", c0, c1, t0, t1)
	}
	dc, dt := float64(c1-c0), float64(t1-t0)
	if ns := float64(w.Nanoseconds()); dc < 0.9*ns || dc > 1.1*ns+2e6 {
		t.Errorf("cycle advanced %.0f in %.0f ns", dc, ns)
	}
	if r := dc / dt; r < 90 || r > 110 {
		t.Errorf("cycle/time ratio %.1f, want %d (1 GHz / %d Hz)", r, int(1e9/TimebaseHz), TimebaseHz)
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
