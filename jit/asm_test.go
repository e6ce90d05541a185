package jit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var regNames64 = [16]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}
var regNames32 = [16]string{"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"}

func memText(m mem) string {
	s := regNames64[m.base]
	if m.hasIndex {
		s += fmt.Sprintf("+%s*%d", regNames64[m.index], max(m.scale, 1))
	}
	switch {
	case m.disp > 0:
		s += fmt.Sprintf("+0x%x", m.disp)
	case m.disp < 0:
		s += fmt.Sprintf("-0x%x", -m.disp)
	case m.base&7 == 5 || m.hasIndex && m.base&7 == 5:
		s += "+0x0"
	}
	return "[" + s + "]"
}

// TestEncodingsObjdump assembles each instruction form the translator
// uses, with every register and base register, and checks that objdump,
// the independent referee, reads back the intended instruction.
func TestEncodingsObjdump(t *testing.T) {
	objdump, err := exec.LookPath("objdump")
	if err != nil {
		t.Skip("objdump not installed")
	}
	var a asm
	var want []string
	add := func(text string, emit func()) {
		n := len(a.b)
		emit()
		if len(a.b) == n {
			t.Fatalf("%s: no bytes", text)
		}
		want = append(want, text)
	}
	mems := func(base reg) []mem {
		l := []mem{at(base, 0), at(base, 8), at(base, -8), at(base, 0x1234)}
		if base != rsp {
			l = append(l, atIdx(r14, base, 1, 0), atIdx(base, rcx, 8, 0), atIdx(base, rax, 1, 16))
		}
		return l
	}
	for d := rax; d <= r15; d++ {
		for s := rax; s <= r15; s++ {
			add(fmt.Sprintf("mov %s,%s", regNames64[d], regNames64[s]), func() { a.movRR(true, d, s) })
			add(fmt.Sprintf("mov %s,%s", regNames32[d], regNames32[s]), func() { a.movRR(false, d, s) })
			add(fmt.Sprintf("add %s,%s", regNames64[d], regNames64[s]), func() { a.aluRR(true, aluADD, d, s) })
			add(fmt.Sprintf("sub %s,%s", regNames32[d], regNames32[s]), func() { a.aluRR(false, aluSUB, d, s) })
			add(fmt.Sprintf("cmp %s,%s", regNames64[d], regNames64[s]), func() { a.aluRR(true, aluCMP, d, s) })
			add(fmt.Sprintf("imul %s,%s", regNames64[d], regNames64[s]), func() { a.imulRR(true, d, s) })
			add(fmt.Sprintf("movsxd %s,%s", regNames64[d], regNames32[s]), func() { a.movsxd(d, s) })
		}
		for _, m := range mems(d) {
			for _, r := range []reg{rax, rbx, rsi, r9, r15} {
				add(fmt.Sprintf("mov %s,QWORD PTR %s", regNames64[r], memText(m)), func() { a.load(true, r, m) })
				add(fmt.Sprintf("mov QWORD PTR %s,%s", memText(m), regNames64[r]), func() { a.store(true, m, r) })
			}
			add(fmt.Sprintf("mov DWORD PTR %s,esi", memText(m)), func() { a.store(false, m, rsi) })
			add(fmt.Sprintf("mov WORD PTR %s,r9w", memText(m)), func() { a.store16(m, r9) })
			add(fmt.Sprintf("mov BYTE PTR %s,sil", memText(m)), func() { a.store8(m, rsi) })
			add(fmt.Sprintf("mov BYTE PTR %s,bl", memText(m)), func() { a.store8(m, rbx) })
			add(fmt.Sprintf("movsx rdi,BYTE PTR %s", memText(m)), func() { a.loadSX8(rdi, m) })
			add(fmt.Sprintf("movsx r8,WORD PTR %s", memText(m)), func() { a.loadSX16(r8, m) })
			add(fmt.Sprintf("movsxd r11,DWORD PTR %s", memText(m)), func() { a.loadSX32(r11, m) })
			add(fmt.Sprintf("movzx ebx,BYTE PTR %s", memText(m)), func() { a.loadZX8(rbx, m) })
			add(fmt.Sprintf("movzx r10d,WORD PTR %s", memText(m)), func() { a.loadZX16(r10, m) })
			add(fmt.Sprintf("lea rcx,%s", memText(m)), func() { a.lea(rcx, m) })
			add(fmt.Sprintf("cmp rcx,QWORD PTR %s", memText(m)), func() { a.aluRM(true, aluCMP, rcx, m) })
			add(fmt.Sprintf("cmp QWORD PTR %s,0x0", memText(m)), func() { a.aluMI(true, aluCMP, m, 0) })
			add(fmt.Sprintf("add QWORD PTR %s,0x1", memText(m)), func() { a.aluMI(true, aluADD, m, 1) })
			add(fmt.Sprintf("cmp BYTE PTR %s,0x3", memText(m)), func() { a.cmpMem8(m, 3) })
			add(fmt.Sprintf("mov BYTE PTR %s,0x2", memText(m)), func() { a.storeImm8(m, 2) })
			add(fmt.Sprintf("mov QWORD PTR %s,0x4", memText(m)), func() { a.storeImm(m, 4) })
			add(fmt.Sprintf("mul QWORD PTR %s", memText(m)), func() { a.mulMem(m) })
			add(fmt.Sprintf("jmp QWORD PTR %s", memText(m)), func() { a.jmpMem(m) })
		}
		add(fmt.Sprintf("add %s,0x7f", regNames64[d]), func() { a.aluRI(true, aluADD, d, 127) })
		add(fmt.Sprintf("and %s,0xfffffffffffffffe", regNames64[d]), func() { a.aluRI(true, aluAND, d, -2) })
		add(fmt.Sprintf("xor %s,0x12345", regNames64[d]), func() { a.aluRI(true, aluXOR, d, 0x12345) })
		add(fmt.Sprintf("cmp %s,0xfffff800", regNames32[d]), func() { a.aluRI(false, aluCMP, d, -2048) })
		add(fmt.Sprintf("shl %s,0x3f", regNames64[d]), func() { a.shiftI(true, shSHL, d, 63) })
		add(fmt.Sprintf("sar %s,0x1f", regNames32[d]), func() { a.shiftI(false, shSAR, d, 31) })
		add(fmt.Sprintf("shr %s,cl", regNames64[d]), func() { a.shiftCL(true, shSHR, d) })
		add(fmt.Sprintf("mul %s", regNames64[d]), func() { a.mul(true, d) })
		add(fmt.Sprintf("imul %s", regNames64[d]), func() { a.imul(true, d) })
		add(fmt.Sprintf("div %s", regNames32[d]), func() { a.div(false, d) })
		add(fmt.Sprintf("idiv %s", regNames64[d]), func() { a.idiv(true, d) })
		add(fmt.Sprintf("neg %s", regNames32[d]), func() { a.neg(false, d) })
		add(fmt.Sprintf("test %s,%s", regNames64[d], regNames64[d]), func() { a.test(true, d, d) })
		add(fmt.Sprintf("test %s,0x7", regNames32[d]), func() { a.testRI(false, d, 7) })
		add(fmt.Sprintf("cmovl %s,%s", regNames64[d], regNames64[15-d]), func() { a.cmov(true, ccL, d, 15-d) })
		add(fmt.Sprintf("cmova %s,%s", regNames32[d], regNames32[d^3]), func() { a.cmov(false, ccA, d, d^3) })
		add(fmt.Sprintf("mov %s,0x12345678", regNames32[d]), func() { a.movImm(d, 0x12345678) })
		add(fmt.Sprintf("mov %s,0xffffffffffff8000", regNames64[d]), func() { a.movImm(d, 0xffffffffffff8000) })
		add(fmt.Sprintf("movabs %s,0x123456789abc", regNames64[d]), func() { a.movImm(d, 0x123456789abc) })
		add(fmt.Sprintf("xor %s,%s", regNames32[d], regNames32[d]), func() { a.movImm(d, 0) })
		add(fmt.Sprintf("rdrand %s", regNames32[d]), func() { a.rdrand32(d) })
		add(fmt.Sprintf("jmp %s", regNames64[d]), func() { a.jmpReg(d) })
	}
	for _, d := range []reg{rax, rbx, rsi, rdi, r8, r11} {
		b8 := map[reg]string{rax: "al", rbx: "bl", rsi: "sil", rdi: "dil", r8: "r8b", r11: "r11b"}[d]
		add(fmt.Sprintf("setl %s", b8), func() { a.rr(false, 0, d, true, 0x0f, 0x90|ccL) })
		add(fmt.Sprintf("movzx %s,%s", regNames32[d], b8), func() { a.rr(false, d, d, true, 0x0f, 0xb6) })
	}
	for _, m := range []mem{at(r15, 0x100), at(r15, 0x1f8), atIdx(r14, rcx, 1, 0), at(rax, 4)} {
		mt := memText(m)
		add("movsd xmm0,QWORD PTR "+mt, func() { a.movsLoad(pfxSD, xmm0, m) })
		add("movss xmm2,DWORD PTR "+mt, func() { a.movsLoad(pfxSS, xmm2, m) })
		add("movsd QWORD PTR "+mt+",xmm1", func() { a.movsStore(pfxSD, m, xmm1) })
		add("movss DWORD PTR "+mt+",xmm0", func() { a.movsStore(pfxSS, m, xmm0) })
		add("addsd xmm0,QWORD PTR "+mt, func() { a.arithM(pfxSD, sseADD, xmm0, m) })
		add("subss xmm0,DWORD PTR "+mt, func() { a.arithM(pfxSS, sseSUB, xmm0, m) })
		add("mulsd xmm1,QWORD PTR "+mt, func() { a.arithM(pfxSD, sseMUL, xmm1, m) })
		add("divss xmm0,DWORD PTR "+mt, func() { a.arithM(pfxSS, sseDIV, xmm0, m) })
		add("sqrtsd xmm0,QWORD PTR "+mt, func() { a.arithM(pfxSD, sseSQRT, xmm0, m) })
		add("ucomisd xmm0,QWORD PTR "+mt, func() { a.ucomisM(pfxPD, xmm0, m) })
		add("comiss xmm0,DWORD PTR "+mt, func() { a.comisM(0, xmm0, m) })
		add("comisd xmm0,QWORD PTR "+mt, func() { a.comisM(pfxPD, xmm0, m) })
		add("cvttsd2si eax,QWORD PTR "+mt, func() { a.cvts2si(pfxSD, false, true, rax, m) })
		add("cvtsd2si rax,QWORD PTR "+mt, func() { a.cvts2si(pfxSD, true, false, rax, m) })
		add("cvttss2si rax,DWORD PTR "+mt, func() { a.cvts2si(pfxSS, true, true, rax, m) })
		add("roundsd xmm0,QWORD PTR "+mt+",0x9", func() { a.rounds(pfxSD, xmm0, m, roundDown|roundNoPrecE) })
		add("roundss xmm1,DWORD PTR "+mt+",0xa", func() { a.rounds(pfxSS, xmm1, m, roundUp|roundNoPrecE) })
		add("cvtsd2ss xmm0,QWORD PTR "+mt, func() { a.cvts2s(pfxSD, xmm0, m) })
		add("cvtss2sd xmm0,DWORD PTR "+mt, func() { a.cvts2s(pfxSS, xmm0, m) })
		add("mov DWORD PTR "+mt+",0xffffffff", func() { a.storeImm32(m, -1) })
		add("stmxcsr DWORD PTR "+mt, func() { a.stmxcsr(m) })
		add("ldmxcsr DWORD PTR "+mt, func() { a.ldmxcsr(m) })
	}
	for _, r := range []reg{rax, rbx, rsi, r9, r11} {
		add(fmt.Sprintf("cvtsi2sd xmm0,%s", regNames64[r]), func() { a.cvtsi2s(pfxSD, true, xmm0, r) })
		add(fmt.Sprintf("cvtsi2sd xmm0,%s", regNames32[r]), func() { a.cvtsi2s(pfxSD, false, xmm0, r) })
		add(fmt.Sprintf("cvtsi2ss xmm0,%s", regNames64[r]), func() { a.cvtsi2s(pfxSS, true, xmm0, r) })
	}
	add("movq xmm1,rax", func() { a.movToX(true, xmm1, rax) })
	add("movd xmm1,eax", func() { a.movToX(false, xmm1, rax) })
	add("movq xmm1,r9", func() { a.movToX(true, xmm1, r9) })
	add("xorps xmm1,xmm1", func() { a.zeroX(xmm1) })
	add("lea rcx,[rbx+r9*4+0x10]", func() { a.lea(rcx, atIdx(rbx, r9, 4, 0x10)) })
	add("lea rcx,[r10+rsi*8-0x8]", func() { a.lea(rcx, atIdx(r10, rsi, 8, -8)) })
	add("lea rcx,[r11+r11*1+0x12345]", func() { a.lea(rcx, atIdx(r11, r11, 1, 0x12345)) })
	add("cvttsd2si rax,xmm0", func() { a.cvtts2siR(pfxSD, true, rax, xmm0) })
	add("cvttss2si eax,xmm0", func() { a.cvtts2siR(pfxSS, false, rax, xmm0) })
	add("movq rax,xmm1", func() { a.movFromX(true, rax, xmm1) })
	add("movd r9d,xmm2", func() { a.movFromX(false, r9, xmm2) })
	add("subsd xmm1,xmm0", func() { a.arithR(pfxSD, sseSUB, xmm1, xmm0) })
	add("addss xmm0,xmm2", func() { a.arithR(pfxSS, sseADD, xmm0, xmm2) })
	add("minsd xmm0,QWORD PTR [r15+0x108]", func() { a.arithM(pfxSD, sseMIN, xmm0, at(r15, 0x108)) })
	add("maxss xmm0,DWORD PTR [r15+0x108]", func() { a.arithM(pfxSS, sseMAX, xmm0, at(r15, 0x108)) })
	add("ucomisd xmm1,xmm0", func() { a.ucomis(pfxPD, xmm1, xmm0) })
	add("ucomisd xmm0,xmm0", func() { a.ucomis(pfxPD, xmm0, xmm0) })
	add("ucomiss xmm2,xmm2", func() { a.ucomis(0, xmm2, xmm2) })
	add("vfmadd231sd xmm2,xmm0,xmm1", func() { a.fma231(fmaADD, true, xmm2, xmm0, xmm1) })
	add("vfmsub231ss xmm2,xmm0,xmm1", func() { a.fma231(fmaSUB, false, xmm2, xmm0, xmm1) })
	add("vfnmadd231sd xmm2,xmm0,xmm1", func() { a.fma231(fmaNADD, true, xmm2, xmm0, xmm1) })
	add("vfnmsub231ss xmm2,xmm0,xmm1", func() { a.fma231(fmaNSUB, false, xmm2, xmm0, xmm1) })
	add("cqo", func() { a.cqo() })
	add("cdq", func() { a.cdq() })
	add("rdtsc", func() { a.rdtsc() })
	add("ret", func() { a.ret() })
	add("movzx eax,ax", func() { a.movzx16(rax, rax) })

	dir := t.TempDir()
	bin := filepath.Join(dir, "code.bin")
	if err := os.WriteFile(bin, a.b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(objdump, "-D", "-b", "binary", "-mi386:x86-64", "-M", "intel", bin).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	var got []string
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 3 || !strings.HasSuffix(strings.TrimSpace(f[0]), ":") {
			continue
		}
		got = append(got, strings.Join(strings.Fields(f[2]), " "))
	}
	if len(got) != len(want) {
		t.Fatalf("objdump read %d instructions, %d were assembled", len(got), len(want))
	}
	bad := 0
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("instruction %d: assembled %q, objdump reads %q", i, want[i], got[i])
			if bad++; bad > 20 {
				t.FailNow()
			}
		}
	}
}
