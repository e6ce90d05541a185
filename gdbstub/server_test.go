package gdbstub

import (
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// sum is the packet checksum, computed here apart from the package's.
func sum(s string) string {
	var n int
	for i := 0; i < len(s); i++ {
		n += int(s[i])
	}
	return fmt.Sprintf("%02x", n%256)
}

// pkt frames data as gdb's manual says: $data#checksum.
func pkt(data string) string { return "$" + data + "#" + sum(data) }

// client is the gdb side of a net.Pipe to a running Serve.
type client struct {
	t    *testing.T
	c    net.Conn
	done chan error
	ack  bool
}

const testTimeout = 10 * time.Second

// serve starts Serve on one end of a pipe with the target; opt.NoRLE unless
// rle is set, so that the replies below are plain.
func serve(t *testing.T, tgt Target, rle bool) *client {
	t.Helper()
	a, b := net.Pipe()
	c := &client{t: t, c: a, done: make(chan error, 1), ack: true}
	go func() { c.done <- Serve(b, tgt, Options{NoRLE: !rle}) }()
	t.Cleanup(func() {
		a.Close()
		select {
		case <-c.done:
		case <-time.After(testTimeout):
			t.Errorf("Serve did not return after the connection closed")
		}
	})
	return c
}

// send writes raw bytes.
func (c *client) send(raw string) {
	c.t.Helper()
	c.c.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(c.c, raw); err != nil {
		c.t.Fatalf("write %q: %v", raw, err)
	}
}

// expect reads exactly len(want) bytes and compares them.
func (c *client) expect(want string) {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(testTimeout))
	got := make([]byte, len(want))
	n, err := io.ReadFull(c.c, got)
	if err != nil || string(got) != want {
		c.t.Fatalf("read %q, %v; want %q", got[:n], err, want)
	}
}

// readPacket reads one packet (after its ack in ack mode) and returns its
// raw data, checking the checksum.
func (c *client) readPacket() string {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(testTimeout))
	var b strings.Builder
	one := make([]byte, 1)
	for {
		if _, err := io.ReadFull(c.c, one); err != nil {
			c.t.Fatalf("reading a packet: %v (so far %q)", err, b.String())
		}
		if one[0] == '#' {
			break
		}
		b.WriteByte(one[0])
	}
	cs := make([]byte, 2)
	if _, err := io.ReadFull(c.c, cs); err != nil {
		c.t.Fatalf("reading a checksum: %v", err)
	}
	s := b.String()
	if !strings.HasPrefix(s, "$") || sum(s[1:]) != string(cs) {
		c.t.Fatalf("bad packet %q#%s", s, cs)
	}
	return s[1:]
}

// call sends a packet and checks the reply, byte for byte: + then the packet
// in ack mode.
func (c *client) call(data, reply string) {
	c.t.Helper()
	c.send(pkt(data))
	want := pkt(reply)
	if c.ack {
		want = "+" + want
	}
	c.expect(want)
}

// noAck turns acknowledgements off.
func (c *client) noAck() {
	c.t.Helper()
	c.call("QStartNoAckMode", "OK")
	c.ack = false
}

// wait waits for Serve to return.
func (c *client) wait() error {
	c.t.Helper()
	select {
	case err := <-c.done:
		c.done <- err // for the cleanup
		return err
	case <-time.After(testTimeout):
		c.t.Fatalf("Serve did not return")
		return nil
	}
}

func TestQSupported(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	c.call("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+",
		"PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+")

	fake = newFake()
	fake.reverse = true
	c = serve(t, fake, false)
	c.call("qSupported", "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+;ReverseStep+;ReverseContinue+")
}

func TestNoAckMode(t *testing.T) {
	c := serve(t, newFake(), false)
	// the manual's sequence: + for QStartNoAckMode, its OK acknowledged, then none
	c.send("$QStartNoAckMode#b0")
	c.expect("+$OK#9a")
	c.send("+$?#3f")
	c.expect("$T05thread:1;#d7")
	c.ack = false
	c.call("qAttached", "1")
	// a - no longer resends anything
	c.send("-")
	c.call("qC", "QC1")
}

func TestAcksAndGarbage(t *testing.T) {
	c := serve(t, newFake(), false)
	// garbage between packets is skipped
	c.send("garbage\x00\xff\r\n+$?#3f")
	c.expect("+$T05thread:1;#d7")
	// a bad checksum is answered with -
	c.send("$?#00")
	c.expect("-")
	// so is a bad run-length encoding or escape
	c.send(pkt("*1"))
	c.expect("-")
	c.send(pkt("m1}"))
	c.expect("-")
	// - resends the last packet
	c.call("qfThreadInfo", "m1")
	c.send("-")
	c.expect(pkt("m1"))
	// a packet longer than PacketSize is refused with - and not kept
	c.send(pkt("m" + strings.Repeat("0", 0x5000)))
	c.expect("-")
	c.call("qsThreadInfo", "l")
	// a run-length encoded packet from gdb is expanded
	c.call("m1000* ,4", "E14")    // m1000000,4: outside memory
	c.call("m10* ,4", "13050000") // m10000,4: addi a0, zero, 0 is 0x00000513
}

// xmlTarget is the part of a target description the test checks.
type xmlTarget struct {
	Architecture string `xml:"architecture"`
	Features     []struct {
		Name string `xml:"name,attr"`
		Regs []struct {
			Name    string `xml:"name,attr"`
			Bitsize int    `xml:"bitsize,attr"`
			Type    string `xml:"type,attr"`
			Regnum  int    `xml:"regnum,attr"`
		} `xml:"reg"`
	} `xml:"feature"`
}

func TestTargetXML(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	// the first bytes, exactly
	c.call("qXfer:features:read:target.xml:0,10", `m<?xml version="1`)
	// the whole document in chunks of 0x100
	var doc strings.Builder
	for off := 0; ; off += 0x100 {
		c.send(pkt(fmt.Sprintf("qXfer:features:read:target.xml:%x,100", off)))
		c.expect("+")
		r := c.readPacket()
		if len(r) == 0 || len(r) > 0x101 {
			t.Fatalf("chunk at %#x: %q", off, r)
		}
		doc.WriteString(r[1:])
		if r[0] == 'l' {
			break
		}
		if r[0] != 'm' || len(r) != 0x101 {
			t.Fatalf("chunk at %#x: %q", off, r)
		}
	}
	// past the end: l and nothing
	c.call(fmt.Sprintf("qXfer:features:read:target.xml:%x,100", doc.Len()), "l")
	c.call(fmt.Sprintf("qXfer:features:read:target.xml:%x,100", doc.Len()+1000), "l")
	c.call("qXfer:features:read:other.xml:0,100", "E00")
	c.call("qXfer:features:read:target.xml:zz,100", "E22")
	c.call("qXfer:libraries:read::0,100", "")

	var x xmlTarget
	if err := xml.Unmarshal([]byte(doc.String()), &x); err != nil {
		t.Fatalf("target.xml does not parse: %v\n%s", err, doc.String())
	}
	if x.Architecture != "riscv:rv64" {
		t.Errorf("architecture %q", x.Architecture)
	}
	type reg struct {
		feature string
		bitsize int
		typ     string
	}
	regs := map[string]reg{}
	nums := map[int]string{}
	for _, f := range x.Features {
		for _, r := range f.Regs {
			if _, dup := nums[r.Regnum]; dup {
				t.Errorf("regnum %d twice", r.Regnum)
			}
			nums[r.Regnum] = r.Name
			regs[r.Name] = reg{f.Name, r.Bitsize, r.Type}
		}
	}
	for num, want := range map[int]string{0: "zero", 1: "ra", 2: "sp", 8: "fp", 10: "a0", 31: "t6", 32: "pc",
		33: "ft0", 43: "fa0", 64: "ft11", 66: "fflags", 67: "frm", 68: "fcsr", 65 + 0x300: "mstatus", 65 + 0xc00: "cycle"} {
		if nums[num] != want {
			t.Errorf("regnum %d is %q, want %q", num, nums[num], want)
		}
	}
	if len(nums) != 33+32+3+2 {
		t.Errorf("%d registers, want 70 (fflags listed once)", len(nums))
	}
	for name, want := range map[string]reg{
		"zero": {"org.gnu.gdb.riscv.cpu", 64, "int"}, "ra": {"org.gnu.gdb.riscv.cpu", 64, "code_ptr"},
		"sp": {"org.gnu.gdb.riscv.cpu", 64, "data_ptr"}, "pc": {"org.gnu.gdb.riscv.cpu", 64, "code_ptr"},
		"ft0": {"org.gnu.gdb.riscv.fpu", 64, "ieee_double"}, "fcsr": {"org.gnu.gdb.riscv.fpu", 32, "int"},
		"mstatus": {"org.gnu.gdb.riscv.csr", 64, "int"},
	} {
		if regs[name] != want {
			t.Errorf("register %s: %+v, want %+v", name, regs[name], want)
		}
	}
}

// A chunk is cut so that it fits the packet size once escaped.
func TestXferChunkEscaped(t *testing.T) {
	s := &server{size: 8, xml: []byte("ab}}}}}}cd"), w: io.Discard}
	var got []string
	s.w = writerFunc(func(b []byte) { got = append(got, string(b)) })
	s.xfer("features:read:target.xml:0,100")
	s.xfer("features:read:target.xml:5,100")
	s.xfer("features:read:target.xml:8,100")
	s.xfer("features:read:target.xml:0,3")
	// size 8 leaves 7 bytes after the m or l: a third } (2 bytes) does not fit
	want := []string{pkt("mab}]}]"), pkt("m}]}]}]c"), pkt("lcd"), pkt("mab}]")}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("chunks %q, want %q", got, want)
	}
}

type writerFunc func([]byte)

func (f writerFunc) Write(b []byte) (int, error) { f(b); return len(b), nil }

// hexLE is v's first n bytes, little-endian, in hex.
func hexLE(v uint64, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%02x", byte(v>>(8*i)))
	}
	return b.String()
}

func TestRegisters(t *testing.T) {
	fake := newFake()
	for i := 1; i < 32; i++ {
		fake.x[i] = uint64(i) * 0x0101010101010101
	}
	fake.x[1] = 0x0123456789abcdef
	fake.f[10] = 0x400921fb54442d18 // pi
	c := serve(t, fake, false)
	var want strings.Builder
	want.WriteString("0000000000000000efcdab8967452301")
	for i := 2; i < 32; i++ {
		want.WriteString(strings.Repeat(fmt.Sprintf("%02x", i), 8))
	}
	want.WriteString("0000010000000000") // pc 0x10000
	c.call("g", want.String())
	c.call("p20", "0000010000000000")
	c.call("p1", "efcdab8967452301")
	c.call("p2b", "182d4454fb210940")  // fa0 = f10, regnum 43
	c.call("p42", "1f000000")          // fflags: 4 bytes
	c.call("p44", "7f000000")          // fcsr
	c.call("p341", "000000000a000000") // mstatus 0xa00000000 at regnum 65+0x300
	c.call("p7f1", "E22")              // CSR 0x7b0 is not in the description
	c.call("p1041", "E22")             // past the last CSR
	c.call("pzz", "E22")
	c.call("p", "E22")
	c.call("p10000000000000000000", "E22")

	// unavailable registers are xx..
	fake.unavailable[RegFflags] = true
	fake.unavailable[3] = true
	c.call("p42", "xxxxxxxx")
	c.send(pkt("g"))
	c.expect("+")
	if r := c.readPacket(); r[3*16:4*16] != strings.Repeat("x", 16) || r[2*16:3*16] != strings.Repeat("02", 8) {
		t.Errorf("g with gp unavailable: %q", r)
	}

	c.call("P20=0800010000000000", "OK")
	if fake.pc != 0x10008 {
		t.Errorf("pc %#x after P", fake.pc)
	}
	c.call("P42=1f000000", "OK")
	c.call("P2b=0000000000000840", "OK")
	if fake.f[10] != 0x4008000000000000 {
		t.Errorf("fa0 %#x after P", fake.f[10])
	}
	c.call("P20=08000100", "E22") // too short for pc
	c.call("P20=080001000000000g", "E22")
	c.call("P20", "E22")
	c.call("P7f1=0000000000000000", "E22")

	var g strings.Builder
	for i := 0; i < 33; i++ {
		g.WriteString(hexLE(uint64(i)*3, 8))
	}
	c.call("G"+g.String(), "OK")
	if fake.x[5] != 15 || fake.pc != 96 {
		t.Errorf("after G: t0 %d pc %d", fake.x[5], fake.pc)
	}
	c.call("G"+g.String()+"00", "E22")
	c.call("G"+g.String()+"0000000000000000", "E22") // 34 registers
	c.call("G0", "E22")

	fake.readOnly = true
	c.call("P20=0800010000000000", "E.the replay is read-only")
	c.call("G"+g.String(), "E.the replay is read-only")
}

func TestRegistersRLE(t *testing.T) {
	fake := newFake()
	fake.x[10] = 0xffffffffffffffff
	c := serve(t, fake, true)
	c.send(pkt("g"))
	c.expect("+")
	r := c.readPacket()
	exp, err := decodeBody([]byte(r), 4096)
	if err != nil {
		t.Fatal(err)
	}
	var plain strings.Builder
	for i := 0; i < 32; i++ {
		plain.WriteString(hexLE(fake.x[i], 8))
	}
	plain.WriteString(hexLE(fake.pc, 8))
	if string(exp) != plain.String() {
		t.Errorf("g expands to %q, want %q", exp, plain.String())
	}
	if len(r) >= len(exp)/4 {
		t.Errorf("g reply %q not run-length encoded", r)
	}
	c.call("p0", "0*,")       // 16 zeros: 0 and 15 more (',' is 15+29)
	c.call("pa", "f*,")       // a0: 16 f
	c.call("p42", "1f0*\"")   // fflags 1f000000: six zeros are 0 and 5 more ('"')
	c.call("p2", "0008010*&") // sp 0x10800: 0008 01 then nine zeros
}

func TestMemory(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	// the first two instructions: addi a0,zero,0 = 00000513, addi a1,zero,5 = 00500593
	c.call("m10000,8", "1305000093055000")
	c.call("M10800,4:01020304", "OK")
	c.call("m10800,4", "01020304")
	// a read across the end of memory returns what was read
	c.call("m10ffc,8", "00000000")
	// outside memory
	c.call("m0,4", "E14")
	c.call("m11000,1", "E14")
	// a huge length is clipped to the packet size: 0x2000 bytes at most, and
	// here the 0x1000 of memory
	c.send(pkt("m10000,ffffffffffffffff"))
	c.expect("+")
	if r := c.readPacket(); len(r) != 2*fakeSize {
		t.Errorf("m10000,ffffffffffffffff: %d hex digits, want %d", len(r), 2*fakeSize)
	}
	c.call("m0,ffffffffffffffff", "E14")
	c.call("mffffffffffffff00,200", "E14") // would wrap around: clipped to 0x100
	fake.mu.Lock()
	if fake.maxRead > DefaultPacketSize/2 {
		t.Errorf("the target was asked for %d bytes", fake.maxRead)
	}
	fake.mu.Unlock()
	c.call("m10000,0", "")
	// malformed
	c.call("m10000", "E22")
	c.call("m1000g,4", "E22")
	c.call("m,4", "E22")
	c.call("m10000,", "E22")
	c.call("m11111111111111111,4", "E22") // 17 digits: more than 64 bits
	c.call("M10800,4:010203", "E22")      // fewer bytes than said
	c.call("M10800,2:010203", "E22")      // odd digits
	c.call("M10800,2:01zz", "E22")
	c.call("M10800,8000000000000001:0102", "E22") // 2*length wraps to 2
	c.call("M10800,4", "E22")
	c.call("M0,4:01020304", "E.write 0x0: outside guest memory")
	// X: binary data, escaped by gdb: } # $ * are sent as }] }\x03 }\x04 }\x0a
	c.call("X10800,4:}]}\x03}\x04}\x0a", "OK")
	c.call("m10800,4", "7d23242a")
	c.call("X10800,0:", "OK") // gdb's probe for X
	c.call("X10800,5:}]}\x03}\x04}\x0a", "E22")
	c.call("X10800,4", "E22")
	c.call("Xffffffffffffffff,2:ab", "E14")
	fake.readOnly = true
	c.call("M10800,1:ff", "E.the replay is read-only")
	c.call("X10800,1:a", "E.the replay is read-only")
}

func TestQueriesAndUnknown(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	for _, q := range [][2]string{
		{"qAttached", "1"},
		{"qAttached:1", "1"},
		{"qC", "QC1"},
		{"qfThreadInfo", "m1"},
		{"qsThreadInfo", "l"},
		{"qOffsets", ""},
		{"qTStatus", ""},
		{"qSymbol::", ""},
		{"vMustReplyEmpty", ""},
		{"vKill;1", ""},
		{"vFile:setfs:0", ""},
		{"Hg0", "OK"},
		{"Hg1", "OK"},
		{"Hc-1", "OK"},
		{"Hgp1.1", "OK"},
		{"Hg2", "E22"},
		{"H", "E22"},
		{"Hx1", "E22"},
		{"T1", "OK"},
		{"Tp1.1", "OK"},
		{"T2", "E22"},
		{"T-1", "E22"},
		{"!", ""},
		{"QFoo", ""},
		{"qFoo", ""},
		{"xyz", ""},
		{"\x00\xff", ""},
		{"", ""},
	} {
		c.call(q[0], q[1])
	}
}

func TestMonitor(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	h := func(s string) string { return hex.EncodeToString([]byte(s)) }
	c.send(pkt("qRcmd," + h("icount")))
	c.expect("+" + pkt("O"+h("0\n")) + pkt("OK"))
	// output longer than a packet comes in several O packets
	c.send(pkt("qRcmd," + h("long")))
	c.expect("+")
	var out strings.Builder
	for {
		r := c.readPacket()
		if r == "OK" {
			break
		}
		if r[0] != 'O' || len(r) > DefaultPacketSize {
			t.Fatalf("monitor output packet %.40q (%d bytes)", r, len(r))
		}
		b, err := hex.DecodeString(r[1:])
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
	}
	if out.Len() != 20000 || !strings.HasPrefix(out.String(), "abcdefghijklmnopqrstuvwxyzabc") {
		t.Errorf("long monitor output: %d bytes", out.Len())
	}
	// A command that fails: its output, then its error's text (as is:
	// O packets are hex), then E01 (gdb takes no E.<text> there).
	c.send(pkt("qRcmd," + h("fail")))
	c.expect("+" + pkt("O"+h("partial output\nrvsim: seek: no such #instruction*\n")) + pkt("E01"))
	c.send(pkt("qRcmd," + h("bogus")))
	c.expect("+" + pkt("O"+h("rvsim: unknown monitor command \"bogus\"\n")) + pkt("E01"))
	c.call("qRcmd,6", "E22")
	c.call("qRcmd,zz", "E22")
	if calls := fake.callList(); len(calls) != 4 || calls[0] != `Monitor("icount")` {
		t.Errorf("monitor calls %q", calls)
	}
}

func TestKill(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	c.send(pkt("k"))
	c.expect("+")
	if err := c.wait(); err != nil {
		t.Errorf("Serve after k: %v", err)
	}
	if !fake.killed.Load() {
		t.Errorf("k did not kill the target")
	}
}

func TestDetach(t *testing.T) {
	for _, d := range []string{"D", "D;1"} {
		fake := newFake()
		c := serve(t, fake, false)
		c.call(d, "OK")
		if err := c.wait(); err != nil {
			t.Errorf("Serve after %s: %v", d, err)
		}
		if fake.killed.Load() {
			t.Errorf("%s killed the target", d)
		}
	}
}

// The connection's end between packets kills the target and ends Serve
// without an error; inside a packet, with one wrapping io.ErrUnexpectedEOF.
func TestDisconnect(t *testing.T) {
	fake := newFake()
	c := serve(t, fake, false)
	c.call("?", "T05thread:1;")
	c.c.Close()
	if err := c.wait(); err != nil {
		t.Errorf("Serve after the connection closed: %v", err)
	}
	if !fake.killed.Load() {
		t.Errorf("target not killed")
	}

	fake = newFake()
	c = serve(t, fake, false)
	c.send("$m10000,")
	c.c.Close()
	if err := c.wait(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Serve after a disconnect mid-packet: %v, want io.ErrUnexpectedEOF", err)
	}
	if !fake.killed.Load() {
		t.Errorf("target not killed")
	}
}

// A panic in the target ends the session with an error, not a crash.
func TestTargetPanic(t *testing.T) {
	fake := newFake()
	fake.panicOnMonitor = true
	c := serve(t, fake, false)
	c.send(pkt("qRcmd,00"))
	c.expect("+")
	err := c.wait()
	if err == nil || !strings.Contains(err.Error(), "monitor exploded") {
		t.Errorf("Serve after a panic: %v", err)
	}
	if !fake.killed.Load() {
		t.Errorf("target not killed")
	}
}

func TestListenAddr(t *testing.T) {
	for in, want := range map[string]string{
		":1234": "127.0.0.1:1234", "1234": "127.0.0.1:1234", "127.0.0.1:1234": "127.0.0.1:1234",
		"0.0.0.0:99": "0.0.0.0:99", "[::1]:5": "[::1]:5", "localhost:7": "localhost:7",
	} {
		got, err := listenAddr(in)
		if err != nil || got != want {
			t.Errorf("listenAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1.2.3.4:", "a:b:c"} {
		if got, err := listenAddr(in); err == nil {
			t.Errorf("listenAddr(%q) = %q, want an error", in, got)
		}
	}
}

func TestListen(t *testing.T) {
	l, err := Listen("0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	host, _, _ := net.SplitHostPort(l.Addr().String())
	if host != "127.0.0.1" {
		t.Errorf("Listen(\"0\") on %s, want loopback", l.Addr())
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	_, err = Listen(":" + port)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:"+port) {
		t.Errorf("Listen on a used port: %v, want an error naming 127.0.0.1:%s", err, port)
	}
	_, err = Listen("127.0.0.1:99999")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:99999") {
		t.Errorf("Listen on port 99999: %v", err)
	}
}

// PacketSize sets what qSupported offers, how long a packet may be, and
// how much an m reply carries; a size below the minimum is raised to it.
func TestPacketSizeOption(t *testing.T) {
	for _, c := range []struct{ size, want int }{{0x800, 0x800}, {10, minPacketSize}} {
		fake := newFake()
		a, b := net.Pipe()
		cl := &client{t: t, c: a, done: make(chan error, 1), ack: true}
		go func() { cl.done <- Serve(b, fake, Options{PacketSize: c.size, NoRLE: true}) }()
		cl.call("qSupported", fmt.Sprintf("PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+", c.want))
		cl.send(pkt("m10000,1000"))
		cl.expect("+")
		if r := cl.readPacket(); len(r) != c.want {
			t.Errorf("size %#x: m reply of %d digits, want %d", c.size, len(r), c.want)
		}
		cl.send(pkt("m" + strings.Repeat("0", c.want)))
		cl.expect("-")
		a.Close()
		if err := cl.wait(); err != nil {
			t.Error(err)
		}
	}
}

// Sessions that end every way leave no goroutine behind: Serve closes the
// connection and waits for its reader before it returns.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		for _, end := range []string{"D", "k", "close", "mid", "exit"} {
			fake := newFake()
			a, b := net.Pipe()
			cl := &client{t: t, c: a, done: make(chan error, 1), ack: true}
			go func() { cl.done <- Serve(b, fake, Options{}) }()
			switch end {
			case "D":
				cl.call("D", "OK")
			case "k":
				cl.send(pkt("k"))
				cl.expect("+")
			case "close":
				a.Close()
			case "mid":
				cl.send("$m1")
				a.Close()
			case "exit":
				cl.call("c", "W2a")
			}
			cl.wait()
			// Serve closed its end and waited for its reader: nothing is
			// left even before the client closes its end
			// (the goroutine that ran Serve may still be on its way out)
			if n := settledGoroutines(before); n > before {
				t.Errorf("after %s: %d goroutines, %d before", end, n, before)
			}
			a.Close()
		}
	}
	if n := settledGoroutines(before); n > before {
		t.Errorf("%d goroutines after the sessions, %d before", n, before)
	}
}

// settledGoroutines waits up to a second for the number of goroutines to
// come down to want, and returns it.
func settledGoroutines(want int) int {
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return runtime.NumGoroutine()
}

func TestCSRListFiltered(t *testing.T) {
	rf := newRegFile([]CSR{{0x300, "mstatus"}, {0x300, "again"}, {0x301, "mstatus"}, {0x002, "frm"},
		{0x1000, "toobig"}, {0x7b0, "a0"}, {0x7b1, "bad name"}, {0x7b2, "<x>"}, {0x7b3, ""}, {0xc01, "time"}, {0x100, "sstatus"}})
	var got []string
	for _, c := range rf.csrs {
		got = append(got, fmt.Sprintf("%#x %s", c.Num, c.Name))
	}
	if want := "0x100 sstatus,0x300 mstatus,0xc01 time"; strings.Join(got, ",") != want {
		t.Errorf("CSRs kept %q, want %q", got, want)
	}
	if _, ok := rf.size[RegCSR+0x7b0]; ok {
		t.Errorf("a left-out CSR has a register number")
	}
	if rf.size[RegFrm] != 4 || rf.size[RegCSR+0x100] != 8 {
		t.Errorf("sizes %d %d", rf.size[RegFrm], rf.size[RegCSR+0x100])
	}
}
