package csr

const hasTSC = true

// rdtsc returns the time-stamp counter (clock_amd64.s).
func rdtsc() uint64
