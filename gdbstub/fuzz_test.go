package gdbstub

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// script is a gdb byte stream with the replies thrown away.
type script struct {
	io.Reader
	io.Writer
}

// FuzzServe serves arbitrary input from "gdb" to the fake target: Serve must
// end (at the input's end at the latest) without a panic, recovered or not.
func FuzzServe(f *testing.F) {
	for _, s := range []string{
		pkt("qSupported:swbreak+") + pkt("g") + pkt("m10000,ffffffffffffffff") + pkt("c"),
		pkt("QStartNoAckMode") + pkt("Z0,10014,4") + pkt("c") + pkt("bc") + pkt("bs"),
		pkt("Z2,10800,8") + pkt("vCont;c:1") + pkt("vCont;s") + "\x03" + pkt("?"),
		pkt("X10800,4:}]}\x03}\x04}\x0a") + pkt("M10800,2:0102") + pkt("P20=2400010000000000") + pkt("c") + "\x03",
		pkt("qXfer:features:read:target.xml:0,fff") + pkt("qRcmd,69636f756e74") + pkt("p341") + pkt("G00"),
		"garbage$?#00$m0,4#fd-+" + pkt("k"),
		pkt("D"),
		"$m10000,",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fake := newFake()
		fake.reverse = len(in)%2 == 0
		fake.stepLimit = 1000
		fake.watchAfter = len(in)%3 == 0
		done := make(chan error, 1)
		go func() { done <- Serve(script{bytes.NewReader(in), io.Discard}, fake, Options{PacketSize: 1024}) }()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("Serve: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Serve recovered a panic: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Serve did not end")
		}
	})
}
