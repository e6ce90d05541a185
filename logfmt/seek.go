package logfmt

import (
	"errors"
	"fmt"
	"io"
)

// ErrNotSeekable is returned, wrapped with the trace's name, by Seek when
// the stream given to NewReader cannot seek: a pipe, a socket, a
// *bufio.Reader (whose own stream the Reader cannot reach), or any
// io.Reader that is not an io.ReadSeeker.
var ErrNotSeekable = errors.New("the trace is not a seekable file")

// Pos is a place in a trace between two frames, as Reader.Pos returns it:
// the file offset of the next frame, its index, the index of the next
// segment and the instruction count of the last event before it (which
// the next segment must not go below), and whether the footer has been
// read. The zero Pos is no place.
type Pos struct {
	off     int64
	frame   int
	segment uint64
	instret uint64
	done    bool
	valid   bool
}

// Segment returns the index of the segment that Next reads from p.
func (p Pos) Segment() uint64 { return p.segment }

// Offset returns the file offset of the frame that Next reads from p.
func (p Pos) Offset() int64 { return p.off }

// seeker returns r as an io.ReadSeeker and its current offset, where the
// trace starts, or nil if r cannot seek. An *os.File of a pipe is an
// io.Seeker whose Seek fails: it is found out here, before anything is
// read.
func seeker(r io.Reader) (io.ReadSeeker, int64) {
	rs, ok := r.(io.ReadSeeker)
	if !ok {
		return nil, 0
	}
	at, err := rs.Seek(0, io.SeekCurrent)
	if err != nil || at < 0 {
		return nil, 0
	}
	return rs, at
}

// Seekable reports whether Seek can work: the stream given to NewReader
// is an io.ReadSeeker that seeks (a regular file, a bytes.Reader).
func (r *Reader) Seekable() bool { return r.rs != nil }

// Pos returns where the next call of Next reads from. After an error it
// is the place of the frame that failed.
func (r *Reader) Pos() Pos {
	return Pos{off: r.off, frame: r.frame, segment: r.segment, instret: r.instret, done: r.done, valid: true}
}

// Seek moves the Reader to p, a Pos this Reader returned, backwards or
// forwards: Next then returns what it returned from p the first time, and
// makes the same checks (segment numbers in sequence, instruction counts
// that never go backwards). Seek clears an earlier error; a Pos at or
// after the footer makes Next return io.EOF again (Footer stays what was
// read). It needs the stream given to NewReader to seek; else it returns
// an error wrapping ErrNotSeekable and changes nothing.
func (r *Reader) Seek(p Pos) error {
	if r.rs == nil {
		return fmt.Errorf("trace %s: seek to offset %d: %w", r.name, p.off, ErrNotSeekable)
	}
	if !p.valid || p.off < 0 {
		return fmt.Errorf("trace %s: seek: not a position this reader returned", r.name)
	}
	if _, err := r.rs.Seek(r.base+p.off, io.SeekStart); err != nil {
		r.fw.r.Reset(r.rs)
		r.off, r.frame = p.off, p.frame
		return r.fail(p.off, "seek", fmt.Errorf("seeking to offset %d: %w: %w", p.off, err, ErrNotSeekable))
	}
	r.fw.r.Reset(r.rs)
	r.off, r.frame, r.segment, r.instret, r.done = p.off, p.frame, p.segment, p.instret, p.done
	r.err = nil
	return nil
}
