//go:build linux

package rv64

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Guest memory on Linux is one of two reservations, each of which tells
// which pages were ever written (Written), whatever the host did with
// them since (in memory or swapped out): the digest and the checkpoints
// read those pages.
//
// Up to anonMax bytes it is anonymous memory (MAP_PRIVATE|MAP_ANONYMOUS|
// MAP_NORESERVE), the cheapest to fault in: a first write to a page of a
// memory file also adds it to the file's page cache, and glibc programs
// that map and grow large blocks spent a third more time in faults.
// /proc/self/pagemap tells its pages apart: bit 63 (present) or 62
// (swapped) is set for every page ever touched, read (the shared zero
// page) or written, and given back by MADV_DONTNEED (Zero) neither. Its 8
// bytes a page are read each time: 512 KiB for 256 MiB, 2 MiB for anonMax.
// The mapping is MADV_NOHUGEPAGE: with transparent huge pages "always",
// a guest that writes a byte every 2 MiB would make all of it resident,
// and present in the pagemap, as a memory file (shmem huge pages are off
// by default) does not.
//
// Beyond anonMax, where the pagemap cannot be read (no /proc, a kernel
// that hides the flags), or under strict overcommit
// (vm.overcommit_memory=2, which charges an anonymous mapping in full,
// MAP_NORESERVE or not), it is a memory file (memfd_create(2)) of the
// guest's size, mapped shared:
//
//   - It is a reservation, not an allocation: the mapping is outside the Go
//     heap, and a memfd is never charged to the overcommit limits (the
//     kernel creates it VM_NORESERVE), so --mem 1T costs nothing until the
//     guest touches memory, and the garbage collector neither scans nor
//     paces on it.
//   - It tells which pages were ever written: lseek(2) SEEK_DATA/SEEK_HOLE
//     on tmpfs (mm/filemap.c, mapping_seek_hole_data) treats a page in
//     memory and a page swapped out (a swap entry in the file's page
//     cache) alike as data; only a page never written, or punched out, is
//     a hole. mincore(2) reports a swapped-out page as not resident, so a
//     digest from it would skip a written page under memory pressure. The
//     pagemap would cost 2 GiB read for 1 TiB of guest memory, where
//     SEEK_DATA costs one call per written extent.
//
// If neither is available (an old kernel, a seccomp filter), the memory
// is an anonymous MAP_NORESERVE mapping, and Written reports the whole
// memory: slow but exact.

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

// anonMax is the largest memory that is anonymous memory rather than a
// memory file: a digest or a checkpoint reads 8 bytes of its pagemap per
// page, 2 MiB for 1 GiB (about 2 ms).
const anonMax = 1 << 30

// strictOvercommit reports whether the host charges every anonymous
// mapping in full (vm.overcommit_memory is 2).
var strictOvercommit = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/proc/sys/vm/overcommit_memory")
	return err == nil && strings.TrimSpace(string(b)) == "2"
})

const (
	pagemapPresent  = 1 << 63
	pagemapSwapped  = 1 << 62
	mfdCloexec      = 0x1
	fallocPunchHole = 0x02
	fallocKeepSize  = 0x01
	seekData        = 3
	seekHole        = 4
	memfdName       = "rvsim-guest"
)

// reserve maps size bytes of zeroed guest memory.
func reserve(size int) (*hostMem, error) {
	if size <= anonMax && !noPagemap && !strictOvercommit() {
		if h := reserveAnon(size); h != nil {
			return h, nil
		}
	}
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

// noMemfd makes newMemfd fail over to the anonymous mapping, and
// noPagemap makes reserve use a memory file at any size (for tests).
var noMemfd, noPagemap bool

// reserveAnon maps size bytes of anonymous memory whose pages the
// pagemap tells apart, or returns nil. It checks the pagemap on the first
// page: present once written, neither present nor swapped once given
// back.
func reserveAnon(size int) *hostMem {
	pm, err := syscall.Open("/proc/self/pagemap", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	data, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		syscall.Close(pm)
		return nil
	}
	h := &hostMem{data: data, fd: pm, pagemap: true}
	if syscall.Madvise(data, syscall.MADV_NOHUGEPAGE) != nil {
		freeHost(hostRes{data: data, fd: pm})
		return nil
	}
	var e [1]uint64
	data[0] = 1
	ok := h.pagemapRead(0, e[:]) && e[0]&pagemapPresent != 0
	data[0] = 0
	_, _, dropped := h.punch(0, uint64(syscall.Getpagesize()))
	if !ok || !dropped || !h.pagemapRead(0, e[:]) || e[0]&(pagemapPresent|pagemapSwapped) != 0 {
		freeHost(hostRes{data: data, fd: pm})
		return nil
	}
	return h
}

// pagemapRead reads the pagemap entries of the pages of data from page
// first on into e.
func (h *hostMem) pagemapRead(first int, e []uint64) bool {
	ps := syscall.Getpagesize()
	at := (int64(uintptr(unsafe.Pointer(&h.data[0])))/int64(ps) + int64(first)) * 8
	b := unsafe.Slice((*byte)(unsafe.Pointer(&e[0])), len(e)*8)
	n, err := syscall.Pread(h.fd, b, at)
	return err == nil && n == len(b)
}

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
	if h.pagemap {
		if syscall.Madvise(h.data[lo:hi], syscall.MADV_DONTNEED) != nil {
			return 0, 0, false
		}
		return lo, hi, true
	}
	if syscall.Fallocate(h.fd, fallocPunchHole|fallocKeepSize, int64(lo), int64(hi-lo)) != nil {
		return 0, 0, false
	}
	return lo, hi, true
}

// maxMoves is how many moves a memory makes before it counts the
// process's memory areas again: each move may split its mapping into more
// (at most two more areas in the kernel's list; the kernel merges them
// back where it can), and a process may have vm.max_map_count of them,
// 65,530 by default. Another maxMoves moves are allowed while twice as
// many areas would still leave a quarter of the limit free.
const maxMoves = 4096

// roomForMoves reports whether the process may split its memory areas by
// another maxMoves moves.
func roomForMoves() bool {
	limit := 65530
	if b, err := os.ReadFile("/proc/sys/vm/max_map_count"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			limit = n
		}
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return false
	}
	return bytes.Count(maps, []byte("\n"))+2*maxMoves < limit*3/4
}

// move moves the whole host pages [src, src+n) of anonymous memory to
// dst with mremap(2), MREMAP_DONTUNMAP (Linux 5.7) keeping the source
// mapped and empty (it reads zero), and reports whether it did. A kernel
// that refuses the flags refuses before it changes anything. One that
// fails once it has cleared the destination (an error the checks before
// cannot foresee, such as running out of memory for its page tables)
// leaves a hole there: the destination is mapped again, empty (it held
// no guest data, which the caller was about to replace); if that fails
// too, move returns an error, and the memory must not be used again.
func (h *hostMem) move(dst, src, n uint64) (bool, error) {
	ps := uint64(syscall.Getpagesize())
	if !h.pagemap || h.noMoves || dst%ps != 0 || src%ps != 0 || n%ps != 0 {
		return false, nil
	}
	if h.moves >= maxMoves {
		if !roomForMoves() {
			return false, nil
		}
		h.moves = 0
	}
	const mremapMaymove, mremapFixed, mremapDontunmap = 1, 2, 4
	base := uintptr(unsafe.Pointer(&h.data[0]))
	r, _, e := syscall.Syscall6(syscall.SYS_MREMAP, base+uintptr(src), uintptr(n), uintptr(n),
		mremapMaymove|mremapFixed|mremapDontunmap, base+uintptr(dst), 0)
	if e == 0 && r == base+uintptr(dst) {
		h.moves++
		return true, nil
	}
	h.noMoves = true // copy from now on
	if e == syscall.EINVAL {
		return false, nil // no MREMAP_DONTUNMAP for this mapping, or no moving into it
	}
	// The destination may be unmapped now: map it again.
	if _, _, e := syscall.Syscall6(syscall.SYS_MMAP, base+uintptr(dst), uintptr(n), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE|syscall.MAP_FIXED, ^uintptr(0), 0); e != 0 {
		return false, fmt.Errorf("guest memory at offset %#x, %#x bytes, is unmapped after a failed mremap, and mmap could not map it again: %w", dst, n, e)
	}
	syscall.Madvise(h.data[dst:dst+n], syscall.MADV_NOHUGEPAGE)
	return false, nil
}

// written calls fn for the data extents of the memory file, or the runs
// of pages the pagemap names.
func (h *hostMem) written(fn func(off, n uint64)) bool {
	if h.fd < 0 {
		return false
	}
	if h.pagemap {
		return h.pagemapWritten(fn)
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

// pagemapWritten calls fn for the runs of pages present or swapped out.
// The runs are found first, then fn is called: fn reads memory, and a
// read of a page never touched maps the zero page.
func (h *hostMem) pagemapWritten(fn func(off, n uint64)) bool {
	ps := syscall.Getpagesize()
	pages := (len(h.data) + ps - 1) / ps // the last may be partial: 4 KiB guest pages, 16 or 64 KiB host pages
	var e [8192]uint64
	var ranges [][2]uint64
	start := -1
	for p := 0; p < pages; p += len(e) {
		k := min(len(e), pages-p)
		if !h.pagemapRead(p, e[:k]) {
			return false
		}
		for i, v := range e[:k] {
			switch used := v&(pagemapPresent|pagemapSwapped) != 0; {
			case used && start < 0:
				start = p + i
			case !used && start >= 0:
				ranges = append(ranges, [2]uint64{uint64(start * ps), uint64((p + i - start) * ps)})
				start = -1
			}
		}
	}
	if start >= 0 {
		ranges = append(ranges, [2]uint64{uint64(start * ps), uint64((pages - start) * ps)})
	}
	for _, r := range ranges {
		fn(r[0], min(r[1], uint64(len(h.data))-r[0]))
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
