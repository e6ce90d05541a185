//go:build !unix

package rusage

import "os"

// PeakRSS is 0: this system reports no peak resident memory of a process
// that has ended (so limits on it hold without being measured).
func PeakRSS(ps *os.ProcessState) int64 { return 0 }
