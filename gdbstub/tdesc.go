package gdbstub

import (
	"fmt"
	"sort"
	"strings"
)

// xNames are the ABI names of x0-x31, as gdb's riscv target and QEMU's
// riscv-64bit-cpu.xml name them.
var xNames = [32]string{
	"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
	"fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
	"a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
	"s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
}

// fNames are the ABI names of f0-f31.
var fNames = [32]string{
	"ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
	"fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
	"fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
	"fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
}

// xTypes gives the gdb types of the registers that are pointers.
var xTypes = map[int]string{1: "code_ptr", 2: "data_ptr", 3: "data_ptr", 4: "data_ptr", 8: "data_ptr"}

// regFile is the register layout of one session: which register numbers
// exist and how many bytes each takes in p/P and g/G packets.
type regFile struct {
	csrs []CSR // sorted by number, without fflags/frm/fcsr (in the fpu feature)
	size map[int]int
}

// newRegFile builds the layout from the target's CSR list: x0-x31 and pc
// (8 bytes), f0-f31 (8 bytes), fflags, frm and fcsr (4 bytes, as gdb's own
// riscv 64bit-fpu.xml has them) and every other CSR (8 bytes). A CSR
// numbered above 0xfff, listed twice (by number or name), named like
// another register, or whose name is not letters, digits, _ and . is left
// out.
func newRegFile(csrs []CSR) *regFile {
	rf := &regFile{size: make(map[int]int, 70+len(csrs))}
	for n := 0; n <= RegPC; n++ {
		rf.size[n] = 8
	}
	for n := RegF0; n < RegF0+32; n++ {
		rf.size[n] = 8
	}
	for n := RegFflags; n <= RegFcsr; n++ {
		rf.size[n] = 4
	}
	seen := map[uint16]bool{1: true, 2: true, 3: true}
	names := map[string]bool{"pc": true, "fflags": true, "frm": true, "fcsr": true}
	for i := range xNames {
		names[xNames[i]], names[fNames[i]] = true, true
	}
	for _, c := range csrs {
		if c.Num > 0xfff || seen[c.Num] || !validName(c.Name) || names[c.Name] {
			continue
		}
		seen[c.Num], names[c.Name] = true, true
		rf.csrs = append(rf.csrs, c)
		rf.size[RegCSR+int(c.Num)] = 8
	}
	sort.Slice(rf.csrs, func(i, j int) bool { return rf.csrs[i].Num < rf.csrs[j].Num })
	return rf
}

// validName reports whether s can be a register name in the XML (letters,
// digits, _ and ., not empty).
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// targetXML is the target description (gdb manual, "Target Descriptions"):
// architecture riscv:rv64 and the features org.gnu.gdb.riscv.cpu (x0-x31,
// pc), org.gnu.gdb.riscv.fpu (f0-f31 as ieee_double, fflags, frm, fcsr) and
// org.gnu.gdb.riscv.csr (the target's CSRs), with the register numbers of
// RegPC and friends. It is one document: no xi:include.
func (rf *regFile) targetXML() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n")
	b.WriteString(`<!DOCTYPE target SYSTEM "gdb-target.dtd">` + "\n")
	b.WriteString(`<target version="1.0">` + "\n")
	b.WriteString("<architecture>riscv:rv64</architecture>\n")
	b.WriteString(`<feature name="org.gnu.gdb.riscv.cpu">` + "\n")
	for i, name := range xNames {
		typ := xTypes[i]
		if typ == "" {
			typ = "int"
		}
		fmt.Fprintf(&b, `<reg name="%s" bitsize="64" type="%s" regnum="%d"/>`+"\n", name, typ, RegX0+i)
	}
	fmt.Fprintf(&b, `<reg name="pc" bitsize="64" type="code_ptr" regnum="%d"/>`+"\n", RegPC)
	b.WriteString("</feature>\n")
	b.WriteString(`<feature name="org.gnu.gdb.riscv.fpu">` + "\n")
	for i, name := range fNames {
		fmt.Fprintf(&b, `<reg name="%s" bitsize="64" type="ieee_double" regnum="%d"/>`+"\n", name, RegF0+i)
	}
	for i, name := range []string{"fflags", "frm", "fcsr"} {
		fmt.Fprintf(&b, `<reg name="%s" bitsize="32" type="int" regnum="%d"/>`+"\n", name, RegFflags+i)
	}
	b.WriteString("</feature>\n")
	if len(rf.csrs) > 0 {
		b.WriteString(`<feature name="org.gnu.gdb.riscv.csr">` + "\n")
		for _, c := range rf.csrs {
			fmt.Fprintf(&b, `<reg name="%s" bitsize="64" type="int" regnum="%d"/>`+"\n", c.Name, RegCSR+int(c.Num))
		}
		b.WriteString("</feature>\n")
	}
	b.WriteString("</target>\n")
	return b.String()
}
