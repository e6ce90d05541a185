package timetravel

import (
	"fmt"
	"runtime/debug"
	"sort"
	"time"
)

// Checkpoint spacing. A forward run takes a checkpoint every interval
// instructions (DefaultInterval to start with; doubled while taking one
// costs more than a sixteenth of running the interval, when Config.Interval
// is 0). A seek that runs forward more than 2*nearDist drops a checkpoint
// nearDist before its target, so that reverse steps from there cost at most
// nearDist instructions each; a stop where the user looks (a breakpoint, a
// watchpoint, an interrupt) more than userDist after the last checkpoint
// gets one too.
const (
	// DefaultInterval is the automatic spacing's starting value.
	DefaultInterval = 1 << 25
	maxInterval     = 1 << 32
	freeAfter       = 64 << 20 // releasing this much returns memory to the host at once
	nearDist        = 1 << 14
	userDist        = 1 << 20
)

// CheckpointInfo describes one kept checkpoint.
type CheckpointInfo struct {
	Icount uint64 // the instruction count it was taken at
	Bytes  uint64 // memory it holds of its own: what the total drops by if it alone were released (an estimate)
}

// cp is one kept checkpoint and what it cost.
type cp struct {
	c     ckpt
	at    uint64
	bytes uint64 // CheckpointBytes grew by this much when it was taken
}

// checkpoints is the sorted list of kept checkpoints and their policy.
type checkpoints struct {
	m        machine
	list     []cp // by icount; list[0] is at icount 0 and is never thinned
	interval uint64
	auto     bool   // adapt interval to the measured cost
	capBytes uint64 // thin when CheckpointBytes exceeds it
	near     uint64 // nearDist (smaller in tests)
	user     uint64 // userDist (smaller in tests)
	warned   bool   // the cap could not be kept: logged once
	logf     func(msg string)

	runStart  time.Time // the start of the forward run since the last checkpoint
	runInsns  uint64
	takeTotal time.Duration
	taken     int
}

// before returns the index of the last checkpoint at or before n (-1: none).
func (c *checkpoints) before(n uint64) int {
	return sort.Search(len(c.list), func(i int) bool { return c.list[i].at > n }) - 1
}

// has reports whether a checkpoint is kept at exactly n.
func (c *checkpoints) has(n uint64) bool {
	i := c.before(n)
	return i >= 0 && c.list[i].at == n
}

// take takes a checkpoint at the machine's current position unless one
// is kept there, then thins the list to the cap.
func (c *checkpoints) take() error {
	now := c.m.Icount()
	if c.has(now) {
		return nil
	}
	b0 := c.m.CheckpointBytes()
	t0 := time.Now()
	k, err := c.m.Checkpoint()
	if err != nil {
		return fmt.Errorf("checkpoint at icount %d: %w", now, err)
	}
	took := time.Since(t0)
	c.takeTotal += took
	c.taken++
	var grew uint64
	if b := c.m.CheckpointBytes(); b > b0 {
		grew = b - b0
	}
	i := c.before(now) + 1
	c.list = append(c.list, cp{})
	copy(c.list[i+1:], c.list[i:])
	c.list[i] = cp{c: k, at: now, bytes: grew}
	c.thin(now)
	return nil
}

// adapt doubles the automatic interval while a checkpoint costs more than
// a sixteenth of the run between two of them.
func (c *checkpoints) adapt(took, ran time.Duration) {
	if c.auto && took*16 > ran && c.interval < maxInterval {
		c.interval *= 2
	}
}

// thin releases checkpoints until the memory they hold is within the cap:
// each time the one (not the first, nor the last, nor the one at now while
// there are others) whose neighbours are closest together, the older one
// on a tie, so that a spread is kept, dense near where the user works and
// sparse far back; when only the first and the last are left, the last
// too. The first, where reverse execution
// ends, is always kept: a cap below what it holds alone cannot be kept, and
// is reported once.
func (c *checkpoints) thin(now uint64) {
	before := c.m.CheckpointBytes()
	released := false
	defer func() {
		// Pages released in bulk go back to the host now, not at the
		// collector's pace: the cap is on what the process holds.
		if released && before-c.m.CheckpointBytes() >= freeAfter {
			debug.FreeOSMemory()
		}
	}()
	for c.m.CheckpointBytes() > c.capBytes {
		best := c.thinnest(now, false)
		if best < 0 {
			best = c.thinnest(now, true) // the one at now, between two others
		}
		if best < 0 && len(c.list) > 1 {
			best = len(c.list) - 1
		}
		if best < 0 {
			if !c.warned && c.logf != nil {
				c.warned = true
				c.logf(fmt.Sprintf("the checkpoint at the start holds %d bytes, more than the cap of %d (--checkpoint-mem); it is kept", c.m.CheckpointBytes(), c.capBytes))
			}
			return
		}
		c.m.Release(c.list[best].c)
		c.list = append(c.list[:best], c.list[best+1:]...)
		released = true
	}
}

// thinnest returns the index of the checkpoint, neither the first nor the
// last, whose neighbours are closest together (the older on a tie), -1 if
// there is none; the one at now only if withNow.
func (c *checkpoints) thinnest(now uint64, withNow bool) int {
	best, bestGap := -1, uint64(0)
	for i := 1; i+1 < len(c.list); i++ {
		if c.list[i].at == now && !withNow {
			continue
		}
		gap := c.list[i+1].at - c.list[i-1].at
		if best < 0 || gap < bestGap {
			best, bestGap = i, gap
		}
	}
	return best
}

// infos lists the kept checkpoints.
func (c *checkpoints) infos() []CheckpointInfo {
	out := make([]CheckpointInfo, len(c.list))
	for i, k := range c.list {
		out[i] = CheckpointInfo{Icount: k.at, Bytes: k.bytes}
	}
	return out
}
