package logfmt

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/fnv"
	"math/rand"
	"os"
	"regexp"
	"strings"
	"testing"
)

// docSection returns the lines of docs/trace-format.md from the heading
// that starts with title to the next heading of the same or a higher level.
func docSection(t *testing.T, title string) []string {
	t.Helper()
	b, err := os.ReadFile("../docs/trace-format.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in, level := false, 0
	for _, l := range strings.Split(string(b), "\n") {
		if h := len(l) - len(strings.TrimLeft(l, "#")); h > 0 && strings.HasPrefix(l[h:], " ") {
			if in && h <= level {
				break
			}
			if strings.HasPrefix(l[h+1:], title) {
				in, level = true, h
				continue
			}
		}
		if in {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		t.Fatalf("docs/trace-format.md has no section %q", title)
	}
	return out
}

var hexCell = regexp.MustCompile("`((?:[0-9a-f]{2} ?)+)`")

// docTableBytes returns the bytes in backquotes in the last column of the
// table rows of lines, row by row.
func docTableBytes(t *testing.T, lines []string) [][]byte {
	t.Helper()
	var rows [][]byte
	for _, l := range lines {
		if !strings.HasPrefix(l, "|") || strings.HasPrefix(l, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "| "), "|")
		m := hexCell.FindStringSubmatch(cells[len(cells)-1])
		if m == nil {
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(m[1], " ", ""))
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		rows = append(rows, b)
	}
	return rows
}

// docExampleEvents are the events the example segment of
// docs/trace-format.md describes in words.
func docExampleEvents() []Event {
	var zero, xi [32]uint64
	for i := range xi {
		xi[i] = uint64(i)
	}
	return []Event{
		{Kind: KindCycle, Instret: 100, PC: 0x10078, Value: 5000},
		{Kind: KindCycle, Instret: 180, PC: 0x10078, Value: 5150},
		{Kind: KindSeed, Instret: 181, PC: 0x1007c, Value: 0x8000abcd},
		{Kind: KindSyscall, Instret: 200, PC: 0x10100, Nr: 63, Value: 5, Regs: RegsHash(&xi), Writes: []MemWrite{{Addr: 0x3ffff000, Data: []byte("hello")}}},
		{Kind: KindSyscall, Instret: 210, PC: 0x10100, Nr: 63, Value: uint64(0xfffffffffffffff5), Regs: RegsHash(&zero)}, // -11
	}
}

// TestDocExample checks the worked example of a segment payload in
// docs/trace-format.md against the encoder and the decoder, row by row.
func TestDocExample(t *testing.T) {
	rows := docTableBytes(t, docSection(t, "Example"))
	evs := docExampleEvents()
	// The table's rows after the header: a run of the three reads, then
	// each system call.
	items := [][]int{{0, 1, 2}, {3}, {4}}
	if len(rows) != 1+len(items) {
		t.Fatalf("the example table has %d rows of bytes, want %d", len(rows), 1+len(items))
	}
	var e encoder
	e.reset(2, len(evs))
	if !bytes.Equal(e.buf, rows[0]) {
		t.Errorf("segment header: encoder writes % x, the document % x", e.buf, rows[0])
	}
	for i, item := range items {
		n := len(e.buf)
		for _, j := range item {
			if err := e.event(&evs[j]); err != nil {
				t.Fatal(err)
			}
		}
		e.closeRun()
		if !bytes.Equal(e.buf[n:], rows[1+i]) {
			t.Errorf("row %d: encoder writes % x, the document % x", 1+i, e.buf[n:], rows[1+i])
		}
	}
	var d decoder
	seq, got, err := d.segment(bytes.Join(rows, nil), nil)
	if err != nil || seq != 2 || !sameEvents(got, evs) {
		t.Errorf("the document's bytes decode to segment %d, %+v, %v; want segment 2, %+v", seq, got, err, evs)
	}
}

var dumpLine = regexp.MustCompile(`^([0-9a-f]{8})  ((?:[0-9a-f]{2} {1,2})+)`)

// TestDocExampleFile checks the segment frame of the whole-file example
// in docs/trace-format.md: the bytes the Writer writes for one time event
// (instret 7, pc 0x80000010, value 42).
func TestDocExampleFile(t *testing.T) {
	var doc []byte
	for _, l := range docSection(t, "Example") {
		m := dumpLine.FindStringSubmatch(l)
		if m == nil || m[1] < "000000ad" || m[1] > "000000c2" {
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(m[2], " ", ""))
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		doc = append(doc, b...)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{})
	if err != nil {
		t.Fatal(err)
	}
	start := buf.Len()
	if err := w.WriteSegment([]Event{{Kind: KindTime, Instret: 7, PC: 0x80000010, Value: 42}}); err != nil {
		t.Fatal(err)
	}
	if frame := buf.Bytes()[start:]; !bytes.Equal(frame, doc) {
		t.Fatalf("the segment frame is\n% x\nthe document shows\n% x", frame, doc)
	}
}

// fnvRegs is RegsHash written the long way, with the standard library's
// FNV-1a: the reference the fast loop is checked against.
func fnvRegs(x *[32]uint64) uint64 {
	h := fnv.New64a()
	for _, r := range x[1:] {
		h.Write(binary.LittleEndian.AppendUint64(nil, r))
	}
	return h.Sum64()
}

// TestDocRegsHash checks the worked register hashes of
// docs/trace-format.md, and RegsHash against hash/fnv.
func TestDocRegsHash(t *testing.T) {
	var zero, xi [32]uint64
	for i := range xi {
		xi[i] = uint64(i)
	}
	rows := docTableBytes(t, docSection(t, "Register hash"))
	regs := []*[32]uint64{&zero, &xi}
	if len(rows) != len(regs) {
		t.Fatalf("the register hash table has %d rows of bytes, want %d", len(rows), len(regs))
	}
	for i, x := range regs {
		h := RegsHash(x)
		if h != fnvRegs(x) {
			t.Errorf("row %d: RegsHash %#x, FNV-1a %#x", i, h, fnvRegs(x))
		}
		if got := binary.LittleEndian.AppendUint64(nil, h); !bytes.Equal(got, rows[i]) {
			t.Errorf("row %d: the hash is % x, the document says % x", i, got, rows[i])
		}
	}
	// x0 is left out; every other register counts.
	rng := rand.New(rand.NewSource(3))
	for range 1000 {
		var x [32]uint64
		for i := range x {
			x[i] = rng.Uint64() >> uint(rng.Intn(64))
		}
		h := RegsHash(&x)
		if h != fnvRegs(&x) {
			t.Fatalf("%x: RegsHash %#x, FNV-1a %#x", x, h, fnvRegs(&x))
		}
		y := x
		y[0]++
		if RegsHash(&y) != h {
			t.Fatal("x0 changes the hash")
		}
		y[1+rng.Intn(31)] ^= 1 << uint(rng.Intn(64))
		if RegsHash(&y) == h {
			t.Fatalf("a flipped bit in %x leaves the hash alone", y)
		}
	}
	if n := testing.AllocsPerRun(100, func() { RegsHash(&xi) }); n != 0 {
		t.Errorf("RegsHash allocates %v times", n)
	}
}

func BenchmarkRegsHash(b *testing.B) {
	var x [32]uint64
	for i := range x {
		x[i] = uint64(i) * 0x9e3779b97f4a7c15
	}
	var h uint64
	for b.Loop() {
		h += RegsHash(&x)
	}
	_ = h
}
