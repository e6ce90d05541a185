package rv64

import (
	"strings"
	"testing"
)

func TestDisasm(t *testing.T) {
	for _, c := range []struct {
		word uint32
		want string
	}{
		{0x00b50533, "add a0,a0,a1"},
		{0xc0002573, "cycle"},
		{0x7c002573, "ndmode"},
		{0x01502573, "seed"},
		{0x00000000, ".word 0x00000000 (illegal)"},
		{0xffffffff, "(illegal)"},
		{0x30200073, "mret"},
	} {
		got := Disasm(c.word, 0x1000)
		if !strings.Contains(got, c.want) {
			t.Errorf("Disasm(%#08x) = %q, want it to contain %q", c.word, got, c.want)
		}
	}
}
