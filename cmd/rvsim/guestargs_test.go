package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestFlagsAfterProgramBelongToGuest checks that rvsim stops parsing its
// flags at the program, as qemu-riscv64 does: flags and "--" after the
// program reach the guest unchanged, and qemu-riscv64 is the referee of
// what the guest sees.
func TestFlagsAfterProgramBelongToGuest(t *testing.T) {
	qemu, err := exec.LookPath("qemu-riscv64")
	if err != nil {
		t.Fatal("qemu-riscv64 is needed as the referee (Debian package qemu-user)")
	}
	elf := programPath("args")
	for _, guest := range [][]string{
		{"-v", "data.txt"},
		{"--", "a", "-v", "b"},
		{"a", "--", "--log-level", "debug"},
		{"-o", "x.zst"},
	} {
		want := runProc(t, "", qemu, append([]string{elf}, guest...)...)
		got := rvsim(t, "", append([]string{"run", elf}, guest...)...)
		if got.status != want.status || got.stdout != want.stdout {
			t.Errorf("run %v: status %d, stdout:\n%s\nqemu-riscv64: status %d, stdout:\n%s",
				guest, got.status, got.stdout, want.status, want.stdout)
		}
		// A "--" before the program ends rvsim's flags and is not the guest's.
		dash := rvsim(t, "", append([]string{"run", "--", elf}, guest...)...)
		if dash.stdout != want.stdout {
			t.Errorf("run -- PROG %v: stdout:\n%s\nqemu-riscv64:\n%s", guest, dash.stdout, want.stdout)
		}
	}

	// record: a -o after the program is the guest's; the trace goes to
	// the default place, in the working directory.
	dir := t.TempDir()
	abs, err := filepath.Abs(elf)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rvsimBin, "record", abs, "-o", "x.zst")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("record: %v", err)
	}
	want := runProc(t, "", qemu, elf, "-o", "x.zst")
	if string(out) != want.stdout {
		t.Errorf("record PROG -o x.zst: guest stdout:\n%s\nqemu-riscv64:\n%s", out, want.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.zst")); err == nil {
		t.Errorf("record PROG -o x.zst wrote x.zst: the guest's -o was taken as rvsim's")
	}
	if _, err := os.Stat(filepath.Join(dir, "trace.zst")); err != nil {
		t.Errorf("record wrote no trace.zst: %v", err)
	}
}
