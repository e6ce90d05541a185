package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/vmm"
)

// TestRecordOutputIsChecked checks record's -o before anything is
// written: the program itself (by any path or link) and a file that is not
// a trace are refused and left as they were; a trace is replaced with a
// warning; a new or empty file and a device are written without a word.
func TestRecordOutputIsChecked(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "prog.elf")
	copyFile(t, programPath("hello"), prog)
	want := mustRead(t, prog)
	if err := os.Symlink(prog, filepath.Join(dir, "link.elf")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(prog, filepath.Join(dir, "hard.elf")); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("my notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{prog, filepath.Join(dir, "link.elf"), filepath.Join(dir, "hard.elf"), filepath.Join(dir, ".", "..", filepath.Base(dir), "prog.elf")} {
		r := cli(t, "", "record", "-o", out, prog)
		if r.status != exitSimError {
			t.Errorf("record -o %s %s: exit status %d, want %d", out, prog, r.status, exitSimError)
		}
		oneLine(t, r, `^rvsim: record: -o ".*": the output is the program being recorded ".*prog\.elf": nothing written; give another -o$`)
		if !bytes.Equal(mustRead(t, prog), want) {
			t.Fatalf("record -o %s changed the program", out)
		}
	}
	r := cli(t, "", "record", "-o", notes, prog)
	if r.status != exitSimError {
		t.Errorf("record -o notes.txt: exit status %d, want %d", r.status, exitSimError)
	}
	oneLine(t, r, `^rvsim: record: -o ".*notes\.txt": the output exists and is not an rvsim trace: nothing written; remove it or give another -o$`)
	if string(mustRead(t, notes)) != "my notes\n" {
		t.Errorf("record -o notes.txt changed the file")
	}

	trace := filepath.Join(dir, "t.zst")
	if r := cli(t, "", "record", "-o", trace, prog); r.status != 0 || strings.Contains(r.stderr, "rvsim:") {
		t.Errorf("record to a new file: status %d, stderr %q", r.status, r.stderr)
	}
	r = cli(t, "", "record", "-o", trace, prog)
	if r.status != 0 || !strings.Contains(r.stderr, "rvsim: warn: record: replacing the existing trace \""+trace+"\"\n") {
		t.Errorf("record over a trace: status %d, stderr %q", r.status, r.stderr)
	}
	empty := filepath.Join(dir, "empty.zst")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{empty, os.DevNull} {
		if r := cli(t, "", "record", "-o", out, prog); r.status != 0 || strings.Contains(r.stderr, "rvsim:") {
			t.Errorf("record -o %s: status %d, stderr %q", out, r.status, r.stderr)
		}
	}
}

// TestRecordOutputIsNotStdio: record refuses a trace that would share a
// file, pipe or socket with rvsim's standard output or error, where the
// program's output goes too (-o /dev/stdout into a pipe, -o F with >F),
// and writes nothing there; /dev/null as both is fine, and so is the
// trace on another descriptor of the same pipe's reader (-o /dev/fd/3
// 3>&1 >/dev/null), which replays.
func TestRecordOutputIsNotStdio(t *testing.T) {
	prog := programPath("nondet")
	r := cli(t, "", "record", "-o", "/dev/stdout", prog)
	if r.status != exitSimError || r.stdout != "" {
		t.Errorf("record -o /dev/stdout into a pipe: status %d, stdout %q", r.status, r.stdout)
	}
	oneLine(t, r, `^rvsim: record: -o "/dev/stdout": the output is where the program's output goes too: it is rvsim's standard output; nothing written: send the trace or the program's standard output elsewhere \(-o /dev/fd/3 3>&1 >FILE\)$`)

	dir := t.TempDir()
	for _, c := range []struct{ fd, name string }{{"1", "standard output"}, {"2", "standard error"}} {
		f := filepath.Join(dir, "out"+c.fd+".zst")
		out, err := os.Create(f)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(rvsimBin, "record", "-o", f, prog)
		cmd.Stdin = strings.NewReader("")
		var other bytes.Buffer
		cmd.Stdout, cmd.Stderr = out, &other
		if c.fd == "2" {
			cmd.Stdout, cmd.Stderr = &other, out
		}
		err = cmd.Run()
		out.Close()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitSimError {
			t.Errorf("record -o F with fd %s on F: %v, want status %d", c.fd, err, exitSimError)
		}
		got := string(mustRead(t, f))
		if c.fd == "2" {
			got = strings.TrimPrefix(got, "rvsim: record: -o \""+f+"\": the output is where the program's output goes too: it is rvsim's standard error; nothing written: send the trace or the program's standard error elsewhere (-o /dev/fd/3 3>&2 2>FILE)\n")
		}
		if got != "" {
			t.Errorf("record -o F with fd %s on F left %q in F", c.fd, got)
		}
	}

	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(rvsimBin, "record", "-o", os.DevNull, prog)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), devnull, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() != 0 {
		t.Errorf("record -o /dev/null >/dev/null: %v, stderr %q", err, stderr.String())
	}

	stderr.Reset()
	trace := filepath.Join(dir, "fd3.zst")
	tf, err := os.Create(trace)
	if err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(rvsimBin, "record", "-o", "/dev/fd/3", prog)
	cmd.Stdin, cmd.Stdout, cmd.Stderr, cmd.ExtraFiles = strings.NewReader(""), devnull, &stderr, []*os.File{tf}
	err = cmd.Run()
	tf.Close()
	if err != nil || stderr.Len() != 0 {
		t.Fatalf("record -o /dev/fd/3: %v, stderr %q", err, stderr.String())
	}
	if r := cli(t, "", "replay", prog, trace); r.status != 0 || !strings.Contains(r.stderr, "replay identical") {
		t.Errorf("replay of the trace written to fd 3: status %d, stderr %q", r.status, r.stderr)
	}
}

// TestCheckOutputErrors checks that checkOutput's refusals are its
// sentinel errors.
func TestCheckOutputErrors(t *testing.T) {
	prog, err := vmm.LoadFile(programPath("hello"))
	if err != nil {
		t.Fatal(err)
	}
	a := &app{}
	if _, err := a.checkOutput(programPath("hello"), prog); !errors.Is(err, errOutputIsProgram) {
		t.Errorf("output = program: %v, want errOutputIsProgram", err)
	}
	if _, err := a.checkOutput(programPath("args"), prog); !errors.Is(err, errOutputNotTrace) {
		t.Errorf("output = another ELF: %v, want errOutputNotTrace", err)
	}
}

// TestRecordThatCannotStartKeepsTrace: a recording that fails before the
// guest runs (a program that does not fit --mem, arguments over the 1 MiB
// limit) leaves an existing trace byte for byte as it was, replayable, and
// says nothing of replacing it; into a new file it leaves no file.
func TestRecordThatCannotStartKeepsTrace(t *testing.T) {
	dir := t.TempDir()
	prog := programPath("hello")
	trace := filepath.Join(dir, "t.zst")
	if r := cli(t, "", "record", "-o", trace, prog); r.status != 0 {
		t.Fatalf("record: status %d, stderr %q", r.status, r.stderr)
	}
	want := mustRead(t, trace)
	big := strings.Repeat("a", 200_000)
	for _, args := range [][]string{
		{"--mem", "4K", prog},
		{prog, big, big, big, big, big, big},
	} {
		for _, out := range []string{trace, filepath.Join(dir, "new.zst")} {
			r := cli(t, "", append([]string{"record", "-o", out}, args...)...)
			if r.status != exitSimError || !strings.Contains(r.stderr, "rvsim: load ") || strings.Contains(r.stderr, "replacing") {
				t.Errorf("record -o %s %.20q: status %d, stderr %q; want %d and the load error alone", out, args, r.status, r.stderr, exitSimError)
			}
		}
		if got := mustRead(t, trace); !bytes.Equal(got, want) {
			t.Errorf("record %.20q changed the existing trace: %d bytes, was %d", args, len(got), len(want))
		}
		if _, err := os.Stat(filepath.Join(dir, "new.zst")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("record %.20q into a new file left it behind: %v", args, err)
		}
		// Through a link to a file that does not exist: the link stays,
		// and no file appears.
		link := filepath.Join(dir, "link.zst")
		os.Remove(link)
		if err := os.Symlink("target.zst", link); err != nil {
			t.Fatal(err)
		}
		if r := cli(t, "", append([]string{"record", "-o", link}, args...)...); r.status != exitSimError {
			t.Errorf("record -o a dangling link: status %d", r.status)
		}
		if _, err := os.Lstat(link); err != nil {
			t.Errorf("the link is gone: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "target.zst")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("record %.20q through a dangling link left its target behind: %v", args, err)
		}
	}
	if r := cli(t, "", "replay", prog, trace); r.status != 0 || !strings.Contains(r.stderr, "replay identical") {
		t.Errorf("replay of the kept trace: status %d, stderr %q", r.status, r.stderr)
	}
}
