//go:build !linux

package rv64

// reserve allocates guest memory on the Go heap: this system has no
// reservation the project knows how to make.
func reserve(size int) (*hostMem, error) {
	return &hostMem{data: make([]byte, size), fd: -1}, nil
}

func freeHost(hostRes) {}

// punch cannot give pages back here.
func (h *hostMem) punch(off, n uint64) (lo, hi uint64, ok bool) { return 0, 0, false }

// written does not know which pages were written here.
func (h *hostMem) written(fn func(off, n uint64)) bool { return false }

// move never moves pages: a Memory here is a Go slice.
func (h *hostMem) move(dst, src, n uint64) (bool, error) { return false, nil }

// reserveTable returns a zeroed table of n code page pointers.
func reserveTable(n int) ([]*codePage, []byte, error) {
	return make([]*codePage, n), nil, nil
}
