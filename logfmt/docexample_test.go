package logfmt

import (
	"bytes"
	"encoding/hex"
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
	return []Event{
		{Kind: KindCycle, Instret: 100, PC: 0x10078, Value: 5000},
		{Kind: KindCycle, Instret: 180, PC: 0x10078, Value: 5150},
		{Kind: KindSeed, Instret: 181, PC: 0x1007c, Value: 0x8000abcd},
		{Kind: KindSyscall, Instret: 200, PC: 0x10100, Nr: 63, Value: 5, Writes: []MemWrite{{Addr: 0x3ffff000, Data: []byte("hello")}}},
		{Kind: KindSyscall, Instret: 210, PC: 0x10100, Nr: 63, Value: uint64(0xfffffffffffffff5)}, // -11
	}
}

// TestDocExample checks the worked example of a segment payload in
// docs/trace-format.md against the encoder and the decoder, row by row.
func TestDocExample(t *testing.T) {
	rows := docTableBytes(t, docSection(t, "Example"))
	evs := docExampleEvents()
	if len(rows) != 1+len(evs) {
		t.Fatalf("the example table has %d rows of bytes, want %d", len(rows), 1+len(evs))
	}
	var e encoder
	e.reset(2, len(evs))
	if !bytes.Equal(e.buf, rows[0]) {
		t.Errorf("segment header: encoder writes % x, the document % x", e.buf, rows[0])
	}
	for i := range evs {
		n := len(e.buf)
		if err := e.event(&evs[i]); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(e.buf[n:], rows[1+i]) {
			t.Errorf("event %d: encoder writes % x, the document % x", i, e.buf[n:], rows[1+i])
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
		if m == nil || m[1] < "000000ad" || m[1] > "000000c0" {
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
