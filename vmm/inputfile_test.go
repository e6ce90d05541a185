package vmm

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// An ELF followed by an endless stream (a pipe that never closes) is read
// up to the limit and refused, with memory bounded by the limit.
func TestReadELFStreamLimit(t *testing.T) {
	const limit = 4 << 20
	hello := readELF(t, helloELF)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		defer w.Close()
		if _, err := w.Write(hello); err != nil {
			return
		}
		zero := make([]byte, 64<<10)
		for {
			if _, err := w.Write(zero); err != nil {
				return // the reader closed its end
			}
		}
	}()
	path := "/dev/fd/" + strconv.Itoa(int(r.Fd()))
	data, err := readELFFile(path, limit)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 4194304 bytes") {
		t.Fatalf("got %d bytes, error %v; want ErrTooLarge naming the limit", len(data), err)
	}
}

// A regular file larger than the limit is refused from its size, and one
// within it is read whole.
func TestReadELFRegularLimit(t *testing.T) {
	hello := readELF(t, helloELF)
	p := filepath.Join(t.TempDir(), "big.elf")
	if err := os.WriteFile(p, hello, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readELFFile(p, len(hello)-1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a file one byte over the limit: error %v, want ErrTooLarge", err)
	}
	data, err := readELFFile(p, len(hello))
	if err != nil || string(data) != string(hello) {
		t.Fatalf("a file at the limit: %d bytes (want %d), error %v", len(data), len(hello), err)
	}
	if _, err := LoadFile(p); err != nil {
		t.Fatal(err)
	}
}
