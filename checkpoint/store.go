package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// PageSize is the granularity of versions.
const PageSize = 4096

// entryOverhead is what Bytes counts for one stored page besides its
// copy: the entry in the page's history and in its version's page list.
const entryOverhead = 24 + 8

// Version names a version a Store took. Versions are numbered from 1 in
// the order they were taken; 0 is no version.
type Version uint64

// ErrUnknownVersion is returned, wrapped, by Restore for a version the
// Store does not keep (never taken, or dropped).
var ErrUnknownVersion = errors.New("unknown memory version")

// entry is a page's content from version ver on: a copy of the page, or
// nil for a page of zeros.
type entry struct {
	ver  Version
	data []byte
}

// history is what a Store holds of one page: its entries, in increasing
// version order, each at a kept version.
type history struct {
	entries []entry
	seen    uint64 // the pass (Take or Restore) that last visited the page
}

// last returns the page's content in the latest kept version (nil: zeros).
func (h *history) last() []byte {
	if len(h.entries) == 0 {
		return nil
	}
	return h.entries[len(h.entries)-1].data
}

// at returns the page's content in version v (nil: zeros).
func (h *history) at(v Version) []byte {
	i := sort.Search(len(h.entries), func(i int) bool { return h.entries[i].ver > v })
	if i == 0 {
		return nil
	}
	return h.entries[i-1].data
}

// Store keeps versions of one memory. It is not safe for concurrent use.
type Store struct {
	mem     []byte
	written func(fn func(off, n uint64))
	pages   map[uint64]*history // by page number
	kept    []Version           // increasing
	stored  map[Version][]uint64
	next    Version
	pass    uint64
	bytes   uint64
	zero    func(off, n uint64)
}

// SetZero makes Restore clear the pages it restores to zeros by calling
// zero with runs of whole pages (offset and length in bytes), instead of
// writing zeros: for a memory that can give pages back to the host (so
// that they drop out of the written ranges too). zero must leave the
// range reading as zeros.
func (s *Store) SetZero(zero func(off, n uint64)) { s.zero = zero }

// New returns a Store for mem. written calls its argument, in increasing
// order, with ranges [off, off+n) of offsets into mem that together hold
// every byte that is not zero (rv64.Memory.Written does).
func New(mem []byte, written func(fn func(off, n uint64))) *Store {
	return &Store{mem: mem, written: written, pages: map[uint64]*history{}, stored: map[Version][]uint64{}}
}

var zeroPage [PageSize]byte

// page returns page p of memory (the last one may be short).
func (s *Store) page(p uint64) []byte {
	lo := p * PageSize
	return s.mem[lo:min(lo+PageSize, uint64(len(s.mem)))]
}

func isZero(b []byte) bool { return bytes.Equal(b, zeroPage[:len(b)]) }

// same reports whether page b holds content c (nil: zeros).
func same(b, c []byte) bool {
	if c == nil {
		return isZero(b)
	}
	return bytes.Equal(b, c)
}

// eachWritten calls fn once for each page that the written ranges touch,
// in increasing order.
func (s *Store) eachWritten(fn func(p uint64)) {
	next := uint64(0) // pages below next are done
	size := uint64(len(s.mem))
	s.written(func(off, n uint64) {
		if n == 0 || off >= size {
			return
		}
		end := min(off+n, size)
		for p := max(off/PageSize, next); p*PageSize < end; p++ {
			fn(p)
			next = p + 1
		}
	})
}

// Take takes a version of the memory: it stores each page that differs
// from its content in the latest kept version.
func (s *Store) Take() Version {
	s.next++
	v := s.next
	s.pass++
	var list []uint64
	visit := func(p uint64, h *history) {
		b := s.page(p)
		if h != nil {
			h.seen = s.pass
			if same(b, h.last()) {
				return
			}
		} else if isZero(b) {
			return
		}
		var data []byte
		if !isZero(b) {
			data = slices.Clone(b)
		}
		if h == nil {
			h = &history{seen: s.pass}
			s.pages[p] = h
		}
		h.entries = append(h.entries, entry{ver: v, data: data})
		s.bytes += uint64(len(data)) + entryOverhead
		list = append(list, p)
	}
	s.eachWritten(func(p uint64) { visit(p, s.pages[p]) })
	// A page that held data in the latest version but lies outside the
	// written ranges now reads as zero (the memory gave it back).
	for p, h := range s.pages {
		if h.seen != s.pass && h.last() != nil {
			visit(p, h)
		}
	}
	s.kept = append(s.kept, v)
	s.stored[v] = list
	return v
}

// Has reports whether the Store keeps version v.
func (s *Store) Has(v Version) bool {
	_, ok := s.stored[v]
	return ok
}

// Restore puts version v back into the memory. It writes only the pages
// whose content differs from v's, and calls wrote (if not nil) for each
// run of adjacent pages it wrote, with their offset and length in bytes.
func (s *Store) Restore(v Version, wrote func(off, n uint64)) error {
	if !s.Has(v) {
		return fmt.Errorf("restore memory version %d: %w", v, ErrUnknownVersion)
	}
	s.pass++
	var runLo, runHi uint64 // the run of written pages not yet reported
	flush := func() {
		if runHi > runLo && wrote != nil {
			wrote(runLo, runHi-runLo)
		}
		runLo, runHi = 0, 0
	}
	var changed, zeros []uint64
	visit := func(p uint64, h *history) {
		b := s.page(p)
		var want []byte
		if h != nil {
			h.seen = s.pass
			want = h.at(v)
		}
		if same(b, want) {
			return
		}
		switch {
		case want == nil && s.zero != nil:
			zeros = append(zeros, p)
		case want == nil:
			clear(b)
		default:
			copy(b, want)
		}
		changed = append(changed, p)
	}
	s.eachWritten(func(p uint64) { visit(p, s.pages[p]) })
	for p, h := range s.pages {
		if h.seen != s.pass {
			visit(p, h)
		}
	}
	slices.Sort(zeros)
	for i := 0; i < len(zeros); {
		j := i + 1
		for j < len(zeros) && zeros[j] == zeros[j-1]+1 {
			j++
		}
		lo := zeros[i] * PageSize
		s.zero(lo, min(zeros[j-1]*PageSize+PageSize, uint64(len(s.mem)))-lo)
		i = j
	}
	slices.Sort(changed)
	for _, p := range changed {
		lo := p * PageSize
		hi := lo + uint64(len(s.page(p)))
		if lo != runHi {
			flush()
			runLo = lo
		}
		runHi = hi
	}
	flush()
	return nil
}

// Drop forgets version v. Each page it stored moves to the next kept
// version if that one stored none for the page (it is that version's
// content too); otherwise it is freed. Dropping a version the Store does
// not keep does nothing.
func (s *Store) Drop(v Version) {
	list, ok := s.stored[v]
	if !ok {
		return
	}
	i, _ := slices.BinarySearch(s.kept, v)
	s.kept = slices.Delete(s.kept, i, i+1)
	delete(s.stored, v)
	var next Version // the next kept version, or 0
	if i < len(s.kept) {
		next = s.kept[i]
	}
	for _, p := range list {
		h := s.pages[p]
		j := sort.Search(len(h.entries), func(j int) bool { return h.entries[j].ver >= v })
		if next != 0 && (j+1 == len(h.entries) || h.entries[j+1].ver != next) {
			h.entries[j].ver = next
			s.stored[next] = append(s.stored[next], p)
			continue
		}
		s.bytes -= uint64(len(h.entries[j].data)) + entryOverhead
		h.entries = slices.Delete(h.entries, j, j+1)
		if len(h.entries) == 0 {
			delete(s.pages, p)
		}
	}
}

// Versions returns the kept versions, oldest first.
func (s *Store) Versions() []Version { return slices.Clone(s.kept) }

// Bytes returns the memory the Store holds: the page copies and their
// bookkeeping.
func (s *Store) Bytes() uint64 { return s.bytes }

// Pages returns how many pages version v stored (0 for a version not
// kept): what it cost beyond the versions before it.
func (s *Store) Pages(v Version) int { return len(s.stored[v]) }
