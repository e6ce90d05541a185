//go:build unix

package rusage

import (
	"os"
	"runtime"
	"syscall"
)

// PeakRSS is the peak resident memory of the process that ended with ps,
// in KiB (getrusage's ru_maxrss, which Darwin gives in bytes), or 0 if
// the system does not say.
func PeakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss) / 1024
	}
	return int64(ru.Maxrss)
}
