//go:build linux && amd64

package jit

import (
	"errors"
	"testing"
)

func TestSelfCheck(t *testing.T) {
	err := SelfCheck()
	if errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestSelfCheckMprotect runs the self-check with the code cache written
// the other way: code pages made writable for each block, then executable.
func TestSelfCheckMprotect(t *testing.T) {
	noDualMap = true
	defer func() { noDualMap = false }()
	TestSelfCheck(t)
}

// BenchmarkSelfCheck measures what the self-check adds to start-up.
func BenchmarkSelfCheck(b *testing.B) {
	for b.Loop() {
		if err := SelfCheck(); err != nil {
			b.Fatal(err)
		}
	}
}
