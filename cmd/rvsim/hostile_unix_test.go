//go:build unix

package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

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
	// A FIFO is refused; the link to a host file is followed inside the
	// root, as in a chroot, where its target is not.
	for p, e := range map[string]int{"fifo": 13, "link": 2} {
		if !strings.Contains(granted.stdout, fmt.Sprintf("openat(AT_FDCWD, %q, O_RDONLY) = -%d\n", p, e)) {
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
