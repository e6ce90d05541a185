package gdbstub

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// Error replies. gdb only tells an error from success; the numbers follow
// QEMU's stub (22: a malformed or invalid request, 14: memory that cannot be
// read or written, 00: an unknown qXfer annex).
const (
	replyInvalid = "E22"
	replyFault   = "E14"
	replyNoAnnex = "E00"
)

// threadID is the one thread the stub shows.
const threadID = "1"

// server is one gdb session.
type server struct {
	t     Target
	log   *zap.Logger
	debug bool
	w     io.Writer
	in    *inbox

	size       int  // PacketSize
	rle        bool // run-length encode hex replies
	ack        bool // acknowledgements on (until QStartNoAckMode)
	canReverse bool
	swbreak    bool // gdb takes swbreak:/hwbreak: stop reasons (its qSupported said so)

	rf  *regFile
	xml []byte

	out      []byte // the packet being sent (reused)
	last     []byte // the last packet sent, for a resend after -
	lastStop string // the reply to ?

	breaks map[breakKey]int // inserted breakpoints and watchpoints (counted)
}

type breakKey struct {
	t    BreakType
	addr uint64
}

// Serve speaks the remote serial protocol on conn with one gdb until gdb
// detaches (D), kills (k), the target exits (W or X sent), or the connection
// closes; the target is stopped before its first instruction when Serve
// starts. A goroutine reads conn all along: a Ctrl-C (0x03) or the end of
// the connection while Resume runs calls t.Interrupt. When the session ends
// Serve closes conn if it is an io.Closer and waits for that goroutine (with
// any other conn, the goroutine ends at conn's next read error). Serve calls
// t.Kill after k and when the connection is lost.
//
// The packets served (gdb manual, "Packets" and "General Query Packets"):
// qSupported (PacketSize, qXfer:features:read+, QStartNoAckMode+, swbreak+,
// hwbreak+, vContSupported+, and ReverseStep+;ReverseContinue+ when
// t.CanReverse()), QStartNoAckMode, qXfer:features:read:target.xml, ?, g,
// G, p, P, m, M, X, Z0-Z4 and z0-z4, s, S, c, C (a signal is not
// delivered), vCont? (vCont;c;C;s;S), vCont with c, C, s and S, bs, bc,
// qRcmd, qAttached (1), qC, qfThreadInfo, qsThreadInfo, Hg, Hc and T (one
// thread, 1), k and D; every other packet gets the empty reply (not
// supported), qOffsets and vMustReplyEmpty among them. Stop replies are T
// packets with thread:1; and swbreak:, hwbreak:, watch:, rwatch:, awatch:
// or replaylog: (see StopReason), W and X.
//
// Serve returns nil when the session ended by D, k, an exit, or the
// connection's end between packets (io.EOF), and an error otherwise (one
// wrapping io.ErrUnexpectedEOF when the connection ended inside a packet).
func Serve(conn io.ReadWriter, t Target, opt Options) error {
	s := &server{
		t:          t,
		log:        opt.Log,
		w:          conn,
		in:         newInbox(),
		size:       opt.PacketSize,
		rle:        !opt.NoRLE,
		ack:        true,
		canReverse: t.CanReverse(),
		lastStop:   "T05thread:" + threadID + ";",
		breaks:     make(map[breakKey]int),
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.debug = s.log.Core().Enabled(zap.DebugLevel)
	if s.size == 0 {
		s.size = DefaultPacketSize
	}
	s.size = max(s.size, minPacketSize)
	s.rf = newRegFile(t.CSRs())
	s.xml = []byte(s.rf.targetXML())

	done := make(chan struct{})
	fr := newFrameReader(conn, s.size)
	go func() {
		defer close(done)
		for {
			ev, err := fr.next()
			if err != nil {
				s.in.fail(err, t)
				return
			}
			s.in.put(ev, t)
		}
	}()
	err := s.loop()
	if c, ok := conn.(io.Closer); ok {
		c.Close()
		<-done
	}
	if err != nil {
		s.log.Info("gdb session ended", zap.Error(err))
	}
	return err
}

// errEnd ends the session without an error.
var errEnd = errors.New("session ended")

// loop serves events until the session ends.
func (s *server) loop() error {
	for {
		ev, err := s.in.next()
		if err != nil {
			s.t.Kill()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("gdbstub: reading from gdb: %w", err)
		}
		switch ev.kind {
		case evInterrupt:
			s.log.Debug("gdb: Ctrl-C while stopped, ignored")
		case evNak:
			if s.ack && s.last != nil {
				s.log.Debug("gdb: resend")
				if err := s.write(s.last); err != nil {
					s.t.Kill()
					return err
				}
			}
		case evBad:
			s.log.Debug("gdb: bad packet", zap.String("why", ev.why), zap.ByteString("raw", ev.data))
			if err := s.write([]byte{'-'}); err != nil {
				s.t.Kill()
				return err
			}
		case evPacket:
			if s.debug {
				s.log.Debug("gdb ->", zap.ByteString("packet", ev.data))
			}
			if s.ack {
				if err := s.write([]byte{'+'}); err != nil {
					s.t.Kill()
					return err
				}
			}
			if err := s.handleSafe(ev.data); err != nil {
				if errors.Is(err, errEnd) {
					return nil
				}
				return err
			}
		}
	}
}

// handleSafe handles one packet and turns a panic (of the target or the
// stub) into an error that ends the session, so that no gdb input makes a
// stack trace.
func (s *server) handleSafe(p []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.t.Kill()
			err = fmt.Errorf("gdbstub: internal error on packet %.40q: %v", p, r)
		}
	}()
	return s.handle(p)
}

// write sends raw bytes to gdb.
func (s *server) write(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("gdbstub: writing to gdb: %w", err)
	}
	return nil
}

// send sends data as one packet; hex marks text that may be run-length
// encoded. A write error ends the session (the target is killed).
func (s *server) send(data []byte, hex bool) error {
	s.out = appendPacket(s.out[:0], data, hex && s.rle)
	if s.debug {
		s.log.Debug("gdb <-", zap.ByteString("packet", data))
	}
	if s.ack {
		s.last = append(s.last[:0], s.out...)
	}
	if err := s.write(s.out); err != nil {
		s.t.Kill()
		return err
	}
	return nil
}

func (s *server) reply(text string) error { return s.send([]byte(text), false) }

// replyErr answers E.<text>, the error's text made safe for a packet.
func (s *server) replyErr(err error) error { return s.reply(errReply(err)) }

// errReply is E. and err's text with the bytes that would break a packet
// ($ # } *, non-printable) replaced by '?', cut to 200 bytes.
func errReply(err error) string {
	msg := "error"
	if err != nil && err.Error() != "" {
		msg = err.Error()
	}
	b := []byte(msg)
	if len(b) > 200 {
		b = b[:200]
	}
	for i, c := range b {
		if c < ' ' || c > '~' || needsEscape(c) {
			b[i] = '?'
		}
	}
	return "E." + string(b)
}

// handle answers one packet.
func (s *server) handle(p []byte) error {
	if len(p) == 0 {
		return s.reply("")
	}
	body := string(p[1:])
	switch p[0] {
	case '?':
		return s.reply(s.lastStop)
	case 'g':
		return s.readAllRegs()
	case 'G':
		return s.writeAllRegs(body)
	case 'p':
		return s.readReg(body)
	case 'P':
		return s.writeReg(body)
	case 'm':
		return s.readMem(body)
	case 'M':
		return s.writeMemHex(body)
	case 'X':
		return s.writeMemBin(p[1:])
	case 'Z', 'z':
		return s.breakpoint(p[0] == 'Z', body)
	case 's', 'S':
		return s.legacyResume(Step, p[0] == 'S', body)
	case 'c', 'C':
		return s.legacyResume(Continue, p[0] == 'C', body)
	case 'b':
		switch body {
		case "s":
			return s.reverse(ReverseStep)
		case "c":
			return s.reverse(ReverseContinue)
		}
	case 'v':
		return s.vPacket(body)
	case 'q':
		return s.query(body)
	case 'Q':
		if body == "StartNoAckMode" {
			if err := s.reply("OK"); err != nil {
				return err
			}
			s.ack = false
			s.last = nil
			return nil
		}
	case 'H':
		if len(body) >= 1 && (body[0] == 'g' || body[0] == 'c') && ourThread(body[1:], true) {
			return s.reply("OK")
		}
		return s.reply(replyInvalid)
	case 'T':
		if ourThread(body, false) {
			return s.reply("OK")
		}
		return s.reply(replyInvalid)
	case 'k':
		s.t.Kill()
		return errEnd
	case 'D':
		if err := s.reply("OK"); err != nil {
			return err
		}
		return errEnd
	}
	return s.reply("")
}

// ourThread reports whether a thread id names the stub's thread: 1 or
// p1.1, and when all is set also 0 (any) and -1 (all).
func ourThread(id string, all bool) bool {
	if rest, ok := strings.CutPrefix(id, "p"); ok {
		pid, tid, ok := strings.Cut(rest, ".")
		if !ok {
			tid = "-1"
		}
		return threadOK(pid, all) && threadOK(tid, all)
	}
	return threadOK(id, all)
}

func threadOK(id string, all bool) bool {
	switch id {
	case "1", "01":
		return true
	case "0", "-1":
		return all
	}
	return false
}

// query answers the q packets.
func (s *server) query(body string) error {
	name, args, _ := strings.Cut(body, ":")
	switch {
	case name == "Supported":
		return s.supported(args)
	case name == "Xfer":
		return s.xfer(args)
	case name == "Attached":
		return s.reply("1")
	case body == "C":
		return s.reply("QC" + threadID)
	case body == "fThreadInfo":
		return s.reply("m" + threadID)
	case body == "sThreadInfo":
		return s.reply("l")
	case strings.HasPrefix(body, "Rcmd,"):
		return s.monitor(body[len("Rcmd,"):])
	}
	return s.reply("")
}

// supported answers qSupported: the features the stub offers. It notes
// whether gdb takes the swbreak/hwbreak stop reasons.
func (s *server) supported(args string) error {
	for _, f := range strings.Split(args, ";") {
		if f == "swbreak+" {
			s.swbreak = true
		}
	}
	r := fmt.Sprintf("PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+", s.size)
	if s.canReverse {
		r += ";ReverseStep+;ReverseContinue+"
	}
	return s.reply(r)
}

// xfer answers qXfer:features:read:target.xml:OFFSET,LENGTH with a chunk of
// the target description: m<data> when more follows, l<data> at the end.
func (s *server) xfer(args string) error {
	parts := strings.SplitN(args, ":", 4)
	if len(parts) != 4 || parts[0] != "features" || parts[1] != "read" {
		return s.reply("")
	}
	if parts[2] != "target.xml" {
		return s.reply(replyNoAnnex)
	}
	off, length, ok := parseAddrLen(parts[3])
	if !ok {
		return s.reply(replyInvalid)
	}
	if off >= uint64(len(s.xml)) {
		return s.reply("l")
	}
	rest := s.xml[off:]
	// the chunk: at most length bytes, and at most size-1 once escaped
	room := s.size - 1
	n := 0
	for n < len(rest) && uint64(n) < length {
		w := 1
		if needsEscape(rest[n]) {
			w = 2
		}
		if room < w {
			break
		}
		room -= w
		n++
	}
	prefix := byte('m')
	if n == len(rest) {
		prefix = 'l'
	}
	out := make([]byte, 0, n+1)
	out = append(out, prefix)
	out = append(out, rest[:n]...)
	return s.send(out, false)
}

// monitor answers qRcmd,HEX: the command's output in O packets (hex text),
// then OK, or E.<text> when it failed.
func (s *server) monitor(hexCmd string) error {
	cmd, ok := decodeHex(hexCmd)
	if !ok {
		return s.reply(replyInvalid)
	}
	out, err := s.t.Monitor(string(cmd))
	chunk := (s.size - 1) / 2
	for len(out) > 0 {
		n := min(len(out), chunk)
		pkt := make([]byte, 0, 1+2*n)
		pkt = append(pkt, 'O')
		pkt = appendHex(pkt, []byte(out[:n]))
		if err := s.send(pkt, true); err != nil {
			return err
		}
		out = out[n:]
	}
	if err != nil {
		return s.replyErr(err)
	}
	return s.reply("OK")
}

// vPacket answers the v packets: vCont? and vCont; the rest (vMustReplyEmpty,
// vKill, vRun, vFile, ...) get the empty reply.
func (s *server) vPacket(body string) error {
	switch {
	case body == "Cont?":
		// gdb uses vCont only when both c and C are offered; C and S
		// are taken as c and s (see vContAction)
		return s.reply("vCont;c;C;s;S")
	case strings.HasPrefix(body, "Cont;"):
		a, ok := vContAction(body[len("Cont;"):])
		if !ok {
			return s.reply(replyInvalid)
		}
		return s.resume(a)
	}
	return s.reply("")
}

// vContAction picks the action of vCont;ACTION[:TID];... for the stub's
// thread: the leftmost one whose thread id is absent, -1, 0 or 1. c and C
// continue, s and S step (a signal is not delivered: a replay cannot take
// one); t (stop) and r (range step) are not offered.
func vContAction(list string) (Action, bool) {
	for _, item := range strings.Split(list, ";") {
		act, tid, hasTid := strings.Cut(item, ":")
		if hasTid && !ourThread(tid, true) {
			continue
		}
		if act == "" {
			return 0, false
		}
		switch act[0] {
		case 'c':
			return Continue, len(act) == 1
		case 's':
			return Step, len(act) == 1
		case 'C', 'S':
			if _, ok := parseHex(act[1:]); !ok || len(act) > 3 {
				return 0, false
			}
			if act[0] == 'C' {
				return Continue, true
			}
			return Step, true
		}
		return 0, false
	}
	return 0, false
}

// legacyResume answers s [ADDR], c [ADDR], S SIG[;ADDR], C SIG[;ADDR]: with an
// address, pc is written first; a signal is not delivered.
func (s *server) legacyResume(a Action, sig bool, body string) error {
	addr := body
	if sig {
		num, rest, _ := strings.Cut(body, ";")
		if _, ok := parseHex(num); !ok || len(num) > 2 {
			return s.reply(replyInvalid)
		}
		addr = rest
	}
	if addr != "" {
		pc, ok := parseHex(addr)
		if !ok {
			return s.reply(replyInvalid)
		}
		if err := s.t.WriteRegister(RegPC, pc); err != nil {
			return s.replyErr(err)
		}
	}
	return s.resume(a)
}

// reverse answers bs and bc; a target that cannot go back gets the empty
// reply (unsupported).
func (s *server) reverse(a Action) error {
	if !s.canReverse {
		return s.reply("")
	}
	return s.resume(a)
}

// resume runs the target and sends the stop reply. A Ctrl-C that came
// after the resuming packet stops it before it runs; a connection lost
// during Resume kills the target and ends the session.
func (s *server) resume(a Action) error {
	var st Stop
	if s.in.startRunning() {
		st = Stop{Reason: StopSignal, Signal: 2}
	} else {
		st = s.t.Resume(a)
	}
	if err := s.in.stopRunning(); err != nil {
		if st.Reason != StopExited && st.Reason != StopKilled {
			s.t.Kill()
		}
		if errors.Is(err, io.EOF) {
			return errEnd
		}
		return fmt.Errorf("gdbstub: reading from gdb: %w", err)
	}
	r, end := s.stopReply(st)
	if st.Reason != StopError {
		s.lastStop = r
	}
	if err := s.reply(r); err != nil {
		return err
	}
	if end {
		return errEnd
	}
	return nil
}

// stopReply is the packet that reports st, and whether the session ends
// with it (W, X).
func (s *server) stopReply(st Stop) (string, bool) {
	const thread = "thread:" + threadID + ";"
	switch st.Reason {
	case StopSignal:
		sig := st.Signal
		if sig <= 0 || sig > 0xff {
			sig = 5
		}
		return fmt.Sprintf("T%02x%s", sig, thread), false
	case StopBreakpoint:
		if !s.swbreak {
			return "T05" + thread, false
		}
		hw := st.WatchKind == BreakHardware
		if !hw {
			if pc, ok := s.t.ReadRegister(RegPC); ok &&
				s.breaks[breakKey{BreakHardware, pc}] > 0 && s.breaks[breakKey{BreakSoftware, pc}] == 0 {
				hw = true
			}
		}
		if hw {
			return "T05hwbreak:;" + thread, false
		}
		return "T05swbreak:;" + thread, false
	case StopWatch:
		kind := "watch"
		switch st.WatchKind {
		case WatchRead:
			kind = "rwatch"
		case WatchAccess:
			kind = "awatch"
		}
		return fmt.Sprintf("T05%s:%x;%s", kind, st.Addr, thread), false
	case StopReplayBegin:
		return "T05replaylog:begin;" + thread, false
	case StopReplayEnd:
		return "T05replaylog:end;" + thread, false
	case StopExited:
		return fmt.Sprintf("W%02x", st.Status&0xff), true
	case StopKilled:
		sig := st.Signal
		if sig <= 0 || sig > 0xff {
			sig = 9
		}
		return fmt.Sprintf("X%02x", sig), true
	case StopError:
		return errReply(st.Err), false
	}
	return errReply(fmt.Errorf("unknown stop reason %d", st.Reason)), false
}

// breakpoint answers Z/z TYPE,ADDR,KIND[;conditions] (conditions ignored:
// they are not offered).
func (s *server) breakpoint(insert bool, body string) error {
	typ, rest, ok := strings.Cut(body, ",")
	if !ok || len(typ) != 1 || typ[0] < '0' || typ[0] > '9' {
		return s.reply(replyInvalid)
	}
	if typ[0] > '4' {
		return s.reply("")
	}
	t := BreakType(typ[0] - '0')
	rest, _, _ = strings.Cut(rest, ";")
	addr, kind, ok := parseAddrLen(rest)
	if !ok {
		return s.reply(replyInvalid)
	}
	var err error
	if insert {
		err = s.t.InsertBreak(t, addr, kind)
	} else {
		err = s.t.RemoveBreak(t, addr, kind)
	}
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return s.reply("")
		}
		return s.replyErr(err)
	}
	k := breakKey{t, addr}
	if insert {
		s.breaks[k]++
	} else if s.breaks[k] > 0 {
		s.breaks[k]--
		if s.breaks[k] == 0 {
			delete(s.breaks, k)
		}
	}
	return s.reply("OK")
}

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
