package logfmt

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/zstd"
)

// Header is the metadata at the start of a trace (the JSON of the header
// frame).
type Header struct {
	Version      int      `json:"version"`           // format version; NewWriter sets it to Version
	RvsimVersion string   `json:"rvsim_version"`     // version of the rvsim that recorded the trace
	ELF          string   `json:"elf"`               // path as given
	ELFAbs       string   `json:"elf_abs,omitempty"` // absolute path, from the recording's working directory
	ELFSHA256    string   `json:"elf_sha256"`        // hex
	Args         []string `json:"args"`              // program arguments
	Env          []string `json:"env"`               // program environment
	ISA          string   `json:"isa"`               // e.g. "rv64im_zicsr_zifencei_zicntr_zkr_xndrr"
	Kind         string   `json:"kind"`              // "linux" or "bare-metal"
	MemSize      uint64   `json:"mem_size"`          // guest memory in bytes
	NDBuffer     uint64   `json:"nd_buffer"`         // ND buffer capacity in entries
	Created      string   `json:"created"`           // RFC 3339
}

// Footer is the metadata at the end of a complete trace (the JSON of the
// footer frame).
type Footer struct {
	Instret  uint64            `json:"instret"`  // instructions retired by the recorded run
	Segments uint64            `json:"segments"` // segment frames in the file; Close sets it
	Events   map[string]uint64 `json:"events"`   // by kind name
	Exits    map[string]uint64 `json:"exits"`    // by cause name
	Status   int               `json:"status"`   // guest exit status
	Reason   string            `json:"reason"`   // "exit", "fault", "limit", "interrupted", ...
	Digest   string            `json:"digest"`   // hex SHA-256 of the final machine state
}

// maxWindow is the encoder's largest window: segments up to this size are
// written as single-segment frames whose window is their content size, so
// that neither side needs more memory than one segment.
const maxWindow = 1 << 20

// Writer writes a trace: the header frame at once (NewWriter) or when it
// is let go (NewHeldWriter), then one zstd frame per segment as it is
// given, then the footer frame. Each frame is written with
// one Write call as soon as it is complete; nothing is buffered beyond the
// segment being written. After a failed write every call fails, so that a
// partial frame is never followed by more frames.
type Writer struct {
	w        io.Writer
	enc      *zstd.Encoder
	e        encoder // WriteSegment's
	b        encoder // the segment being built (Add, AddND, Flush)
	n        int     // events in the segment being built
	frame    []byte
	bytes    uint64
	segments uint64
	instret  uint64 // instret of the last event written
	closed   bool
	err      error  // sticky write error
	head     []byte // the header frame, held until WriteHeader or the next frame (NewHeldWriter)
}

// NewWriter writes the header frame of a trace to w and returns a Writer
// for the segments and the footer. h.Version is set to Version.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	tw, err := NewHeldWriter(w, h)
	if err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(); err != nil {
		return nil, err
	}
	return tw, nil
}

// headerFrame names the header frame in errors.
const headerFrame = "header (frame 0)"

// NewHeldWriter is NewWriter that writes nothing yet: it checks and
// encodes the header frame, and holds it until WriteHeader, or the first
// other frame, writes it. A recorder that may still fail to start writes
// nothing to its output until it has started; Abandon drops the header.
func NewHeldWriter(w io.Writer, h Header) (*Writer, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(true), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(maxWindow), zstd.WithLowerEncoderMem(true))
	if err != nil {
		return nil, fmt.Errorf("trace header: zstd encoder: %w", err)
	}
	tw := &Writer{w: w, enc: enc}
	h.Version = Version
	if tw.head, err = tw.metaFrame(magicHeader, headerTag, h, headerFrame); err != nil {
		return nil, err
	}
	return tw, nil
}

// WriteHeader writes the header frame a NewHeldWriter holds; it does
// nothing if the header is written.
func (w *Writer) WriteHeader() error {
	if w.head == nil {
		return w.err
	}
	p := w.head
	w.head = nil
	return w.write(p, headerFrame)
}

// errAbandoned is the sticky error of an abandoned Writer.
var errAbandoned = errors.New("the trace was abandoned before its header was written")

// Abandon makes a Writer whose header is held write nothing ever: every
// later call fails. A Writer whose header is written is left as it is.
func (w *Writer) Abandon() {
	if w.head != nil {
		w.head = nil
		w.err = errAbandoned
	}
}

// meta writes a skippable frame: magic, size, then the payload: tag,
// version, JSON, CRC-32C of the payload before it. what names the frame
// for errors.
func (w *Writer) meta(magic uint32, tag string, v any, what string) error {
	p, err := w.metaFrame(magic, tag, v, what)
	if err != nil {
		return err
	}
	return w.write(p, what)
}

// metaFrame encodes the skippable frame that meta writes.
func (w *Writer) metaFrame(magic uint32, tag string, v any, what string) ([]byte, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", what, err)
	}
	size := len(tag) + 4 + len(js) + 4
	if size > MaxMeta {
		return nil, fmt.Errorf("trace %s: %d bytes of metadata exceed the limit of %d", what, size, MaxMeta)
	}
	p := make([]byte, 0, 8+size)
	p = binary.LittleEndian.AppendUint32(p, magic)
	p = binary.LittleEndian.AppendUint32(p, uint32(size))
	p = append(p, tag...)
	p = binary.LittleEndian.AppendUint32(p, Version)
	p = append(p, js...)
	p = binary.LittleEndian.AppendUint32(p, crc32.Checksum(p[8:], castagnoli))
	return p, nil
}

// write writes one whole frame, which what names for errors (e.g. "segment
// 2 (frame 3)"); a failure is sticky. The error says which frame could not
// be written, at which offset, how much of it was, and why.
func (w *Writer) write(p []byte, what string) error {
	if w.head != nil {
		if err := w.WriteHeader(); err != nil {
			return err
		}
	}
	if w.err != nil {
		return w.err
	}
	n, err := w.w.Write(p)
	w.bytes += uint64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		part := ""
		if n > 0 {
			part = fmt.Sprintf(" (%d of its %d bytes written)", n, len(p))
		}
		w.err = fmt.Errorf("writing trace %s at offset %d%s: %w", what, w.bytes-uint64(n), part, err)
	}
	return w.err
}

var errClosed = errors.New("the trace writer is closed")

// WriteSegment encodes events as the next segment and writes it at once as
// one zstd frame with a content checksum. An empty slice writes nothing.
// It refuses events that would not read back identically (an unknown kind,
// Nr or Regs on a kind other than KindSyscall, Writes on a kind other than
// KindSyscall or KindInput), an instruction count lower than the previous
// event's, and a segment beyond the limits (more than MaxEvents events or
// MaxWrites memory writes, a payload larger than MaxSegment); nothing is
// written then. A segment being built (Add, AddND) is written first.
// The Writer keeps no reference to events.
func (w *Writer) WriteSegment(events []Event) error {
	if err := w.Flush(); err != nil {
		return err
	}
	switch {
	case w.closed:
		return fmt.Errorf("trace segment %d: %w", w.segments, errClosed)
	case w.err != nil:
		return w.err
	case len(events) == 0:
		return nil
	case len(events) > MaxEvents:
		return fmt.Errorf("trace segment %d: %d events, more than %d (the limit)", w.segments, len(events), MaxEvents)
	}
	w.e.reset(w.segments, len(events))
	for i := range events {
		if i == 0 && events[0].Instret < w.instret {
			return fmt.Errorf("trace segment %d: event 0 at instruction %d comes after the previous segment's last at %d",
				w.segments, events[0].Instret, w.instret)
		}
		if err := w.e.event(&events[i]); err != nil {
			return fmt.Errorf("trace segment %d: event %d: %w", w.segments, i, err)
		}
		if w.e.size() > MaxSegment {
			return fmt.Errorf("trace segment %d: more than %d bytes (the limit) at event %d of %d", w.segments, MaxSegment, i, len(events))
		}
	}
	return w.emit(w.e.payload(), events[len(events)-1].Instret, &w.e)
}

// emit compresses payload, the whole payload of the next segment whose
// last event is at instruction last, and writes it as one frame. e is
// the encoder that holds payload, whose buffer goes if it grew unusually
// large.
func (w *Writer) emit(payload []byte, last uint64, e *encoder) error {
	w.frame = w.enc.EncodeAll(payload, w.frame[:0])
	if len(w.frame) > MaxFrame {
		return fmt.Errorf("trace segment %d: a frame of %d bytes exceeds the limit of %d", w.segments, len(w.frame), MaxFrame)
	}
	if err := w.write(w.frame, fmt.Sprintf("segment %d (frame %d)", w.segments, w.segments+1)); err != nil {
		return err
	}
	w.instret = last
	w.segments++
	if cap(e.buf) > 4*maxWindow {
		e.buf, w.frame = nil, nil // let an unusually large segment's buffers go
	}
	return nil
}

// Close writes the segment being built, if any, then the footer frame,
// with f.Segments set to the number of segments written. f.Instret must not be lower than the last event's
// instruction count. It does not close the underlying writer. A second
// Close does nothing more and returns the first one's write error, if any.
func (w *Writer) Close(f Footer) error {
	if w.closed {
		return w.err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if f.Instret < w.instret {
		return fmt.Errorf("trace footer: the run ends at instruction %d, before the last event at %d", f.Instret, w.instret)
	}
	w.closed = true
	f.Segments = w.segments
	if err := w.meta(magicFooter, footerTag, f, fmt.Sprintf("footer (frame %d)", w.segments+1)); err != nil {
		return err
	}
	return nil
}

// Bytes returns the number of bytes written so far.
func (w *Writer) Bytes() uint64 { return w.bytes }

// Segments returns the number of segments written so far.
func (w *Writer) Segments() uint64 { return w.segments }
