package logfmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/ndbuf"
)

// testHeader is a header with every field set.
func testHeader() Header {
	return Header{
		Version:      Version,
		RvsimVersion: "0.1.0-test",
		ELF:          "programs/bin/nondet.elf",
		ELFSHA256:    strings.Repeat("ab", 32),
		Args:         []string{"nondet", "-n", "3", "a b\x00c\"\\"},
		Env:          []string{"HOME=/", "LANG=C.UTF-8"},
		ISA:          "rv64im_zicsr_zifencei_zicntr_zkr_xndrr",
		Kind:         "linux",
		MemSize:      64 << 20,
		NDBuffer:     4096,
		Created:      "2026-01-02T03:04:05Z",
	}
}

func testFooter(instret uint64) Footer {
	return Footer{
		Instret: instret,
		Events:  map[string]uint64{"cycle": 10, "time": 3, "seed": 1, "syscall": 7, "input": 1},
		Exits:   map[string]uint64{"nd_full": 4, "ecall": 7},
		Status:  3,
		Reason:  "exit",
		Digest:  strings.Repeat("0f", 32),
	}
}

// randEvents returns n events of every kind, starting at instret.
func randEvents(rng *rand.Rand, n int, instret *uint64) []Event {
	evs := make([]Event, n)
	pcs := []uint64{0x10078, 0x1008c, 0x8000_0000, 0xffff_ffff_ffff_fff0, 0}
	for i := range evs {
		e := &evs[i]
		e.Kind = Kind(1 + rng.Intn(5))
		switch rng.Intn(4) {
		case 0:
			*instret += rng.Uint64() >> uint(20+rng.Intn(44))
		case 1:
			// same instruction count as the previous event
		default:
			*instret += uint64(rng.Intn(300))
		}
		e.Instret = *instret
		if rng.Intn(3) == 0 {
			e.PC = rng.Uint64()
		} else {
			e.PC = pcs[rng.Intn(len(pcs))] + uint64(rng.Intn(64))*4
		}
		switch e.Kind {
		case KindCycle, KindTime:
			e.Value = rng.Uint64() >> uint(rng.Intn(64))
		case KindSeed:
			if rng.Intn(4) == 0 {
				e.Value = rng.Uint64()
			} else {
				e.Value = 0x80000000 | uint64(rng.Intn(1<<16))
			}
		case KindSyscall, KindInput:
			if e.Kind == KindSyscall {
				e.Nr = uint64(rng.Intn(450))
				e.Regs = rng.Uint64()
				e.Value = uint64(int64(rng.Intn(200) - 100))
				if rng.Intn(5) == 0 {
					e.Value = rng.Uint64()
				}
			} else {
				e.Value = rng.Uint64() >> uint(rng.Intn(64))
			}
			nw := rng.Intn(4)
			for j := 0; j < nw; j++ {
				w := MemWrite{Addr: rng.Uint64() >> uint(rng.Intn(64))}
				if l := rng.Intn(70); l > 0 {
					w.Data = make([]byte, l)
					rng.Read(w.Data)
				}
				e.Writes = append(e.Writes, w)
			}
		}
	}
	return evs
}

// copyEvents copies events deeply, since a Reader reuses its buffers.
func copyEvents(evs []Event) []Event {
	out := make([]Event, len(evs))
	for i, e := range evs {
		out[i] = e
		out[i].Writes = nil
		for _, w := range e.Writes {
			out[i].Writes = append(out[i].Writes, MemWrite{Addr: w.Addr, Data: append([]byte(nil), w.Data...)})
		}
	}
	return out
}

// trace is a written trace and what went into it.
type trace struct {
	data     []byte
	header   Header
	segs     [][]Event
	footer   Footer   // as read back (Segments filled in)
	ends     []int    // file offset after the header and after each segment frame
	payloads [][]byte // each segment's decompressed payload
}

func writeTrace(t testing.TB, h Header, segs [][]Event, f *Footer) *trace {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	tr := &trace{header: h, segs: segs}
	tr.header.Version = Version
	tr.ends = append(tr.ends, buf.Len())
	var e encoder
	for i, s := range segs {
		if err := w.WriteSegment(s); err != nil {
			t.Fatal(err)
		}
		tr.ends = append(tr.ends, buf.Len())
		e.reset(uint64(i), len(s))
		for j := range s {
			if err := e.event(&s[j]); err != nil {
				t.Fatal(err)
			}
		}
		tr.payloads = append(tr.payloads, append([]byte(nil), e.payload()...))
	}
	if w.Segments() != uint64(len(segs)) {
		t.Fatalf("Segments() = %d, want %d", w.Segments(), len(segs))
	}
	if f != nil {
		if err := w.Close(*f); err != nil {
			t.Fatal(err)
		}
		tr.footer = *f
		tr.footer.Segments = uint64(len(segs))
	}
	if w.Bytes() != uint64(buf.Len()) {
		t.Fatalf("Bytes() = %d, the buffer holds %d", w.Bytes(), buf.Len())
	}
	tr.data = buf.Bytes()
	return tr
}

// randTrace writes nseg segments of up to maxEv random events.
func randTrace(t testing.TB, seed int64, nseg, maxEv int) *trace {
	rng := rand.New(rand.NewSource(seed))
	var instret uint64
	segs := make([][]Event, nseg)
	for i := range segs {
		segs[i] = randEvents(rng, 1+rng.Intn(maxEv), &instret)
	}
	f := testFooter(instret + uint64(rng.Intn(10)))
	return writeTrace(t, testHeader(), segs, &f)
}

// result is what a Reader made of a file.
type result struct {
	header   Header
	segs     [][]Event
	footer   Footer
	complete bool
	err      error
}

func readAll(data []byte) result {
	var res result
	r, err := NewReader(bytes.NewReader(data), "t.zst")
	if err != nil {
		res.err = err
		return res
	}
	res.header = r.Header()
	for {
		evs, err := r.Next()
		if err == io.EOF {
			res.footer, res.complete = r.Footer()
			return res
		}
		if err != nil {
			res.err = err
			return res
		}
		res.segs = append(res.segs, copyEvents(evs))
	}
}

// sameEvents compares events, taking an empty slice and nil as equal.
func sameEvents(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Kind != y.Kind || x.Instret != y.Instret || x.PC != y.PC || x.Value != y.Value || x.Nr != y.Nr || x.Regs != y.Regs || len(x.Writes) != len(y.Writes) {
			return false
		}
		for j := range x.Writes {
			if x.Writes[j].Addr != y.Writes[j].Addr || !bytes.Equal(x.Writes[j].Data, y.Writes[j].Data) {
				return false
			}
		}
	}
	return true
}

func sentinel(err error) bool {
	return errors.Is(err, ErrCorrupt) || errors.Is(err, ErrIncomplete) || errors.Is(err, ErrNotTrace) || errors.Is(err, ErrVersion)
}

func TestRoundTrip(t *testing.T) {
	tr := randTrace(t, 1, 300, 200)
	r, err := NewReader(bytes.NewReader(tr.data), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header(); !reflect.DeepEqual(got, tr.header) {
		t.Fatalf("header %+v, want %+v", got, tr.header)
	}
	if r.Offset() != int64(tr.ends[0]) {
		t.Fatalf("Offset() after the header = %d, want %d", r.Offset(), tr.ends[0])
	}
	kinds := map[Kind]int{}
	for i, want := range tr.segs {
		if r.Segment() != uint64(i) {
			t.Fatalf("Segment() = %d, want %d", r.Segment(), i)
		}
		got, err := r.Next()
		if err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
		if !sameEvents(got, want) {
			t.Fatalf("segment %d differs", i)
		}
		if r.Offset() != int64(tr.ends[i+1]) {
			t.Fatalf("Offset() after segment %d = %d, want %d", i, r.Offset(), tr.ends[i+1])
		}
		for _, e := range got {
			kinds[e.Kind]++
		}
	}
	if _, ok := r.Footer(); ok {
		t.Fatal("Footer() is valid before the footer was read")
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last segment: %v, want io.EOF", err)
	}
	f, ok := r.Footer()
	if !ok || !reflect.DeepEqual(f, tr.footer) {
		t.Fatalf("footer %+v %v, want %+v", f, ok, tr.footer)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the footer: %v, want io.EOF again", err)
	}
	if r.Offset() != int64(len(tr.data)) {
		t.Fatalf("Offset() at the end = %d, want %d", r.Offset(), len(tr.data))
	}
	for k := KindCycle; k <= KindInput; k++ {
		if kinds[k] == 0 {
			t.Errorf("no %s event in the test data", k)
		}
	}
	t.Logf("%d segments, %d bytes, kinds %v", len(tr.segs), len(tr.data), kinds)
}

func TestKindString(t *testing.T) {
	want := []string{"kind0", "cycle", "time", "seed", "syscall", "input", "kind6"}
	for k, s := range want {
		if got := Kind(k).String(); got != s {
			t.Errorf("Kind(%d) = %q, want %q", k, got, s)
		}
	}
}

// TestKindIsNdbufKind checks that a trace event's kind and an ND buffer
// entry's are one type with one numbering: an entry's kind goes into an
// Event without a conversion.
func TestKindIsNdbufKind(t *testing.T) {
	e := ndbuf.Entry{Kind: ndbuf.KindOf(csr.Seed)}
	ev := Event{Kind: e.Kind}
	if ev.Kind != KindSeed || reflect.TypeOf(ev.Kind) != reflect.TypeOf(e.Kind) {
		t.Fatalf("Event.Kind %v of type %T, entry kind %v of type %T", ev.Kind, ev.Kind, e.Kind, e.Kind)
	}
	pairs := map[Kind]ndbuf.Kind{KindCycle: ndbuf.KindCycle, KindTime: ndbuf.KindTime, KindSeed: ndbuf.KindSeed, KindSyscall: ndbuf.KindSyscall, KindInput: ndbuf.KindInput}
	for k, n := range pairs {
		if k != n {
			t.Errorf("logfmt %v is %d, ndbuf %v is %d", k, k, n, n)
		}
	}
}

// TestWriterRefuses checks that the Writer refuses what would not read
// back identically, and writes nothing then.
func TestWriterRefuses(t *testing.T) {
	bad := map[string][]Event{
		"kind 0":              {{Kind: 0}},
		"kind 6":              {{Kind: 6}},
		"instret backwards":   {{Kind: KindCycle, Instret: 5}, {Kind: KindCycle, Instret: 4}},
		"nr on a seed":        {{Kind: KindSeed, Nr: 3}},
		"writes on a cycle":   {{Kind: KindCycle, Writes: []MemWrite{{Addr: 1, Data: []byte{1}}}}},
		"writes on time":      {{Kind: KindTime, Writes: []MemWrite{{}}}},
		"nr on an input":      {{Kind: KindInput, Nr: 1}},
		"regs on an input":    {{Kind: KindInput, Instret: 100, Regs: 1}},
		"regs on a cycle":     {{Kind: KindCycle, Instret: 100, Regs: 1}},
		"behind the last one": {{Kind: KindCycle, Instret: 99}},
	}
	for name, evs := range bad {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, testHeader())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteSegment([]Event{{Kind: KindTime, Instret: 100}}); err != nil {
			t.Fatal(err)
		}
		n := buf.Len()
		if err := w.WriteSegment(evs); err == nil {
			t.Errorf("%s: WriteSegment accepted it", name)
		} else if buf.Len() != n || w.Segments() != 1 {
			t.Errorf("%s: refused (%v) but wrote %d bytes", name, err, buf.Len()-n)
		}
	}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, testHeader())
	if err := w.WriteSegment([]Event{{Kind: KindTime, Instret: 100}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Footer{Instret: 99}); err == nil {
		t.Error("Close accepted a footer that ends before the last event")
	}
	if err := w.Close(Footer{Instret: 100}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSegment([]Event{{Kind: KindTime, Instret: 100}}); err == nil {
		t.Error("WriteSegment after Close succeeded")
	}
	if res := readAll(buf.Bytes()); !res.complete || res.err != nil {
		t.Errorf("the trace does not read back: %v", res.err)
	}
}

// failWriter fails after n bytes.
type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterSticksToItsError(t *testing.T) {
	fw := &failWriter{n: 1000}
	w, err := NewWriter(fw, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(2))
	var instret uint64
	var werr error
	for i := 0; i < 100 && werr == nil; i++ {
		werr = w.WriteSegment(randEvents(rng, 50, &instret))
	}
	if werr == nil || !strings.Contains(werr.Error(), "disk full") {
		t.Fatalf("no write error: %v", werr)
	}
	if err := w.WriteSegment([]Event{{Kind: KindCycle, Instret: instret}}); err == nil {
		t.Error("WriteSegment after a failed write succeeded")
	}
	if err := w.Close(Footer{Instret: instret}); err == nil {
		t.Error("Close after a failed write succeeded")
	}
	if w.Bytes() != 1000 {
		t.Errorf("Bytes() = %d, want 1000", w.Bytes())
	}
}

// TestHeldWriter checks NewHeldWriter: nothing is written until
// WriteHeader, or the first segment, writes the header; the trace is then
// byte for byte NewWriter's. An abandoned Writer writes nothing ever and
// fails every call; once the header is out, Abandon changes nothing. A
// header write that fails names the header frame.
func TestHeldWriter(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var instret uint64
	seg := randEvents(rng, 50, &instret)
	write := func(w *Writer) {
		t.Helper()
		if err := w.WriteSegment(seg); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(Footer{Instret: instret}); err != nil {
			t.Fatal(err)
		}
	}
	var want bytes.Buffer
	w, err := NewWriter(&want, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	write(w)
	for _, explicit := range []bool{true, false} {
		var got bytes.Buffer
		w, err := NewHeldWriter(&got, testHeader())
		if err != nil {
			t.Fatal(err)
		}
		if got.Len() != 0 || w.Bytes() != 0 {
			t.Fatalf("NewHeldWriter wrote %d bytes (Bytes %d), want none", got.Len(), w.Bytes())
		}
		if explicit {
			if err := w.WriteHeader(); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteHeader(); err != nil || uint64(got.Len()) != w.Bytes() || got.Len() == 0 {
				t.Fatalf("WriteHeader twice: %v, %d bytes written, Bytes %d", err, got.Len(), w.Bytes())
			}
			w.Abandon() // the header is out: no effect
		}
		write(w)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("held writer (WriteHeader %v): %d bytes differ from NewWriter's %d", explicit, got.Len(), want.Len())
		}
	}
	var none bytes.Buffer
	w, err = NewHeldWriter(&none, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	w.Abandon()
	if err := w.WriteSegment(seg); !errors.Is(err, errAbandoned) {
		t.Errorf("WriteSegment after Abandon: %v, want errAbandoned", err)
	}
	if err := w.WriteHeader(); !errors.Is(err, errAbandoned) {
		t.Errorf("WriteHeader after Abandon: %v, want errAbandoned", err)
	}
	if err := w.Close(Footer{Instret: instret}); err == nil {
		t.Error("Close after Abandon succeeded")
	}
	if none.Len() != 0 {
		t.Errorf("an abandoned Writer wrote %d bytes", none.Len())
	}
	w, err = NewHeldWriter(&failWriter{n: 10}, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHeader(); err == nil || !strings.Contains(err.Error(), "writing trace header (frame 0) at offset 0 (10 of its") {
		t.Errorf("a failed header write: %v, want it to name the header frame", err)
	}
}

// zstdCommand returns the path of the Debian zstd command; the test fails
// without it.
func zstdCommand(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("zstd")
	if err != nil {
		t.Fatalf("the zstd command is needed for this test (Debian package zstd: apt-get install zstd): %v", err)
	}
	return p
}

func TestZstdCommandReadsTrace(t *testing.T) {
	zstd := zstdCommand(t)
	tr := randTrace(t, 3, 50, 300)
	path := filepath.Join(t.TempDir(), "trace.zst")
	if err := os.WriteFile(path, tr.data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(zstd, "-q", "-t", path).CombinedOutput(); err != nil {
		t.Fatalf("zstd -t: %v\n%s", err, out)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(zstd, "-q", "-dc", path)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("zstd -dc: %v\n%s", err, stderr.Bytes())
	}
	if want := bytes.Join(tr.payloads, nil); !bytes.Equal(out, want) {
		t.Fatalf("zstd -dc printed %d bytes, want the %d bytes of the segment payloads", len(out), len(want))
	}
	// zstd must reject a damaged segment too: flip a byte inside the
	// first segment's frame.
	bad := append([]byte(nil), tr.data...)
	bad[(tr.ends[0]+tr.ends[1])/2] ^= 0x55
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(zstd, "-q", "-t", path).Run(); err == nil {
		t.Error("zstd -t accepts a trace with a damaged segment")
	}
	t.Logf("zstd -dc: %d bytes from a %d-byte trace of %d segments", len(out), len(tr.data), len(tr.segs))
}

// smallTrace is a trace of a few segments with every kind of event.
func smallTrace(t testing.TB) *trace {
	return randTrace(t, 4, 4, 6)
}

// TestTruncated cuts a trace at every byte: the reader returns exactly the
// whole segments before the cut, then an error wrapping ErrIncomplete.
func TestTruncated(t *testing.T) {
	tr := smallTrace(t)
	for n := 0; n < len(tr.data); n++ {
		res := readAll(tr.data[:n])
		whole := 0
		for _, end := range tr.ends[1:] {
			if end <= n {
				whole++
			}
		}
		switch {
		case res.err == nil:
			t.Fatalf("cut at %d: no error", n)
		case !errors.Is(res.err, ErrIncomplete):
			t.Fatalf("cut at %d: %v, want an error wrapping ErrIncomplete", n, res.err)
		case !strings.HasPrefix(res.err.Error(), "trace t.zst: frame "):
			t.Fatalf("cut at %d: error %q does not name the file and frame", n, res.err)
		case len(res.segs) != whole:
			t.Fatalf("cut at %d: %d segments read, %d whole ones before the cut", n, len(res.segs), whole)
		case n >= tr.ends[len(tr.ends)-1]+4 && !strings.Contains(res.err.Error(), "(footer)"):
			t.Fatalf("cut at %d, inside the footer: error %q does not name it", n, res.err)
		}
		for i, s := range res.segs {
			if !sameEvents(s, tr.segs[i]) {
				t.Fatalf("cut at %d: segment %d differs", n, i)
			}
		}
	}
	t.Logf("%d cuts of a %d-byte trace of %d segments", len(tr.data), len(tr.data), len(tr.segs))
}

// TestFlippedBytes damages each byte of a trace in two ways. Every run
// either reads back exactly the original, or stops with a sentinel error
// after returning only original segments.
func TestFlippedBytes(t *testing.T) {
	tr := smallTrace(t)
	var same, failed, silent int
	kinds := map[string]int{}
	for pos := range tr.data {
		for _, flip := range []func(byte) byte{func(b byte) byte { return b ^ 0xff }, func(b byte) byte { return b + 1 }} {
			bad := append([]byte(nil), tr.data...)
			bad[pos] = flip(bad[pos])
			res := readAll(bad)
			prefixOK := len(res.segs) <= len(tr.segs)
			for i := 0; prefixOK && i < len(res.segs); i++ {
				prefixOK = sameEvents(res.segs[i], tr.segs[i])
			}
			switch {
			case res.err == nil && prefixOK && len(res.segs) == len(tr.segs) && res.complete &&
				reflect.DeepEqual(res.header, tr.header) && reflect.DeepEqual(res.footer, tr.footer):
				same++
				t.Logf("byte %d (%#02x -> %#02x) carries no meaning", pos, tr.data[pos], bad[pos])
			case res.err != nil && sentinel(res.err) && prefixOK:
				failed++
				for _, s := range []error{ErrCorrupt, ErrIncomplete, ErrNotTrace, ErrVersion} {
					if errors.Is(res.err, s) {
						kinds[s.Error()]++
					}
				}
			default:
				silent++
				t.Errorf("byte %d (%#02x -> %#02x): silently different outcome: err %v, %d segments", pos, tr.data[pos], bad[pos], res.err, len(res.segs))
			}
		}
	}
	t.Logf("%d bytes x 2 flips: %d identical, %d detected %v, %d silently different", len(tr.data), same, failed, kinds, silent)
	if silent != 0 {
		t.Fatalf("%d silently different outcomes", silent)
	}
}

// TestErrorContext checks the shape of error messages.
func TestErrorContext(t *testing.T) {
	tr := smallTrace(t)
	bad := append([]byte(nil), tr.data...)
	bad[tr.ends[3]-2] ^= 1 // the content checksum of segment 2 (frame 3)
	res := readAll(bad)
	want := fmt.Sprintf("trace t.zst: frame 3 (segment 2) at offset %d: zstd content checksum mismatch (checksum at offset %d)", tr.ends[2], tr.ends[3]-4)
	if res.err == nil || !errors.Is(res.err, ErrCorrupt) || !strings.HasPrefix(res.err.Error(), want) || len(res.segs) != 2 {
		t.Fatalf("got %d segments, %v; want 2 and %q...", len(res.segs), res.err, want)
	}
	t.Log(res.err)

	cases := map[string]struct {
		data []byte
		want error
	}{
		"empty":            {nil, ErrIncomplete},
		"text":             {[]byte("hello, world\n"), ErrNotTrace},
		"short text":       {[]byte("hi"), ErrNotTrace},
		"plain zstd":       {tr.data[tr.ends[0]:], ErrNotTrace},
		"garbage after":    {append(append([]byte(nil), tr.data...), 0), ErrCorrupt},
		"two footers":      {append(append([]byte(nil), tr.data...), tr.data[tr.ends[len(tr.ends)-1]:]...), ErrCorrupt},
		"second header":    {append(append([]byte(nil), tr.data[:tr.ends[1]]...), tr.data...), ErrCorrupt},
		"segment missing":  {append(append([]byte(nil), tr.data[:tr.ends[1]]...), tr.data[tr.ends[2]:]...), ErrCorrupt},
		"segment repeated": {append(append([]byte(nil), tr.data[:tr.ends[2]]...), tr.data[tr.ends[1]:]...), ErrCorrupt},
		"no footer":        {tr.data[:tr.ends[len(tr.ends)-1]], ErrIncomplete},
	}
	for name, c := range cases {
		res := readAll(c.data)
		if !errors.Is(res.err, c.want) {
			t.Errorf("%s: %v, want an error wrapping %v", name, res.err, c.want)
			continue
		}
		if !strings.HasPrefix(res.err.Error(), "trace t.zst: frame ") {
			t.Errorf("%s: %q does not name the file and frame", name, res.err)
		}
		t.Logf("%s: %v", name, res.err)
	}
}

// TestVersion checks that a format version outside MinVersion to Version
// is reported as such.
func TestVersion(t *testing.T) {
	tr := smallTrace(t)
	for _, ver := range []byte{0, Version + 1} {
		bad := append([]byte(nil), tr.data...)
		bad[8+len(headerTag)] = ver // with the CRC-32C fixed up
		size := int(bad[4]) | int(bad[5])<<8 | int(bad[6])<<16 | int(bad[7])<<24
		sum := crc32c(bad[8 : 8+size-4])
		copy(bad[8+size-4:], []byte{byte(sum), byte(sum >> 8), byte(sum >> 16), byte(sum >> 24)})
		res := readAll(bad)
		if !errors.Is(res.err, ErrVersion) || !strings.Contains(res.err.Error(), fmt.Sprintf("format version %d ", ver)) {
			t.Fatalf("version %d: %v, want an error wrapping ErrVersion", ver, res.err)
		}
		t.Log(res.err)
	}
}

// TestSegmentPayloadChecks writes frames by hand whose zstd layer is sound
// but whose payload is wrong.
func TestSegmentPayloadChecks(t *testing.T) {
	tr := smallTrace(t)
	good := tr.payloads[0]
	cases := map[string][]byte{
		"trailing byte":   append(append([]byte(nil), good...), 0),
		"wrong sequence":  append([]byte{5}, good[1:]...),
		"unknown kind":    append(append([]byte(nil), good[:2]...), append([]byte{9}, good[3:]...)...),
		"cut event":       good[:len(good)-1],
		"no events":       {0, 0},
		"too many events": {0, 100, 1, 1, 1, 1},
		"overlong varint": {0x80, 0x00, 1, 1, 0, 0, 0},
	}
	for name, p := range cases {
		var buf bytes.Buffer
		buf.Write(tr.data[:tr.ends[0]])
		w, _ := NewWriter(io.Discard, Header{})
		buf.Write(w.enc.EncodeAll(p, nil))
		res := readAll(buf.Bytes())
		if !errors.Is(res.err, ErrCorrupt) || len(res.segs) != 0 {
			t.Errorf("%s: %d segments, %v; want none and ErrCorrupt", name, len(res.segs), res.err)
			continue
		}
		t.Logf("%s: %v", name, res.err)
	}
	// A frame without a content checksum is refused even though zstd
	// would decode it.
	w, _ := NewWriter(io.Discard, Header{})
	nocrc := w.enc.EncodeAll(good, nil)
	nocrc[4] &^= 4
	nocrc = nocrc[:len(nocrc)-4]
	res := readAll(append(append([]byte(nil), tr.data[:tr.ends[0]]...), nocrc...))
	if !errors.Is(res.err, ErrCorrupt) || !strings.Contains(res.err.Error(), "no content checksum") {
		t.Errorf("frame without checksum: %v", res.err)
	}
}

// TestRunChecks decodes payloads of version 3 whose runs are wrong, with
// the decoder of Next and that of AppendEntries: each is refused, saying
// what is wrong where, and a good run reads back as its events.
func TestRunChecks(t *testing.T) {
	for _, c := range []struct {
		name string
		p    []byte
		want string // "" for a good payload
	}{
		{"good, a three-byte varint", []byte{0, 3, 0x80, 3, 1, 3, 2, 5, 0x80, 0x80, 0x01, 1, 1, 0, 0, 0x90, 0x03, 0x85, 0x02, 7}, ""},
		{"no events", []byte{0, 1, 0x80, 0, 1, 1, 0, 0}, "payload byte 2: a run of no events"},
		{"a run after a run", []byte{0, 2, 0x80, 1, 1, 1, 0, 0, 0x80, 1, 1, 1, 0, 0}, "payload byte 8: a run follows a run"},
		{"longer than the segment", []byte{0, 1, 0x80, 2, 1, 1, 1, 1, 0, 0, 0, 0}, "a run of 2 events, more than the 1 left in the segment"},
		{"a column past the end", []byte{0, 1, 0x80, 1, 1, 5, 0x81, 0x81}, "payload byte 6: the run's pc deltas: the payload ends inside an event"},
		{"values past the end", []byte{0, 1, 0x80, 1, 1, 5, 0, 0x81}, "payload byte 7: value: the payload ends inside an event"},
		{"not a read", []byte{0, 1, 0x80, 1, 4, 1, 0, 0}, "payload byte 4: event kind 4 in a run"},
		{"a read outside a run", []byte{0, 1, 1, 1, 0, 0}, "a cycle event outside a run"},
		{"not in shortest form", []byte{0, 1, 0x80, 1, 1, 0x81, 0x00, 0, 0}, "instret delta: varint is not in its shortest form"},
		{"a bad read inside a run", []byte{0, 3, 0x80, 3, 1, 2, 5, 1, 1, 1, 0, 0, 0, 0, 0, 0}, "event 2: payload byte 6: event kind 5 in a run"},
		// Instruction counts past MaxInstret (2^56-1): a read in a run
		// at 2^56, and a system call at 2^56 after a read at 1.
		{"a read past MaxInstret", []byte{0, 1, 0x80, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0}, "the instruction count passes 72057594037927935, the most a trace holds"},
		{"a system call past MaxInstret", []byte{0, 2, 0x80, 1, 1, 1, 0, 0, byte(KindSyscall), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			"the instruction count passes 72057594037927935, the most a trace holds"},
	} {
		var d decoder
		_, evs, err := d.segment(c.p, nil)
		var d2 decoder
		_, _, evs2, _, raw, err2 := d2.appendEntries(c.p, nil, nil, nil)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("%s: segment: %v; appendEntries: %v", c.name, err, err2)
		}
		if c.want == "" {
			// Deltas 5, 16384, 1; pc deltas -1, 0, 0; cycle +200,
			// seed 0x105, time -4.
			want := []Event{{Kind: KindCycle, Instret: 5, PC: 1<<64 - 1, Value: 200},
				{Kind: KindSeed, Instret: 5 + 1<<14, PC: 1<<64 - 1, Value: 0x105 ^ 0x80000000},
				{Kind: KindTime, Instret: 6 + 1<<14, PC: 1<<64 - 1, Value: 1<<64 - 4}}
			if err != nil || !sameEvents(evs, want) || len(evs2) != 0 || !sameEntries(nil, nil, raw, want, 0) {
				t.Fatalf("%s: %+v, %+v, %v; want %+v", c.name, evs, evs2, err, want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
		t.Logf("%s: %v", c.name, err)
	}
}

// TestBytesPerEvent measures the size of a long run of cycle reads.
func TestBytesPerEvent(t *testing.T) {
	const n = 100_000
	size := cycleTraceSize(t, n, 4096)
	per := float64(size) / n
	t.Logf("%d cycle events in segments of 4096: %d bytes, %.3f bytes per event", n, size, per)
	if per >= 3 {
		t.Fatalf("%.3f bytes per event, want under 3", per)
	}
}

// cycleEvents returns n reads of cycle by the same instruction, about 100
// instructions apart, with values increasing by 100 to 200.
func cycleEvents(n int) []Event {
	rng := rand.New(rand.NewSource(5))
	evs := make([]Event, n)
	var instret, cycle uint64 = 1000, 123456789
	for i := range evs {
		instret += 100
		cycle += 100 + uint64(rng.Intn(101))
		evs[i] = Event{Kind: KindCycle, Instret: instret, PC: 0x10abc, Value: cycle}
	}
	return evs
}

func cycleTraceSize(t testing.TB, n, seg int) int {
	evs := cycleEvents(n)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += seg {
		if err := w.WriteSegment(evs[i:min(i+seg, n)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(Footer{Instret: evs[n-1].Instret}); err != nil {
		t.Fatal(err)
	}
	res := readAll(buf.Bytes())
	if res.err != nil || !res.complete {
		t.Fatal(res.err)
	}
	return buf.Len()
}

func BenchmarkEncodeEvent(b *testing.B) {
	const seg = 4096
	evs := cycleEvents(seg * 16)
	w, err := NewWriter(io.Discard, testHeader())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	events := 0
	for b.Loop() {
		for i := 0; i < len(evs); i += seg {
			if err := w.WriteSegment(evs[i : i+seg]); err != nil {
				b.Fatal(err)
			}
		}
		events += len(evs)
		w.instret = 0 // the same events again
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(float64(w.Bytes())/float64(events), "B/event")
}

func BenchmarkDecodeEvent(b *testing.B) {
	data := cycleTrace(b, 4096*16)
	b.ResetTimer()
	events := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "b.zst")
		if err != nil {
			b.Fatal(err)
		}
		for {
			got, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			events += len(got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// withHeaderJSON returns trace with its header frame's JSON replaced by js
// and the frame's size and CRC-32C fixed up.
func withHeaderJSON(trace []byte, js string) []byte {
	size := int(binary.LittleEndian.Uint32(trace[4:]))
	body := append([]byte(nil), trace[8:8+len(headerTag)+4]...)
	body = append(body, js...)
	out := append([]byte(nil), trace[:4]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)+4))
	out = append(out, body...)
	out = binary.LittleEndian.AppendUint32(out, crc32c(body))
	return append(out, trace[8+size:]...)
}

// TestHeaderKeys: a header whose keys other JSON readers would read
// differently from Go's case-insensitive, last-one-wins matching is
// corrupt; unknown keys are still ignored.
func TestHeaderKeys(t *testing.T) {
	tr := smallTrace(t)
	const sha = `"elf_sha256":"bab1e299f99e220123f919f0cde2e33f28fa095d1d49e53060f2d11596e5a32b"`
	base := `"version":` + strconv.Itoa(Version) + `,"rvsim_version":"x","elf":"p.elf","isa":"rv64im","kind":"linux","mem_size":268435456,"nd_buffer":4096`
	if res := readAll(withHeaderJSON(tr.data, "{"+base+","+sha+`,"future_key":1}`)); res.err != nil {
		t.Fatalf("a header with an unknown key: %v", res.err)
	}
	for name, js := range map[string]string{
		"two keys equal but for case": "{" + base + "," + sha + `,"ELF_sha256":"00"}`,
		"a key spelt in other case":   "{" + base + `,"ELF_SHA256":"00"}`,
		"the same key twice":          "{" + base + "," + sha + "," + sha + "}",
	} {
		res := readAll(withHeaderJSON(tr.data, js))
		if !errors.Is(res.err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, res.err)
		}
		t.Logf("%s: %v", name, res.err)
	}
}
