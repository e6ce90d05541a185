package logfmt

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// frameWalker reads whole frames from a stream without decompressing them:
// it follows the zstd frame format (RFC 8878, section 3.1) far enough to
// know where each frame ends, so that exactly one frame can then be checked
// and decoded. Memory stays bounded: a frame is read only up to a limit,
// and its buffer grows as its bytes actually arrive.
type frameWalker struct {
	r   *bufio.Reader
	buf []byte // the frame being read, reused between frames
	at  int64  // file offset of the frame being read
}

// chunk is the most a walker reads at a time, so that a size field in a
// short damaged file cannot make it allocate much more than the file holds.
const chunk = 1 << 20

// need appends the next n bytes of the stream to w.buf and returns them.
// limit bounds the whole frame; field names what is being read, for errors.
func (w *frameWalker) need(n, limit int, field string) ([]byte, error) {
	start := len(w.buf)
	if n < 0 || n > limit-start {
		return nil, fmt.Errorf("%s at offset %d makes the frame larger than %d bytes: %w",
			field, w.at+int64(start), limit, ErrCorrupt)
	}
	for len(w.buf) < start+n {
		k := min(start+n-len(w.buf), chunk)
		l := len(w.buf)
		w.buf = append(w.buf, make([]byte, k)...)
		got, err := io.ReadFull(w.r, w.buf[l:])
		if err != nil {
			w.buf = w.buf[:l+got]
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("the file ends at offset %d, inside the %s that starts at offset %d: %w",
					w.at+int64(len(w.buf)), field, w.at+int64(start), ErrIncomplete)
			}
			return nil, fmt.Errorf("reading offset %d: %w: %w", w.at+int64(len(w.buf)), err, ErrIncomplete)
		}
	}
	return w.buf[start : start+n], nil
}

// magic returns the magic number of the frame being read, if its first 4
// bytes were read (a frame cut short after them names what it was).
func (w *frameWalker) magic() (uint32, bool) {
	if len(w.buf) < 4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(w.buf), true
}

// next reads the frame that starts at file offset at. It returns io.EOF
// if the stream ends cleanly before it; any other error wraps ErrCorrupt
// (the frame's structure is wrong) or ErrIncomplete (the stream ends or
// fails inside it), and names the offset of the problem. The returned
// slice is valid until the next call.
func (w *frameWalker) next(at int64) ([]byte, error) {
	w.buf, w.at = w.buf[:0], at
	if _, err := w.r.Peek(1); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("reading offset %d: %w: %w", at, err, ErrIncomplete)
	}
	m, err := w.need(4, 4, "magic number")
	if err != nil {
		return nil, err
	}
	magic := binary.LittleEndian.Uint32(m)
	if magic&skippableMask == skippableBase {
		s, err := w.need(4, 8, "skippable frame size")
		if err != nil {
			return nil, err
		}
		size := binary.LittleEndian.Uint32(s)
		if size > MaxMeta {
			return nil, fmt.Errorf("skippable frame size %d at offset %d exceeds %d: %w", size, at+4, MaxMeta, ErrCorrupt)
		}
		if _, err := w.need(int(size), 8+MaxMeta, "skippable frame payload"); err != nil {
			return nil, err
		}
		return w.buf, nil
	}
	if magic != magicZstd {
		return nil, fmt.Errorf("magic number %#08x at offset %d is neither a zstd frame nor a skippable frame: %w", magic, at, ErrCorrupt)
	}
	d, err := w.need(1, MaxFrame, "frame header")
	if err != nil {
		return nil, err
	}
	fhd := d[0]
	fcsFlag, single, checksum, dictFlag := fhd>>6, fhd&0x20 != 0, fhd&0x04 != 0, fhd&3
	if fhd&0x08 != 0 {
		return nil, fmt.Errorf("frame header descriptor %#02x at offset %d has its reserved bit set: %w", fhd, at+4, ErrCorrupt)
	}
	n := [4]int{0, 1, 2, 4}[dictFlag] + [4]int{0, 2, 4, 8}[fcsFlag]
	if !single {
		n++ // Window_Descriptor
	} else if fcsFlag == 0 {
		n++ // a single-segment frame always has Frame_Content_Size
	}
	if _, err := w.need(n, MaxFrame, "frame header"); err != nil {
		return nil, err
	}
	for {
		bat := at + int64(len(w.buf))
		h, err := w.need(3, MaxFrame, "block header")
		if err != nil {
			return nil, err
		}
		bh := uint32(h[0]) | uint32(h[1])<<8 | uint32(h[2])<<16
		last, typ, size := bh&1 != 0, bh>>1&3, int(bh>>3)
		if size > maxBlock {
			return nil, fmt.Errorf("block header at offset %d: block size %d exceeds %d: %w", bat, size, maxBlock, ErrCorrupt)
		}
		switch typ {
		case 0, 2: // Raw_Block, Compressed_Block: Block_Size bytes follow
		case 1: // RLE_Block: one byte, repeated Block_Size times
			size = 1
		default:
			return nil, fmt.Errorf("block header at offset %d: reserved block type: %w", bat, ErrCorrupt)
		}
		if _, err := w.need(size, MaxFrame, "block"); err != nil {
			return nil, err
		}
		if last {
			break
		}
	}
	if checksum {
		if _, err := w.need(4, MaxFrame, "content checksum"); err != nil {
			return nil, err
		}
	}
	return w.buf, nil
}

// zstdFlags returns the Content_Checksum flag and the Dictionary_ID flag
// of a zstd frame that next returned.
func zstdFlags(frame []byte) (checksum bool, dictFlag byte) {
	fhd := frame[4]
	return fhd&0x04 != 0, fhd & 3
}
