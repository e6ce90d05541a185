//go:build !amd64

package csr

const hasTSC = false

func rdtsc() uint64 { return 0 }
