package rv64

import "testing"

// TestDecodePageFuses: each of ADDI, ADDIW, ADD and ADDW before each
// conditional branch decodes to its fused op, so that the pairs of
// testdata/fused.txt run fused; an add before anything else, an add into
// x0, and an add that is the last slot of its page do not.
func TestDecodePageFuses(t *testing.T) {
	adds := []struct {
		text  string
		fused op
	}{
		{"addi a0, a0, 1", opADDIb},
		{"addiw a0, a0, 1", opADDIWb},
		{"add a0, a0, a1", opADDb},
		{"addw a0, a0, a1", opADDWb},
		{"addi zero, a0, 1", opNOP},
		{"add zero, a0, a1", opNOP},
	}
	branches := []string{"beq a0, a1, .+8", "bne a0, a1, .+8", "blt a0, a1, .+8",
		"bge a0, a1, .+8", "bltu a0, a1, .+8", "bgeu a0, a1, .+8"}
	const pn = (testPC - testBase) >> pageShift
	for _, a := range adds {
		for _, b := range branches {
			h := newTestHart(t)
			prog(t, h, testPC, a.text, b, a.text, "sub a0, a0, a1")
			p := h.decodePage(pn)
			if p[0].op != a.fused {
				t.Errorf("%s; %s: op %d, want %d", a.text, b, p[0].op, a.fused)
			}
			if plain := decode(Insn(mustAsm(a.text)[0])).op; p[4].op != plain {
				t.Errorf("%s; sub: op %d, want %d", a.text, p[4].op, plain)
			}
			// The pair across the page end: the add stays plain.
			prog(t, h, testPC+0x1000-4, a.text, b)
			p = h.decodePage(pn)
			if plain := decode(Insn(mustAsm(a.text)[0])).op; p[pageSlots-2].op != plain {
				t.Errorf("%s at the page end: op %d, want %d", a.text, p[pageSlots-2].op, plain)
			}
		}
	}
}
