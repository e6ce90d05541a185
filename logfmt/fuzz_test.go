package logfmt

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/ndbuf"
)

// corpusTraces returns small traces, whole and damaged, that seed FuzzReader.
func corpusTraces(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	rng := rand.New(rand.NewSource(6))
	small := func(seed int64, nseg, maxEv int) *trace {
		tr := randTrace(t, seed, nseg, maxEv)
		return tr
	}
	one := small(7, 1, 3)
	out["one-segment"] = one.data
	three := small(8, 3, 5)
	out["three-segments"] = three.data
	out["incomplete"] = three.data[:three.ends[2]]
	out["cut-in-frame"] = three.data[:three.ends[2]+7]
	flipped := append([]byte(nil), three.data...)
	flipped[three.ends[1]+3+rng.Intn(three.ends[2]-three.ends[1]-3)] ^= 0x10
	out["flipped-segment"] = flipped
	empty := writeTrace(t, Header{}, nil, &Footer{})
	out["no-segments"] = empty.data
	cycles := writeTrace(t, Header{Kind: "bare-metal"}, [][]Event{cycleEvents(40)}, &Footer{Instret: 1 << 20})
	out["cycles"] = cycles.data
	return out
}

// TestWriteFuzzCorpus rewrites testdata/fuzz/FuzzReader/seed-* when
// LOGFMT_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("LOGFMT_WRITE_CORPUS") != "1" {
		t.Skip("set LOGFMT_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range corpusTraces(t) {
		text := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzReader reads arbitrary bytes as a trace. The reader must not panic,
// every error must wrap a sentinel and name the file and frame, events must
// never go backwards, and a trace read as complete must write and read back
// identically.
func FuzzReader(f *testing.F) {
	for _, data := range corpusTraces(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(err error) {
			t.Helper()
			if !sentinel(err) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "trace f.zst: frame ") {
				t.Fatalf("error does not name the file and frame: %v", err)
			}
		}
		r, err := NewReader(bytes.NewReader(data), "f.zst")
		if err != nil {
			check(err)
			return
		}
		// r2 reads the same trace with AppendEntries, which must
		// return what Next does, appended to the entries before.
		r2, err := NewReader(bytes.NewReader(data), "f.zst")
		if err != nil {
			t.Fatal(err)
		}
		var all []Event
		var at []int
		var raw []byte
		var segs [][]Event
		var last uint64
		off := r.Offset()
		for {
			evs, err := r.Next()
			n, na, nr := len(all), len(at), len(raw)
			var err2 error
			all, at, raw, err2 = r2.AppendEntries(all, at, raw)
			if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
				t.Fatalf("Next: %v; AppendEntries: %v", err, err2)
			}
			if !sameEntries(all[n:], at[na:], raw[nr:], evs, nr/ndbuf.EntrySize) {
				t.Fatalf("AppendEntries: %d events, %d bytes of entries; Next: %d events", len(all)-n, len(raw)-nr, len(evs))
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				check(err)
				if _, err2 := r.Next(); err2 != err {
					t.Fatalf("the error is not sticky: %v, then %v", err, err2)
				}
				if _, ok := r.Footer(); ok {
					t.Fatal("a footer after an error")
				}
				return
			}
			if len(evs) == 0 {
				t.Fatal("an empty segment")
			}
			for _, e := range evs {
				if e.Instret < last {
					t.Fatalf("instret goes back from %d to %d", last, e.Instret)
				}
				last = e.Instret
			}
			if r.Offset() <= off || r.Offset() > int64(len(data)) {
				t.Fatalf("offset %d after %d, file of %d bytes", r.Offset(), off, len(data))
			}
			off = r.Offset()
			segs = append(segs, copyEvents(evs))
		}
		ft, ok := r.Footer()
		if !ok || ft.Segments != uint64(len(segs)) || r.Offset() != int64(len(data)) || ft.Instret < last {
			t.Fatalf("complete trace: footer %+v (%v), %d segments, offset %d of %d", ft, ok, len(segs), r.Offset(), len(data))
		}
		// Write it again and read it back.
		tr := writeTrace(t, r.Header(), segs, &ft)
		res := readAll(tr.data)
		if res.err != nil || !res.complete || len(res.segs) != len(segs) {
			t.Fatalf("rewritten trace: %v", res.err)
		}
		for i := range segs {
			if !sameEvents(res.segs[i], segs[i]) {
				t.Fatalf("rewritten trace: segment %d differs", i)
			}
		}
		h := r.Header()
		h.Version = Version // rewritten in the current version
		if fmt.Sprint(res.header) != fmt.Sprint(h) || fmt.Sprint(res.footer) != fmt.Sprint(ft) {
			t.Fatalf("rewritten trace: metadata differs")
		}
	})
}

// FuzzSegmentPayload decodes arbitrary bytes as a segment's decompressed
// payload, which FuzzReader rarely reaches through the zstd checksum, in
// each format version. What decodes must encode back to the same bytes:
// the encoding has one form.
func FuzzSegmentPayload(f *testing.F) {
	tr := randTrace(f, 9, 3, 8)
	for _, p := range tr.payloads {
		f.Add(p)
	}
	f.Add([]byte{0, 1, 3, 0x80, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{0, 1, 4, 1, 2, 63, 10, 0, 1, 2, 3, 4, 5, 6, 7, 1, 5, 1, 9})
	// Cases for appendSegment's fast path: a two-byte varint not in its
	// shortest form, one at the payload's end, an instruction count that
	// overflows in two-byte steps, a seed, a kind out of range.
	f.Add([]byte{0, 1, 1, 0x80, 0x00, 0, 0})
	f.Add([]byte{0, 1, 2, 0x81, 0x01, 2, 0x90, 0x03})
	f.Add([]byte{0, 2, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 1, 0xff, 0x7f, 0, 0})
	f.Add([]byte{0, 2, 3, 1, 2, 0x85, 0x02, 1, 1, 1, 5})
	f.Add([]byte{0, 1, 6, 1, 1, 1})
	// Runs (version 3): a good one, with a three-byte varint; one of no
	// events; one after a run; one longer than the segment; a column
	// that ends past the payload; a kind that is not a read.
	f.Add([]byte{0, 3, 0x80, 3, 1, 3, 2, 5, 0x80, 0x80, 0x01, 1, 1, 0, 0, 0x90, 0x03, 0x85, 0x02, 7})
	f.Add([]byte{0, 1, 0x80, 0, 1, 1, 0, 0})
	f.Add([]byte{0, 2, 0x80, 1, 1, 1, 0, 0, 0x80, 1, 1, 1, 0, 0})
	f.Add([]byte{0, 1, 0x80, 2, 1, 1, 1, 1, 0, 0, 0, 0})
	f.Add([]byte{0, 1, 0x80, 1, 1, 0x81})
	f.Add([]byte{0, 1, 0x80, 1, 4, 1, 0, 0})
	f.Fuzz(func(t *testing.T, p []byte) {
		for ver := MinVersion; ver <= Version; ver++ {
			checkAppendSegment(t, ver, p)
			d := decoder{version: ver}
			seq, evs, err := d.segment(p, nil)
			if err != nil {
				continue
			}
			e := encoder{version: ver}
			e.reset(seq, len(evs))
			for i := range evs {
				if err := e.event(&evs[i]); err != nil {
					t.Fatalf("version %d: event %d decoded but does not encode: %v", ver, i, err)
				}
			}
			if got := e.payload(); !bytes.Equal(got, p) {
				t.Fatalf("version %d: re-encoded payload differs:\n got %x\nwant %x", ver, got, p)
			}
		}
	})
}

// checkAppendSegment decodes p with appendEntries, after entries and
// events already in the arrays, and with segment, the referee: the same
// error, or the same sequence number, first instruction count and
// events (each laid out as entriesOf says), the arrays before left alone.
func checkAppendSegment(t *testing.T, ver int, p []byte) {
	t.Helper()
	d := decoder{version: ver}
	seq, want, werr := d.segment(p, nil)
	want = copyEvents(want)
	pre := []Event{{Kind: KindSyscall, Instret: 1, Nr: 64, Writes: []MemWrite{{Addr: 8, Data: []byte{1}}}}}
	preAt := []int{0}
	preRaw := bytes.Repeat([]byte{0xa5}, ndbuf.EntrySize)
	d2 := decoder{version: ver}
	cp := append([]byte(nil), p...)
	seq2, first, got, at, raw, err := d2.appendEntries(cp, pre, preAt, preRaw)
	if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
		t.Fatalf("version %d: appendEntries: %v; segment: %v", ver, err, werr)
	}
	if err != nil {
		return
	}
	if seq2 != seq || first != want[0].Instret || d2.instret != want[len(want)-1].Instret {
		t.Fatalf("version %d: appendEntries: segment %d, instret %d to %d; segment: %d, %d to %d", ver, seq2, first, d2.instret, seq, want[0].Instret, want[len(want)-1].Instret)
	}
	if !sameEvents(got[:1], pre) || at[0] != 0 || !bytes.Equal(raw[:ndbuf.EntrySize], preRaw) {
		t.Fatalf("version %d: appendEntries changed the events before", ver)
	}
	if !sameEntries(got[1:], at[1:], raw[ndbuf.EntrySize:], want, 1) {
		t.Fatalf("version %d: appendEntries's entries or events differ:\n got %+v %v\nwant %+v", ver, got[1:], at[1:], want)
	}
	// The memory writes were copied out of the payload.
	for i := range cp {
		cp[i] = ^cp[i]
	}
	if !sameEntries(got[1:], at[1:], raw[ndbuf.EntrySize:], want, 1) {
		t.Fatalf("version %d: appendEntries's memory writes alias the payload", ver)
	}
}
