// Package logfmt owns the rvsim trace file: its byte format (format.go:
// magic numbers, version, limits), the compact encoding of events
// (event.go), the Writer that appends one zstd frame per segment as the
// monitor drains the ND buffer, and the Reader that reads a trace frame by
// frame with bounded memory and checks every frame before it hands out an
// event. docs/trace-format.md describes the format for other readers.
package logfmt
