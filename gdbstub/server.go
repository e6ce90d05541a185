package gdbstub

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"go.uber.org/zap"
)

// Error replies. gdb only tells an error from success; the numbers follow
// QEMU's stub (22: a malformed or invalid request, 14: memory that cannot be
// read or written, 00: an unknown qXfer annex; 01: a monitor command
// that failed, after its error's text in O packets).
const (
	replyInvalid    = "E22"
	replyFault      = "E14"
	replyNoAnnex    = "E00"
	replyMonitorErr = "E01"
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

	stepOverPending bool   // the last stop was a SteppedOver watchpoint stop:
	stepOver        Action // the step (Step or ReverseStep) that answers at once
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
	s.in.close()
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
// then OK; or, when it failed, its output and then the error's text in O
// packets, then E01. gdb shows O packets as they come; it takes neither
// E.<text> nor any reply but OK and E NN as the end of a monitor command
// (gdb 13 decodes E.<text> as hex output: "Invalid hex digit 46"), and
// says "Protocol error with Rcmd" for E NN.
func (s *server) monitor(hexCmd string) error {
	cmd, ok := decodeHex(hexCmd)
	if !ok {
		return s.reply(replyInvalid)
	}
	out, err := s.t.Monitor(string(cmd))
	if err != nil {
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		out += "rvsim: " + err.Error() + "\n"
	}
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
		return s.reply(replyMonitorErr)
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
