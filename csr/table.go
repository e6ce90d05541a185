package csr

// CSR numbers used by rvsim (RISC-V privileged specification, table 2.2-2.6,
// and the Zkr and Xndrr extensions).
const (
	Fflags = 0x001 // F: accrued floating-point exception flags
	Frm    = 0x002 // F: dynamic rounding mode
	Fcsr   = 0x003 // F: frm<<5 | fflags

	Seed = 0x015 // Zkr entropy source

	Satp = 0x180 // supervisor address translation (Bare only here)

	Mstatus       = 0x300
	Misa          = 0x301
	Medeleg       = 0x302
	Mideleg       = 0x303
	Mie           = 0x304
	Mtvec         = 0x305
	Mcounteren    = 0x306
	Mcountinhibit = 0x320
	Mhpmevent3    = 0x323 // through 0x33F
	Mscratch      = 0x340
	Mepc          = 0x341
	Mcause        = 0x342
	Mtval         = 0x343
	Mip           = 0x344
	Pmpcfg0       = 0x3A0 // even numbers through 0x3AE on RV64
	Pmpaddr0      = 0x3B0 // through 0x3EF
	Mseccfg       = 0x747

	// Xndrr: the record/replay unit. Monitor-only.
	Ndmode = 0x7C0
	Ndbase = 0x7C1
	Ndsize = 0x7C2
	Ndhead = 0x7C3
	Ndtail = 0x7C4

	Mcycle        = 0xB00
	Minstret      = 0xB02
	Mhpmcounter3  = 0xB03 // through 0xB1F
	Cycle         = 0xC00
	Time          = 0xC01
	Instret       = 0xC02
	Hpmcounter3   = 0xC03 // through 0xC1F
	Mvendorid     = 0xF11
	Marchid       = 0xF12
	Mimpid        = 0xF13
	Mhartid       = 0xF14
	Mconfigptr    = 0xF15
	numberSpace   = 4096
	hpmCount      = 29 // counters 3..31
	pmpaddrCount  = 64
	pmpcfgCount   = 16
	customNDCount = 5
)

// Privilege levels, as encoded in mstatus.MPP and CSR address bits [9:8].
const (
	PrivU = 0
	PrivM = 3
)

// mstatus fields.
const (
	MstatusMIE  = 1 << 3
	MstatusMPIE = 1 << 7
	MstatusMPP  = 3 << 11
	MstatusFS   = 3 << 13 // floating-point unit state: Off, Initial, Clean, Dirty
	MstatusSD   = 1 << 63 // read-only: FS (or XS, VS, always 0 here) is Dirty
	MstatusMPRV = 1 << 17
	MstatusTW   = 1 << 21
	MstatusUXL  = 3 << 32
	mstatusUXL2 = 2 << 32
)

// Values of mstatus.FS (privileged specification, section 3.1.6.6).
const (
	FSOff     = 0 << 13 // FP instructions and FP CSR accesses are illegal
	FSInitial = 1 << 13
	FSClean   = 2 << 13
	FSDirty   = 3 << 13 // some FP register or fcsr was written
)

// Masks of the floating-point CSRs (unprivileged specification, section 11.2).
const (
	FflagsMask = 0x1f // NV DZ OF UF NX
	FrmMask    = 0x7
)

// MseccfgUSEED lets U-mode access the seed CSR.
const MseccfgUSEED = 1 << 8

// MisaValue is the fixed misa: MXL=2 (RV64), extensions A, C, D, F, I, M
// and U (RV64GC with user mode).
const MisaValue = 2<<62 | 1<<('A'-'A') | 1<<('C'-'A') | 1<<('D'-'A') | 1<<('F'-'A') |
	1<<('I'-'A') | 1<<('M'-'A') | 1<<('U'-'A')

// SeedES16 is the OPST field of seed meaning "16 bits of entropy follow".
const SeedES16 = 2 << 30

// Info describes one CSR in the table.
type Info struct {
	Num     uint16
	Name    string
	WMask   uint64 // bits a write changes; the others keep their value (WARL)
	Init    uint64 // value at reset
	Monitor bool   // owned by the monitor: every guest access is illegal
	FP      bool   // a floating-point CSR: illegal while mstatus.FS is Off, a write makes FS Dirty
	special bool   // value computed or legalized in Read/Write, not plain storage
}

// table is the one declarative list of the CSRs that exist. Privilege and
// read-only checks are not listed: they follow from the number (bits [9:8]
// lowest privilege, bits [11:10] == 3 read-only), as the specification says.
var table = func() *[numberSpace]Info {
	var t [numberSpace]Info
	add := func(i Info) {
		if t[i.Num].Name != "" {
			panic("csr: duplicate table entry " + i.Name)
		}
		t[i.Num] = i
	}
	all := ^uint64(0)
	for _, i := range []Info{
		{Num: Fflags, Name: "fflags", WMask: FflagsMask, FP: true},
		{Num: Frm, Name: "frm", WMask: FrmMask, FP: true},
		{Num: Fcsr, Name: "fcsr", FP: true, special: true}, // frm<<5 | fflags, stored in those two
		{Num: Seed, Name: "seed", special: true},
		{Num: Satp, Name: "satp", special: true}, // WARL: only Bare (0) is accepted
		{Num: Mstatus, Name: "mstatus", WMask: MstatusMIE | MstatusMPIE | MstatusMPP | MstatusMPRV | MstatusTW | MstatusFS, Init: mstatusUXL2, special: true}, // SD computed
		{Num: Misa, Name: "misa", Init: MisaValue},
		{Num: Medeleg, Name: "medeleg"}, // no S-mode: nothing to delegate to, read-only zero
		{Num: Mideleg, Name: "mideleg"},
		{Num: Mie, Name: "mie", WMask: 1<<3 | 1<<7 | 1<<11},
		{Num: Mtvec, Name: "mtvec", WMask: all &^ 2}, // MODE 0 direct or 1 vectored
		{Num: Mcounteren, Name: "mcounteren", WMask: 0xFFFFFFFF},
		{Num: Mcountinhibit, Name: "mcountinhibit"},
		{Num: Mscratch, Name: "mscratch", WMask: all},
		{Num: Mepc, Name: "mepc", WMask: all &^ 1}, // IALIGN=16 (C): bit 0 is zero
		{Num: Mcause, Name: "mcause", WMask: all},
		{Num: Mtval, Name: "mtval", WMask: all},
		{Num: Mip, Name: "mip"}, // no interrupt sources
		{Num: Mseccfg, Name: "mseccfg", WMask: MseccfgUSEED},
		{Num: Ndmode, Name: "ndmode", Monitor: true, WMask: 3},
		{Num: Ndbase, Name: "ndbase", Monitor: true, WMask: all},
		{Num: Ndsize, Name: "ndsize", Monitor: true, WMask: all},
		{Num: Ndhead, Name: "ndhead", Monitor: true, WMask: all},
		{Num: Ndtail, Name: "ndtail", Monitor: true, WMask: all},
		{Num: Mcycle, Name: "mcycle", WMask: all, special: true},
		{Num: Minstret, Name: "minstret", WMask: all, special: true},
		{Num: Cycle, Name: "cycle", special: true},
		{Num: Time, Name: "time", special: true},
		{Num: Instret, Name: "instret", special: true},
		{Num: Mvendorid, Name: "mvendorid"},
		{Num: Marchid, Name: "marchid"},
		{Num: Mimpid, Name: "mimpid"},
		{Num: Mhartid, Name: "mhartid"},
		{Num: Mconfigptr, Name: "mconfigptr"},
	} {
		add(i)
	}
	for k := 0; k < hpmCount; k++ {
		n := uint16(k + 3)
		add(Info{Num: Mhpmevent3 + uint16(k), Name: "mhpmevent" + itoa(n)})
		add(Info{Num: Mhpmcounter3 + uint16(k), Name: "mhpmcounter" + itoa(n)})
		add(Info{Num: Hpmcounter3 + uint16(k), Name: "hpmcounter" + itoa(n)})
	}
	for k := 0; k < pmpcfgCount; k += 2 { // RV64: only the even pmpcfg registers exist
		add(Info{Num: Pmpcfg0 + uint16(k), Name: "pmpcfg" + itoa(uint16(k))})
	}
	for k := 0; k < pmpaddrCount; k++ { // no PMP entries: WARL read-only zero
		add(Info{Num: Pmpaddr0 + uint16(k), Name: "pmpaddr" + itoa(uint16(k))})
	}
	return &t
}()

func itoa(n uint16) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Lookup returns the table entry of CSR num and whether it exists.
func Lookup(num uint16) (Info, bool) {
	if int(num) >= numberSpace {
		return Info{}, false
	}
	i := table[num]
	return i, i.Name != ""
}

// Name returns the CSR's name, or its number in hex if it does not exist.
func Name(num uint16) string {
	if i, ok := Lookup(num); ok {
		return i.Name
	}
	const hex = "0123456789abcdef"
	return "0x" + string([]byte{hex[num>>8&15], hex[num>>4&15], hex[num&15]})
}

// ByName returns the number of the CSR with the given name.
func ByName(name string) (uint16, bool) {
	for n := range table {
		if table[n].Name == name {
			return uint16(n), true
		}
	}
	return 0, false
}

// ReadOnly reports whether the address bits [11:10] mark CSR num read-only.
func ReadOnly(num uint16) bool { return num>>10&3 == 3 }

// MinPriv returns the lowest privilege that may access CSR num (bits [9:8]).
func MinPriv(num uint16) uint8 { return uint8(num >> 8 & 3) }
