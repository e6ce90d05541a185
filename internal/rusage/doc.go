// Package rusage reads what the system says a finished process used:
// PeakRSS, its peak resident memory, for the benchmark script and the
// tests that bound rvsim's memory.
package rusage
