//go:build !unix

package main

import "os"

// peakRSS is 0 here: this system reports no peak resident memory.
func peakRSS(ps *os.ProcessState) int64 { return 0 }
