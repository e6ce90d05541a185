package logfmt

import (
	"errors"
	"hash/crc32"
)

// Version is the trace format version this package writes and reads. It is
// stored in the header and footer frames; a reader refuses any other.
const Version = 1

// Frame magic numbers (RFC 8878, little-endian on disk). The header and the
// footer are skippable frames, which zstd tools skip; each segment is a
// standard zstd frame.
const (
	magicZstd     = 0xFD2FB528 // standard zstd frame
	magicHeader   = 0x184D2A50 // skippable frame holding the header
	magicFooter   = 0x184D2A51 // skippable frame holding the footer
	skippableMask = 0xFFFFFFF0 // skippable frames: 0x184D2A50 to 0x184D2A5F
	skippableBase = 0x184D2A50
)

// Tags that open the payload of the header and footer frames.
const (
	headerTag = "RVSIMHDR"
	footerTag = "RVSIMFTR"
)

// Limits that keep a damaged or hostile file from exhausting memory. A
// Writer refuses to write anything larger; a Reader reports a larger frame
// as corrupt before it allocates for it.
const (
	// MaxMeta is the largest payload of a header or footer frame.
	MaxMeta = 16 << 20
	// MaxSegment is the largest decompressed payload of a segment.
	MaxSegment = 64 << 20
	// MaxFrame is the largest compressed segment frame: MaxSegment stored
	// in raw blocks (3 bytes of block header per 128 KiB) plus the frame
	// header and checksum.
	MaxFrame = MaxSegment + MaxSegment/maxBlock*3 + 64
)

// maxBlock is the largest zstd block (RFC 8878, Block_Maximum_Size).
const maxBlock = 128 << 10

// Sentinel errors. Every error a Reader returns wraps one of them, after
// context naming the file, the frame and the byte offsets involved.
var (
	// ErrNotTrace: the file does not start with an rvsim trace header.
	ErrNotTrace = errors.New("not an rvsim trace")
	// ErrVersion: the trace has a format version this package does not read.
	ErrVersion = errors.New("unsupported trace format version")
	// ErrCorrupt: a frame fails a check; nothing from it is returned.
	ErrCorrupt = errors.New("corrupt trace")
	// ErrIncomplete: the stream ends before the footer, at a frame
	// boundary or inside a frame (a recorder that was killed or ran out of
	// disk). The whole segments before that point were returned.
	ErrIncomplete = errors.New("incomplete trace")
)

// castagnoli is the CRC-32C table for the header and footer checksums.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)
