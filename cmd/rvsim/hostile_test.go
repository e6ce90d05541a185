package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A hostile guest: the programs hostile_fault, hostile_sys, sweep, escape
// (Linux) and bare_hostile, bare_trapvec (bare metal) attack the
// record/replay unit and the monitor. The manifest runs the self-checking
// ones; the tests here check each fatal attack's fault, and that no guest
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

// fileState is what a file or directory looks like from outside.
type fileState struct {
	mode    fs.FileMode
	size    int64
	mtime   int64
	content [32]byte
}

// snapshot describes every file below dir.
func snapshot(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		s := fileState{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime().UnixNano()}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			s.content = sha256.Sum256(b)
		}
		out[p] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHostileCannotTouchHostFiles runs the programs that try to reach host
// files - escape (every open mode, absolute, .. and symlinked paths, a
// FIFO, directory descriptors, descriptor exhaustion), sweep (every system
// call number with garbage) and hostile_sys - with and without --fs, in
// run, record and replay, from a scratch working directory. No file may
// appear, change or be read outside the granted directory, and no host
// content may reach the guest's output.
func TestHostileCannotTouchHostFiles(t *testing.T) {
	base := t.TempDir()
	root, work, traces := filepath.Join(base, "root"), filepath.Join(base, "work"), t.TempDir()
	secret := filepath.Join(base, "secret.txt")
	for _, d := range []string{root, work, filepath.Join(root, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(secret, "HOST-SECRET-CONTENT\n")
	write(filepath.Join(root, "inside.txt"), "INSIDE-CONTENT\n")
	if err := os.Symlink(secret, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, base)
	// Host content that must not show: the secret, /etc/passwd's first
	// line and the host environment.
	forbidden := []string{"HOST-SECRET", "PATH="}
	if b, err := os.ReadFile("/etc/passwd"); err == nil && len(b) > 0 {
		forbidden = append(forbidden, strings.SplitN(string(b), "\n", 2)[0])
	}
	paths := []string{"inside.txt", "/etc/passwd", "../../../../../../../etc/passwd", "../secret.txt",
		secret, "link", "fifo", "sub/../../secret.txt", ".", "/", "..", "created.txt",
		"/proc/self/environ", "/dev/tty"}
	abs := func(name string) string { return absProgramPath(t, name) }
	run := func(args ...string) runResult {
		t.Helper()
		// A guest that blocks the monitor (opening a FIFO, say) must not
		// hang the test.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, rvsimBin, args...)
		cmd.Dir = work
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if f, err := os.Open(filepath.Join(repo, "programs", "testdata", "hostile-code.bin")); err == nil {
			defer f.Close()
			cmd.Stdin = f
		}
		err := cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("rvsim %v did not end in a minute", args)
		}
		r := runResult{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
		if err != nil && r.status <= 0 {
			t.Fatalf("rvsim %v: %v", args, err)
		}
		for _, f := range forbidden {
			if strings.Contains(r.stdout, f) || strings.Contains(r.stderr, f) {
				t.Errorf("rvsim %v: host content %q reached the output", args, f)
			}
		}
		if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
			t.Errorf("rvsim %v panicked:\n%s", args, r.stderr)
		}
		return r
	}

	granted := run(append([]string{"run", "--fs", root, "--", abs("escape")}, paths...)...)
	if granted.status != 0 || strings.Count(granted.stdout, "<<<INSIDE-CONTENT\n>>>") < 3 {
		t.Errorf("with --fs: status %d; the file inside the root was not read through every directory:\n%s", granted.status, granted.stdout)
	}
	if !strings.Contains(granted.stdout, `directories: "." 3, "/" 4`) || !strings.Contains(granted.stdout, "then -24\n") {
		t.Errorf("with --fs: directory descriptors or EMFILE missing:\n%s", granted.stdout)
	}
	for _, p := range []string{"fifo", "link"} {
		if !strings.Contains(granted.stdout, fmt.Sprintf("openat(AT_FDCWD, %q, O_RDONLY) = -13\n", p)) {
			t.Errorf("with --fs: %s opened:\n%s", p, granted.stdout)
		}
	}
	none := run(append([]string{"run", "--", abs("escape")}, paths...)...)
	if none.status != 0 || strings.Contains(none.stdout, "<<<") || !strings.Contains(none.stdout, `directories: "." -2, "/" -2`) {
		t.Errorf("without --fs something opened: status %d\n%s", none.status, none.stdout)
	}
	trace := filepath.Join(traces, "escape.zst")
	rec := run(append([]string{"record", "--fs", root, "-o", trace, "--", abs("escape")}, paths...)...)
	rep := run("replay", abs("escape"), trace)
	if rec.stdout != granted.stdout || rep.stdout != rec.stdout || !identicalRE.MatchString(rep.stderr) {
		t.Errorf("record and replay of escape differ from the run:\n%s", rep.stderr)
	}
	for _, fsArgs := range [][]string{nil, {"--fs", root}} {
		for _, prog := range []string{"sweep", "hostile_sys"} {
			r := run(append(append([]string{"run"}, fsArgs...), abs(prog))...)
			if r.status != 0 {
				t.Errorf("%s %v: status %d\n%s%s", prog, fsArgs, r.status, r.stdout, r.stderr)
			}
		}
	}

	after := snapshot(t, base)
	for p, s := range after {
		if b, ok := before[p]; !ok {
			t.Errorf("%s appeared", p)
		} else if b != s {
			t.Errorf("%s changed", p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s disappeared", p)
		}
	}
	if ents, _ := os.ReadDir(traces); len(ents) != 1 {
		t.Errorf("the trace directory holds %d files, want the trace alone", len(ents))
	}
}
