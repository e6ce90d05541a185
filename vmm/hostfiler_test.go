package vmm

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// wrapped is a standard stream that writes its own way but stands for
// a host file (a HostFiler).
type wrapped struct{ f *os.File }

func (w wrapped) Write(p []byte) (int, error)           { return w.f.Write(p) }
func (w wrapped) SyscallConn() (syscall.RawConn, error) { return w.f.SyscallConn() }
func (w wrapped) HostFile() *os.File                    { return w.f }

// TestHostFiler checks that a standard stream that is a HostFiler is its
// file to the guest's fstat and lseek, as an *os.File is, and that one
// that is neither has no host file.
func TestHostFiler(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, g := range []*guestFile{{w: f}, {w: wrapped{f}}} {
		if hf := g.hostFile(); hf != f {
			t.Errorf("hostFile of %T = %v, want the file", g.w, hf)
		}
	}
	if hf := (&guestFile{w: &bytes.Buffer{}}).hostFile(); hf != nil {
		t.Errorf("hostFile of a stream with no file = %v, want nil", hf)
	}
}
