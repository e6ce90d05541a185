//go:build linux && amd64

package jit

import (
	"testing"
	"unsafe"
)

// TestCtxLayout: the offsets the translated code and enter use for ctx's
// fields are where the fields are.
func TestCtxLayout(t *testing.T) {
	var c ctx
	for _, f := range []struct {
		name string
		off  int32
		at   uintptr
	}{
		{"regs", 0, unsafe.Offsetof(c.regs)},
		{"mem", 8, unsafe.Offsetof(c.mem)},
		{"budget", offBudget, unsafe.Offsetof(c.budget)},
		{"reason", offReason, unsafe.Offsetof(c.reason)},
		{"pc", offPC, unsafe.Offsetof(c.pc)},
		{"arg", offArg, unsafe.Offsetof(c.arg)},
		{"base", offBase, unsafe.Offsetof(c.base)},
		{"watchLo", offWatchLo, unsafe.Offsetof(c.watchLo)},
		{"watchLen", offWatchLen, unsafe.Offsetof(c.watchLen)},
		{"lim", offLim, unsafe.Offsetof(c.lim)},
	} {
		if uintptr(f.off) != f.at {
			t.Errorf("ctx.%s at %d, the code uses %d", f.name, f.at, f.off)
		}
	}
}
