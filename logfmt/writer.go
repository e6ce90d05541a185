package logfmt

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/zstd"
)

// Header is the metadata at the start of a trace.
type Header struct {
	Version      int      `json:"version"`
	RvsimVersion string   `json:"rvsim_version"`
	ELF          string   `json:"elf"`        // path as given
	ELFSHA256    string   `json:"elf_sha256"` // hex
	Args         []string `json:"args"`
	Env          []string `json:"env"`
	ISA          string   `json:"isa"`
	Kind         string   `json:"kind"` // "linux" or "bare-metal"
	MemSize      uint64   `json:"mem_size"`
	NDBuffer     uint64   `json:"nd_buffer"` // entries
	Created      string   `json:"created"`   // RFC 3339
}

// Footer is the metadata at the end of a complete trace.
type Footer struct {
	Instret  uint64            `json:"instret"`
	Segments uint64            `json:"segments"`
	Events   map[string]uint64 `json:"events"` // by kind name
	Exits    map[string]uint64 `json:"exits"`  // by cause name
	Status   int               `json:"status"` // guest exit status
	Reason   string            `json:"reason"` // "exit", "fault", "limit", "interrupted", ...
	Digest   string            `json:"digest"` // hex SHA-256 of the final machine state
}

// Writer writes a trace: the header at once, then one zstd frame per
// segment as it is given, then the footer. It holds no more than one
// segment in memory.
type Writer struct {
	w        io.Writer
	enc      *zstd.Encoder
	e        encoder
	frame    []byte
	bytes    uint64
	segments uint64
	closed   bool
}

// NewWriter writes the header frame to w and returns a Writer for the rest.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(true), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithWindowSize(1<<20))
	if err != nil {
		return nil, err
	}
	tw := &Writer{w: w, enc: enc}
	h.Version = Version
	if err := tw.meta(magicHeader, headerTag, h); err != nil {
		return nil, fmt.Errorf("trace header: %w", err)
	}
	return tw, nil
}

// meta writes a skippable frame: tag, version, JSON, CRC-32C.
func (w *Writer) meta(magic uint32, tag string, v any) error {
	js, err := json.Marshal(v)
	if err != nil {
		return err
	}
	p := make([]byte, 0, 8+len(tag)+4+len(js)+4)
	p = binary.LittleEndian.AppendUint32(p, magic)
	p = binary.LittleEndian.AppendUint32(p, uint32(len(tag)+4+len(js)+4))
	p = append(p, tag...)
	p = binary.LittleEndian.AppendUint32(p, Version)
	p = append(p, js...)
	p = binary.LittleEndian.AppendUint32(p, crc32.Checksum(p[8:], castagnoli))
	if len(p)-8 > MaxMeta {
		return fmt.Errorf("metadata of %d bytes exceeds %d", len(p)-8, MaxMeta)
	}
	return w.write(p)
}

func (w *Writer) write(p []byte) error {
	n, err := w.w.Write(p)
	w.bytes += uint64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return err
}

// WriteSegment encodes events as the next segment and writes it as one zstd
// frame with a content checksum.
func (w *Writer) WriteSegment(events []Event) error {
	if w.closed {
		return fmt.Errorf("trace segment %d: writer is closed", w.segments)
	}
	if len(events) == 0 {
		return nil
	}
	w.e.reset(w.segments, len(events))
	for i := range events {
		if err := w.e.event(&events[i]); err != nil {
			return fmt.Errorf("trace segment %d: event %d: %w", w.segments, i, err)
		}
	}
	if len(w.e.buf) > MaxSegment {
		return fmt.Errorf("trace segment %d: %d bytes exceed the segment limit of %d", w.segments, len(w.e.buf), MaxSegment)
	}
	w.frame = w.enc.EncodeAll(w.e.buf, w.frame[:0])
	if err := w.write(w.frame); err != nil {
		return err
	}
	w.segments++
	return nil
}

// Close writes the footer (its Segments field is filled in here).
func (w *Writer) Close(f Footer) error {
	if w.closed {
		return nil
	}
	w.closed = true
	f.Segments = w.segments
	return w.meta(magicFooter, footerTag, f)
}

// Bytes returns how many bytes have been written.
func (w *Writer) Bytes() uint64 { return w.bytes }

// Segments returns how many segments have been written.
func (w *Writer) Segments() uint64 { return w.segments }
