//go:build unix

package vmm

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestInterpreterNotRegular: an interpreter in the sysroot that is a FIFO
// is refused at once, without waiting for a writer, and one larger than
// MaxInterpSize is refused from its size.
func TestInterpreterNotRegular(t *testing.T) {
	path := buildPIE(t)
	p, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		make func(string) error
		want error
	}{
		{"fifo", func(f string) error { return syscall.Mkfifo(f, 0o644) }, ErrNoInterpreter},
		{"huge", func(f string) error { return os.WriteFile(f, nil, 0o644) }, ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, "lib"), 0o755); err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(root, "lib", "ld-linux-riscv64-lp64d.so.1")
			if err := c.make(f); err != nil {
				t.Fatal(err)
			}
			if c.name == "huge" {
				if err := os.Truncate(f, MaxInterpSize+1); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan error, 1)
			go func() {
				m, err := New(p, Config{MemSize: 64 << 20, Sysroot: root, Stdout: io.Discard, Stderr: io.Discard})
				if err == nil {
					m.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, c.want) {
					t.Errorf("New: %v, want %v", err, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("New still waits on the interpreter after 10 s")
			}
		})
	}
}
