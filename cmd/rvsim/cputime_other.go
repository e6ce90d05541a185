//go:build !unix

package main

import "time"

// cpuTime returns the CPU time the rvsim process has used so far; it is
// not known on this system.
func cpuTime() (time.Duration, bool) { return 0, false }
