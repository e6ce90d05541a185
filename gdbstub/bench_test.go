package gdbstub

import (
	"bytes"
	"io"
	"net"
	"testing"
)

// BenchmarkRoundTrip is one request and reply over a pipe with no acks: a
// g (528 hex digits, run-length encoded) and an m of 2 KiB.
func BenchmarkRoundTrip(b *testing.B) {
	for _, req := range []string{"g", "m10000,800"} {
		b.Run(req, func(b *testing.B) {
			a, p := net.Pipe()
			done := make(chan error, 1)
			go func() { done <- Serve(p, newFake(), Options{}) }()
			io.WriteString(a, pkt("QStartNoAckMode"))
			buf := make([]byte, 8192)
			n, _ := io.ReadAtLeast(a, buf, len("+$OK#9a"))
			if string(buf[:n]) != "+$OK#9a" {
				b.Fatalf("no-ack reply %q", buf[:n])
			}
			msg := []byte(pkt(req))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a.Write(msg)
				got := 0
				for {
					n, err := a.Read(buf[got:])
					if err != nil {
						b.Fatal(err)
					}
					got += n
					if got >= 3 && buf[got-3] == '#' {
						break
					}
				}
			}
			b.StopTimer()
			a.Close()
			<-done
		})
	}
}

// BenchmarkFrameReader decodes a stream of m requests and X writes.
func BenchmarkFrameReader(b *testing.B) {
	var stream bytes.Buffer
	data := make([]byte, 1024)
	for i := range data {
		data[i] = byte(i)
	}
	for i := 0; i < 16; i++ {
		stream.Write(appendPacket(nil, []byte("m10000,800"), false))
		stream.Write(appendPacket(nil, append([]byte("X10000,400:"), data...), false))
	}
	in := stream.Bytes()
	b.SetBytes(int64(len(in)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := newFrameReader(bytes.NewReader(in), DefaultPacketSize)
		for {
			if _, err := f.next(); err != nil {
				break
			}
		}
	}
}
