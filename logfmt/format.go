package logfmt

import (
	"errors"
	"hash/crc32"
)

// Version is the trace format version this package writes and reads.
const Version = 1

// Frame magic numbers (RFC 8878): zstd frames and the two skippable frames
// that carry the header and the footer.
const (
	magicZstd   = 0xFD2FB528
	magicHeader = 0x184D2A50 // skippable frame, nibble 0: header
	magicFooter = 0x184D2A51 // skippable frame, nibble 1: footer
	skipMask    = 0xFFFFFFF0
	skipBase    = 0x184D2A50
)

// Tags that open the payload of the header and footer frames.
const (
	headerTag = "RVSIMHDR"
	footerTag = "RVSIMFTR"
)

// Limits that keep a hostile or damaged file from exhausting memory.
const (
	MaxMeta       = 1 << 20  // payload of a header or footer frame
	MaxSegment    = 64 << 20 // a segment, compressed or decompressed
	maxWriteBytes = MaxSegment
)

// Errors every Reader error wraps one of.
var (
	ErrNotTrace   = errors.New("not an rvsim trace")
	ErrVersion    = errors.New("unsupported trace format version")
	ErrCorrupt    = errors.New("corrupt trace")
	ErrIncomplete = errors.New("incomplete trace")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)
