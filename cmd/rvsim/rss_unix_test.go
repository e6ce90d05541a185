//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
)

// peakRSS is the peak resident memory of the process that ended with ps,
// in KiB (getrusage's ru_maxrss, which Darwin gives in bytes).
func peakRSS(ps *os.ProcessState) int64 {
	maxrss := int64(ps.SysUsage().(*syscall.Rusage).Maxrss)
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return maxrss / 1024
	}
	return maxrss
}
