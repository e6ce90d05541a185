package gdbstub

import (
	"bytes"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// readAllRegs answers g: x0-x31 and pc, 8 bytes each, little-endian hex;
// an unavailable register is xx...
func (s *server) readAllRegs() error {
	out := make([]byte, 0, 33*16)
	for n := 0; n <= RegPC; n++ {
		out = s.appendReg(out, n, 8)
	}
	return s.send(out, true)
}

func (s *server) appendReg(out []byte, n, size int) []byte {
	v, ok := s.t.ReadRegister(n)
	if !ok {
		for i := 0; i < 2*size; i++ {
			out = append(out, 'x')
		}
		return out
	}
	for i := 0; i < size; i++ {
		b := byte(v >> (8 * i))
		out = append(out, hexDigits[b>>4], hexDigits[b&15])
	}
	return out
}

// writeAllRegs answers G: registers from x0 on, 8 bytes each, as many as
// the packet holds (at most x0-x31 and pc).
func (s *server) writeAllRegs(body string) error {
	raw, ok := decodeHex(body)
	if !ok || len(raw)%8 != 0 || len(raw) > 33*8 {
		return s.reply(replyInvalid)
	}
	for n := 0; n*8 < len(raw); n++ {
		if err := s.t.WriteRegister(n, le(raw[n*8:n*8+8])); err != nil {
			return s.replyErr(err)
		}
	}
	return s.reply("OK")
}

// readReg answers p N.
func (s *server) readReg(body string) error {
	n, ok := parseHex(body)
	if !ok {
		return s.reply(replyInvalid)
	}
	size, ok := s.rf.size[int(min(n, regLast))]
	if !ok {
		return s.reply(replyInvalid)
	}
	return s.send(s.appendReg(nil, int(n), size), true)
}

// writeReg answers P N=VALUE, VALUE little-endian hex of the register's size.
func (s *server) writeReg(body string) error {
	num, val, ok := strings.Cut(body, "=")
	n, ok2 := parseHex(num)
	if !ok || !ok2 {
		return s.reply(replyInvalid)
	}
	size, ok := s.rf.size[int(min(n, regLast))]
	raw, ok2 := decodeHex(val)
	if !ok || !ok2 || len(raw) != size {
		return s.reply(replyInvalid)
	}
	if err := s.t.WriteRegister(int(n), le(raw)); err != nil {
		return s.replyErr(err)
	}
	return s.reply("OK")
}

// maxRead is how many bytes an m reply may carry (two hex digits each).
func (s *server) maxRead() uint64 { return uint64(s.size / 2) }

// readMem answers m ADDR,LENGTH: the bytes read, hex; a read clipped to the
// packet size or cut short by the target returns what was read; nothing
// readable is E14.
func (s *server) readMem(body string) error {
	addr, n, ok := parseAddrLen(body)
	if !ok {
		return s.reply(replyInvalid)
	}
	n = min(n, s.maxRead())
	if n > 0 && addr+n-1 < addr { // do not wrap around the address space
		n = -addr
	}
	if n == 0 {
		return s.reply("")
	}
	buf := make([]byte, n)
	got, err := s.t.ReadMemory(addr, buf)
	got = max(0, min(got, len(buf)))
	if got == 0 {
		s.log.Debug("gdb: memory read failed", zap.Uint64("addr", addr), zap.Error(err))
		return s.reply(replyFault)
	}
	return s.send(appendHex(nil, buf[:got]), true)
}

// writeMemHex answers M ADDR,LENGTH:HEX.
func (s *server) writeMemHex(body string) error {
	head, data, ok := strings.Cut(body, ":")
	addr, n, ok2 := parseAddrLen(head)
	if !ok || !ok2 || n > uint64(len(data)) || uint64(len(data)) != 2*n { // (n first: 2*n may wrap)
		return s.reply(replyInvalid)
	}
	raw, ok := decodeHex(data)
	if !ok {
		return s.reply(replyInvalid)
	}
	return s.writeMem(addr, raw)
}

// writeMemBin answers X ADDR,LENGTH:BINARY (unescaped by the packet layer).
// X ADDR,0: is gdb's probe for X and answers OK.
func (s *server) writeMemBin(p []byte) error {
	i := bytes.IndexByte(p, ':')
	if i < 0 {
		return s.reply(replyInvalid)
	}
	addr, n, ok := parseAddrLen(string(p[:i]))
	data := p[i+1:]
	if !ok || uint64(len(data)) != n {
		return s.reply(replyInvalid)
	}
	return s.writeMem(addr, data)
}

func (s *server) writeMem(addr uint64, data []byte) error {
	if len(data) == 0 {
		return s.reply("OK")
	}
	if addr+uint64(len(data))-1 < addr {
		return s.reply(replyFault)
	}
	if err := s.t.WriteMemory(addr, data); err != nil {
		return s.replyErr(err)
	}
	return s.reply("OK")
}

// parseAddrLen parses ADDR,LENGTH (both hex).
func parseAddrLen(s string) (addr, n uint64, ok bool) {
	a, l, found := strings.Cut(s, ",")
	if !found {
		return 0, 0, false
	}
	addr, ok1 := parseHex(a)
	n, ok2 := parseHex(l)
	return addr, n, ok1 && ok2
}

// parseHex parses a hex number of 1 to 16 digits (leading zeros allowed
// beyond that while the value fits).
func parseHex(s string) (uint64, bool) {
	if s == "" || len(s) > 64 {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 64)
	return v, err == nil
}

// decodeHex decodes pairs of hex digits.
func decodeHex(s string) ([]byte, bool) {
	if len(s)%2 != 0 {
		return nil, false
	}
	out := make([]byte, len(s)/2)
	for i := range out {
		b, ok := unhex2(s[2*i], s[2*i+1])
		if !ok {
			return nil, false
		}
		out[i] = b
	}
	return out, true
}

func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&15])
	}
	return dst
}

// le is the little-endian value of up to 8 bytes.
func le(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}
