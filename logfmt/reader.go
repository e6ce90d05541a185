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
	"reflect"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Reader reads a trace from a stream, frame by frame, with bounded memory.
// It checks each frame completely (CRC-32C of the header and footer, the
// zstd structure and content checksum of a segment, the segment's sequence
// number and event encoding, instruction counts that never go backwards)
// before it returns anything from it. After the first error every call
// returns that error again.
type Reader struct {
	name    string
	fw      frameWalker
	dec     *zstd.Decoder
	header  Header
	footer  Footer
	version int    // format version of the trace
	done    bool   // the footer has been read
	off     int64  // file offset of the next frame
	frame   int    // index of the next frame (the header is frame 0)
	segment uint64 // index of the next segment
	instret uint64 // instret of the last event returned
	payload []byte // decompressed payload of the last segment, reused
	events  []Event
	d       decoder
	err     error // sticky

	rs   io.ReadSeeker // the stream under fw's bufio.Reader, if it can seek (seek.go); else nil
	base int64         // rs's offset where the trace starts
}

// NewReader reads and checks the header frame of the trace in r. name
// (usually the file's path) opens every error message. r is read through a
// bufio.Reader (r itself if it is one); the Reader reads nothing beyond the
// frame it is asked for, except to check that nothing follows the footer.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	tr := &Reader{name: name, fw: frameWalker{r: br}}
	if !ok {
		tr.rs, tr.base = seeker(r)
	}
	// Look at the magic number first: a file that does not open with the
	// header frame is not a trace at all.
	m, err := br.Peek(4)
	switch {
	case err == nil:
	case err != io.EOF:
		return nil, tr.fail(0, "header", fmt.Errorf("reading offset 0: %w: %w", err, ErrNotTrace))
	case len(m) == 0:
		return nil, tr.fail(0, "header", fmt.Errorf("the file is empty: %w", ErrIncomplete))
	default:
		var want [4]byte
		binary.LittleEndian.PutUint32(want[:], magicHeader)
		if bytes.HasPrefix(want[:], m) {
			return nil, tr.fail(0, "header", fmt.Errorf("the file ends at offset %d, inside the header's magic number: %w", len(m), ErrIncomplete))
		}
		return nil, tr.fail(0, "header", fmt.Errorf("the file is %d bytes long and does not start with an rvsim header: %w", len(m), ErrNotTrace))
	}
	if magic := binary.LittleEndian.Uint32(m); magic != magicHeader {
		what := fmt.Sprintf("magic number %#08x", magic)
		if magic == magicZstd {
			what = "a zstd frame"
		}
		return nil, tr.fail(0, "header", fmt.Errorf("the file starts with %s, not an rvsim header frame (magic %#08x): %w", what, uint32(magicHeader), ErrNotTrace))
	}
	f, err := tr.fw.next(0)
	if err != nil {
		return nil, tr.fail(0, "header", err)
	}
	if err := tr.meta(0, f, headerTag, &tr.header); err != nil {
		return nil, tr.fail(0, "header", err)
	}
	if tr.header.Version != tr.version {
		return nil, tr.fail(0, "header", fmt.Errorf("the header's JSON gives version %d, its frame %d: %w", tr.header.Version, tr.version, ErrCorrupt))
	}
	tr.d.version = tr.version
	// Segments are at most MaxSegment bytes decompressed; a single-segment
	// frame's window is its whole content.
	tr.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(MaxSegment), zstd.WithDecoderMaxWindow(MaxSegment))
	if err != nil {
		return nil, tr.fail(0, "header", fmt.Errorf("zstd decoder: %w: %w", err, ErrIncomplete))
	}
	tr.advance(len(f))
	return tr, nil
}

func (r *Reader) advance(n int) {
	r.off += int64(n)
	r.frame++
}

// fail wraps err with the file, the frame and the offset where the frame
// starts, and makes it sticky.
func (r *Reader) fail(at int64, what string, err error) error {
	r.err = fmt.Errorf("trace %s: frame %d (%s) at offset %d: %w", r.name, r.frame, what, at, err)
	return r.err
}

// meta checks a header or footer frame that starts at file offset at and
// decodes its JSON into v. Payload: tag, 4-byte version, JSON, CRC-32C.
func (r *Reader) meta(at int64, f []byte, tag string, v any) error {
	p := f[8:]
	if len(p) < len(tag)+4+2+4 || string(p[:len(tag)]) != tag {
		if tag == headerTag {
			return fmt.Errorf("the skippable frame at offset %d does not hold an %s payload: %w", at, tag, ErrNotTrace)
		}
		return fmt.Errorf("the footer frame's payload at offset %d does not start with %s: %w", at+8, tag, ErrCorrupt)
	}
	body := p[:len(p)-4]
	want := binary.LittleEndian.Uint32(p[len(p)-4:])
	sumOK := crc32.Checksum(body, castagnoli) == want
	ver := binary.LittleEndian.Uint32(body[len(tag):])
	verAt := at + 8 + int64(len(tag))
	switch {
	case tag == footerTag && ver != uint32(r.version):
		return fmt.Errorf("the footer gives format version %d at offset %d, the header %d: %w", ver, verAt, r.version, ErrCorrupt)
	case tag == headerTag && (ver < MinVersion || ver > Version):
		damaged := ""
		if !sumOK {
			damaged = " (and the frame's CRC-32C does not match: it may be damaged)"
		}
		return fmt.Errorf("format version %d at offset %d, this reader reads versions %d to %d%s: %w", ver, verAt, MinVersion, Version, damaged, ErrVersion)
	}
	if !sumOK {
		return fmt.Errorf("%s CRC-32C mismatch (checksum at offset %d): %w", tag, at+int64(len(f))-4, ErrCorrupt)
	}
	if tag == headerTag {
		r.version = int(ver)
	}
	js := body[len(tag)+4:]
	if t := bytes.TrimLeft(js, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("%s metadata at offset %d is not a JSON object: %w", tag, at+8+int64(len(tag))+4, ErrCorrupt)
	}
	if err := checkKeys(js, v); err != nil {
		return fmt.Errorf("%s metadata at offset %d: %v: %w", tag, at+8+int64(len(tag))+4, err, ErrCorrupt)
	}
	if err := json.Unmarshal(js, v); err != nil {
		return fmt.Errorf("%s metadata at offset %d: %v: %w", tag, at+8+int64(len(tag))+4, err, ErrCorrupt)
	}
	return nil
}

// Header returns the trace header.
func (r *Reader) Header() Header { return r.header }

// Version returns the trace's format version, from MinVersion to Version.
func (r *Reader) Version() int { return r.version }

// HasRegs reports whether the trace's system call events carry the hash of
// the registers at the ecall (Event.Regs): format version RegsVersion and
// later. In an older trace every Event.Regs is 0 and means nothing.
func (r *Reader) HasRegs() bool { return r.version >= RegsVersion }

// Footer returns the footer and true once Next has returned io.EOF; before
// that, or for an incomplete trace, it returns false.
func (r *Reader) Footer() (Footer, bool) { return r.footer, r.done }

// Offset returns the file offset of the next frame: after an error, the
// offset of the frame that failed; after the footer, the file's size.
func (r *Reader) Offset() int64 { return r.off }

// Segment returns the index of the next segment, which is also the number
// of segments returned so far.
func (r *Reader) Segment() uint64 { return r.segment }

// Next returns the events of the next segment. After the last segment it
// reads the footer and returns io.EOF. A trace that ends without a footer
// returns an error wrapping ErrIncomplete; one with a damaged or misplaced
// frame (or any byte after the footer), an error wrapping ErrCorrupt.
// Nothing from a frame that fails a check is returned. The returned slice,
// and the Data of its memory writes, are valid until the next call.
func (r *Reader) Next() ([]Event, error) {
	payload, at, n, err := r.nextPayload()
	if err != nil {
		return nil, err
	}
	seq, evs, err := r.d.segment(payload, r.events)
	if err != nil {
		return nil, r.fail(at, r.segmentName(), fmt.Errorf("decompressed payload: %v: %w", err, ErrCorrupt))
	}
	r.events = evs
	if err := r.endSegment(at, n, seq, evs[0].Instret, evs[len(evs)-1].Instret); err != nil {
		return nil, err
	}
	return evs, nil
}

func (r *Reader) segmentName() string { return fmt.Sprintf("segment %d", r.segment) }

// nextPayload reads the next segment frame, checks and decompresses it,
// and returns its payload (in r.payload), its offset and its length in
// the file. At the footer it reads it and returns io.EOF.
func (r *Reader) nextPayload() ([]byte, int64, int, error) {
	if r.err != nil {
		return nil, 0, 0, r.err
	}
	if r.done {
		return nil, 0, 0, io.EOF
	}
	at := r.off
	f, err := r.fw.next(at)
	switch {
	case err == io.EOF:
		return nil, 0, 0, r.fail(at, r.segmentName(), fmt.Errorf("the file ends after %d whole segments, without a footer: %w", r.segment, ErrIncomplete))
	case err != nil:
		what := r.segmentName()
		if m, ok := r.fw.magic(); ok && m == magicFooter {
			what = "footer" // cut or damaged inside the footer
		}
		return nil, 0, 0, r.fail(at, what, err)
	}
	switch magic := binary.LittleEndian.Uint32(f); magic {
	case magicZstd:
	case magicFooter:
		return nil, 0, 0, r.readFooter(at, f)
	case magicHeader:
		return nil, 0, 0, r.fail(at, r.segmentName(), fmt.Errorf("a second header frame: %w", ErrCorrupt))
	default:
		return nil, 0, 0, r.fail(at, r.segmentName(), fmt.Errorf("a skippable frame with magic number %#08x where a segment or the footer belongs: %w", magic, ErrCorrupt))
	}
	switch checksum, dict := zstdFlags(f); {
	case !checksum:
		return nil, 0, 0, r.fail(at, r.segmentName(), fmt.Errorf("frame header descriptor at offset %d: the segment frame has no content checksum: %w", at+4, ErrCorrupt))
	case dict != 0:
		return nil, 0, 0, r.fail(at, r.segmentName(), fmt.Errorf("frame header descriptor at offset %d: the segment frame names a dictionary: %w", at+4, ErrCorrupt))
	}
	payload, err := r.dec.DecodeAll(f, r.payload[:0])
	if cap(payload) > cap(r.payload) {
		r.payload = payload[:0]
	}
	if err != nil {
		msg := "zstd: " + err.Error()
		if errors.Is(err, zstd.ErrCRCMismatch) {
			msg = fmt.Sprintf("zstd content checksum mismatch (checksum at offset %d)", at+int64(len(f))-4)
		}
		return nil, 0, 0, r.fail(at, r.segmentName(), fmt.Errorf("%s, in the frame's %d bytes: %w", msg, len(f), ErrCorrupt))
	}
	if len(payload) > MaxSegment {
		return nil, 0, 0, r.fail(at, r.segmentName(), fmt.Errorf("the segment decompresses to %d bytes, more than %d: %w", len(payload), MaxSegment, ErrCorrupt))
	}
	return payload, at, len(f), nil
}

// endSegment checks the sequence number and the first and last
// instruction counts of the segment decoded from the frame at offset at,
// n bytes long, and moves past it.
func (r *Reader) endSegment(at int64, n int, seq, first, last uint64) error {
	if seq != r.segment {
		return r.fail(at, r.segmentName(), fmt.Errorf("the frame holds segment number %d: %w", seq, ErrCorrupt))
	}
	if first < r.instret {
		return r.fail(at, r.segmentName(), fmt.Errorf("its first event at instruction %d comes before the previous segment's last at %d: %w", first, r.instret, ErrCorrupt))
	}
	r.instret = last
	r.segment++
	r.advance(n)
	return nil
}

// readFooter checks the footer frame f at offset at and that nothing
// follows it.
func (r *Reader) readFooter(at int64, f []byte) error {
	var ft Footer
	if err := r.meta(at, f, footerTag, &ft); err != nil {
		return r.fail(at, "footer", err)
	}
	if ft.Segments != r.segment {
		return r.fail(at, "footer", fmt.Errorf("the footer counts %d segments, the file holds %d: %w", ft.Segments, r.segment, ErrCorrupt))
	}
	if ft.Instret < r.instret {
		return r.fail(at, "footer", fmt.Errorf("the footer ends the run at instruction %d, before the last event at %d: %w", ft.Instret, r.instret, ErrCorrupt))
	}
	end := at + int64(len(f))
	switch b, err := r.fw.r.Peek(1); {
	case len(b) > 0:
		return r.fail(at, "footer", fmt.Errorf("bytes follow the footer at offset %d: %w", end, ErrCorrupt))
	case err != io.EOF:
		return r.fail(at, "footer", fmt.Errorf("reading offset %d: %w: %w", end, err, ErrIncomplete))
	}
	r.footer = ft
	r.advance(len(f))
	r.done = true
	return io.EOF
}

// checkKeys refuses a header or footer object that other JSON readers
// would read differently from Go's: encoding/json matches keys without
// regard to case and lets the last of two equal keys win, where most
// readers take keys exactly (and some the first). So every top-level key
// must be unique, even ignoring case, and a key that matches one of v's
// fields ignoring case must be spelt exactly as the field's. Unknown keys
// are still ignored.
func checkKeys(js []byte, v any) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(js, &obj); err != nil {
		return err
	}
	fields := map[string]string{}
	t := reflect.TypeOf(v).Elem()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[strings.ToLower(name)] = name
		}
	}
	seen := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(js))
	if _, err := dec.Token(); err != nil { // {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		low := strings.ToLower(key)
		if prev, dup := seen[low]; dup {
			return fmt.Errorf("the key %q appears twice (as %q before)", key, prev)
		}
		seen[low] = key
		if want, ok := fields[low]; ok && want != key {
			return fmt.Errorf("the key %q is spelt %q", want, key)
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return nil
}
