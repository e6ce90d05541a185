// Package logfmt owns the rvsim trace file (trace.zst): its byte format,
// the encoding of recorded events, and the code that writes and reads it.
//
// A trace is a valid multi-frame zstd file: a header in a skippable frame,
// one zstd frame with a content checksum per segment of events (a segment
// is what the monitor drains from the ND buffer), and a footer in a
// skippable frame. zstd -t accepts it and zstd -dc prints the segments'
// payloads. A trace without its footer is incomplete (a recorder that was
// killed or ran out of disk) and readable up to its last whole segment.
// A Writer writes format version 4; a Reader reads versions 1 to 4.
//
// The files:
//   - format.go: magic numbers, the format version, the size limits and the
//     sentinel errors;
//   - event.go: Event (whose Kind is ndbuf.Kind), RegsHash, and the compact
//     delta encoding of events inside a segment, reads of cycle, time and
//     seed in runs, column by column (version 3 on);
//   - zstdframe.go: the frame walker, which finds where a frame ends in a
//     stream without decompressing it (RFC 8878);
//   - writer.go: Header, Footer and Writer; build.go: a segment built
//     piece by piece (Add, AddND for raw ND buffer entries, Flush);
//   - reader.go: Reader, which checks each frame completely before it
//     returns anything from it; batch.go: AppendEntries, which decodes a
//     segment straight into ND buffer entries; seek.go: Pos and Seek.
//
// docs/trace-format.md describes the byte format for other readers.
package logfmt
