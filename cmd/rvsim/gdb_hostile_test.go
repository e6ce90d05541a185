package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// Hostile gdb input at the socket level: a raw TCP client, not gdb, talks
// to rvsim replay --gdb. Whatever it sends, rvsim answers with errors or
// ends cleanly: no panic, no stack trace, no hang.

// rawClient speaks the remote protocol's framing by hand: $data#cs
// packets, checksum the sum of the data's bytes modulo 256 in two hex
// digits, each acknowledged with + (gdb's manual, "Overview" of the remote
// protocol).
type rawClient struct {
	t    *testing.T
	conn net.Conn
	buf  []byte
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawClient{t: t, conn: conn}
}

// packet frames data as $data#cs.
func packet(data string) string {
	var sum byte
	for i := 0; i < len(data); i++ {
		sum += data[i]
	}
	return fmt.Sprintf("$%s#%02x", data, sum)
}

func (c *rawClient) send(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("sending %.40q: %v", s, err)
	}
}

// reply reads the next packet rvsim sends (skipping acknowledgements and
// anything before a $), checks its checksum, acknowledges it and returns
// its data, run-length encoding expanded.
func (c *rawClient) reply() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	tmp := make([]byte, 4096)
	for {
		if i := bytes.IndexByte(c.buf, '$'); i >= 0 {
			if j := bytes.IndexByte(c.buf[i:], '#'); j >= 0 && len(c.buf) >= i+j+3 {
				data := string(c.buf[i+1 : i+j])
				cs := string(c.buf[i+j+1 : i+j+3])
				c.buf = c.buf[i+j+3:]
				if want := packet(data); want[len(want)-2:] != cs {
					c.t.Fatalf("reply %q: checksum %s, want %s", data, cs, want[len(want)-2:])
				}
				c.send("+")
				return expandRLE(data)
			}
		}
		n, err := c.conn.Read(tmp)
		c.buf = append(c.buf, tmp[:n]...)
		if err != nil {
			c.t.Fatalf("waiting for a reply: %v (read so far %q)", err, c.buf)
		}
	}
}

// expandRLE expands the remote protocol's run-length encoding: X*n is X
// repeated 1 + (n - 29) more times.
func expandRLE(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '*' && i > 0 && i+1 < len(s) {
			prev := s[i-1]
			for range int(s[i+1]) - 29 {
				b.WriteByte(prev)
			}
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// request sends a packet and returns the reply.
func (c *rawClient) request(data string) string {
	c.t.Helper()
	c.send(packet(data))
	return c.reply()
}

// isError reports whether a reply is an E error (Enn, or E.text).
func isError(r string) bool { return strings.HasPrefix(r, "E") }

// endsClean waits for rvsim to end after the client has gone, and checks
// it did without a panic or a stack trace.
func endsClean(t *testing.T, s *dbgServer, c *rawClient) {
	t.Helper()
	c.conn.Close()
	s.wait(t, 30*time.Second)
	if stderr := s.stderr.String(); badPanic(stderr) {
		t.Fatalf("rvsim panicked:\n%s", stderr)
	}
}

// TestGDBHostileMemory asks for memory a debugger has no business
// reading on the bare-metal program (RAM 0x80000000-0x8fffffff, the ND
// buffer just above): the ND buffer, below RAM, the top of the address
// space and across it, a malformed address, writes, each answer an E
// error; a read across the end of RAM returns only the bytes that exist
// (or an error), one of a huge length at most a packet's worth; a good read
// still works after them.
func TestGDBHostileMemory(t *testing.T) {
	rec := dbgRecord(t, dbgBare, "3")
	s := dbgStartServer(t, "replay", "--gdb", "127.0.0.1:0", rec.elf, rec.trace)
	c := dialRaw(t, s.addr)
	if r := c.request("qSupported:multiprocess+;swbreak+;hwbreak+"); !strings.Contains(r, "PacketSize=") {
		t.Errorf("qSupported: %q, want PacketSize", r)
	}
	if r := c.request("?"); !strings.HasPrefix(r, "T05") && !strings.HasPrefix(r, "S05") {
		t.Errorf("?: %q, want a stop with signal 5", r)
	}
	entry := elfEntry(t, rec.elf)
	good := fmt.Sprintf("m%x,4", entry)
	if r := c.request(good); len(r) != 8 || isError(r) {
		t.Fatalf("%s: %q, want 4 bytes of code", good, r)
	}
	for _, req := range []string{
		"m90000000,8",           // the ND buffer
		"m90000100,10",          // inside it
		"mffffffffffffff00,100", // the top of the address space
		"m0,8",                  // below RAM
		"mfffffffffffffff8,10",  // wrapping around
		"mzz,4",                 // not hexadecimal
		"m80000000",             // no length
		"M90000000,4:00000000",  // writing the ND buffer
		"M80000000,4:00000000",  // writing a replay
	} {
		if r := c.request(req); !isError(r) {
			t.Errorf("%s: %q, want an E error", req, r)
		}
	}
	// A huge length: an error, or as much as a packet holds (a reply
	// may be shorter than asked).
	if r := c.request("m80000000,ffffffffffffffff"); !isError(r) && (len(r) == 0 || len(r) > 1<<20 || len(r)%2 != 0) {
		t.Errorf("m80000000,ffffffffffffffff: %d hex digits, want an error or a packet's worth", len(r))
	}
	// Across the end of RAM: an error, or only the bytes inside it.
	if r := c.request("m8ffffffc,8"); !isError(r) && len(r) > 8 {
		t.Errorf("m8ffffffc,8 across the end of RAM: %q, want an error or 4 bytes at most", r)
	}
	if r := c.request("m8ffffffc,4"); len(r) != 8 || isError(r) {
		t.Errorf("m8ffffffc,4, the last word of RAM: %q", r)
	}
	if r := c.request(good); len(r) != 8 || isError(r) {
		t.Errorf("%s after the bad requests: %q", good, r)
	}
	endsClean(t, s, c)
}

// TestGDBHostileGarbage sends what is not the protocol: bytes outside any
// packet, a packet with a wrong checksum (answered with -), unknown
// packets (answered with an empty reply), then disconnects in the middle
// of a packet; and a second server gets a megabyte of packet that never
// ends. rvsim answers and ends cleanly.
func TestGDBHostileGarbage(t *testing.T) {
	rec := dbgRecord(t, dbgBare, "3")
	s := dbgStartServer(t, "replay", "--gdb", "127.0.0.1:0", rec.elf, rec.trace)
	c := dialRaw(t, s.addr)
	c.send("hello\x00\xff\r\n+-+#00")
	c.send("$m80000000,4#00") // wrong checksum
	deadline := time.Now().Add(10 * time.Second)
	for !bytes.Contains(c.buf, []byte("-")) && time.Now().Before(deadline) {
		c.conn.SetReadDeadline(deadline)
		tmp := make([]byte, 256)
		n, err := c.conn.Read(tmp)
		c.buf = append(c.buf, tmp[:n]...)
		if err != nil {
			break
		}
	}
	if !bytes.Contains(c.buf, []byte("-")) {
		t.Errorf("a packet with a wrong checksum: %q, want a - (NAK)", c.buf)
	}
	c.buf = nil
	for _, req := range []string{"vNoSuchPacket", "qNoSuchQuery", "\x01\x02", "Z9,0,0", "p1000", "P20=zz"} {
		r := c.request(req)
		if r != "" && !isError(r) {
			t.Errorf("%q: %q, want an empty reply or an E error", req, r)
		}
	}
	if r := c.request("?"); !strings.HasPrefix(r, "T05") && !strings.HasPrefix(r, "S05") {
		t.Errorf("? after garbage: %q, want a stop with signal 5", r)
	}
	c.send("$m80000000,")
	endsClean(t, s, c)

	s = dbgStartServer(t, "replay", "--gdb", "127.0.0.1:0", rec.elf, rec.trace)
	c = dialRaw(t, s.addr)
	c.send("$")
	chunk := strings.Repeat("m", 64<<10)
	for range 16 {
		c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c.conn, chunk); err != nil {
			break // rvsim may close a connection that sends an endless packet
		}
	}
	endsClean(t, s, c)
}
