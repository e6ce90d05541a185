package main

import (
	"bytes"
	"errors"
	"os"
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

// TestCheckOutputErrors checks that checkOutput's refusals are its
// sentinel errors.
func TestCheckOutputErrors(t *testing.T) {
	prog, err := vmm.LoadFile(programPath("hello"))
	if err != nil {
		t.Fatal(err)
	}
	a := &app{}
	if err := a.checkOutput(programPath("hello"), prog); !errors.Is(err, errOutputIsProgram) {
		t.Errorf("output = program: %v, want errOutputIsProgram", err)
	}
	if err := a.checkOutput(programPath("args"), prog); !errors.Is(err, errOutputNotTrace) {
		t.Errorf("output = another ELF: %v, want errOutputNotTrace", err)
	}
}
