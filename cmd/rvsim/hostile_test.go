package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// A hostile guest: the programs hostile_fault, hostile_sys, sweep, escape
// (Linux) and bare_hostile, bare_trapvec (bare metal) attack the
// record/replay unit and the monitor. The manifest runs the self-checking
// ones; the tests here check each fatal attack's fault, and
// TestHostileCannotTouchHostFiles (hostile_unix_test.go) that no guest
// action reaches the host's files.

// csrInsn encodes a CSR instruction: funct3 1-3 take rs1, 5-7 an immediate.
func csrInsn(csr, funct3, rd, rs1 uint32) uint64 {
	return uint64(csr<<20 | rs1<<15 | funct3<<12 | rd<<7 | 0x73)
}

// hostileAttack is one attack of programs/asm/hostile_fault.S, in its
// order, and the exception it must raise.
type hostileAttack struct {
	cause uint64
	tval  uint64
	insn  string // the faulting instruction's disassembly, "" for a fetch
}

const (
	ndBuf   = 0x10010000 // the ND buffer: the end of 256 MiB of Linux guest memory
	x0, xA0 = 0, 10
	xA1     = 11
)

var hostileAttacks = []hostileAttack{
	{2, csrInsn(0x7c0, 2, xA0, x0), "csrr a0, ndmode"},
	{2, csrInsn(0x7c1, 1, xA0, xA1), "csrrw a0, ndbase, a1"},
	{2, csrInsn(0x7c2, 3, xA0, xA1), "csrrc a0, ndsize, a1"},
	{2, csrInsn(0x7c3, 5, xA0, 5), "csrrwi a0, ndhead, 5"},
	{2, csrInsn(0x7c4, 6, x0, 31), "ndtail, 31"},
	{2, csrInsn(0x7c0, 7, xA0, 0), "csrrci a0, ndmode, 0"},
	{2, csrInsn(0x7c0, 2, x0, xA1), "ndmode, a1"},
	{2, 0x10500073, "wfi"},
	{2, 0x30200073, "mret"},
	{2, 0x10200073, ""},
	{5, ndBuf, "ld a0, 0(t0)"},
	{7, ndBuf, "sd a0, 0(t0)"},
	{1, ndBuf, ""},
	{5, ndBuf + 5, "lb a0, 5(t0)"},
	{7, ndBuf + 24, "sw a0, 24(t0)"},
	{7, ndBuf + 0x18000, "sd a0, 0(t0)"},
	{5, ndBuf - 4, "ld a0, 0(t0)"},
	{7, ndBuf - 2, "sw a0, 0(t0)"},
	{5, 0, "ld a0, 0(t0)"},
	{7, 0xfff8, "sd a0, 0(t0)"},
	{1, 0x1000, ""},
	{1, 0x4000000000, ""},
	{5, 0x800000000000, "ld a0, 0(t0)"},
	{1, 0x800000000000, ""},
	{7, 1 << 63, "sd a0, 0(t0)"},
	{1, 1 << 63, ""},
	{5, 1<<64 - 8, "ld a0, 0(t0)"},
	{1, 1<<64 - 8, ""},
	{7, 1<<64 - 4, "sd a0, 0(t0)"},
}

var faultLineRE = regexp.MustCompile(`(?m)^rvsim: guest fault: .* \(cause (\d+), tval (0x[0-9a-f]+)\) at pc (0x[0-9a-f]+): (.*)$`)

// TestHostileFaults runs every attack of hostile_fault: qemu-riscv64 must
// end it with the same signal and output; rvsim must name the right cause,
// tval and instruction, and its recording must replay identically.
func TestHostileFaults(t *testing.T) {
	qemu, err := exec.LookPath("qemu-riscv64")
	if err != nil {
		t.Fatal("qemu-riscv64 is needed as the referee (Debian package qemu-user)")
	}
	elf := programPath("hostile_fault")
	for n, a := range hostileAttacks {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			t.Parallel()
			status := 139
			if a.cause == 2 {
				status = 132
			}
			trace := filepath.Join(t.TempDir(), "trace.zst")
			rec := rvsim(t, "", "record", "--nd-buffer", "1", "-o", trace, "--", elf, strconv.Itoa(n))
			rep := rvsim(t, "", "replay", elf, trace)
			want := runProc(t, "", qemu, elf, strconv.Itoa(n))
			if rec.status != status || want.status != status || want.stdout != rec.stdout || rec.stdout != fmt.Sprintf("attack %d\n", n) {
				t.Errorf("status %d, qemu-riscv64 %d (want %d); stdout %q, qemu %q", rec.status, want.status, status, rec.stdout, want.stdout)
			}
			if rep.status != status || rep.stdout != rec.stdout || !identicalRE.MatchString(rep.stderr) {
				t.Errorf("replay: status %d, stdout %q:\n%s", rep.status, rep.stdout, rep.stderr)
			}
			m := faultLineRE.FindStringSubmatch(rec.stderr)
			if m == nil {
				t.Fatalf("no fault line in stderr:\n%s", rec.stderr)
			}
			cause, _ := strconv.ParseUint(m[1], 10, 64)
			tval, _ := strconv.ParseUint(m[2], 0, 64)
			pc, _ := strconv.ParseUint(m[3], 0, 64)
			if cause != a.cause || tval != a.tval {
				t.Errorf("cause %d tval %#x, want cause %d tval %#x: %s", cause, tval, a.cause, a.tval, m[0])
			}
			switch {
			case a.cause == 1: // the fetch at the target faults
				if pc != a.tval || m[4] != "(instruction not fetchable)" {
					t.Errorf("fetch fault at pc %#x (%s), want pc %#x, not fetchable", pc, m[4], a.tval)
				}
			case a.cause == 2 && !strings.HasPrefix(m[4], fmt.Sprintf("%08x ", a.tval)):
				t.Errorf("instruction %q, want the bits of tval %08x", m[4], a.tval)
			}
			if !strings.Contains(m[4], a.insn) {
				t.Errorf("instruction %q, want %q", m[4], a.insn)
			}
		})
	}
}
