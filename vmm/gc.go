package vmm

import (
	"os"
	"runtime/debug"
)

// gcHeadroom is how much garbage the Go heap may hold besides guest
// memory before the collector runs.
const gcHeadroom = 8 << 20

// tuneGC keeps the monitor's peak memory flat in run length. Guest memory
// is one Go allocation, so by default (GOGC=100) the collector would wait
// until the heap doubled past it: with 256 MiB of guest memory, hundreds
// of MiB of spent trace segments could pile up before the first
// collection. tuneGC sets the collection target to about gcHeadroom above
// the live heap instead. A GOGC set in the environment is left alone.
func tuneGC(memSize uint64) {
	if os.Getenv("GOGC") != "" || memSize == 0 {
		return
	}
	pct := min(max(gcHeadroom*100/memSize, 1), 100)
	debug.SetGCPercent(int(pct))
}
