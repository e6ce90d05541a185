package ndbuf

import (
	"encoding/binary"
	"testing"

	"github.com/rvsim/rvsim/csr"
)

func newUnit(mode Mode, size uint64) *Unit {
	return New(csr.New(csr.DefaultHost()), mode, 0x90000000, size)
}

func TestRecordDrain(t *testing.T) {
	u := newUnit(Record, 3)
	if u.Mode() != Record || u.Full() || !u.Empty() {
		t.Fatalf("fresh unit: mode %d full %v empty %v", u.Mode(), u.Full(), u.Empty())
	}
	want := []Entry{{KindCycle, 10, 0x100, 1}, {KindTime, 12, 0x104, 2}, {KindSeed, 1 << 57, 0x108, 0x8000abcd}}
	for _, e := range want {
		if u.Full() {
			t.Fatal("full before its capacity")
		}
		u.Record(e)
	}
	if !u.Full() || u.Pending() != 3 {
		t.Fatalf("after 3 records: full %v pending %d", u.Full(), u.Pending())
	}
	got := u.Drain(nil)
	if len(got) != 3 || u.Pending() != 0 || u.Full() {
		t.Fatalf("drain: %d entries, pending %d", len(got), u.Pending())
	}
	for i := range want {
		w := want[i]
		w.Instret &= PosMask // the position keeps the low 56 bits
		if got[i] != w {
			t.Errorf("entry %d: got %+v, want %+v", i, got[i], w)
		}
	}
	if u.CSR.Get(csr.Ndhead) != 0 || u.CSR.Get(csr.Ndtail) != 0 {
		t.Error("drain must reset ndhead and ndtail")
	}
}

func TestReplayFill(t *testing.T) {
	u := newUnit(Replay, 2)
	in := []Entry{{KindCycle, 5, 0x10, 7}, {KindTime, 6, 0x14, 8}, {KindSeed, 9, 0x18, 9}}
	if n := u.Fill(in); n != 2 {
		t.Fatalf("Fill took %d of 3 into a buffer of 2", n)
	}
	for i := 0; i < 2; i++ {
		if u.Empty() {
			t.Fatalf("empty after %d of 2", i)
		}
		e := u.Peek()
		if !e.Matches(in[i].Kind, in[i].Instret, in[i].PC) || e.Matches(KindSeed, in[i].Instret, in[i].PC) ||
			e.Matches(in[i].Kind, in[i].Instret+1, in[i].PC) || e.Matches(in[i].Kind, in[i].Instret, in[i].PC+4) {
			t.Fatalf("entry %d: Matches does not check kind, position and pc", i)
		}
		u.Advance()
	}
	if !u.Empty() {
		t.Fatal("not empty after consuming everything")
	}
}

func TestKindOf(t *testing.T) {
	for num, k := range map[uint16]Kind{csr.Cycle: KindCycle, csr.Mcycle: KindCycle, csr.Time: KindTime, csr.Seed: KindSeed, csr.Instret: 0, csr.Minstret: 0, csr.Mstatus: 0} {
		if KindOf(num) != k {
			t.Errorf("KindOf(%s) = %v, want %v", csr.Name(num), KindOf(num), k)
		}
	}
}

// TestKindString checks the names of all five kinds, the unit's and the
// monitor's, which trace footers and reports use.
func TestKindString(t *testing.T) {
	want := []string{"kind0", "cycle", "time", "seed", "syscall", "input", "kind6"}
	for k, name := range want {
		if got := Kind(k).String(); got != name {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, name)
		}
	}
}

// TestRecordedRaw: Recorded is the buffer's bytes [ndhead, ndtail) in the
// layout of the specification's entry (kind in bits 63:56 and the low 56
// bits of instret in the first word, then pc, then value, little-endian),
// read here with encoding/binary rather than the unit's own decoding;
// Clear empties the buffer.
func TestRecordedRaw(t *testing.T) {
	u := newUnit(Record, 4)
	in := []Entry{{KindCycle, 10, 0x100, 1}, {KindTime, 1<<56 + 12, 0x104, 2}, {KindSeed, 13, 0x108, 0x8000abcd}}
	for _, e := range in {
		u.Record(e)
	}
	u.CSR.SetRaw(csr.Ndhead, 1) // the first entry already taken
	raw := u.Recorded()
	if len(raw) != 2*EntrySize {
		t.Fatalf("Recorded: %d bytes, want %d", len(raw), 2*EntrySize)
	}
	for i, e := range in[1:] {
		b := raw[i*EntrySize:]
		w, pc, v := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:])
		if Kind(w>>56) != e.Kind || w&(1<<56-1) != e.Instret&(1<<56-1) || pc != e.PC || v != e.Value {
			t.Errorf("entry %d: word %#x pc %#x value %#x, want %+v", i+1, w, pc, v, e)
		}
	}
	u.Clear()
	if u.Pending() != 0 || len(u.Recorded()) != 0 || u.CSR.Raw(csr.Ndhead) != 0 || u.CSR.Raw(csr.Ndtail) != 0 {
		t.Errorf("after Clear: pending %d, head %d, tail %d", u.Pending(), u.CSR.Raw(csr.Ndhead), u.CSR.Raw(csr.Ndtail))
	}
}

// TestAppend: entries in the buffer's layout, taken from a recording
// unit, load into a replaying one at ndtail, as many whole entries as fit,
// and read back with Peek as they were recorded.
func TestAppend(t *testing.T) {
	rec := newUnit(Record, 8)
	in := []Entry{{KindCycle, 10, 0x100, 1}, {KindTime, 11, 0x104, 2}, {KindSeed, 13, 0x108, 0x8000abcd}, {KindCycle, 20, 0x100, 9}, {KindTime, 21, 0x104, 3}}
	for _, e := range in {
		rec.Record(e)
	}
	raw := rec.Recorded()
	u := newUnit(Replay, 4)
	u.Clear()
	if n := u.Append(raw[:2*EntrySize+5]); n != 2 {
		t.Fatalf("Append of 2 entries and 5 bytes took %d", n)
	}
	if n := u.Append(raw[2*EntrySize:]); n != 2 || u.Pending() != 4 {
		t.Fatalf("Append of 3 entries into 2 free slots took %d, pending %d", n, u.Pending())
	}
	if n := u.Append(raw); n != 0 {
		t.Fatalf("Append into a full buffer took %d", n)
	}
	for i := 0; i < 4; i++ {
		if got := u.Peek(); got != in[i] {
			t.Errorf("entry %d: %+v, want %+v", i, got, in[i])
		}
		u.Advance()
	}
	if !u.Empty() {
		t.Error("not empty after 4 entries")
	}
}
