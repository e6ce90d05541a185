package vmm

// mmap and munmap: anonymous memory and private mappings of files.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"syscall"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/logfmt"
)

// Flags of mmap.
const (
	mapType           = 0x03 // MAP_SHARED, MAP_PRIVATE or MAP_SHARED_VALIDATE
	mapPrivate        = 0x02
	protWrite         = 0x2
	mapFixed          = 0x10
	mapAnonymous      = 0x20
	mapFixedNoreplace = 0x100000
)

// fileMapping reports whether the mmap flags map a file.
func fileMapping(flags uint64) bool { return flags&mapAnonymous == 0 }

// sysMmap maps memory, in the checks' order of Linux. Without MAP_FIXED
// (the address is then a hint, which is not followed), the monitor picks
// the address: the first hole from the top of the mmap area down (hole),
// for a large anonymous mapping with room above it to grow. With
// MAP_FIXED the mapping replaces whatever was mapped there, as the dynamic
// linker does when it lays a library out; it must lie in the mmap area,
// between the heap and the stack (else ENOMEM).
// With one process and no fork, a shared mapping is a private one. A
// file's mapping is a copy of its bytes, the rest of the last page zero:
// the guest's stores to it are its own, and the file never changes under
// it (the guest cannot write files).
func (m *Machine) sysMmap(addr, length, prot, flags, fd, off uint64) uint64 {
	l := m.linux
	if off%PageSize != 0 {
		return errno(eINVAL)
	}
	var f *guestFile
	if fileMapping(flags) {
		if f = m.file(fd); f == nil || f.r == nil && f.w == nil {
			return errno(eBADF) // none, or an O_PATH descriptor
		}
	}
	if length == 0 {
		return errno(eINVAL)
	}
	n := pageUp(length)
	if n < length {
		return errno(eNOMEM)
	}
	if flags&mapType == 0 {
		return errno(eINVAL) // neither shared nor private
	}
	var start, room uint64
	if flags&(mapFixed|mapFixedNoreplace) != 0 {
		if addr%PageSize != 0 {
			return errno(eINVAL)
		}
		if addr+n < addr || addr < pageUp(l.brk) || addr+n > l.mmapTop {
			// Only the mmap area, between the heap and the stack, is
			// the monitor's to map.
			m.outOfMemory("mmap (MAP_FIXED)", n)
			return errno(eNOMEM)
		}
		if flags&mapFixedNoreplace != 0 && m.mapped(addr, addr+n) {
			return errno(eEXIST)
		}
		start = addr
	} else {
		if f == nil {
			room = m.roomFor(n)
		}
		var ok bool
		if start, room, ok = m.hole(n, room); !ok {
			m.outOfMemory("mmap", n)
			return errno(eNOMEM)
		}
	}
	// The file's access, once the place is found, as Linux checks it.
	switch {
	case f == nil:
	case flags&mapType != mapPrivate && prot&protWrite != 0 && f.w == nil:
		return errno(eACCES) // shared and writable, of a file not open for writing
	case f.r == nil:
		return errno(eACCES) // not open for reading
	case f.f == nil || f.isDir:
		return errno(eNODEV) // a stream or a directory cannot be mapped
	}
	if flags&(mapFixed|mapFixedNoreplace) != 0 {
		m.removeMaps(start, start+n, true)
	}
	if f != nil {
		if e := m.mapFile(f, start, n, off); e != 0 {
			m.zeroGuest(start, n)
			return errno(e)
		}
	}
	m.insertMap(mapping{lo: start, hi: start + n, room: room, file: f != nil, src: f, off: off})
	return start
}

// hole finds n bytes of unmapped memory in the mmap area for a mapping
// that is to have room bytes free above it, and returns their lowest
// address and the room it got. First the first fit of both from the top
// down, the mapping at its bottom, leaving other mappings' room alone;
// else, or for no room, the first fit of the mapping alone at the top of
// its hole, in anything not mapped.
func (m *Machine) hole(n, room uint64) (uint64, uint64, bool) {
	if room+n >= n {
		if at, ok := m.fit(n+room, true); ok {
			return at, room, true
		}
	}
	at, ok := m.fit(n, false)
	return at, 0, ok
}

// fit finds n bytes of unmapped memory in the mmap area, outside the room
// of mappings too if rooms is set: the first fit in a hole between
// mappings from the top down, else below the lowest one. It returns the
// lowest address of the n bytes.
func (m *Machine) fit(n uint64, rooms bool) (uint64, bool) {
	l := m.linux
	lo := l.mmapTop
	for i := len(l.maps) - 1; i >= 0; i-- {
		hi := l.maps[i].hi
		if rooms {
			hi = min(hi+l.maps[i].room, lo) // a room ends below the next mapping
		}
		if lo-hi >= n {
			break
		}
		lo = l.maps[i].lo
	}
	if lo < n || lo-n < pageUp(l.brk) {
		return 0, false
	}
	return lo - n, true
}

// Room above mappings. glibc's realloc of a block it mapped (128 KiB and
// more by default) is an mremap, which Linux does by moving page tables.
// The monitor must move the mapping when the memory after it is taken: it
// moves the host pages too where guest memory is anonymous, a few times a
// run (rv64.Memory.Move), else it copies the bytes, a page fault and a
// cleared page for each page copied into, and the old pages given back.
// So that most growth needs neither, an anonymous mapping of roomMin bytes or
// more is placed with three times its size free above it, where it grows
// in place to four times its size; else with its size free above it; else
// with none: the rooms of all mappings together stay within 1/roomShare
// of the memory free below the mappings when the room is given. Rooms are
// gaps between mappings, so they cost the largest block the guest can
// still map, or grow brk by, at most that much. Other mappings may take a
// room when nothing else fits; a room ends with the mapping that grew
// into it or was given it, or shrinks to what is left free. A replay of a
// trace older than logfmt.RoomVersion places every mapping at the top of
// its hole, as it was recorded.
const (
	roomMin   = 128 << 10
	roomShare = 16
)

// roomFor returns the room to leave above a new anonymous mapping of n
// bytes.
func (m *Machine) roomFor(n uint64) uint64 {
	l := m.linux
	if l.packed || n < roomMin {
		return 0
	}
	free := uint64(0)
	if b := pageUp(l.brk); l.mmapLow > b {
		free = l.mmapLow - b
	}
	budget := free / roomShare
	for _, mp := range l.maps {
		if mp.room >= budget {
			return 0
		}
		budget -= mp.room
	}
	for _, room := range [...]uint64{3 * n, n} {
		if room <= budget {
			return room
		}
	}
	return 0
}

// sysMremap resizes or moves a mapping, as glibc's realloc of a large
// block does: shrinking gives the tail back; growing extends the mapping
// in place when the memory after it is free, else (MREMAP_MAYMOVE) moves
// its bytes to a new place, MREMAP_FIXED's address if given; the old
// place is unmapped, or only cleared with MREMAP_DONTUNMAP. Every mapping
// is private: an old size of 0 (a copy of a shared mapping) is EINVAL. A
// mapping of a file grows by the file's next bytes (growFile).
func (m *Machine) sysMremap(old, oldLen, newLen, flags, newAddr uint64) uint64 {
	const mayMove, fixed, dontUnmap = 1, 2, 4
	l := m.linux
	if flags&^(mayMove|fixed|dontUnmap) != 0 || old%PageSize != 0 ||
		flags&fixed != 0 && flags&mayMove == 0 || flags&dontUnmap != 0 && (flags&mayMove == 0 || oldLen != newLen) {
		return errno(eINVAL)
	}
	oldN, newN := pageUp(oldLen), pageUp(newLen)
	if oldN < oldLen || newN < newLen || newN == 0 || oldN == 0 {
		return errno(eINVAL)
	}
	if flags&fixed != 0 {
		if newAddr%PageSize != 0 || newAddr < old+oldN && old < newAddr+newN {
			return errno(eINVAL)
		}
		if newAddr+newN < newAddr || newAddr < pageUp(l.brk) || newAddr+newN > l.mmapTop {
			return errno(eNOMEM)
		}
	}
	// The old range must lie in one mapping.
	i := sort.Search(len(l.maps), func(i int) bool { return l.maps[i].hi > old })
	if old+oldN < old || i == len(l.maps) || l.maps[i].lo > old || l.maps[i].hi < old+oldN {
		return errno(eFAULT)
	}
	// What the pages [old, old+newN) map, as a mapping of its own.
	whole := l.maps[i].part(old, old+newN)
	grown := func(at uint64) {
		if whole.file && newN > oldN {
			m.growFile(whole.src, whole.off+oldN, at+oldN, at+newN)
		}
	}
	if flags&(fixed|dontUnmap) == 0 {
		if newN <= oldN {
			m.removeMaps(old+newN, old+oldN, true)
			return old
		}
		if end := old + newN; end > old && end <= l.mmapTop && !m.mapped(old+oldN, end) {
			m.insertMap(whole.part(old+oldN, end))
			grown(old)
			return old
		}
		if flags&mayMove == 0 {
			return errno(eNOMEM)
		}
	}
	dst, room := newAddr, uint64(0)
	if flags&fixed != 0 {
		m.removeMaps(dst, dst+newN, true)
	} else {
		var ok bool
		if dst, room, ok = m.hole(newN, m.roomFor(newN)); !ok {
			m.outOfMemory("mremap", newN)
			return errno(eNOMEM)
		}
	}
	n := min(oldN, newN)
	to, _ := m.guestWrite(dst, n)
	from, _ := m.guest(old, n)
	switch moved, err := m.Hart.Mem.Move(dst, old, n); {
	case err != nil:
		m.hostErr = fmt.Errorf("mremap at pc %#x: %w", m.Hart.PC, err)
		return errno(eNOMEM)
	case !moved:
		copy(to, from)
	}
	if flags&dontUnmap != 0 {
		m.zeroGuest(old, oldN)
	} else {
		m.removeMaps(old, old+oldN, true)
	}
	moved := whole
	moved.lo, moved.hi, moved.room = dst, dst+newN, room
	m.insertMap(moved)
	grown(dst)
	return dst
}

// mapFile copies the bytes of f from off into the fresh mapping [start,
// start+n). When recording, the first maxInput bytes are the system
// call's memory writes, the rest input events that follow it (more).
func (m *Machine) mapFile(f *guestFile, start, n, off uint64) int {
	cnt, err := m.readMapped(f.f, start, n, off)
	if err != nil {
		return hostErrno(err)
	}
	first := min(cnt, maxInput)
	m.noteWrite(start, first)
	if m.rec != nil && cnt > first {
		m.linux.more = mapping{lo: start + first, hi: start + cnt}
	}
	return 0
}

// readMapped copies the bytes of the file f from offset off into guest
// memory at start, at most n, up to the file's end, and returns how many
// it covered (those the file shrank by since its size was read read
// zero). On an error what it covered reads zero or is partly written.
func (m *Machine) readMapped(f *os.File, start, n, off uint64) (uint64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	var cnt uint64
	if size := uint64(fi.Size()); off < size {
		cnt = min(n, size-off)
	}
	b, _ := m.guestWrite(start, cnt)
	got, err := f.ReadAt(b, int64(off))
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	clear(b[got:]) // the file shrank since the stat
	return cnt, nil
}

// recordMore records the rest of a file mapping's bytes (mapFile) as
// input events at the system call's instruction and pc, at most maxInput
// bytes each, Value counting the bytes still to come after each.
func (m *Machine) recordMore() error {
	l := m.linux
	h := m.Hart
	for l.more.lo < l.more.hi {
		k := min(l.more.hi-l.more.lo, maxInput)
		b, _ := m.guest(l.more.lo, k)
		ev := logfmt.Event{Kind: logfmt.KindInput, Instret: h.Instret(), PC: h.PC, Value: l.more.hi - l.more.lo - k,
			Writes: []logfmt.MemWrite{{Addr: l.more.lo, Data: append([]byte(nil), b...)}}}
		l.more.lo += k
		if err := m.rec.add(m, ev); err != nil {
			l.more = mapping{}
			return err
		}
	}
	l.more = mapping{}
	return nil
}

// replayMap does in a replay what a recorded file mmap did besides
// writing the bytes the trace holds: a MAP_FIXED mapping first clears
// what it replaces, and the mapping is made. A recorded address that the
// monitor could not have given is a divergence.
func (m *Machine) replayMap(addr, length, flags, fd, off, r uint64) error {
	if isErrno(r) {
		return nil
	}
	l := m.linux
	n := pageUp(length)
	if n < length || n == 0 || r%PageSize != 0 || r < pageUp(l.brk) || r+n < r || r+n > l.mmapTop ||
		flags&(mapFixed|mapFixedNoreplace) != 0 && r != addr {
		return fmt.Errorf("%w: at instruction %d, pc %#x: the trace's mmap of %#x bytes returns %#x, outside the mmap area [%#x, %#x)",
			ErrDivergence, m.Hart.Instret(), m.Hart.PC, length, r, pageUp(l.brk), l.mmapTop)
	}
	m.removeMaps(r, r+n, true)
	m.insertMap(mapping{lo: r, hi: r + n, file: true, src: m.file(fd), off: off})
	return nil
}

// replayMore applies the input events that carry the rest of a recorded
// file mapping's bytes (recordMore), for the mapping of n bytes at addr
// that the call returned. Each must be the next piece of it, as
// recordMore wrote them: one write of at most maxInput bytes right after
// the bytes before it (the first after the call's own maxInput), inside
// the mapping, with Value the bytes still to come, so that a crafted
// trace cannot write anything a recording could not have.
func (p *replayer) replayMore(m *Machine, addr, n uint64) error {
	return p.replayPieces(m, addr, addr+maxInput, addr+n, isErrno(addr), fmt.Sprintf("an mmap of %#x bytes at %#x", n, addr))
}

// replayPieces applies the input events that carry the bytes of a file
// mapped at [lo, hi), from next on (recordMore), and stops at the first
// event that is not an input event of this instruction; failed (the call
// failed) makes any such event a divergence. call names the system call
// for errors.
func (p *replayer) replayPieces(m *Machine, lo, next, hi uint64, failed bool, call string) error {
	h := m.Hart
	for {
		ev, err := p.peek(m)
		if err != nil || ev == nil || ev.Kind != logfmt.KindInput || ev.Instret != h.Instret() || ev.PC != h.PC {
			return nil
		}
		if failed || len(ev.Writes) != 1 || ev.Writes[0].Addr != next ||
			len(ev.Writes[0].Data) == 0 || len(ev.Writes[0].Data) > maxInput ||
			ev.Writes[0].Addr+uint64(len(ev.Writes[0].Data)) > hi || ev.Value > hi-ev.Writes[0].Addr-uint64(len(ev.Writes[0].Data)) {
			return fmt.Errorf("%w: at instruction %d, pc %#x: the trace's input event after %s is not the next piece of the mapping's bytes",
				ErrDivergence, h.Instret(), h.PC, call)
		}
		next += uint64(len(ev.Writes[0].Data))
		if err := p.apply(m, *ev); err != nil {
			return err
		}
		last := ev.Value == 0
		p.take(m)
		if last {
			return nil
		}
	}
}

// mapped reports whether any mapping overlaps [lo, hi).
func (m *Machine) mapped(lo, hi uint64) bool {
	l := m.linux
	i := sort.Search(len(l.maps), func(i int) bool { return l.maps[i].hi > lo })
	return i < len(l.maps) && l.maps[i].lo < hi
}

// insertMap adds mp, which overlaps no mapping, to the sorted list of
// mappings, merged with the mappings it touches that map a file as it
// does or not as it does: a guest that maps pages
// one by one keeps one mapping, so that mmap stays O(1) for it (the first
// fit search in sysMmap looks at the mappings from the top down). The
// mapping below gives up the room mp takes; one that mp extends keeps the
// rest of its room above mp.
func (m *Machine) insertMap(mp mapping) {
	l := m.linux
	i := sort.Search(len(l.maps), func(i int) bool { return l.maps[i].lo >= mp.lo })
	if i > 0 {
		below := &l.maps[i-1]
		if end := below.hi + below.room; end > mp.lo {
			below.room = mp.lo - below.hi
			if below.hi == mp.lo && end > mp.hi+mp.room {
				mp.room = end - mp.hi
			}
		}
	}
	left := i > 0 && l.maps[i-1].hi == mp.lo && follows(l.maps[i-1], mp)
	right := i < len(l.maps) && l.maps[i].lo == mp.hi && follows(mp, l.maps[i])
	switch {
	case left && right:
		l.maps[i-1].hi, l.maps[i-1].room = l.maps[i].hi, l.maps[i].room
		l.maps = append(l.maps[:i], l.maps[i+1:]...)
	case left:
		l.maps[i-1].hi, l.maps[i-1].room = mp.hi, mp.room
	case right:
		l.maps[i].lo, l.maps[i].off = mp.lo, mp.off
	default:
		l.maps = slices.Insert(l.maps, i, mp)
	}
	l.mmapLow = min(l.mmapLow, mp.lo)
}

// follows reports whether b, right above a, maps what a does: both no
// file, or the bytes of the same file right after a's.
func follows(a, b mapping) bool {
	return a.file == b.file && a.src == b.src && (!a.file || a.off+(a.hi-a.lo) == b.off)
}

// growFile fills [lo, hi), the pages an mremap added to a mapping of the
// file src, which map its bytes from offset off, with those bytes, as
// Linux does, up to the file's end (the rest reads zero). Recording, the
// bytes become input events at the call (recordMore); replaying, they
// come from the trace (l.grown: the caller applies them), which has none
// for a recording that made none. A mapping whose file the monitor does
// not know (the dynamic linker's) grows by zeros.
func (m *Machine) growFile(src *guestFile, off, lo, hi uint64) {
	l := m.linux
	if src == nil {
		return
	}
	l.grown = mapping{lo: lo, hi: hi}
	if src.f == nil {
		return // replayed: the trace holds the bytes
	}
	f := m.mappedFile(src)
	if f == nil {
		return
	}
	if f != src.f {
		defer f.Close()
	}
	cnt, err := m.readMapped(f, lo, hi-lo, off)
	if err != nil {
		m.zeroGuest(lo, hi-lo) // new pages, which read zero as the replay's will
		return
	}
	if m.rec != nil && cnt > 0 {
		l.more = mapping{lo: lo, hi: lo + cnt}
	}
}

// mappedFile returns the host file of src, a file the guest mapped: its
// own while a descriptor holds it, else the same file opened again by its
// path (a mapping holds no host descriptor, as none holds one under
// Linux: a guest may map thousands of files it closed), or nil, with a
// warning, if the path no longer names that file.
func (m *Machine) mappedFile(src *guestFile) *os.File {
	if !src.closed {
		return src.f
	}
	l := m.linux
	root := l.root
	if src.sys && l.sysroot != nil {
		root = l.sysroot.root
	}
	var f *os.File
	var err error
	if root == nil {
		err = os.ErrNotExist
	} else {
		f, err = root.OpenFile(src.rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	}
	if err == nil {
		// The same inode, size and modification time: a number freed by
		// a removed file may name a new one.
		if fi, e := f.Stat(); e != nil || src.fi == nil || !os.SameFile(fi, src.fi) || fi.Size() != src.fi.Size() || !fi.ModTime().Equal(src.fi.ModTime()) {
			f.Close()
			f, err = nil, errors.New("it is another file now")
		}
	}
	if err != nil {
		m.log.Warn("mremap grows a mapping of a closed file that its path no longer names: the new pages read zero",
			zap.String("file", src.name), zap.String("pc", fmt.Sprintf("%#x", m.Hart.PC)), zap.Error(err))
	}
	return f
}

func (m *Machine) sysMunmap(addr, length uint64) uint64 {
	// The user address space ends at userEnd (Sv39), or at the end of a
	// guest memory larger than that, where mmap hands out addresses.
	end := max(uint64(userEnd), m.Hart.Mem.End())
	if addr%PageSize != 0 || length == 0 || addr > end {
		return errno(eINVAL)
	}
	hi := addr + pageUp(length)
	if hi < addr || hi > end {
		return errno(eINVAL)
	}
	m.removeMaps(addr, hi, true)
	return 0
}

// removeMaps takes [addr, hi) out of the mappings, clearing the memory of
// what was mapped there (a later mapping of it reads zero) when zero is
// set.
func (m *Machine) removeMaps(addr, hi uint64, zero bool) {
	l := m.linux
	if hi <= addr {
		return // nothing: a mapping must not be cut in two at addr
	}
	// The mappings [i, j) overlap [addr, hi); what is left of them is at
	// most a head of the first and a tail of the last.
	i := sort.Search(len(l.maps), func(i int) bool { return l.maps[i].hi > addr })
	j := i
	var rest []mapping
	for ; j < len(l.maps) && l.maps[j].lo < hi; j++ {
		mp := l.maps[j]
		lo, up := max(mp.lo, addr), min(mp.hi, hi)
		if zero {
			m.zeroGuest(lo, up-lo)
		}
		// A tail keeps the mapping's room; a head gets none: mappings
		// merge, and the room may have been given to what is removed.
		if mp.lo < lo {
			rest = append(rest, mp.part(mp.lo, lo))
		}
		if up < mp.hi {
			tail := mp.part(up, mp.hi)
			tail.room = mp.room
			rest = append(rest, tail)
		}
	}
	l.maps = slices.Replace(l.maps, i, j, rest...)
	l.mmapLow = l.mmapTop
	if len(l.maps) > 0 {
		l.mmapLow = l.maps[0].lo
	}
}

// sysMadvise accepts every advice; MADV_DONTNEED of private memory makes
// it read zero, as Linux does.
func (m *Machine) sysMadvise(addr, length, advice uint64) uint64 {
	const madvDontneed, madvHWPoison, madvSoftOffline = 4, 100, 101
	if advice > 25 && advice != madvHWPoison && advice != madvSoftOffline || advice >= 5 && advice <= 7 {
		return errno(eINVAL)
	}
	if addr%PageSize != 0 {
		return errno(eINVAL)
	}
	n := pageUp(length)
	if n < length {
		return errno(eINVAL)
	}
	if n == 0 {
		return 0
	}
	if !m.Hart.Mem.Contains(addr, n) {
		return errno(eNOMEM)
	}
	if advice == madvDontneed {
		m.zeroGuest(addr, n)
	}
	return 0
}
