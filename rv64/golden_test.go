package rv64

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/csr"
)

// The golden instruction tests: each line of testdata/*.txt runs one
// instruction, or a short sequence, on a fresh hart and lists the state
// changes it must make.
//
//	ENCODING [ASSEMBLY | ; NOTE] [/ ENCODING [ASSEMBLY | ; NOTE]]... | BEFORE | AFTER
//
// ENCODING is the instruction word in hex: eight digits for a 32-bit word,
// four for a 16-bit compressed parcel. The assembly text that follows
// is checked against the test assembler; a note starting with ';' is not
// (for reserved encodings). A sequence separates its instructions with
// ' / ': they are placed one after the other from pc (each 2 or 4 bytes
// after the one before), and Run is given one
// instruction of budget for each. BEFORE and AFTER are space-separated
// items:
//
//	a0=5 x10=-1       integer registers (ABI or xN names), decimal or hex
//	f10=0x3ff0000000000000
//	                  floating-point registers (fN names), the raw 64 bits
//	                  (a single value NaN-boxed: upper 32 bits all ones)
//	m8[ADDR]=V        memory (m8, m16, m32, m64; little-endian)
//	mstatus=0x1800    any CSR by name (set as the monitor does, read with Get);
//	                  fflags=, frm= and fcsr= are the floating-point ones
//	instret=N         the hart's count of retired instructions (before: also
//	                  what instret and minstret read; after: the final count)
//	pc=ADDR priv=U    pc (after: also +N / -N, relative to the start) and privilege
//	utexit            (before) set Hart.UserTrapsExit
//	watch=ADDR        (before) WatchToHost(ADDR)
//	budget=N          (before) the budget of Run, if not one per instruction
//	trap=CAUSE        (after) the last instruction traps into M-mode: mcause,
//	                  mepc, mstatus, priv and pc follow from the trap rules
//	exit=KIND         (after) Run returns this exit (ecall, trap, host, budget)
//	                  at the last instruction; cause= and tval= are its Cause
//	                  and Tval
//	tval=V            mtval of the trap or Tval of the exit; "insn" is the
//	                  last instruction word and "pc" the first one's address
//	retired=N         instructions retired (default: the budget, one fewer
//	                  for ecall/trap exits)
//
// A line "#@ assembled" in a file says that the GNU assembler made every
// encoding of the file from the assembly text next to it (a generated
// file): TestGoldenEncodings leaves those to it.
//
// Every other piece of state (all registers, the whole memory, the trap
// CSRs, instret, pc, privilege) must be as before, except that pc moves past
// the instructions the budget runs unless the case says otherwise. A trap
// runs the handler's first instruction, a "j ." at mtvec, on the budget of
// the instruction that trapped.

const (
	testBase = 0x80000000
	testSize = 0x10000
	testPC   = testBase + 0x1000
	testVec  = testBase + 0x100
	jSelf    = 0x0000006f // j .

	hostCycle   = 0x1234
	hostTime    = 0x5678
	hostEntropy = 0xbeef
)

func testHost() csr.Host {
	return csr.Host{
		Cycle:   func() uint64 { return hostCycle },
		Time:    func() uint64 { return hostTime },
		Entropy: func() uint16 { return hostEntropy },
	}
}

// newTestHart returns a hart in M-mode at testPC with testSize bytes of
// zeroed memory at testBase, mtvec = testVec and a deterministic host.
func newTestHart(t testing.TB) *Hart {
	t.Helper()
	mem, err := NewMemory(testBase, testSize)
	if err != nil {
		t.Fatal(err)
	}
	h := New(mem, csr.New(testHost()))
	h.CSR.Set(csr.Mtvec, testVec)
	h.PC = testPC
	return h
}

// load writes program words at addr.
func load(t testing.TB, h *Hart, addr uint64, words ...uint32) {
	t.Helper()
	for i, w := range words {
		b, ok := h.Mem.Slice(addr+uint64(4*i), 4)
		if !ok {
			t.Fatalf("program word %d at %#x outside memory", i, addr+uint64(4*i))
		}
		le.PutUint32(b, w)
	}
	// Writing memory from outside the guest is what the monitor does: it
	// must drop what the hart decoded there.
	h.Invalidate(addr, uint64(4*len(words)))
}

// comparedCSRs are checked in every expected state, in addition to the
// CSRs a case names.
var comparedCSRs = []uint16{
	csr.Mstatus, csr.Misa, csr.Medeleg, csr.Mideleg, csr.Mie, csr.Mtvec,
	csr.Mcounteren, csr.Mscratch, csr.Mepc, csr.Mcause, csr.Mtval, csr.Mip,
	csr.Mseccfg, csr.Satp, csr.Mcycle,
}

// expected is a complete machine state to compare a hart against, and the
// exit Run must return.
type expected struct {
	X       [32]uint64
	F       [32]uint64
	PC      uint64
	Priv    uint8
	Instret uint64
	CSR     map[uint16]uint64
	Mem     []byte
	Exit    Exit
}

// snapshot returns the hart's current state as an expectation.
func snapshot(h *Hart, extra ...uint16) *expected {
	e := &expected{X: h.X, F: h.F, PC: h.PC, Priv: h.Priv, Instret: h.CSR.Instret, CSR: map[uint16]uint64{}}
	for _, n := range append(comparedCSRs, extra...) {
		e.CSR[n] = h.CSR.Get(n)
	}
	e.Mem = append([]byte(nil), h.Mem.Data...)
	return e
}

var exitNames = map[ExitKind]string{
	ExitBudget: "budget", ExitEcall: "ecall", ExitTrap: "trap", ExitHost: "host",
	ExitNDFull: "ndfull", ExitNDEmpty: "ndempty", ExitDiverge: "diverge",
}

func (k ExitKind) testName() string {
	if s, ok := exitNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind%d", k)
}

// parsePriv is the inverse of privName for the two privileges a hart has.
func parsePriv(s string) (uint8, bool) {
	switch s {
	case "U":
		return csr.PrivU, true
	case "M":
		return csr.PrivM, true
	}
	return 0, false
}

func privName(p uint8) string {
	switch p {
	case csr.PrivU:
		return "U"
	case csr.PrivM:
		return "M"
	}
	return fmt.Sprintf("priv%d", p)
}

// diff compares the hart and the exit Run returned against the expected
// state and names every field that differs.
func (want *expected) diff(h *Hart, exit Exit) []string {
	var d []string
	add := func(field string, got, want uint64) {
		if got != want {
			d = append(d, fmt.Sprintf("%s: got %#x, want %#x", field, got, want))
		}
	}
	if exit.Kind != want.Exit.Kind {
		d = append(d, fmt.Sprintf("exit: got %s, want %s", exit.Kind.testName(), want.Exit.Kind.testName()))
	}
	if want.Exit.Kind != ExitBudget {
		add("exit cause", exit.Cause, want.Exit.Cause)
		add("exit tval", exit.Tval, want.Exit.Tval)
		add("exit pc", exit.PC, want.Exit.PC)
	} else {
		add("exit pc", exit.PC, want.PC)
	}
	for i := range h.X {
		add(fmt.Sprintf("x%d (%s)", i, abiNames[i]), h.X[i], want.X[i])
	}
	for i := range h.F {
		add(fmt.Sprintf("f%d", i), h.F[i], want.F[i])
	}
	add("pc", h.PC, want.PC)
	if h.Priv != want.Priv {
		d = append(d, fmt.Sprintf("priv: got %s, want %s", privName(h.Priv), privName(want.Priv)))
	}
	add("instret", h.CSR.Instret, want.Instret)
	for _, n := range sortedCSRs(want.CSR) {
		add(csr.Name(n), h.CSR.Get(n), want.CSR[n])
	}
	shown := 0
	if bytes.Equal(h.Mem.Data, want.Mem) {
		return d
	}
	for i := range want.Mem {
		if h.Mem.Data[i] != want.Mem[i] {
			if shown++; shown > 8 {
				d = append(d, "mem: more bytes differ")
				break
			}
			d = append(d, fmt.Sprintf("mem[%#x]: got %#02x, want %#02x", h.Mem.Base+uint64(i), h.Mem.Data[i], want.Mem[i]))
		}
	}
	return d
}

func sortedCSRs(m map[uint16]uint64) []uint16 {
	var ns []uint16
	for n := range m {
		ns = append(ns, n)
	}
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j] < ns[j-1]; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
	return ns
}

// expectState reports every difference between the hart (and the exit of
// its last Run) and the expected state.
func expectState(t testing.TB, h *Hart, exit Exit, want *expected) {
	t.Helper()
	for _, s := range want.diff(h, exit) {
		t.Error(s)
	}
}

// goldenCase is one line of a golden file.
type goldenCase struct {
	file      string
	line      int
	assembled bool         // the file's encodings are the GNU assembler's ("#@ assembled")
	insns     []goldenInsn // one, or a sequence run from pc on
	before    []string
	after     []string
}

// goldenInsn is one instruction of a golden case.
type goldenInsn struct {
	word uint32
	text string // assembly, or a note starting with ';'
	size uint64 // 4, or 2 for a compressed parcel
}

func (c *goldenCase) String() string {
	var ins []string
	for _, in := range c.insns {
		ins = append(ins, fmt.Sprintf("%08x %s", in.word, in.text))
	}
	return fmt.Sprintf("%s:%d: %s", filepath.Base(c.file), c.line, strings.Join(ins, " / "))
}

func readGolden(t testing.TB) []*goldenCase {
	t.Helper()
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files in testdata: %v", err)
	}
	var cases []*goldenCase
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		assembled := false
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "#@ assembled" {
				assembled = true
			}
			if line == "" || line[0] == '#' {
				continue
			}
			parts := strings.Split(line, "|")
			if len(parts) != 3 {
				t.Fatalf("%s:%d: want 3 fields separated by '|', have %d", name, n, len(parts))
			}
			var insns []goldenInsn
			for _, in := range strings.Split(parts[0], " / ") {
				head := strings.Fields(in)
				if len(head) == 0 {
					t.Fatalf("%s:%d: no encoding", name, n)
				}
				w, err := strconv.ParseUint(strings.TrimPrefix(head[0], "0x"), 16, 32)
				if err != nil {
					t.Fatalf("%s:%d: bad encoding %q", name, n, head[0])
				}
				size := uint64(4)
				if len(strings.TrimPrefix(head[0], "0x")) <= 4 {
					size = 2
				}
				insns = append(insns, goldenInsn{word: uint32(w), text: strings.Join(head[1:], " "), size: size})
			}
			cases = append(cases, &goldenCase{
				file: name, line: n, insns: insns, assembled: assembled,
				before: strings.Fields(parts[1]),
				after:  strings.Fields(parts[2]),
			})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return cases
}

var causeNames = map[string]uint64{
	"misaligned-fetch": CauseMisalignedFetch, "fetch-access": CauseFetchAccess,
	"illegal": CauseIllegal, "breakpoint": CauseBreakpoint, "load-access": CauseLoadAccess,
	"store-access": CauseStoreAccess, "ecall-u": CauseEcallU, "ecall-m": CauseEcallM,
}

// memKey parses "m64[ADDR]" into the access size in bytes and the address.
func memKey(k string) (n int, addr uint64, ok bool) {
	for _, w := range []int{8, 16, 32, 64} {
		p := fmt.Sprintf("m%d[", w)
		if strings.HasPrefix(k, p) && strings.HasSuffix(k, "]") {
			a, err := parseInt(k[len(p) : len(k)-1])
			return w / 8, uint64(a), err == nil
		}
	}
	return 0, 0, false
}

func putLE(b []byte, n int, v uint64) {
	for i := 0; i < n; i++ {
		b[i] = byte(v >> (8 * i))
	}
}

// run executes one golden case and returns the differences from its
// expectation, or an error if the case itself is malformed.
func (c *goldenCase) run(t testing.TB) ([]string, error) {
	h := newTestHart(t)
	var mems [][3]uint64
	budget := uint64(len(c.insns))
	for _, item := range c.before {
		k, v, hasVal := strings.Cut(item, "=")
		if !hasVal {
			if k == "utexit" {
				h.UserTrapsExit = true
				continue
			}
			return nil, fmt.Errorf("before: bad item %q", item)
		}
		if k == "priv" {
			p, ok := parsePriv(v)
			if !ok {
				return nil, fmt.Errorf("before: bad privilege %q", v)
			}
			h.Priv = p
			continue
		}
		val, err := parseInt(v)
		if err != nil {
			return nil, fmt.Errorf("before: bad value in %q", item)
		}
		u := uint64(val)
		if r, ok := regNum(k); ok {
			h.X[r] = u
		} else if r, ok := fregNum(k); ok {
			h.F[r] = u
		} else if n, addr, ok := memKey(k); ok {
			mems = append(mems, [3]uint64{uint64(n), addr, u})
		} else if k == "pc" {
			h.PC = u
		} else if k == "instret" {
			h.CSR.Instret = u
		} else if k == "watch" {
			h.WatchToHost(u)
		} else if k == "budget" {
			budget = u
		} else if num, ok := csr.ByName(k); ok {
			h.CSR.Set(num, u)
		} else {
			return nil, fmt.Errorf("before: unknown item %q", item)
		}
	}
	pc0 := h.PC
	vec := h.CSR.Get(csr.Mtvec) &^ 3
	if b, ok := h.Mem.Slice(vec, 4); ok && vec != pc0 {
		le.PutUint32(b, jSelf)
	}
	at := pc0 // where each instruction goes
	var last uint64
	for _, in := range c.insns {
		if b, ok := h.Mem.Slice(at, in.size); ok {
			putLE(b, int(in.size), uint64(in.word))
		}
		last = at // where a trap or exit happens
		at += in.size
	}
	// ahead returns the pc after the first n instructions, each one past
	// the sequence 4 bytes long.
	ahead := func(n uint64) uint64 {
		a := pc0
		for k := uint64(0); k < n; k++ {
			if k < uint64(len(c.insns)) {
				a += c.insns[k].size
			} else {
				a += 4
			}
		}
		return a
	}
	for _, m := range mems {
		b, ok := h.Mem.Slice(m[1], m[0])
		if !ok {
			return nil, fmt.Errorf("before: memory at %#x outside memory", m[1])
		}
		putLE(b, int(m[0]), m[2])
	}

	// The expected state: unchanged but for what the case lists.
	var named []uint16
	for _, item := range c.after {
		k, _, _ := strings.Cut(item, "=")
		if n, ok := csr.ByName(k); ok && k != "instret" {
			named = append(named, n)
		}
	}
	want := snapshot(h, named...)
	prevPriv, prevStatus := h.Priv, h.CSR.Get(csr.Mstatus)
	want.PC = ahead(budget)
	retired := budget
	var trap, exit, tval, cause, pc, instret *uint64
	var retiredSet bool
	value := func(v string) (uint64, error) {
		switch v {
		case "insn":
			return uint64(c.insns[len(c.insns)-1].word), nil
		case "pc":
			return pc0, nil
		}
		x, err := parseInt(v)
		return uint64(x), err
	}
	ptr := func(v uint64) *uint64 { return &v }
	for _, item := range c.after {
		k, v, hasVal := strings.Cut(item, "=")
		if !hasVal {
			return nil, fmt.Errorf("after: bad item %q", item)
		}
		switch k {
		case "trap":
			cv, ok := causeNames[v]
			if !ok {
				x, err := value(v)
				if err != nil {
					return nil, fmt.Errorf("after: bad cause %q", v)
				}
				cv = x
			}
			trap = ptr(cv)
			continue
		case "exit":
			var kind *ExitKind
			for ek, name := range exitNames {
				if name == v {
					kind = &ek
				}
			}
			if kind == nil {
				return nil, fmt.Errorf("after: bad exit kind %q", v)
			}
			exit = ptr(uint64(*kind))
			continue
		case "priv":
			p, ok := parsePriv(v)
			if !ok {
				return nil, fmt.Errorf("after: bad privilege %q", v)
			}
			want.Priv = p
			continue
		case "pc":
			if strings.HasPrefix(v, "+") || strings.HasPrefix(v, "-") {
				off, err := parseInt(v)
				if err != nil {
					return nil, fmt.Errorf("after: bad pc %q", v)
				}
				pc = ptr(pc0 + uint64(off))
			} else {
				x, err := value(v)
				if err != nil {
					return nil, fmt.Errorf("after: bad pc %q", v)
				}
				pc = ptr(x)
			}
			continue
		}
		u, err := value(v)
		if err != nil {
			return nil, fmt.Errorf("after: bad value in %q", item)
		}
		if r, ok := regNum(k); ok {
			want.X[r] = u
		} else if r, ok := fregNum(k); ok {
			want.F[r] = u
		} else if n, addr, ok := memKey(k); ok {
			off := addr - h.Mem.Base
			if !h.Mem.Contains(addr, uint64(n)) {
				return nil, fmt.Errorf("after: memory at %#x outside memory", addr)
			}
			putLE(want.Mem[off:], n, u)
		} else if k == "tval" {
			tval = ptr(u)
		} else if k == "cause" {
			cause = ptr(u)
		} else if k == "retired" {
			retired, retiredSet = u, true
		} else if k == "instret" {
			instret = ptr(u)
		} else if num, ok := csr.ByName(k); ok {
			want.CSR[num] = u
		} else {
			return nil, fmt.Errorf("after: unknown item %q", item)
		}
	}
	get := func(p *uint64) uint64 {
		if p == nil {
			return 0
		}
		return *p
	}
	switch {
	case trap != nil && exit != nil:
		return nil, fmt.Errorf("after: both trap= and exit=")
	case trap != nil:
		// Trap into M-mode, then the handler's "j ." retires.
		want.CSR[csr.Mepc] = last
		want.CSR[csr.Mcause] = *trap
		want.CSR[csr.Mtval] = get(tval)
		if _, ok := wantCSRNamed(c.after, "mstatus"); !ok {
			s := prevStatus &^ (csr.MstatusMIE | csr.MstatusMPIE | csr.MstatusMPP)
			if prevStatus&csr.MstatusMIE != 0 {
				s |= csr.MstatusMPIE
			}
			want.CSR[csr.Mstatus] = s | uint64(prevPriv)<<11
		}
		want.Priv = csr.PrivM
		want.PC = vec
	case exit != nil:
		want.Exit = Exit{Kind: ExitKind(*exit), Cause: get(cause), Tval: get(tval), PC: last}
		if want.Exit.Kind == ExitHost {
			want.Exit.PC = last + c.insns[len(c.insns)-1].size
		} else if !retiredSet {
			retired = budget - 1
		}
		if pc != nil {
			want.Exit.PC = *pc
		}
		want.PC = want.Exit.PC
	}
	if pc != nil {
		want.PC = *pc
	}
	want.Instret += retired
	if instret != nil {
		want.Instret = *instret
	}
	if want.Exit.Kind != ExitBudget && want.Exit.Kind != ExitHost {
		// The exit leaves the pc at the instruction.
		want.Exit.PC = want.PC
	}
	got := h.Run(budget)
	return want.diff(h, got), nil
}

// fregNum returns the number of floating-point register name s (fN).
func fregNum(s string) (uint32, bool) {
	if len(s) < 2 || s[0] != 'f' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 8)
	if err != nil || n >= 32 || strconv.Itoa(int(n)) != s[1:] {
		return 0, false
	}
	return uint32(n), true
}

func wantCSRNamed(items []string, name string) (string, bool) {
	for _, it := range items {
		if k, v, _ := strings.Cut(it, "="); k == name {
			return v, true
		}
	}
	return "", false
}

func TestGolden(t *testing.T) {
	cases := readGolden(t)
	for _, c := range cases {
		d, err := c.run(t)
		if err != nil {
			t.Errorf("%v: %v", c, err)
			continue
		}
		for _, s := range d {
			t.Errorf("%v: %s", c, s)
		}
	}
	t.Logf("%d golden cases", len(cases))
}

// TestGoldenEncodings checks the assembly text of every golden case
// against its encoding (both were made independently: the encodings by
// the GNU assembler, the check by the test assembler).
func TestGoldenEncodings(t *testing.T) {
	for _, c := range readGolden(t) {
		if c.assembled {
			continue
		}
		for _, in := range c.insns {
			if in.text == "" || strings.HasPrefix(in.text, ";") || in.size == 2 {
				continue // compressed ones: TestRVCGoldenAssembler
			}
			w, err := asm(in.text)
			if err != nil {
				t.Errorf("%v: %v", c, err)
			} else if w != in.word {
				t.Errorf("%v: %s assembles to %08x", c, in.text, w)
			}
		}
	}
}

// TestGoldenCoverage checks that the golden files execute every RV64IM,
// Zicsr, Zifencei and privileged instruction the hart implements.
func TestGoldenCoverage(t *testing.T) {
	all := strings.Fields(`lui auipc jal jalr beq bne blt bge bltu bgeu
		lb lh lw ld lbu lhu lwu sb sh sw sd
		addi slti sltiu xori ori andi slli srli srai addiw slliw srliw sraiw
		add sub sll slt sltu xor srl sra or and addw subw sllw srlw sraw
		mul mulh mulhsu mulhu div divu rem remu mulw divw divuw remw remuw
		fence fence.i ecall ebreak mret wfi
		csrrw csrrs csrrc csrrwi csrrsi csrrci`)
	count := map[string]int{}
	for _, c := range readGolden(t) {
		for _, in := range c.insns {
			if f := strings.Fields(in.text); len(f) > 0 {
				count[f[0]]++
			}
		}
	}
	for _, m := range all {
		if count[m] == 0 {
			t.Errorf("no golden case for %s", m)
		}
	}
}

// TestGoldenCoverageFD checks that the golden files execute every F and D
// instruction with every rounding mode it takes: static (rne, rtz, rdn,
// rup, rmm) and dynamic, under each frm.
func TestGoldenCoverageFD(t *testing.T) {
	var all []string
	for _, f := range []string{"s", "d"} {
		for _, m := range strings.Fields(`fadd fsub fmul fdiv fsqrt fmin fmax fmadd fmsub fnmadd fnmsub
			fsgnj fsgnjn fsgnjx feq flt fle fclass fcvt.w fcvt.wu fcvt.l fcvt.lu`) {
			all = append(all, m+"."+f)
		}
		for _, m := range []string{"w", "wu", "l", "lu"} {
			all = append(all, "fcvt."+f+"."+m)
		}
	}
	all = append(all, strings.Fields(`fcvt.s.d fcvt.d.s fmv.x.w fmv.w.x fmv.x.d fmv.d.x flw fsw fld fsd`)...)
	// Those that round: a case with each static mode and with frm 0-4.
	// The rest take no rounding mode (or, converting exactly, none the
	// assembler writes).
	exact := map[string]bool{"fcvt.d.s": true, "fcvt.d.w": true, "fcvt.d.wu": true}
	for _, m := range strings.Fields(`fsgnj fsgnjn fsgnjx fmin fmax feq flt fle fclass fmv.x fmv.from`) {
		exact[m+".s"], exact[m+".d"] = true, true
	}
	for _, m := range strings.Fields(`fmv.x.w fmv.w.x fmv.x.d fmv.d.x flw fsw fld fsd`) {
		exact[m] = true
	}
	rounding := map[string]bool{}
	for _, m := range all {
		rounding[m] = !exact[m]
	}
	count := map[string]int{}
	for _, c := range readGolden(t) {
		for _, in := range c.insns {
			f := strings.Fields(strings.ReplaceAll(in.text, ",", " "))
			if len(f) == 0 {
				continue
			}
			count[f[0]]++
			if !rounding[f[0]] {
				continue
			}
			switch last := f[len(f)-1]; last {
			case "rne", "rtz", "rdn", "rup", "rmm":
				count[f[0]+","+last]++
			default:
				frm := "7"
				if v, ok := wantCSRNamed(c.before, "frm"); ok {
					frm = v
				}
				count[f[0]+",frm="+frm]++
			}
		}
	}
	for _, m := range all {
		if count[m] == 0 {
			t.Errorf("no golden case for %s", m)
			continue
		}
		if !rounding[m] {
			continue
		}
		for _, k := range []string{",rne", ",rtz", ",rdn", ",rup", ",rmm", ",frm=0", ",frm=1", ",frm=2", ",frm=3", ",frm=4"} {
			if count[m+k] == 0 {
				t.Errorf("no golden case for %s with %s", m, k[1:])
			}
		}
	}
}

// TestGoldenCoverageA checks that the golden files execute every A
// instruction, with each of the orderings aq, rl and aqrl.
func TestGoldenCoverageA(t *testing.T) {
	count := map[string]int{}
	for _, c := range readGolden(t) {
		for _, in := range c.insns {
			if f := strings.Fields(in.text); len(f) > 0 {
				count[f[0]]++
			}
		}
	}
	for _, w := range []string{".w", ".d"} {
		for _, m := range strings.Fields("amoswap amoadd amoxor amoand amoor amomin amomax amominu amomaxu lr sc") {
			for _, ord := range []string{"", ".aq", ".rl", ".aqrl"} {
				if count[m+w+ord] == 0 && (ord == "" || !strings.HasPrefix(m, "lr") && !strings.HasPrefix(m, "sc")) {
					t.Errorf("no golden case for %s", m+w+ord)
				}
			}
		}
	}
}
