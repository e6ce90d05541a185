package gdbstub

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"
)

// The expected packets below are written out in full; their checksums were
// computed apart (the byte sum modulo 256), and the examples "$OK#9a",
// "$#00" and "0* " for "0000" are those of gdb's manual.
func TestAppendPacket(t *testing.T) {
	for _, c := range []struct {
		data string
		rle  bool
		want string
	}{
		{"OK", false, "$OK#9a"},
		{"", false, "$#00"},
		{"T05thread:1;", true, "$T05thread:1;#d7"},
		// escaping: } # $ * become } and the byte xor 0x20
		{"}#$*", false, "$}]}\x03}\x04}\x0a#62"},
		{"}#$*", true, "$}]}\x03}\x04}\x0a#62"},
		// run-length encoding: x*n repeats x n-29 more times
		{"0000", true, "$0* #7a"},
		{"000", true, "$000#90"},
		{"0000000000", true, "$0*&#80"},
		// 6 and 7 more would be '#' and '$': 5 more, then the rest as is
		{"0000000", true, "$0*\"0#ac"},
		{"00000000", true, "$0*\"00#dc"},
		{"0000000000", false, "$0000000000#e0"},
		// runs longer than 97 more take several counts
		{strings.Repeat("x", 1+97+97), true, "$x*~*~#c8"},
	} {
		got := string(appendPacket(nil, []byte(c.data), c.rle))
		if got != c.want {
			t.Errorf("appendPacket(%q, rle %v) = %q, want %q", c.data, c.rle, got, c.want)
		}
	}
}

func TestDecodeBody(t *testing.T) {
	for _, c := range []struct {
		raw, want string
		err       error
	}{
		{"0* ", "0000", nil},
		{"a*!b", "aaaaab", nil},
		{"}]", "}", nil},
		{"}\x03}\x04}\x0a", "#$*", nil},
		{"X1000,2:}]}\x03", "X1000,2:}#", nil},
		{"*a", "", errRLEStart},
		{"a*", "", errRLEEnd},
		{"a*\x1f", "", errRLECount},
		{"a*\x7f", "", errRLECount},
		{"ab}", "", errEscEnd},
		{"a*~", "", errTooLong}, // 98 bytes > limit 64
	} {
		got, err := decodeBody([]byte(c.raw), 64)
		if !errors.Is(err, c.err) || err == nil && string(got) != c.want {
			t.Errorf("decodeBody(%q) = %q, %v; want %q, %v", c.raw, got, err, c.want, c.err)
		}
	}
}

// readAll collects the events of a stream up to its end.
func readEvents(t *testing.T, in string, limit int) ([]event, error) {
	t.Helper()
	f := newFrameReader(strings.NewReader(in), limit)
	var evs []event
	for {
		ev, err := f.next()
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
}

func TestFrameReader(t *testing.T) {
	in := "+$g#67-\x03junk\xff$m0,4#FD$?#00$0123456789abcdef0#00$OK#9a$m0,$?#3f$0* #7a"
	evs, err := readEvents(t, in, 16)
	if err != io.EOF {
		t.Fatalf("error %v, want io.EOF", err)
	}
	want := []struct {
		kind eventKind
		data string
	}{
		{evPacket, "g"},
		{evNak, ""},
		{evInterrupt, ""},
		{evPacket, "m0,4"}, // upper-case checksum digits
		{evBad, "?"},       // bad checksum
		{evBad, ""},        // 17 bytes > 16: dropped whatever its checksum
		{evPacket, "OK"},
		{evPacket, "?"}, // a $ inside a packet starts a new one
		{evPacket, "0000"},
	}
	if len(evs) != len(want) {
		t.Fatalf("got %d events %+v, want %d", len(evs), evs, len(want))
	}
	for i, w := range want {
		if evs[i].kind != w.kind || w.kind == evPacket && string(evs[i].data) != w.data {
			t.Errorf("event %d = %d %q, want %d %q", i, evs[i].kind, evs[i].data, w.kind, w.data)
		}
	}
	if evs[5].why == "" || !strings.Contains(evs[5].why, "longer than 16") {
		t.Errorf("too long packet: why = %q", evs[5].why)
	}
}

func TestFrameReaderMidPacket(t *testing.T) {
	for _, in := range []string{"$m10", "$m10#", "$m10#6"} {
		_, err := readEvents(t, in, 64)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: error %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
}

// A packet far longer than the limit is read through without being kept.
func TestFrameReaderBounded(t *testing.T) {
	big := "$" + strings.Repeat("A", 1<<20) + "#00$OK#9a"
	f := newFrameReader(strings.NewReader(big), 1024)
	ev, err := f.next()
	if err != nil || ev.kind != evBad || len(ev.data) > 1024 {
		t.Fatalf("first event %d (%d bytes), %v; want evBad of at most 1024 bytes", ev.kind, len(ev.data), err)
	}
	if cap(f.raw) > 2048 {
		t.Errorf("reader kept %d bytes", cap(f.raw))
	}
	ev, err = f.next()
	if err != nil || ev.kind != evPacket || string(ev.data) != "OK" {
		t.Fatalf("second event %d %q, %v; want the packet OK", ev.kind, ev.data, err)
	}
}

// Random data survives appendPacket and the frame reader, with and without
// run-length encoding.
func TestPacketRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		data := make([]byte, r.Intn(300))
		alphabet := []byte("0}#$*a\x03+-")
		for j := range data {
			if r.Intn(3) == 0 {
				data[j] = byte(r.Intn(256))
			} else {
				data[j] = alphabet[r.Intn(len(alphabet))]
			}
			if r.Intn(4) == 0 && j > 0 {
				data[j] = data[j-1]
			}
		}
		rle := i%2 == 0
		pkt := appendPacket(nil, data, rle)
		if !rle && len(pkt) != escapedLen(data)+4 {
			t.Fatalf("escapedLen %d, packet %d bytes", escapedLen(data), len(pkt))
		}
		evs, err := readEvents(t, string(pkt), 4096)
		if err != io.EOF || len(evs) != 1 || evs[0].kind != evPacket || !bytes.Equal(evs[0].data, data) {
			t.Fatalf("round trip of %q (rle %v) via %q: %+v, %v", data, rle, pkt, evs, err)
		}
	}
}

// FuzzPackets feeds arbitrary bytes to the packet layer: it must end with
// an error at the end of input, never keep more than the limit, and every
// packet it finds must survive encoding again.
func FuzzPackets(f *testing.F) {
	for _, s := range []string{
		"$g#67", "+$qSupported:swbreak+#8b", "$0* #7a", "$}]}\x03#00", "\x03$?#3f-",
		"$X10000,2:}]}\x03#00", "$a*~#00", "$$$##", "$m0,ffffffffffffffff#00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 64
		fr := newFrameReader(bytes.NewReader(in), limit)
		for {
			ev, err := fr.next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("error %v", err)
				}
				return
			}
			if len(ev.data) > limit {
				t.Fatalf("event of %d bytes > limit", len(ev.data))
			}
			if ev.kind == evPacket {
				for _, rle := range []bool{false, true} {
					pkt := appendPacket(nil, ev.data, rle)
					got, err := decodeBody(pkt[1:len(pkt)-3], 4*limit)
					if err != nil || !bytes.Equal(got, ev.data) {
						t.Fatalf("re-encoding %q: %q, %v", ev.data, got, err)
					}
				}
			}
		}
	})
}
