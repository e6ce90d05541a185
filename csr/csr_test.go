package csr

import (
	"fmt"
	"testing"
)

func testHost() Host {
	return Host{
		Cycle:   func() uint64 { return 0x1234 },
		Time:    func() uint64 { return 0x5678 },
		Entropy: func() uint16 { return 0xbeef },
	}
}

// TestTable checks the table: entries sit at their numbers, names are
// unique and round-trip through Name and ByName, and the registers that
// must (not) exist do (not).
func TestTable(t *testing.T) {
	names := map[string]uint16{}
	count := 0
	for n := 0; n < numberSpace; n++ {
		num := uint16(n)
		info, ok := Lookup(num)
		if !ok {
			if got, want := Name(num), fmt.Sprintf("0x%03x", n); got != want {
				t.Errorf("Name(%#x) = %q, want %q", n, got, want)
			}
			if _, ok := ByName(Name(num)); ok {
				t.Errorf("ByName(%q) found a CSR", Name(num))
			}
			continue
		}
		count++
		if info.Num != num {
			t.Errorf("table[%#x].Num = %#x", n, info.Num)
		}
		if prev, dup := names[info.Name]; dup {
			t.Errorf("name %q used by %#x and %#x", info.Name, prev, n)
		}
		names[info.Name] = num
		if Name(num) != info.Name {
			t.Errorf("Name(%#x) = %q, want %q", n, Name(num), info.Name)
		}
		if back, ok := ByName(info.Name); !ok || back != num {
			t.Errorf("ByName(%q) = %#x, %v; want %#x", info.Name, back, ok, n)
		}
		if ReadOnly(num) && info.WMask != 0 {
			t.Errorf("%s is read-only by number but has write mask %#x", info.Name, info.WMask)
		}
		if info.Monitor != (num >= Ndmode && num <= Ndtail) {
			t.Errorf("%s: Monitor = %v", info.Name, info.Monitor)
		}
		if p := MinPriv(num); p != PrivU && p != PrivM && num != Satp {
			t.Errorf("%s: privilege level %d in an M+U hart", info.Name, p)
		}
	}
	if _, ok := Lookup(numberSpace); ok {
		t.Error("Lookup(4096) found a CSR")
	}
	// 34 listed CSRs, three banks of 29 performance counters, 8 pmpcfg,
	// 64 pmpaddr.
	if want := 34 + 3*29 + 8 + 64; count != want {
		t.Errorf("%d CSRs in the table, want %d", count, want)
	}
	for _, name := range []string{
		"fflags", "frm", "fcsr", "seed", "satp", "mstatus", "misa", "medeleg", "mideleg", "mie", "mtvec",
		"mcounteren", "mcountinhibit", "mscratch", "mepc", "mcause", "mtval", "mip",
		"mseccfg", "ndmode", "ndbase", "ndsize", "ndhead", "ndtail", "mcycle",
		"minstret", "cycle", "time", "instret", "mvendorid", "marchid", "mimpid",
		"mhartid", "mconfigptr", "hpmcounter3", "hpmcounter31", "mhpmcounter3",
		"mhpmcounter31", "mhpmevent3", "mhpmevent31", "pmpcfg0", "pmpcfg14",
		"pmpaddr0", "pmpaddr63",
	} {
		if _, ok := ByName(name); !ok {
			t.Errorf("no CSR %q", name)
		}
	}
	for _, n := range []uint16{
		0x100, 0x104, 0x105, 0x140, 0x141, 0x142, 0x143, 0x144, // S-mode
		0x310, 0x3a1, 0x3a3, 0x3af, // RV32 only
		0xc80, 0xc81, 0xc82, 0xc9f, 0xb80, 0xb82, // RV32 high halves
		0x7a0, 0x7b0, 0x7c5, 0x7ff, 0x800, 0xfff,
		0xc20, 0xb20, 0x3f0,
	} {
		if info, ok := Lookup(n); ok {
			t.Errorf("CSR %#x exists (%s)", n, info.Name)
		}
	}
}

// TestPrivilegeFromNumber checks that for every CSR the access rules come
// from the number, as the privileged specification (section 2.1) says:
// bits [9:8] the lowest privilege, bits [11:10] == 3 read-only, plus the
// counter, seed and monitor rules.
func TestPrivilegeFromNumber(t *testing.T) {
	for _, open := range []bool{false, true} {
		f := New(testHost())
		if open {
			f.Set(Mcounteren, 0xffffffff)
			f.Set(Mseccfg, MseccfgUSEED)
		}
		for n := 0; n < numberSpace; n++ {
			num := uint16(n)
			info, ok := Lookup(num)
			for _, priv := range []uint8{PrivU, PrivM} {
				for _, write := range []bool{false, true} {
					want := !ok || info.Monitor ||
						priv < uint8(n>>8&3) ||
						write && n>>10 == 3
					if ok && n >= 0xc00 && n <= 0xc1f && priv == PrivU && !open {
						want = true // mcounteren bit clear
					}
					if num == Seed && (!write || priv == PrivU && !open) {
						want = true
					}
					if info.FP {
						want = true // mstatus.FS is Off at reset
					}
					if got := f.Denied(num, priv, write); got != want {
						t.Errorf("Denied(%s, priv %d, write %v) with counters/seed open=%v: got %v, want %v",
							Name(num), priv, write, open, got, want)
					}
				}
			}
		}
	}
}

// TestAccess is the table of guest CSR accesses.
func TestAccess(t *testing.T) {
	type set struct {
		num uint16
		val uint64
	}
	for _, c := range []struct {
		name       string
		init       []set
		num        uint16
		priv       uint8
		op         int
		src        uint64
		read       bool
		write      bool
		wantOld    uint64
		wantFault  Fault
		wantAfter  []set
		entropyUse int // reads of the host entropy expected
	}{
		{name: "csrrw mscratch", init: []set{{Mscratch, 0x11}}, num: Mscratch, priv: PrivM, op: OpWrite, src: 0x22, read: true, write: true, wantOld: 0x11, wantAfter: []set{{Mscratch, 0x22}}},
		{name: "csrrw mscratch, rd=x0", init: []set{{Mscratch, 0x11}}, num: Mscratch, priv: PrivM, op: OpWrite, src: 0x22, write: true, wantOld: 0, wantAfter: []set{{Mscratch, 0x22}}},
		{name: "csrrs mscratch", init: []set{{Mscratch, 0xf0}}, num: Mscratch, priv: PrivM, op: OpSet, src: 0x0f, read: true, write: true, wantOld: 0xf0, wantAfter: []set{{Mscratch, 0xff}}},
		{name: "csrrc mscratch", init: []set{{Mscratch, 0xff}}, num: Mscratch, priv: PrivM, op: OpClear, src: 0x0f, read: true, write: true, wantOld: 0xff, wantAfter: []set{{Mscratch, 0xf0}}},
		{name: "csrrs mscratch, x0", init: []set{{Mscratch, 0xf0}}, num: Mscratch, priv: PrivM, op: OpSet, src: 0xff, read: true, wantOld: 0xf0, wantAfter: []set{{Mscratch, 0xf0}}},
		{name: "mscratch from U", num: Mscratch, priv: PrivU, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "mstatus from U", num: Mstatus, priv: PrivU, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "misa write ignored", num: Misa, priv: PrivM, op: OpWrite, src: 0, read: true, write: true, wantOld: MisaValue, wantAfter: []set{{Misa, MisaValue}}},
		{name: "mstatus MPP=S becomes U", init: []set{{Mstatus, 2<<32 | MstatusMPP}}, num: Mstatus, priv: PrivM, op: OpWrite, src: 1 << 11, write: true, wantAfter: []set{{Mstatus, 2 << 32}}},
		{name: "mstatus MPP=H becomes U", num: Mstatus, priv: PrivM, op: OpWrite, src: 2 << 11, write: true, wantAfter: []set{{Mstatus, 2 << 32}}},
		{name: "mstatus MPP=M", num: Mstatus, priv: PrivM, op: OpSet, src: MstatusMPP, read: true, write: true, wantOld: 2 << 32, wantAfter: []set{{Mstatus, 2<<32 | MstatusMPP}}},
		{name: "mstatus UXL and SD read-only", num: Mstatus, priv: PrivM, op: OpWrite, src: ^uint64(0), write: true, wantAfter: []set{{Mstatus, MstatusSD | 2<<32 | MstatusMIE | MstatusMPIE | MstatusMPP | MstatusMPRV | MstatusTW | MstatusFS}}},
		{name: "mtvec mode 3 is WARL", num: Mtvec, priv: PrivM, op: OpWrite, src: 0x80000003, write: true, wantAfter: []set{{Mtvec, 0x80000001}}},
		{name: "mepc bit 0 (IALIGN=16)", num: Mepc, priv: PrivM, op: OpWrite, src: 0x80000007, write: true, wantAfter: []set{{Mepc, 0x80000006}}},
		{name: "mip read-only zero", num: Mip, priv: PrivM, op: OpWrite, src: ^uint64(0), read: true, write: true, wantAfter: []set{{Mip, 0}}},
		{name: "medeleg read-only zero", num: Medeleg, priv: PrivM, op: OpWrite, src: ^uint64(0), write: true, wantAfter: []set{{Medeleg, 0}}},
		{name: "satp Bare only", num: Satp, priv: PrivM, op: OpWrite, src: 8 << 60, read: true, write: true, wantAfter: []set{{Satp, 0}}},
		{name: "satp from U", num: Satp, priv: PrivU, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "mseccfg USEED only", num: Mseccfg, priv: PrivM, op: OpWrite, src: ^uint64(0), write: true, wantAfter: []set{{Mseccfg, MseccfgUSEED}}},
		{name: "mvendorid read", num: Mvendorid, priv: PrivM, op: OpSet, read: true},
		{name: "mvendorid write", num: Mvendorid, priv: PrivM, op: OpWrite, write: true, wantFault: FaultIllegal},
		{name: "mhartid csrrs with rs1", num: Mhartid, priv: PrivM, op: OpSet, read: true, write: true, wantFault: FaultIllegal},
		{name: "cycle in M", num: Cycle, priv: PrivM, op: OpSet, read: true, wantOld: 0x1234},
		{name: "cycle write in M", num: Cycle, priv: PrivM, op: OpWrite, write: true, wantFault: FaultIllegal},
		{name: "cycle in U, mcounteren.CY clear", init: []set{{Mcounteren, 6}}, num: Cycle, priv: PrivU, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "cycle in U, mcounteren.CY set", init: []set{{Mcounteren, 1}}, num: Cycle, priv: PrivU, op: OpSet, read: true, wantOld: 0x1234},
		{name: "time in U, mcounteren.TM set", init: []set{{Mcounteren, 2}}, num: Time, priv: PrivU, op: OpClear, read: true, wantOld: 0x5678},
		{name: "time in U, mcounteren.TM clear", init: []set{{Mcounteren, 5}}, num: Time, priv: PrivU, op: OpClear, read: true, wantFault: FaultIllegal},
		{name: "instret in U, mcounteren.IR set", init: []set{{Mcounteren, 4}}, num: Instret, priv: PrivU, op: OpSet, read: true},
		{name: "hpmcounter17 in U, bit 17", init: []set{{Mcounteren, 1 << 17}}, num: Hpmcounter3 + 14, priv: PrivU, op: OpSet, read: true},
		{name: "hpmcounter17 in U, bit 16", init: []set{{Mcounteren, 1 << 16}}, num: Hpmcounter3 + 14, priv: PrivU, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "mcycle in U", init: []set{{Mcounteren, 7}}, num: Mcycle, priv: PrivU, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "seed csrrw", num: Seed, priv: PrivM, op: OpWrite, read: true, write: true, wantOld: SeedES16 | 0xbeef, entropyUse: 1},
		{name: "seed csrrw rd=x0 does not read", num: Seed, priv: PrivM, op: OpWrite, write: true, entropyUse: 0},
		{name: "seed csrrs with rs1", num: Seed, priv: PrivM, op: OpSet, src: 0, read: true, write: true, wantOld: SeedES16 | 0xbeef, entropyUse: 1},
		{name: "seed read-only access", num: Seed, priv: PrivM, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "seed read-only csrrc", num: Seed, priv: PrivM, op: OpClear, read: true, wantFault: FaultIllegal},
		{name: "seed in U without USEED", num: Seed, priv: PrivU, op: OpWrite, read: true, write: true, wantFault: FaultIllegal},
		{name: "seed in U with USEED", init: []set{{Mseccfg, MseccfgUSEED}}, num: Seed, priv: PrivU, op: OpWrite, read: true, write: true, wantOld: SeedES16 | 0xbeef, entropyUse: 1},
		{name: "seed in U with USEED, read-only", init: []set{{Mseccfg, MseccfgUSEED}}, num: Seed, priv: PrivU, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "ndmode in M", num: Ndmode, priv: PrivM, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "ndbase write in M", init: []set{{Ndbase, 0x1000}}, num: Ndbase, priv: PrivM, op: OpWrite, src: 5, write: true, wantFault: FaultIllegal, wantAfter: []set{{Ndbase, 0x1000}}},
		{name: "ndtail in U", num: Ndtail, priv: PrivU, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "unimplemented CSR in M", num: 0x7c5, priv: PrivM, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "sstatus (no S-mode)", num: 0x100, priv: PrivM, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "cycleh (RV32 only)", num: 0xc80, priv: PrivM, op: OpSet, read: true, wantFault: FaultIllegal},
		// F and D: fcsr = frm<<5 | fflags (unprivileged specification,
		// section 11.2); mstatus.FS Off makes them illegal, a write makes FS
		// Dirty and SD follows (privileged specification, section 3.1.6.6).
		{name: "fflags with FS Off", num: Fflags, priv: PrivU, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "fcsr with FS Off in M", num: Fcsr, priv: PrivM, op: OpWrite, src: 1, write: true, wantFault: FaultIllegal},
		{name: "frm with FS Off", num: Frm, priv: PrivM, op: OpSet, read: true, wantFault: FaultIllegal},
		{name: "fflags mask", init: []set{{Mstatus, FSInitial}}, num: Fflags, priv: PrivU, op: OpWrite, src: ^uint64(0), read: true, write: true,
			wantAfter: []set{{Fflags, 0x1f}, {Frm, 0}, {Fcsr, 0x1f}, {Mstatus, MstatusSD | FSDirty}}},
		{name: "frm mask", init: []set{{Mstatus, FSClean}}, num: Frm, priv: PrivU, op: OpWrite, src: 0xfd, write: true,
			wantAfter: []set{{Frm, 5}, {Fflags, 0}, {Fcsr, 5 << 5}, {Mstatus, MstatusSD | FSDirty}}},
		{name: "fcsr splits", init: []set{{Mstatus, FSInitial}, {Fflags, 1}, {Frm, 2}}, num: Fcsr, priv: PrivU, op: OpWrite, src: 0xffff_ff73, read: true, write: true,
			wantOld: 2<<5 | 1, wantAfter: []set{{Fflags, 0x13}, {Frm, 3}, {Fcsr, 0x73}, {Mstatus, MstatusSD | FSDirty}}},
		{name: "fcsr csrrs", init: []set{{Mstatus, FSInitial}, {Fcsr, 0x84}}, num: Fcsr, priv: PrivU, op: OpSet, src: 0x01, read: true, write: true,
			wantOld: 0x84, wantAfter: []set{{Fflags, 0x05}, {Frm, 4}, {Mstatus, MstatusSD | FSDirty}}},
		{name: "fcsr read keeps FS", init: []set{{Mstatus, FSClean}, {Fcsr, 0x21}}, num: Fcsr, priv: PrivU, op: OpSet, read: true,
			wantOld: 0x21, wantAfter: []set{{Mstatus, FSClean}}},
		{name: "frm read", init: []set{{Mstatus, FSInitial}, {Fcsr, 0xe0}}, num: Frm, priv: PrivU, op: OpSet, read: true, wantOld: 7},
		{name: "mstatus FS writable, SD not", num: Mstatus, priv: PrivM, op: OpWrite, src: FSClean | MstatusSD, write: true, wantAfter: []set{{Mstatus, 2<<32 | FSClean}}},
		{name: "mstatus FS Dirty sets SD", num: Mstatus, priv: PrivM, op: OpSet, src: FSDirty, read: true, write: true, wantOld: 2 << 32, wantAfter: []set{{Mstatus, MstatusSD | 2<<32 | FSDirty}}},
		{name: "mcycle write", num: Mcycle, priv: PrivM, op: OpWrite, src: 0x100, read: true, write: true, wantOld: 0x1234, wantAfter: []set{{Mcycle, 0x100}, {Cycle, 0x100}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			host := testHost()
			entropy := 0
			host.Entropy = func() uint16 { entropy++; return 0xbeef }
			f := New(host)
			for _, s := range c.init {
				f.Set(s.num, s.val)
			}
			old, fault := f.Access(c.num, c.priv, c.op, c.src, c.read, c.write)
			if fault != c.wantFault {
				t.Fatalf("fault %d, want %d", fault, c.wantFault)
			}
			if fault == FaultNone && old != c.wantOld {
				t.Errorf("old value %#x, want %#x", old, c.wantOld)
			}
			if entropy != c.entropyUse {
				t.Errorf("%d entropy reads, want %d", entropy, c.entropyUse)
			}
			for _, s := range c.wantAfter {
				if got := f.Get(s.num); got != s.val {
					t.Errorf("%s after: %#x, want %#x", Name(s.num), got, s.val)
				}
			}
		})
	}
}

// TestMinstret: a guest write of minstret replaces the increment of the
// writing instruction; a monitor Set is read back as set; the retired
// count itself never changes.
func TestMinstret(t *testing.T) {
	f := New(testHost())
	f.Instret = 10
	if old, fault := f.Access(Minstret, PrivM, OpWrite, 100, true, true); fault != FaultNone || old != 10 {
		t.Fatalf("csrrw minstret: old %d, fault %d", old, fault)
	}
	if f.Instret != 10 {
		t.Errorf("the write changed the retired count to %d", f.Instret)
	}
	f.Instret++ // the writing instruction retires
	if got := f.Get(Minstret); got != 100 {
		t.Errorf("minstret after the write: %d, want 100", got)
	}
	if got := f.Get(Instret); got != 100 {
		t.Errorf("instret after the write: %d, want 100", got)
	}
	f.Instret += 5
	if got := f.Get(Minstret); got != 105 {
		t.Errorf("minstret 5 instructions later: %d, want 105", got)
	}
	f.Set(Minstret, 1000)
	if got := f.Get(Minstret); got != 1000 {
		t.Errorf("minstret after Set(1000): %d", got)
	}
	if f.Instret != 16 {
		t.Errorf("Set changed the retired count to %d", f.Instret)
	}
}

func TestSetGet(t *testing.T) {
	f := New(testHost())
	for _, n := range []uint16{Mscratch, Mepc, Mcause, Mtval, Mtvec, Mstatus, Ndmode, Ndbase, Ndsize, Ndhead, Ndtail, Mcounteren, Mseccfg} {
		f.Set(n, 0x1230)
		if got := f.Get(n); got != 0x1230 {
			t.Errorf("%s: Set(0x1230) then Get = %#x", Name(n), got)
		}
	}
	f.Set(Mcycle, 77)
	if got := f.Get(Mcycle); got != 77 {
		t.Errorf("mcycle: Set(77) then Get = %d", got)
	}
	f.Set(Seed, 5)
	if got := f.Get(Seed); got != SeedES16|0xbeef {
		t.Errorf("seed: %#x", got)
	}
}

// TestMisa checks misa against the letters of RV64GC with U-mode
// (privileged specification, section 3.1.1): MXL=2 and A C D F I M U.
func TestMisa(t *testing.T) {
	f := New(testHost())
	var want uint64 = 2 << 62
	for _, c := range "ACDFIMU" {
		want |= 1 << (c - 'A')
	}
	if got := f.Get(Misa); got != want {
		t.Errorf("misa = %#x, want %#x", got, want)
	}
}

// TestFPWrote: flags accrue, FS becomes Dirty, and FPOff follows FS.
func TestFPWrote(t *testing.T) {
	f := New(testHost())
	if !f.FPOff() {
		t.Fatal("FS is not Off at reset")
	}
	f.Set(Mstatus, f.Get(Mstatus)|FSInitial)
	if f.FPOff() {
		t.Fatal("FPOff with FS Initial")
	}
	f.FPWrote(0x01)
	f.FPWrote(0x30) // only the five flag bits accrue
	if got := f.Get(Fflags); got != 0x11 {
		t.Errorf("fflags = %#x, want 0x11", got)
	}
	if got := f.Get(Mstatus); got&(MstatusFS|MstatusSD) != FSDirty|MstatusSD {
		t.Errorf("mstatus = %#x, want FS Dirty and SD", got)
	}
	f.Set(Frm, 3)
	if f.RoundingMode() != 3 || f.Get(Fcsr) != 3<<5|0x11 {
		t.Errorf("frm %d, fcsr %#x", f.RoundingMode(), f.Get(Fcsr))
	}
}

func TestTrapEnterMret(t *testing.T) {
	f := New(testHost())
	f.Set(Mtvec, 0x80000101) // vectored: exceptions still go to BASE
	f.Set(Mstatus, 2<<32|MstatusMIE)
	if vec := f.TrapEnter(8, 0, 0x80001007, PrivU); vec != 0x80000100 {
		t.Errorf("TrapEnter returned %#x, want 0x80000100", vec)
	}
	want := map[uint16]uint64{Mepc: 0x80001006, Mcause: 8, Mtval: 0, Mstatus: 2<<32 | MstatusMPIE}
	for n, v := range want {
		if got := f.Get(n); got != v {
			t.Errorf("after TrapEnter: %s = %#x, want %#x", Name(n), got, v)
		}
	}
	pc, priv := f.Mret()
	if pc != 0x80001006 || priv != PrivU {
		t.Errorf("Mret = %#x, %d", pc, priv)
	}
	if got := f.Get(Mstatus); got != 2<<32|MstatusMIE|MstatusMPIE {
		t.Errorf("mstatus after mret: %#x", got)
	}

	// From M with MIE clear; mret back to M keeps MPRV.
	f.Set(Mstatus, 2<<32|MstatusMPRV|MstatusMPIE)
	f.TrapEnter(2, 0xdead, 0x80002000, PrivM)
	if got := f.Get(Mstatus); got != 2<<32|MstatusMPRV|MstatusMPP {
		t.Errorf("mstatus after a trap from M: %#x", got)
	}
	if pc, priv := f.Mret(); pc != 0x80002000 || priv != PrivM {
		t.Errorf("Mret = %#x, %d", pc, priv)
	}
	if got := f.Get(Mstatus); got != 2<<32|MstatusMPRV|MstatusMPIE {
		t.Errorf("mstatus after mret to M: %#x", got)
	}
	// mret to U clears MPRV.
	f.Set(Mstatus, 2<<32|MstatusMPRV)
	f.Mret()
	if got := f.Get(Mstatus); got != 2<<32|MstatusMPIE {
		t.Errorf("mstatus after mret to U: %#x", got)
	}
}

func TestDefaultHost(t *testing.T) {
	h := DefaultHost()
	c0, t0 := h.Cycle(), h.Time()
	seen := map[uint16]bool{}
	for i := 0; i < 1000; i++ { // more than one refill of the entropy pool
		seen[h.Entropy()] = true
	}
	if len(seen) < 900 {
		t.Errorf("only %d distinct entropy values in 1000", len(seen))
	}
	if c1, t1 := h.Cycle(), h.Time(); c1 < c0 || t1 < t0 {
		t.Errorf("clocks went back: cycle %d -> %d, time %d -> %d", c0, c1, t0, t1)
	}
	f := New(h)
	if v := f.Get(Seed); v>>30 != 2 || v>>32 != 0 {
		t.Errorf("seed %#x: want OPST = ES16 and bits 63:32 zero", v)
	}
}
