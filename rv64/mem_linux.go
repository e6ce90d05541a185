//go:build linux

package rv64

import (
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

// Guest memory on Linux is a memory file (memfd_create(2)) of the guest's
// size, mapped shared. Two reasons:
//
//   - It is a reservation, not an allocation: the mapping is outside the Go
//     heap, and a memfd is never charged to the overcommit limits (the
//     kernel creates it VM_NORESERVE), so --mem 1T costs nothing until the
//     guest touches memory, and the garbage collector neither scans nor
//     paces on it.
//   - It tells which pages were ever written, whatever the host did with
//     them since: lseek(2) SEEK_DATA/SEEK_HOLE on tmpfs (mm/filemap.c,
//     mapping_seek_hole_data) treats a page in memory and a page swapped
//     out (a swap entry in the file's page cache) alike as data; only a
//     page never written, or punched out, is a hole. mincore(2), which the
//     digest used before, reports a swapped-out page as not resident, so
//     the digest would have skipped a written page under memory pressure.
//     /proc/self/pagemap would also do (present|swapped bits), but costs 8
//     bytes read per page: 2 GiB for 1 TiB of guest memory, where
//     SEEK_DATA costs one call per written extent.
//
// If memfd_create is not available (an old kernel, a seccomp filter), the
// memory is an anonymous MAP_NORESERVE mapping, and Written reports the
// whole memory: slow but exact.

// memfdCreate returns the system call number of memfd_create, which the
// syscall package does not name on every architecture, or 0.
func memfdCreate() uintptr {
	switch runtime.GOARCH {
	case "amd64":
		return 319
	case "386":
		return 356
	case "arm64", "riscv64", "loong64":
		return 279
	case "arm":
		return 385
	case "ppc64", "ppc64le":
		return 360
	case "s390x":
		return 350
	}
	return 0
}

const (
	mfdCloexec      = 0x1
	fallocPunchHole = 0x02
	fallocKeepSize  = 0x01
	seekData        = 3
	seekHole        = 4
	memfdName       = "rvsim-guest"
)

// reserve maps size bytes of zeroed guest memory.
func reserve(size int) (*hostMem, error) {
	fd, err := newMemfd(size)
	if err != nil {
		return nil, err
	}
	flags := syscall.MAP_SHARED | syscall.MAP_NORESERVE
	if fd < 0 {
		flags = syscall.MAP_PRIVATE | syscall.MAP_ANONYMOUS | syscall.MAP_NORESERVE
	}
	data, err := syscall.Mmap(fd, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, flags)
	if err != nil {
		if fd >= 0 {
			syscall.Close(fd)
		}
		return nil, fmt.Errorf("mmap: %w", err)
	}
	return &hostMem{data: data, fd: fd}, nil
}

// noMemfd makes newMemfd fail over to the anonymous mapping (for tests).
var noMemfd bool

// newMemfd returns a memory file of size bytes, or -1 (and no error) when
// the system has none to give.
func newMemfd(size int) (int, error) {
	nr := memfdCreate()
	if nr == 0 || noMemfd {
		return -1, nil
	}
	name := []byte(memfdName + "\x00")
	r, _, e := syscall.Syscall(nr, uintptr(unsafe.Pointer(&name[0])), mfdCloexec, 0)
	if e != 0 {
		if e == syscall.EMFILE || e == syscall.ENFILE {
			return -1, fmt.Errorf("memfd_create: %w", e)
		}
		return -1, nil // ENOSYS, EPERM from a filter, ...: fall back
	}
	fd := int(r)
	if err := syscall.Ftruncate(fd, int64(size)); err != nil {
		syscall.Close(fd)
		return -1, fmt.Errorf("ftruncate of the memory file: %w", err)
	}
	return fd, nil
}

// freeHost unmaps guest memory and closes its file.
func freeHost(r hostRes) {
	if r.data != nil {
		syscall.Munmap(r.data)
	}
	if r.table != nil {
		syscall.Munmap(r.table)
	}
	if r.fd >= 0 {
		syscall.Close(r.fd)
	}
}

// punch gives the whole host pages of [off, off+n) back to the host and
// returns the part it cleared, [lo, hi); the caller clears the rest.
func (h *hostMem) punch(off, n uint64) (lo, hi uint64, ok bool) {
	if h.fd < 0 {
		return 0, 0, false
	}
	ps := uint64(syscall.Getpagesize())
	lo = (off + ps - 1) &^ (ps - 1)
	hi = (off + n) &^ (ps - 1)
	if hi <= lo {
		return 0, 0, false
	}
	if syscall.Fallocate(h.fd, fallocPunchHole|fallocKeepSize, int64(lo), int64(hi-lo)) != nil {
		return 0, 0, false
	}
	return lo, hi, true
}

// written calls fn for the data extents of the memory file.
func (h *hostMem) written(fn func(off, n uint64)) bool {
	if h.fd < 0 {
		return false
	}
	size := int64(len(h.data))
	var ranges [][2]int64
	for pos := int64(0); pos < size; {
		lo, err := syscall.Seek(h.fd, pos, seekData)
		if errors.Is(err, syscall.ENXIO) {
			break // no data at or after pos
		}
		if err != nil {
			return false
		}
		hi, err := syscall.Seek(h.fd, lo, seekHole)
		if err != nil {
			return false
		}
		hi = min(hi, size)
		ranges = append(ranges, [2]int64{lo, hi})
		pos = hi
	}
	for _, r := range ranges {
		fn(uint64(r[0]), uint64(r[1]-r[0]))
	}
	return true
}

// reserveTable returns a zeroed table of n code page pointers outside the
// Go heap (8 bytes per guest page: 2 GiB for 1 TiB of guest memory, most
// of it never touched), and the mapping behind it. The garbage collector
// neither scans nor sees the pointers in it: the hart keeps every page it
// points to reachable from the Go heap as well (Hart.codeLive); the Go
// heap does not move objects.
func reserveTable(n int) ([]*codePage, []byte, error) {
	size := n * int(unsafe.Sizeof((*codePage)(nil)))
	data, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap: %w", err)
	}
	return unsafe.Slice((**codePage)(unsafe.Pointer(&data[0])), n), data, nil
}
