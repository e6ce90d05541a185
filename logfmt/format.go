package logfmt

import (
	"encoding/binary"
	"errors"
	"hash/crc32"

	"github.com/rvsim/rvsim/ndbuf"
)

// Format versions. Version is the one a Writer writes; a Reader reads
// every version from MinVersion to Version and refuses any other. The
// version is stored in the header and footer frames.
//
// Version 2 adds to every system call event the hash of the guest's
// integer registers at the ecall (Event.Regs, RegsHash); version 1 has no
// such field. Version 3 keeps the reads of cycle, time and seed in runs,
// field by field (runTag); versions 1 and 2 encode each on its own.
// Version 4 has version 3's bytes; it says that the monitor which
// recorded the trace placed large anonymous mappings with room above them
// (package vmm), a layout a replay must repeat, since the monitor answers
// mmap itself rather than from the trace.
const (
	Version    = 4
	MinVersion = 1
	// RegsVersion is the first version whose system call events carry
	// Event.Regs.
	RegsVersion = 2
	// RunsVersion is the first version whose payloads hold the reads of
	// cycle, time and seed in runs.
	RunsVersion = 3
	// RoomVersion is the first version recorded with room above large
	// anonymous mappings.
	RoomVersion = 4
)

// runTag opens a run of reads of cycle, time and seed in a payload of
// version RunsVersion or later: every maximal sequence of such events is
// one run, its kinds, then its instret deltas, its pc deltas and its
// values, each field of every event in a column of its own, so that the
// columns that repeat (the kinds, the deltas of a loop) compress to
// almost nothing.
const runTag = 0x80

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

// Limits that keep a damaged or hostile file from exhausting memory or
// time. They bound what a reader accepts to what the recorder can write,
// with margin: the recorder (vmm) ends a segment at 4,096 events or once
// its memory writes reach 1 MiB, and one event writes at most 1 MiB (read
// and getrandom are capped there, and readv in all). Its largest segment
// payload is then under 2 MiB of data plus at most 13 bytes of address and length per
// memory write (each of at least one byte, so at most 1 MiB + 1,024 of them)
// and 52 bytes per event: under 16 MiB. A Writer refuses a segment beyond any
// limit; a Reader reports one as corrupt before it allocates for it, and
// allocates for a segment at most about MaxFrame + MaxSegment + 80 bytes per
// event and 32 per memory write.
//
// There is no limit on the ratio of decompressed to compressed size: guest
// input can legitimately be all zeros (a read of /dev/zero compresses 1 MiB
// to a few dozen bytes), and the limits above already bound what a frame of
// any size decompresses to.
const (
	// MaxMeta is the largest payload of a header or footer frame.
	MaxMeta = 16 << 20
	// MaxSegment is the largest decompressed payload of a segment.
	MaxSegment = 16 << 20
	// MaxEvents is the most events in a segment (the recorder writes at
	// most 4,096).
	MaxEvents = 1 << 14
	// MaxWrites is the most memory writes, over all the events of a
	// segment (the recorder writes at most 1 MiB + 1,024).
	MaxWrites = 1 << 21
	// MaxFrame is the largest compressed segment frame: MaxSegment stored
	// in raw blocks of at least 1 KiB (3 bytes of block header each; the
	// writer's encoder stores incompressible data in blocks of 64 KiB),
	// plus the frame header and checksum.
	MaxFrame = MaxSegment + MaxSegment/1024*3 + 64
)

// MaxInstret is the highest instruction count an event of a trace has:
// 2^56 - 1, what the position of an ND buffer entry holds (ndbuf.PosMask),
// about 160 days of instructions at 5 GHz. A Writer refuses an event past
// it, and a Reader takes a segment that has one for corrupt.
const MaxInstret = ndbuf.PosMask

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

// StartLen is how many bytes StartsTrace looks at.
const StartLen = 8 + len(headerTag)

// StartsTrace reports whether b, the first StartLen bytes of a file, begin
// as every trace does: the header frame's magic number, its size, and the
// header's tag. It checks nothing else: a trace that is damaged further on
// still starts as one.
func StartsTrace(b []byte) bool {
	return len(b) >= StartLen && binary.LittleEndian.Uint32(b) == magicHeader && string(b[8:StartLen]) == headerTag
}
