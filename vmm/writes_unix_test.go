//go:build unix

package vmm

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenFIFOSwappedIn: a FIFO renamed over a regular file below --fs
// while the guest opens it never blocks the monitor in open(2): the open
// finds the file it looked at, or refuses the FIFO with EACCES.
func TestOpenFIFOSwappedIn(t *testing.T) {
	dir := t.TempDir()
	prog, err := Parse(helloELF, readELF(t, helloELF))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(prog, Config{MemSize: 1 << 20, FSRoot: dir, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "f")
	if err := os.WriteFile(target, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	const swaps = 400
	swapped := make(chan error, 1)
	go func() {
		// Swap a FIFO and a regular file in and out of "f".
		for i := range swaps {
			tmp := filepath.Join(dir, fmt.Sprintf("tmp%d", i))
			var err error
			if i%2 == 0 {
				err = syscall.Mkfifo(tmp, 0o644)
			} else {
				err = os.WriteFile(tmp, []byte("data"), 0o644)
			}
			if err == nil {
				err = os.Rename(tmp, target)
			}
			if err != nil {
				swapped <- err
				return
			}
		}
		swapped <- nil
	}()
	results := make(chan [2]int, 1)
	stop := make(chan struct{})
	go func() {
		var files, refused int
		for {
			select {
			case <-stop:
				results <- [2]int{files, refused}
				return
			default:
			}
			r := openPath(t, m, "/f")
			switch {
			case int64(r) >= 0:
				files++
				m.sysClose(r)
			case r == errno(eACCES):
				refused++
			default:
				t.Errorf("open: %d, want a descriptor or -EACCES", int64(r))
			}
		}
	}()
	// Release an open blocked on the FIFO (a writer comes) and fail.
	blocked := func() {
		if f, err := os.OpenFile(target, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatal("an open of the swapped path blocked the monitor")
	}
	select {
	case err := <-swapped:
		close(stop)
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		close(stop)
		blocked()
	}
	select {
	case n := <-results:
		t.Logf("%d swaps: %d regular files opened, %d FIFOs refused", swaps, n[0], n[1])
		if n[0] == 0 || n[1] == 0 {
			t.Errorf("the opens never saw both kinds of file: %v", n)
		}
	case <-time.After(10 * time.Second):
		blocked()
	}
}
