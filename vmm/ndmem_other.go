//go:build !linux

package vmm

// mapBuffer maps no memory outside the Go heap on this system: the
// recorder's spare ND buffers are made on the heap.
func mapBuffer(n int, populate bool) []byte { return nil }

// unmapBuffer is never called here: mapBuffer maps nothing.
func unmapBuffer(b []byte) {}

// populate is never called here: mapBuffer maps nothing.
func populate(b []byte) {}

// mapSpare maps nothing here: the recorder makes its spare ND buffers on
// the heap.
func mapSpare(size, n int) ([]byte, [][]byte) { return nil, nil }
