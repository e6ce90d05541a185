package rv64

import (
	"testing"

	"github.com/rvsim/rvsim/csr"
)

// Encodings by the GNU assembler (riscv64-unknown-elf-as -march=rv64imac).
const (
	lrwA0A1    = 0x1005a52f // lr.w a0, (a1)
	scwA2A3A1  = 0x18d5a62f // sc.w a2, a3, (a1)
	amoswapwA0 = 0x08c5a52f // amoswap.w a0, a2, (a1)
	swA4A5     = 0x00e7a023 // sw a4, 0(a5)
)

// TestReservationMonitorWrite: a write by the monitor (Invalidate) that
// touches the reserved word breaks the reservation; one beside it does
// not; the end of Run's budget between LR and SC does not either.
func TestReservationMonitorWrite(t *testing.T) {
	const data = testBase + 0x8000
	for _, c := range []struct {
		name string
		at   uint64 // where the monitor writes 4 bytes, or 0
		want uint64 // SC's rd
	}{
		{"no write", 0, 0},
		{"the reserved word", data, 1},
		{"its last byte", data + 3, 1},
		{"the word before", data - 4, 0},
		{"the word after", data + 4, 0},
	} {
		h := newTestHart(t)
		place(t, h, testPC, lrwA0A1, scwA2A3A1)
		h.PC = testPC
		h.X[11], h.X[13] = data, 0x55 // a1, a3
		if e := h.Run(1); e.Kind != ExitBudget {
			t.Fatalf("%s: lr.w: exit %s", c.name, e.Kind.testName())
		}
		if c.at != 0 {
			b, _ := h.Mem.Slice(c.at, 4)
			le.PutUint32(b, 0x77)
			h.Invalidate(c.at, 4)
		}
		if e := h.Run(1); e.Kind != ExitBudget {
			t.Fatalf("%s: sc.w: exit %s", c.name, e.Kind.testName())
		}
		b, _ := h.Mem.Slice(data, 4)
		stored := le.Uint32(b) == 0x55
		if h.X[12] != c.want || stored != (c.want == 0) {
			t.Errorf("%s: sc.w rd = %d, stored %v; want rd %d", c.name, h.X[12], stored, c.want)
		}
	}
}

// TestReservationAndToHost: with tohost watched and a reservation held
// elsewhere, a store into the range between them (the watch range is
// their hull) neither exits nor breaks the reservation; a store to tohost
// exits; a store to the reserved word breaks the reservation and does not
// exit.
func TestReservationAndToHost(t *testing.T) {
	const host, data = testBase + 0x8000, testBase + 0x8040
	for _, c := range []struct {
		name string
		at   uint64
		exit ExitKind
		sc   uint64
	}{
		{"between", host + 0x20, ExitBudget, 0},
		{"tohost", host + 4, ExitHost, 0},
		{"reserved", data, ExitBudget, 1},
	} {
		h := newTestHart(t)
		h.WatchToHost(host)
		place(t, h, testPC, lrwA0A1, swA4A5, scwA2A3A1)
		h.PC = testPC
		h.X[11], h.X[15], h.X[14], h.X[13] = data, c.at, 9, 0x55 // a1, a5, a4, a3
		h.Run(1)
		if e := h.Run(1); e.Kind != c.exit {
			t.Errorf("%s: store: exit %s, want %s", c.name, e.Kind.testName(), c.exit.testName())
		}
		if e := h.Run(1); e.Kind != ExitBudget {
			t.Fatalf("%s: sc.w: exit %s", c.name, e.Kind.testName())
		}
		if h.X[12] != c.sc {
			t.Errorf("%s: sc.w rd = %d, want %d", c.name, h.X[12], c.sc)
		}
	}
}

// TestAMOWritesCode: an AMO and an SC that store into decoded code make it
// decode again: the instruction they write runs, whatever the budget.
func TestAMOWritesCode(t *testing.T) {
	li7 := mustAsm("li a3, 7")[0]
	ref := checkAgainstFresh(t, 8, func(h *Hart) {
		place(t, h, testPC, amoswapwA0, 0x13, mustAsm("li a3, 3")[0], mustAsm("j .")[0])
		h.PC = testPC
		h.X[11], h.X[12] = testPC+8, uint64(li7) // a1, a2
	})
	expectRegs(t, ref, map[string]uint64{"a3": 7})

	ref = checkAgainstFresh(t, 8, func(h *Hart) {
		place(t, h, testPC, lrwA0A1, scwA2A3A1, mustAsm("li a4, 3")[0], mustAsm("j .")[0])
		h.PC = testPC
		h.X[11], h.X[13] = testPC+8, uint64(mustAsm("li a4, 7")[0]) // a1, a3
	})
	expectRegs(t, ref, map[string]uint64{"a4": 7, "a2": 0})
}

// TestWatchNearZero: with guest memory at address 0, tohost at 0 and a
// reservation at 0, 2 or 5 (ranges that start below 7), a store into
// tohost still exits while an LR holds a reservation elsewhere, and a
// store just below a reserved word breaks the reservation: the watch
// range, the hull of both, holds every store that may touch either.
func TestWatchNearZero(t *testing.T) {
	const code = 0x1000
	sdA4A5 := mustAsm("sd a4, 0(a5)")[0]
	const lrdA0A1 = 0x1005b52f // lr.d a0, (a1)
	for _, c := range []struct {
		name      string
		host      bool   // tohost at 0
		res, at   uint64 // the LR's address, the store's
		exit      ExitKind
		reserving bool // the reservation holds after the store
	}{
		{"tohost at 0, reservation far", true, 0x2000, 0, ExitHost, true},
		{"tohost at 0, reservation at 8", true, 8, 0, ExitHost, true},
		{"tohost at 0, store into the reservation", true, 0x2000, 0x2000, ExitBudget, false},
		{"no tohost, reservation at 0, store at 0", false, 0, 0, ExitBudget, false},
		{"no tohost, reservation at 8, store at 2", false, 8, 2, ExitBudget, false},
		{"no tohost, reservation at 8, store at 0", false, 8, 0, ExitBudget, true},
	} {
		mem, err := NewMemory(0, testSize)
		if err != nil {
			t.Fatal(err)
		}
		h := New(mem, csr.New(testHost()))
		h.CSR.Set(csr.Mtvec, testVec)
		if c.host {
			h.WatchToHost(0)
		}
		place(t, h, code, lrdA0A1, sdA4A5, mustAsm("j .")[0])
		h.PC = code
		h.X[11], h.X[15], h.X[14] = c.res, c.at, 1 // a1, a5, a4
		h.Run(1)
		if e := h.Run(1); e.Kind != c.exit {
			t.Errorf("%s: store: exit %s, want %s", c.name, e.Kind.testName(), c.exit.testName())
		}
		if _, n := h.Reservation(); (n != 0) != c.reserving {
			t.Errorf("%s: reservation of %d bytes after the store, want one: %v", c.name, n, c.reserving)
		}
	}
}
