package gdbstub

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// The packet layer of the remote serial protocol (gdb manual, "Overview" of
// "Remote Protocol"): a packet is $data#cc where cc is the sum of data's
// bytes modulo 256 in two hex digits; a receiver answers + (good) or -
// (resend) until QStartNoAckMode; }x stands for x^0x20 (for the bytes # $ }
// and * in binary data); x*n repeats x n-29 more times (run-length
// encoding); a lone 0x03 byte between packets is an interrupt (Ctrl-C).

// eventKind tells what frameReader.next found in the input.
type eventKind uint8

const (
	evPacket    eventKind = iota // a packet with a good checksum: data decoded
	evBad                        // a packet with a bad checksum, bad encoding, or too long: answer -
	evInterrupt                  // a 0x03 byte between packets
	evNak                        // a - between packets: resend the last packet
)

// event is one thing read from gdb.
type event struct {
	kind eventKind
	data []byte // evPacket: the decoded data; evBad: the raw data kept (may be cut)
	why  string // evBad: what was wrong
}

// errMidPacket wraps io.ErrUnexpectedEOF when the input ends inside a packet.
var errMidPacket = fmt.Errorf("connection closed inside a packet: %w", io.ErrUnexpectedEOF)

// frameReader splits gdb's byte stream into events. It keeps at most limit
// raw bytes of a packet: a longer one is read to its end, dropped and
// reported as evBad, so that no input makes it buffer without bound.
type frameReader struct {
	r     *bufio.Reader
	limit int
	raw   []byte // the current packet's raw data (reused)
	junk  int    // bytes skipped between packets (other than acks) since the last event
}

func newFrameReader(r io.Reader, limit int) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 4096), limit: limit, raw: make([]byte, 0, 256)}
}

// next returns the next event. Bytes between packets other than $, 0x03, +
// and - are skipped (counted in junk). An error is the reader's (io.EOF at a
// packet boundary) or errMidPacket.
func (f *frameReader) next() (event, error) {
	for {
		c, err := f.r.ReadByte()
		if err != nil {
			return event{}, err
		}
		switch c {
		case '$':
			return f.body()
		case 0x03:
			return event{kind: evInterrupt}, nil
		case '+':
			// an acknowledgement of our last packet: nothing to do
		case '-':
			return event{kind: evNak}, nil
		default:
			f.junk++
		}
	}
}

// body reads a packet's data after its $, its # and checksum, and decodes it.
func (f *frameReader) body() (event, error) {
restart:
	f.raw = f.raw[:0]
	var sum byte
	over := false
	for {
		c, err := f.r.ReadByte()
		if err != nil {
			return event{}, midPacket(err)
		}
		if c == '#' {
			break
		}
		if c == '$' {
			// a new packet starts: the one before was cut short (gdb
			// resends it after our -); take the new one
			f.junk += len(f.raw) + 1
			goto restart
		}
		sum += c
		if len(f.raw) < f.limit {
			f.raw = append(f.raw, c)
		} else {
			over = true
		}
	}
	var cs [2]byte
	for i := range cs {
		c, err := f.r.ReadByte()
		if err != nil {
			return event{}, midPacket(err)
		}
		cs[i] = c
	}
	want, ok := unhex2(cs[0], cs[1])
	switch {
	case over:
		return event{kind: evBad, data: clone(f.raw), why: fmt.Sprintf("packet longer than %d bytes", f.limit)}, nil
	case !ok:
		return event{kind: evBad, data: clone(f.raw), why: fmt.Sprintf("checksum %q is not two hex digits", cs[:])}, nil
	case want != sum:
		return event{kind: evBad, data: clone(f.raw), why: fmt.Sprintf("checksum %02x, computed %02x", want, sum)}, nil
	}
	data, err := decodeBody(f.raw, f.limit)
	if err != nil {
		return event{kind: evBad, data: clone(f.raw), why: err.Error()}, nil
	}
	return event{kind: evPacket, data: data}, nil
}

func midPacket(err error) error {
	if errors.Is(err, io.EOF) {
		return errMidPacket
	}
	return err
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// Errors of decodeBody.
var (
	errRLEStart = errors.New("run-length encoding with no character to repeat")
	errRLECount = errors.New("run-length count character out of range")
	errRLEEnd   = errors.New("run-length encoding cut at the end of the packet")
	errEscEnd   = errors.New("escape character } at the end of the packet")
	errTooLong  = errors.New("packet longer than the packet size once expanded")
)

// decodeBody undoes the escaping (}x is x^0x20) and the run-length encoding
// (x*n is x repeated n-29 more times, n from ' ' to '~') of a packet's raw
// data into a new slice of at most limit bytes.
func decodeBody(raw []byte, limit int) ([]byte, error) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '}':
			i++
			if i == len(raw) {
				return nil, errEscEnd
			}
			c = raw[i] ^ 0x20
		case '*':
			if len(out) == 0 {
				return nil, errRLEStart
			}
			i++
			if i == len(raw) {
				return nil, errRLEEnd
			}
			n := int(raw[i]) - 29
			if raw[i] < ' ' || raw[i] > '~' {
				return nil, errRLECount
			}
			if len(out)+n > limit {
				return nil, errTooLong
			}
			prev := out[len(out)-1]
			for ; n > 0; n-- {
				out = append(out, prev)
			}
			continue
		}
		if len(out) >= limit {
			return nil, errTooLong
		}
		out = append(out, c)
	}
	return out, nil
}

// needsEscape reports whether c must be sent as }c^0x20.
func needsEscape(c byte) bool { return c == '#' || c == '$' || c == '}' || c == '*' }

// appendPacket appends $data#cc to dst, escaping # $ } and * in data, and,
// when rle is set, run-length encoding runs of four or more equal bytes that
// need no escape.
func appendPacket(dst, data []byte, rle bool) []byte {
	dst = append(dst, '$')
	start := len(dst)
	for i := 0; i < len(data); {
		c := data[i]
		if needsEscape(c) {
			dst = append(dst, '}', c^0x20)
			i++
			continue
		}
		dst = append(dst, c)
		run := 1
		for i+run < len(data) && data[i+run] == c {
			run++
		}
		i += run
		rest := run - 1 // copies after the first
		if !rle {
			for ; rest > 0; rest-- {
				dst = append(dst, c)
			}
			continue
		}
		for rest >= 3 {
			n := min(rest, '~'-29)
			if n == '#'-29 || n == '$'-29 {
				n = '"' - 29 // # and $ may not be counts: repeat 5 and send the rest apart
			}
			dst = append(dst, '*', byte(n+29))
			rest -= n
		}
		for ; rest > 0; rest-- {
			dst = append(dst, c)
		}
	}
	sum := checksum(dst[start:])
	return append(dst, '#', hexDigits[sum>>4], hexDigits[sum&15])
}

// escapedLen is how many bytes data takes in a packet once escaped (with no
// run-length encoding).
func escapedLen(data []byte) int {
	n := len(data)
	for _, c := range data {
		if needsEscape(c) {
			n++
		}
	}
	return n
}

// checksum is the sum of b's bytes modulo 256.
func checksum(b []byte) byte {
	var s byte
	for _, c := range b {
		s += c
	}
	return s
}

const hexDigits = "0123456789abcdef"

// unhex is the value of one hex digit (either case).
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func unhex2(hi, lo byte) (byte, bool) {
	h, ok1 := unhex(hi)
	l, ok2 := unhex(lo)
	return h<<4 | l, ok1 && ok2
}
