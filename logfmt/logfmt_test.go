package logfmt

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

func testHeader() Header {
	return Header{RvsimVersion: "test", ELF: "prog.elf", ELFSHA256: "ab", Args: []string{"prog.elf", "x"},
		Env: []string{"A=1"}, ISA: "rv64im", Kind: "linux", MemSize: 1 << 20, NDBuffer: 16, Created: "2026-01-01T00:00:00Z"}
}

// randomSegments makes n segments of random events of every kind.
func randomSegments(rng *rand.Rand, n int) [][]Event {
	var segs [][]Event
	instret, cyc := uint64(0), uint64(1000)
	for s := 0; s < n; s++ {
		var evs []Event
		for i := 0; i < 1+rng.Intn(40); i++ {
			instret += uint64(rng.Intn(300))
			ev := Event{Kind: Kind(1 + rng.Intn(5)), Instret: instret, PC: 0x10000 + uint64(rng.Intn(64))*4}
			switch ev.Kind {
			case KindCycle, KindTime:
				cyc += uint64(rng.Intn(500))
				ev.Value = cyc
			case KindSeed:
				ev.Value = 0x80000000 | uint64(rng.Intn(1<<16))
				if rng.Intn(10) == 0 {
					ev.Value = rng.Uint64()
				}
			case KindSyscall, KindInput:
				ev.Nr = uint64(rng.Intn(300))
				ev.Value = uint64(rng.Int63n(100) - 50)
				if ev.Kind == KindInput {
					ev.Nr = 0
				}
				for w := 0; w < rng.Intn(3); w++ {
					d := make([]byte, rng.Intn(40))
					rng.Read(d)
					ev.Writes = append(ev.Writes, MemWrite{Addr: rng.Uint64(), Data: d})
				}
			}
			evs = append(evs, ev)
		}
		segs = append(segs, evs)
	}
	return segs
}

func writeTrace(t testing.TB, segs [][]Event) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range segs {
		if err := w.WriteSegment(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(Footer{Instret: 1 << 40, Events: map[string]uint64{"cycle": 1}, Exits: map[string]uint64{}, Reason: "exit", Digest: "d"}); err != nil {
		t.Fatal(err)
	}
	if int(w.Bytes()) != b.Len() {
		t.Fatalf("Bytes() = %d, wrote %d", w.Bytes(), b.Len())
	}
	return b.Bytes()
}

// readAll reads a whole trace; it returns the segments read before any error.
func readAll(data []byte) (Header, [][]Event, *Footer, error) {
	r, err := NewReader(bytes.NewReader(data), "t.zst")
	if err != nil {
		return Header{}, nil, nil, err
	}
	var segs [][]Event
	for {
		evs, err := r.Next()
		if err == io.EOF {
			f, _ := r.Footer()
			return r.Header(), segs, &f, nil
		}
		if err != nil {
			return r.Header(), segs, nil, err
		}
		segs = append(segs, append([]Event(nil), evs...))
	}
}

func normalize(segs [][]Event) [][]Event {
	for _, s := range segs {
		for i := range s {
			if len(s[i].Writes) == 0 {
				s[i].Writes = nil
			}
			for j := range s[i].Writes {
				if len(s[i].Writes[j].Data) == 0 {
					s[i].Writes[j].Data = nil
				}
			}
		}
	}
	return segs
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	segs := randomSegments(rng, 50)
	h, got, f, err := readAll(writeTrace(t, segs))
	if err != nil {
		t.Fatal(err)
	}
	want := testHeader()
	want.Version = Version
	if !reflect.DeepEqual(h, want) {
		t.Errorf("header %+v, want %+v", h, want)
	}
	if !reflect.DeepEqual(normalize(got), normalize(segs)) {
		t.Errorf("events differ after a round trip")
	}
	if f.Segments != 50 || f.Reason != "exit" || f.Instret != 1<<40 {
		t.Errorf("footer %+v", f)
	}
}

// TestZstdCommand uses the zstd command as the referee: it must accept the
// file and decode it.
func TestZstdCommand(t *testing.T) {
	zstd, err := exec.LookPath("zstd")
	if err != nil {
		t.Fatal("the zstd command is needed (Debian package zstd)")
	}
	data := writeTrace(t, randomSegments(rand.New(rand.NewSource(2)), 20))
	p := filepath.Join(t.TempDir(), "t.zst")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(zstd, "-t", p).CombinedOutput(); err != nil {
		t.Fatalf("zstd -t: %v\n%s", err, out)
	}
	out, err := exec.Command(zstd, "-dc", p).Output()
	if err != nil || len(out) == 0 {
		t.Fatalf("zstd -dc: %v (%d bytes)", err, len(out))
	}
	// The decoded stream is the concatenation of the segment payloads.
	var d decoder
	seq := uint64(0)
	for off := 0; off < len(out); seq++ {
		// Find the payload length by decoding it event by event.
		n := payloadLen(t, out[off:])
		if _, _, err := d.segment(out[off:off+n], nil); err != nil {
			t.Fatalf("segment %d from zstd -dc: %v", seq, err)
		}
		off += n
	}
	if seq != 20 {
		t.Errorf("zstd -dc decoded %d segments, want 20", seq)
	}
}

// payloadLen returns the length of the segment payload at the start of b.
func payloadLen(t *testing.T, b []byte) int {
	for n := 1; n <= len(b); n++ {
		var d decoder
		if _, _, err := d.segment(b[:n], nil); err == nil {
			return n
		}
	}
	t.Fatal("no whole segment payload")
	return 0
}

func TestTruncation(t *testing.T) {
	segs := randomSegments(rand.New(rand.NewSource(3)), 6)
	data := writeTrace(t, segs)
	for n := 0; n < len(data); n++ {
		_, got, f, err := readAll(data[:n])
		if err == nil || f != nil {
			t.Fatalf("cut at %d of %d: read as complete", n, len(data))
		}
		if !errors.Is(err, ErrIncomplete) && !errors.Is(err, ErrNotTrace) {
			t.Fatalf("cut at %d: error %v, want incomplete", n, err)
		}
		for i, s := range got {
			if !reflect.DeepEqual(normalize([][]Event{s}), normalize([][]Event{segs[i]})) {
				t.Fatalf("cut at %d: segment %d differs from what was written", n, i)
			}
		}
	}
}

// TestEveryByteFlipped damages each byte in turn: every damaged file must
// either read exactly as the original or fail with a trace error.
func TestEveryByteFlipped(t *testing.T) {
	segs := randomSegments(rand.New(rand.NewSource(4)), 5)
	data := writeTrace(t, segs)
	h0, s0, f0, err := readAll(data)
	if err != nil {
		t.Fatal(err)
	}
	var detected, harmless int
	for i := range data {
		for _, flip := range []byte{0xff, 0x01} {
			bad := bytes.Clone(data)
			bad[i] ^= flip
			h, s, f, err := readAll(bad)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrIncomplete) && !errors.Is(err, ErrNotTrace) && !errors.Is(err, ErrVersion) {
					t.Fatalf("byte %d: error %v wraps no trace error", i, err)
				}
				for k := range s {
					if !reflect.DeepEqual(s[k], s0[k]) {
						t.Fatalf("byte %d: segment %d returned damaged before the error", i, k)
					}
				}
				detected++
				continue
			}
			if !reflect.DeepEqual(h, h0) || !reflect.DeepEqual(s, s0) || !reflect.DeepEqual(f, f0) {
				t.Fatalf("byte %d (^%#x): damaged trace read without error and differs", i, flip)
			}
			harmless++
		}
	}
	t.Logf("%d damaged files: %d detected, %d harmless, 0 missed", 2*len(data), detected, harmless)
}

// TestBytesPerEvent: steadily growing cycle values compress far below the
// 8 bytes of a raw value.
func TestBytesPerEvent(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	var evs []Event
	instret, v := uint64(0), uint64(1_000_000)
	for i := 0; i < 100_000; i++ {
		instret += 100
		v += 100 + uint64(rng.Intn(100))
		evs = append(evs, Event{Kind: KindCycle, Instret: instret, PC: 0x10080, Value: v})
	}
	var segs [][]Event
	for i := 0; i < len(evs); i += 4096 {
		segs = append(segs, evs[i:min(i+4096, len(evs))])
	}
	data := writeTrace(t, segs)
	bpe := float64(len(data)) / float64(len(evs))
	t.Logf("%d events in %d bytes: %.3f bytes per event", len(evs), len(data), bpe)
	if bpe >= 3 {
		t.Errorf("%.2f bytes per event, want under 3", bpe)
	}
}

func TestRejects(t *testing.T) {
	if _, err := NewReader(bytes.NewReader(nil), "e"); !errors.Is(err, ErrNotTrace) {
		t.Errorf("empty file: %v", err)
	}
	if _, err := NewReader(bytes.NewReader([]byte("hello, world")), "e"); !errors.Is(err, ErrNotTrace) {
		t.Errorf("text file: %v", err)
	}
	data := writeTrace(t, randomSegments(rand.New(rand.NewSource(6)), 2))
	garbage := append(bytes.Clone(data), 0)
	if _, _, _, err := readAll(garbage); !errors.Is(err, ErrCorrupt) {
		t.Errorf("garbage after the footer: %v", err)
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	evs := make([]Event, 4096)
	for i := range evs {
		evs[i] = Event{Kind: KindCycle, Instret: uint64(i) * 100, PC: 0x10080, Value: uint64(i) * 150}
	}
	w, err := NewWriter(io.Discard, testHeader())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for n := 0; n < b.N; n += len(evs) {
		if err := w.WriteSegment(evs); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzReader reads arbitrary bytes as a trace: it must never panic, and a
// trace that reads without error must re-encode to the same events.
func FuzzReader(f *testing.F) {
	f.Add(writeTrace(f, randomSegments(rand.New(rand.NewSource(7)), 3)))
	f.Add(writeTrace(f, randomSegments(rand.New(rand.NewSource(8)), 1))[:100])
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(data)
	})
}
