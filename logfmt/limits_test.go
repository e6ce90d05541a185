package logfmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// bombTrace returns a trace whose one segment frame holds payload,
// compressed as well as zstd can, with a content checksum, and no footer.
func bombTrace(t testing.TB, payload []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(true), zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := NewWriter(&buf, testHeader()); err != nil {
		t.Fatal(err)
	}
	return enc.EncodeAll(payload, buf.Bytes())
}

// tinyEvents is a payload of n cycle events of 4 bytes each.
func tinyEvents(n int) []byte {
	p := binary.AppendUvarint([]byte{0}, uint64(n))
	return append(p, bytes.Repeat([]byte{byte(KindCycle), 0, 0, 0}, n)...)
}

// emptyWrites is a payload of one system call event with n memory writes
// of no bytes at address 0: all zero bytes after the segment's head.
func emptyWrites(n int) []byte {
	p := []byte{0, 1, byte(KindSyscall), 0, 0, 0, 0}
	p = append(p, make([]byte, 8)...) // register hash
	p = binary.AppendUvarint(p, uint64(n))
	return append(p, make([]byte, 2*n)...)
}

// measureRead reads data as a trace and returns the error, the segments
// returned, the bytes allocated and the time taken.
func measureRead(data []byte) (error, int, uint64, time.Duration) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	var err error
	segs := 0
	r, err := NewReader(bytes.NewReader(data), "bomb.zst")
	for err == nil {
		if _, err = r.Next(); err == nil {
			segs++
		}
	}
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return err, segs, after.TotalAlloc - before.TotalAlloc, took
}

// TestBombs reads small crafted traces whose one segment decompresses to
// many events or memory writes. Each is refused as corrupt, and reading it
// allocates a bounded amount (before the limits, the first two took
// hundreds of MiB and seconds).
func TestBombs(t *testing.T) {
	cases := []struct {
		name    string
		payload []byte
		want    string
	}{
		// As many 4-byte events as the largest segment holds.
		{"tiny events at MaxSegment", tinyEvents((MaxSegment - 8) / 4), "more than 16384 (the limit)"},
		// Zero-length memory writes: the payload is zero bytes, which zstd
		// stores in RLE blocks.
		{"empty writes at MaxSegment", emptyWrites((MaxSegment - 24) / 2), "(the limit)"},
		// One more event than the limit, each of 4 bytes.
		{"MaxEvents+1 events", tinyEvents(MaxEvents + 1), "more than 16384 (the limit)"},
		// 16.7 M events in 64 MiB: beyond MaxSegment, refused from the
		// frame's content size.
		{"64 MiB of events", tinyEvents(1<<24 - 2), "exceed"},
	}
	for _, c := range cases {
		data := bombTrace(t, c.payload)
		err, segs, alloc, took := measureRead(data)
		t.Logf("%s: %d-byte trace, %d-byte payload: %v; allocated %.1f MiB in %v", c.name, len(data), len(c.payload), err, float64(alloc)/(1<<20), took)
		if !errors.Is(err, ErrCorrupt) || segs != 0 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %d segments, %v; want none and ErrCorrupt with %q", c.name, segs, err, c.want)
		}
		// The reader holds the payload (MaxSegment) and the decoder's
		// buffers; nothing proportional to the events claimed.
		if alloc > 2*MaxSegment+8<<20 {
			t.Errorf("%s: reading allocated %d bytes", c.name, alloc)
		}
	}
}

// TestLimitsStillRead writes segments at each limit, which read back, and
// checks that the Writer refuses one more.
func TestLimitsStillRead(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	manyEvents := make([]Event, MaxEvents)
	for i := range manyEvents {
		manyEvents[i] = Event{Kind: KindCycle, Instret: uint64(i) * 3, PC: 0x10078, Value: uint64(i) * 7}
	}
	manyWrites := Event{Kind: KindSyscall, Instret: 1 << 20, PC: 0x10100, Nr: 65, Value: MaxWrites, Writes: make([]MemWrite, MaxWrites)}
	for i := range manyWrites.Writes {
		manyWrites.Writes[i] = MemWrite{Addr: uint64(i), Data: []byte{byte(i)}}
	}
	big := make([]byte, MaxSegment-64)
	rng.Read(big)
	bigInput := Event{Kind: KindInput, Instret: 1 << 21, PC: 0x10200, Writes: []MemWrite{{Addr: 0x1000, Data: big}}}
	segs := [][]Event{manyEvents, {manyWrites}, {bigInput}}
	f := testFooter(1 << 22)
	tr := writeTrace(t, testHeader(), segs, &f)
	for i, p := range tr.payloads {
		t.Logf("segment %d: %d events, %d-byte payload, %d-byte frame", i, len(segs[i]), len(p), tr.ends[i+1]-tr.ends[i])
	}
	err, n, alloc, took := measureRead(tr.data)
	t.Logf("read %d segments in %v, allocating %.1f MiB", n, took, float64(alloc)/(1<<20))
	res := readAll(tr.data)
	if res.err != nil || !res.complete || len(res.segs) != len(segs) || err != io.EOF {
		t.Fatalf("%d segments, %v", len(res.segs), res.err)
	}
	for i := range segs {
		if !sameEvents(res.segs[i], segs[i]) {
			t.Fatalf("segment %d differs", i)
		}
	}

	// One more of each is refused, and nothing is written.
	over := map[string][]Event{
		"MaxEvents+1 events": append(manyEvents[:MaxEvents:MaxEvents], Event{Kind: KindCycle, Instret: 1 << 19}),
		"MaxWrites+1 writes": {manyWrites, {Kind: KindInput, Instret: 1 << 20, Writes: []MemWrite{{Data: []byte{1}}}}},
		"a larger payload":   {{Kind: KindInput, Writes: []MemWrite{{Data: make([]byte, MaxSegment)}}}},
	}
	for name, evs := range over {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, testHeader())
		if err != nil {
			t.Fatal(err)
		}
		n := buf.Len()
		err = w.WriteSegment(evs)
		if err == nil || !strings.Contains(err.Error(), "limit") || buf.Len() != n {
			t.Errorf("%s: %v, %d bytes written; want a refusal naming the limit", name, err, buf.Len()-n)
		}
	}
}
