package logfmt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/zstd"
)

// Reader reads a trace frame by frame. It checks every frame (CRC-32C of
// the metadata frames, zstd content checksums, segment sequence numbers,
// the event encoding) before it returns anything from it.
type Reader struct {
	name    string
	r       *bufio.Reader
	dec     *zstd.Decoder
	header  Header
	footer  Footer
	done    bool  // the footer has been read
	off     int64 // offset of the next frame
	frame   int   // index of the next frame
	segment uint64
	instret uint64
	buf     []byte
	d       decoder
	err     error // sticky
}

// NewReader reads and checks the header of the trace r; name is used in
// errors.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<16)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(MaxSegment), zstd.WithDecoderMaxWindow(MaxSegment))
	if err != nil {
		return nil, err
	}
	tr := &Reader{name: name, r: br, dec: dec}
	f, err := readFrame(br, nil)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("trace %s: empty file: %w", name, ErrNotTrace)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, tr.fail(0, fmt.Errorf("the file ends inside the header frame: %w", ErrIncomplete))
		}
		return nil, fmt.Errorf("trace %s: offset 0: %v: %w", name, err, ErrNotTrace)
	}
	if binary.LittleEndian.Uint32(f) != magicHeader {
		return nil, fmt.Errorf("trace %s: offset 0: the first frame is not an rvsim header: %w", name, ErrNotTrace)
	}
	if err := tr.meta(f, headerTag, &tr.header); err != nil {
		return nil, tr.fail(0, err)
	}
	tr.advance(len(f))
	return tr, nil
}

func (r *Reader) advance(n int) {
	r.off += int64(n)
	r.frame++
}

// fail wraps err with the place it happened and makes it sticky.
func (r *Reader) fail(at int64, err error) error {
	r.err = fmt.Errorf("trace %s: frame %d (segment %d) at offset %d: %w", r.name, r.frame, r.segment, at, err)
	return r.err
}

// meta checks a header or footer frame and decodes its JSON into v.
func (r *Reader) meta(f []byte, tag string, v any) error {
	p := f[8:]
	if len(p) < len(tag)+8 || string(p[:len(tag)]) != tag {
		if tag == headerTag {
			return fmt.Errorf("no %s tag: %w", tag, ErrNotTrace)
		}
		return fmt.Errorf("no %s tag: %w", tag, ErrCorrupt)
	}
	body, sum := p[:len(p)-4], binary.LittleEndian.Uint32(p[len(p)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return fmt.Errorf("%s checksum mismatch: %w", tag, ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(body[len(tag):]); v != Version {
		return fmt.Errorf("format version %d, this rvsim reads %d: %w", v, Version, ErrVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(body[len(tag)+4:]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s metadata: %v: %w", tag, err, ErrCorrupt)
	}
	return nil
}

// Header returns the trace header.
func (r *Reader) Header() Header { return r.header }

// Footer returns the footer; it is valid once Next has returned io.EOF.
func (r *Reader) Footer() (Footer, bool) { return r.footer, r.done }

// Offset returns the file offset of the next frame.
func (r *Reader) Offset() int64 { return r.off }

// Segment returns the index of the next segment.
func (r *Reader) Segment() uint64 { return r.segment }

// Next returns the events of the next segment. After the last segment it
// reads the footer and returns io.EOF. A trace that ends without a footer
// returns an error wrapping ErrIncomplete; a damaged one, ErrCorrupt. The
// returned slice is valid until the next call.
func (r *Reader) Next() ([]Event, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.done {
		return nil, io.EOF
	}
	at := r.off
	f, err := readFrame(r.r, r.buf)
	switch {
	case errors.Is(err, io.EOF):
		return nil, r.fail(at, fmt.Errorf("the file ends after %d whole segments, without a footer: %w", r.segment, ErrIncomplete))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, r.fail(at, fmt.Errorf("the file ends inside this frame, after %d whole segments: %w", r.segment, ErrIncomplete))
	case err != nil:
		return nil, r.fail(at, fmt.Errorf("%v: %w", err, ErrCorrupt))
	}
	r.buf = f
	switch magic := binary.LittleEndian.Uint32(f); magic {
	case magicFooter:
		if err := r.meta(f, footerTag, &r.footer); err != nil {
			return nil, r.fail(at, err)
		}
		if r.footer.Segments != r.segment {
			return nil, r.fail(at, fmt.Errorf("footer counts %d segments, the file holds %d: %w", r.footer.Segments, r.segment, ErrCorrupt))
		}
		if r.footer.Instret < r.instret {
			return nil, r.fail(at, fmt.Errorf("footer ends at instruction %d, before the last event at %d: %w", r.footer.Instret, r.instret, ErrCorrupt))
		}
		r.advance(len(f))
		if _, err := r.r.Peek(1); err != io.EOF {
			return nil, r.fail(r.off, fmt.Errorf("bytes follow the footer: %w", ErrCorrupt))
		}
		r.done = true
		return nil, io.EOF
	case magicZstd:
	default:
		return nil, r.fail(at, fmt.Errorf("unexpected frame (magic %#08x) where a segment or the footer belongs: %w", magic, ErrCorrupt))
	}
	if checksum, dict := zstdFlags(f); !checksum || dict {
		return nil, r.fail(at, fmt.Errorf("segment frame without content checksum or with a dictionary: %w", ErrCorrupt))
	}
	payload, err := r.dec.DecodeAll(f, nil)
	if err != nil {
		return nil, r.fail(at, fmt.Errorf("zstd: %v: %w", err, ErrCorrupt))
	}
	seq, evs, err := r.d.segment(payload, nil)
	if err != nil {
		return nil, r.fail(at, fmt.Errorf("segment payload: %v: %w", err, ErrCorrupt))
	}
	if seq != r.segment {
		return nil, r.fail(at, fmt.Errorf("segment number %d where %d belongs: %w", seq, r.segment, ErrCorrupt))
	}
	if evs[0].Instret < r.instret {
		return nil, r.fail(at, fmt.Errorf("first event at instruction %d comes before the previous segment's last at %d: %w", evs[0].Instret, r.instret, ErrCorrupt))
	}
	r.instret = evs[len(evs)-1].Instret
	r.segment++
	r.advance(len(f))
	r.buf = nil // events alias the payload, not the frame; the frame buffer is free
	return evs, nil
}
