package main

import (
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The glibc programs of programs/glibc beyond what the manifest-driven
// tests check: the sysroot of dynamic programs (-L, --sysroot,
// RVSIM_LD_PREFIX), a dynamic recording replayed where no sysroot exists,
// and the non-deterministic program's runs and replays.

// copyLibs copies the interpreter of the dynamic program prog and every
// library it needs, directly or not, from the sysroot into root/lib,
// following symbolic links: the smallest sysroot that runs prog.
func copyLibs(t *testing.T, prog, root string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(root, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(prog)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				t.Fatal(err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if interp == "" {
		t.Fatalf("%s names no interpreter", prog)
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	todo := append([]string{path.Base(interp)}, libs...)
	for seen := map[string]bool{}; len(todo) > 0; {
		name := todo[0]
		todo = todo[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		src := filepath.Join(sysroot, "lib", name)
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatalf("%s needs %s: %v", prog, name, err)
		}
		if err := os.WriteFile(filepath.Join(root, "lib", name), data, 0o755); err != nil {
			t.Fatal(err)
		}
		lf, err := elf.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		more, err := lf.ImportedLibraries()
		lf.Close()
		if err != nil {
			t.Fatal(err)
		}
		todo = append(todo, more...)
	}
}

// hideSysroot returns the command prefix that runs a command where the
// default sysroot is an empty directory (a tmpfs mounted over it in a new
// user and mount namespace), or nil when the host does not allow that.
func hideSysroot(t *testing.T) []string {
	t.Helper()
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return nil
	}
	prefix := []string{unshare, "--user", "--map-root-user", "--mount", "sh", "-c",
		`mount -t tmpfs tmpfs "$1" && ! test -e "$1/lib" && shift && exec "$@"`, "sh", sysroot}
	if err := exec.Command(prefix[0], append(prefix[1:], "true")...).Run(); err != nil {
		return nil
	}
	return prefix
}

// TestDynamicReplayWithoutSysroot records every dynamic glibc program of the
// manifest with a sysroot that holds only its interpreter and libraries,
// named by RVSIM_LD_PREFIX, deletes that sysroot, and replays: the replay
// must reproduce the recording without any library on the host. Where the
// host allows a mount namespace, it replays once more with the default
// sysroot hidden as well.
func TestDynamicReplayWithoutSysroot(t *testing.T) {
	needGlibcSysroot(t)
	hide := hideSysroot(t)
	if hide == nil {
		t.Log("no user and mount namespaces here: the replays run with the default sysroot present (but not named)")
	}
	n := 0
	for _, e := range readManifest(t) {
		if e.kind != "glibc-dynamic" {
			continue
		}
		n++
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			root := filepath.Join(dir, "sysroot")
			elf := programPath(e.name)
			copyLibs(t, elf, root)
			env := []string{"RVSIM_LD_PREFIX=" + root}
			trace := filepath.Join(dir, e.name+".zst")
			rec := runProcEnv(t, env, entryStdin(e), rvsimBin, append([]string{"record", "-o", trace, "--", elf}, e.args...)...)
			if rec.status != e.status {
				t.Fatalf("record with RVSIM_LD_PREFIX=%s: exit status %d, want %d\n%s", root, rec.status, e.status, rec.stderr)
			}
			if err := os.RemoveAll(root); err != nil {
				t.Fatal(err)
			}
			check := func(how string, rep runResult) {
				t.Helper()
				if rep.stdout != rec.stdout {
					t.Errorf("replay %s: stdout differs:\nrecord:\n%s\nreplay:\n%s", how, rec.stdout, rep.stdout)
				}
				if guestStderr(rep.stderr) != guestStderr(rec.stderr) {
					t.Errorf("replay %s: stderr differs:\nrecord:\n%s\nreplay:\n%s", how, rec.stderr, rep.stderr)
				}
				if rep.status != rec.status {
					t.Errorf("replay %s: exit status %d, record %d\n%s", how, rep.status, rec.status, rep.stderr)
				}
				if !identicalRE.MatchString(rep.stderr) {
					t.Errorf("replay %s did not report an identical run:\n%s", how, rep.stderr)
				}
			}
			check("with the recording's sysroot deleted", runProcEnv(t, env, "", rvsimBin, "replay", elf, trace))
			if hide != nil {
				args := append(slices.Clone(hide[1:]), rvsimBin, "replay", elf, trace)
				check("with the default sysroot hidden too", runProcEnv(t, env, "", hide[0], args...))
				// Where the replay ran, the program cannot run: no sysroot.
				args = append(slices.Clone(hide[1:]), rvsimBin, "run", elf)
				if r := runProc(t, entryStdin(e), hide[0], args...); r.status != exitSimError {
					t.Errorf("run with the default sysroot hidden: status %d, want %d (no interpreter)\n%s", r.status, exitSimError, r.stderr)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("the manifest lists no glibc-dynamic program")
	}
}

// TestSysrootSelection: a dynamic program finds its interpreter in the
// sysroot that -L, --sysroot or RVSIM_LD_PREFIX names (the flag before the
// variable, as with qemu-riscv64's -L and QEMU_LD_PREFIX), or in the
// default one; a sysroot without the interpreter is one rvsim: line naming
// it, status 125.
func TestSysrootSelection(t *testing.T) {
	needGlibcSysroot(t)
	empty := t.TempDir()
	hello := programPath("glibc_hello_dynamic")
	for _, c := range []struct {
		name string
		env  []string
		args []string
	}{
		{"default", nil, nil},
		{"-L", nil, []string{"-L", sysroot}},
		{"--sysroot", nil, []string{"--sysroot", sysroot}},
		{"RVSIM_LD_PREFIX", []string{"RVSIM_LD_PREFIX=" + sysroot}, nil},
		{"-L over RVSIM_LD_PREFIX", []string{"RVSIM_LD_PREFIX=" + empty}, []string{"-L", sysroot}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"run"}, c.args...), hello, "x", "7")
			r := runProcEnv(t, c.env, "", rvsimBin, args...)
			if r.status != 7 || !strings.HasPrefix(r.stdout, "Hello from glibc! argc 3\n") {
				t.Errorf("status %d, want 7; stdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
			}
		})
	}
	for _, c := range []struct {
		name string
		env  []string
		args []string
	}{
		{"-L without the interpreter", nil, []string{"-L", empty}},
		{"RVSIM_LD_PREFIX without the interpreter", []string{"RVSIM_LD_PREFIX=" + empty}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append(append([]string{"run"}, c.args...), hello)
			r := runProcEnv(t, c.env, "", rvsimBin, args...)
			if r.status != exitSimError {
				t.Errorf("status %d, want %d", r.status, exitSimError)
			}
			oneLine(t, r, `ld-linux-riscv64-lp64d\.so\.1`)
		})
	}
}

// TestGlibcNondetReplayed: two runs of the glibc program that reads every
// non-deterministic source print different numbers; a recording replays
// as it was recorded, numbers included, twice.
func TestGlibcNondetReplayed(t *testing.T) {
	needGlibcSysroot(t)
	input := filepath.Join(repo, "programs", "testdata", "cat-input.txt")
	for _, name := range []string{"glibc_nondet_static", "glibc_nondet_dynamic"} {
		t.Run(name, func(t *testing.T) {
			elf := programPath(name)
			a := rvsim(t, input, "run", elf)
			b := rvsim(t, input, "run", elf)
			if a.status != 0 || b.status != 0 {
				t.Fatalf("run: status %d and %d\n%s%s%s", a.status, b.status, a.stdout, a.stderr, b.stderr)
			}
			if a.stdout == b.stdout {
				t.Fatalf("two runs printed the same thing:\n%s", a.stdout)
			}
			if maskNumbers(a.stdout) != maskNumbers(b.stdout) {
				t.Errorf("two runs differ beyond their numbers:\n%s\n%s", a.stdout, b.stdout)
			}
			trace := filepath.Join(t.TempDir(), name+".zst")
			rec := rvsim(t, input, "record", "-o", trace, elf)
			if rec.status != 0 {
				t.Fatalf("record: status %d\n%s", rec.status, rec.stderr)
			}
			for i := 0; i < 2; i++ {
				rep := rvsim(t, "", "replay", elf, trace)
				if rep.stdout != rec.stdout || rep.status != rec.status || !identicalRE.MatchString(rep.stderr) {
					t.Fatalf("replay %d: status %d, printed\n%s\nrecord printed\n%s\n%s", i, rep.status, rep.stdout, rec.stdout, rep.stderr)
				}
			}
		})
	}
}

// TestSysrootMissing: a -L or RVSIM_LD_PREFIX that names no directory is
// an error for a dynamic program, which needs it, and no matter for a
// static one, as under qemu-riscv64; replay accepts -L and needs none.
func TestSysrootMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexistent")
	static, dynamic := programPath("glibc_hello_static"), programPath("glibc_hello_dynamic")
	if r := rvsim(t, "", "run", "-L", missing, static); r.status != 0 {
		t.Errorf("static program with a missing -L: status %d: %s", r.status, r.stderr)
	}
	r := rvsim(t, "", "run", "-L", missing, dynamic)
	if r.status != 125 || !strings.Contains(r.stderr, `rvsim: -L "`+missing+`"`) {
		t.Errorf("dynamic program with a missing -L: status %d: %s", r.status, r.stderr)
	}
	if _, err := os.Stat("/usr/riscv64-linux-gnu"); err != nil {
		return
	}
	trace := filepath.Join(t.TempDir(), "t.zst")
	if r := rvsim(t, "", "record", "-o", trace, dynamic); r.status != 0 {
		t.Fatalf("record: status %d: %s", r.status, r.stderr)
	}
	if r := rvsim(t, "", "replay", "-L", missing, dynamic, trace); r.status != 0 || !strings.Contains(r.stderr, "replay identical") {
		t.Errorf("replay -L with a missing directory: status %d: %s", r.status, r.stderr)
	}
}
