package logfmt

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// readFrame reads one whole frame (zstd or skippable) from r into buf and
// returns it. A stream that ends cleanly before the frame returns io.EOF;
// one that ends inside it returns io.ErrUnexpectedEOF. It finds the end of
// a zstd frame from its header and block headers (RFC 8878, section 3.1.1)
// without decompressing it.
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	buf = buf[:0]
	need := func(n int) ([]byte, error) {
		if len(buf)+n > MaxSegment+1024 {
			return nil, fmt.Errorf("frame is larger than %d bytes", MaxSegment)
		}
		start := len(buf)
		buf = append(buf, make([]byte, n)...)
		if _, err := io.ReadFull(r, buf[start:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return buf[start:], nil
	}
	if _, err := r.Peek(1); err == io.EOF {
		return nil, io.EOF
	}
	m, err := need(4)
	if err != nil {
		return nil, err
	}
	magic := binary.LittleEndian.Uint32(m)
	if magic&skipMask == skipBase {
		s, err := need(4)
		if err != nil {
			return nil, err
		}
		size := binary.LittleEndian.Uint32(s)
		if size > MaxMeta {
			return nil, fmt.Errorf("skippable frame of %d bytes exceeds %d", size, MaxMeta)
		}
		if _, err := need(int(size)); err != nil {
			return nil, err
		}
		return buf, nil
	}
	if magic != magicZstd {
		return nil, fmt.Errorf("magic %#08x is neither a zstd nor a skippable frame", magic)
	}
	d, err := need(1)
	if err != nil {
		return nil, err
	}
	fhd := d[0]
	fcsFlag, single, checksum, dictFlag := fhd>>6, fhd>>5&1 == 1, fhd>>2&1 == 1, fhd&3
	if fhd>>3&1 != 0 {
		return nil, errors.New("zstd frame header has its reserved bit set")
	}
	n := 0
	if !single {
		n++ // window descriptor
	}
	n += []int{0, 1, 2, 4}[dictFlag]
	switch fcsFlag {
	case 0:
		if single {
			n++
		}
	case 1:
		n += 2
	case 2:
		n += 4
	case 3:
		n += 8
	}
	if _, err := need(n); err != nil {
		return nil, err
	}
	for {
		h, err := need(3)
		if err != nil {
			return nil, err
		}
		bh := uint32(h[0]) | uint32(h[1])<<8 | uint32(h[2])<<16
		last, typ, size := bh&1 == 1, bh>>1&3, int(bh>>3)
		switch typ {
		case 0, 2: // raw, compressed
		case 1: // RLE: one byte stands for size bytes
			size = 1
		default:
			return nil, errors.New("zstd block of reserved type")
		}
		if size > 128<<10 {
			return nil, fmt.Errorf("zstd block of %d bytes exceeds 128 KiB", size)
		}
		if _, err := need(size); err != nil {
			return nil, err
		}
		if last {
			break
		}
	}
	if checksum {
		if _, err := need(4); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// zstdFlags returns the checksum flag and dictionary flag of a zstd frame.
func zstdFlags(frame []byte) (checksum bool, dict bool) {
	fhd := frame[4]
	return fhd>>2&1 == 1, fhd&3 != 0
}
