package checkpoint

import (
	"bytes"
	"math/rand"
	"slices"
	"testing"
)

// fakeMem is a memory whose written ranges are kept as a memory file
// keeps them: a page is data once written, a hole once given back.
type fakeMem struct {
	data   []byte
	isData map[uint64]bool // pages that are data
}

func (f *fakeMem) written(fn func(off, n uint64)) {
	var ps []uint64
	for p := range f.isData {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	size := uint64(len(f.data))
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1] == ps[j]+1 {
			j++
		}
		lo, hi := ps[i]*PageSize, min((ps[j]+1)*PageSize, size)
		fn(lo, hi-lo)
		i = j + 1
	}
}

func pagesOf(size uint64) uint64 { return (size + PageSize - 1) / PageSize }

// mutate changes the memory at random: writes into pages, zeroes written
// into pages (still data), pages given back (holes).
func (f *fakeMem) mutate(rng *rand.Rand) {
	np := pagesOf(uint64(len(f.data)))
	for k := rng.Intn(6); k >= 0; k-- {
		p := uint64(rng.Int63n(int64(np)))
		lo := p * PageSize
		hi := min(lo+PageSize, uint64(len(f.data)))
		switch rng.Intn(8) {
		case 0: // given back: reads as zero, no longer data
			clear(f.data[lo:hi])
			delete(f.isData, p)
		case 1: // zeros written
			clear(f.data[lo:hi])
			f.isData[p] = true
		default:
			off := lo + uint64(rng.Int63n(int64(hi-lo)))
			n := min(uint64(1+rng.Intn(300)), hi-off)
			rng.Read(f.data[off : off+n])
			f.isData[p] = true
		}
	}
}

// TestStoreAgainstCopies takes, restores and drops versions in random
// orders, checking each against a referee that keeps a full copy of the
// memory at every version.
func TestStoreAgainstCopies(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewSource(seed))
		size := uint64(PageSize * (1 + rng.Intn(24)))
		if rng.Intn(3) == 0 {
			size += uint64(1 + rng.Intn(PageSize-1)) // a short last page
		}
		f := &fakeMem{data: make([]byte, size), isData: map[uint64]bool{}}
		s := New(f.data, f.written)
		if seed%2 == 0 {
			// A memory that gives zeroed pages back, in whole pages.
			s.SetZero(func(off, n uint64) {
				if off%PageSize != 0 || n == 0 || (off+n)%PageSize != 0 && off+n != size {
					t.Fatalf("zero [%#x, +%#x): not whole pages", off, n)
				}
				clear(f.data[off : off+n])
				for p := off / PageSize; p*PageSize < off+n; p++ {
					delete(f.isData, p)
				}
			})
		}
		copies := map[Version][]byte{}
		var latest []byte // the referee's latest kept version
		latestOf := func() []byte {
			vs := s.Versions()
			if len(vs) == 0 {
				return make([]byte, size)
			}
			return copies[vs[len(vs)-1]]
		}
		for step := 0; step < 300; step++ {
			switch op := rng.Intn(10); {
			case op < 4:
				f.mutate(rng)
			case op < 6:
				latest = latestOf()
				before := s.Bytes()
				var want uint64
				wantPages := 0
				for p := uint64(0); p < pagesOf(size); p++ {
					lo, hi := p*PageSize, min((p+1)*PageSize, size)
					if !bytes.Equal(f.data[lo:hi], latest[lo:hi]) {
						wantPages++
						want += entryOverhead
						if !isZero(f.data[lo:hi]) {
							want += hi - lo
						}
					}
				}
				v := s.Take()
				copies[v] = slices.Clone(f.data)
				if got := s.Bytes() - before; got != want || s.Pages(v) != wantPages {
					t.Fatalf("seed %d step %d: Take stored %d pages, %d bytes; %d pages differ from the latest version (%d bytes)", seed, step, s.Pages(v), got, wantPages, want)
				}
			case op < 8:
				vs := s.Versions()
				if len(vs) == 0 {
					continue
				}
				v := vs[rng.Intn(len(vs))]
				want := copies[v]
				diff := map[uint64]bool{}
				for p := uint64(0); p < pagesOf(size); p++ {
					lo, hi := p*PageSize, min((p+1)*PageSize, size)
					if !bytes.Equal(f.data[lo:hi], want[lo:hi]) {
						diff[p] = true
					}
				}
				got := map[uint64]bool{}
				prevEnd := int64(-1)
				err := s.Restore(v, func(off, n uint64) {
					if off%PageSize != 0 || n == 0 || int64(off) <= prevEnd-1 || int64(off) == prevEnd {
						t.Fatalf("seed %d step %d: range [%#x, +%#x) after one ending at %#x: not page-aligned, empty, overlapping or not merged", seed, step, off, n, prevEnd)
					}
					prevEnd = int64(off + n)
					for p := off / PageSize; p*PageSize < off+n; p++ {
						got[p] = true
						f.isData[p] = true
					}
				})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(f.data, want) {
					t.Fatalf("seed %d step %d: memory after Restore(%d) differs from its copy", seed, step, v)
				}
				for p := range got {
					if !diff[p] {
						t.Fatalf("seed %d step %d: Restore(%d) reported page %d, which did not differ", seed, step, v, p)
					}
				}
				for p := range diff {
					if !got[p] {
						t.Fatalf("seed %d step %d: Restore(%d) did not report page %d, which differed", seed, step, v, p)
					}
				}
			default:
				vs := s.Versions()
				if len(vs) == 0 {
					continue
				}
				v := vs[rng.Intn(len(vs))]
				s.Drop(v)
				delete(copies, v)
				if s.Has(v) {
					t.Fatalf("seed %d: version %d kept after Drop", seed, v)
				}
				if err := s.Restore(v, nil); err == nil {
					t.Fatalf("seed %d: Restore of a dropped version succeeded", seed)
				}
			}
			// Every kept version's content is still there: check one.
			if vs := s.Versions(); len(vs) > 0 && step%7 == 0 {
				v := vs[rng.Intn(len(vs))]
				for p, h := range s.pages {
					lo, hi := p*PageSize, min((p+1)*PageSize, size)
					if c := h.at(v); !same(copies[v][lo:hi], c) {
						t.Fatalf("seed %d step %d: page %d of version %d lost", seed, step, p, v)
					}
				}
			}
		}
		for _, v := range s.Versions() {
			s.Drop(v)
		}
		if s.Bytes() != 0 || len(s.pages) != 0 {
			t.Fatalf("seed %d: with no version kept, %d bytes and %d pages held", seed, s.Bytes(), len(s.pages))
		}
	}
}

// A page stored only by a dropped version moves to the next version, which
// needs it; the Store then holds it once.
func TestDropMovesPage(t *testing.T) {
	mem := make([]byte, 4*PageSize)
	all := func(fn func(off, n uint64)) { fn(0, uint64(len(mem))) }
	s := New(mem, all)
	mem[10] = 1
	v1 := s.Take()
	mem[PageSize+5] = 2 // page 0 unchanged: v2 does not store it
	v2 := s.Take()
	if s.Pages(v1) != 1 || s.Pages(v2) != 1 {
		t.Fatalf("pages stored: %d, %d; want 1, 1", s.Pages(v1), s.Pages(v2))
	}
	held := s.Bytes()
	s.Drop(v1)
	if s.Bytes() != held || s.Pages(v2) != 2 {
		t.Fatalf("after dropping v1: %d bytes (had %d), v2 has %d pages; want the page moved to v2", s.Bytes(), held, s.Pages(v2))
	}
	clear(mem)
	n := 0
	if err := s.Restore(v2, func(off, k uint64) { n++ }); err != nil {
		t.Fatal(err)
	}
	if mem[10] != 1 || mem[PageSize+5] != 2 || n != 1 {
		t.Fatalf("restore: mem[10]=%d mem[%d]=%d, %d ranges (want one run of two pages)", mem[10], PageSize+5, mem[PageSize+5], n)
	}
}

func BenchmarkTake(b *testing.B) {
	mem := make([]byte, 64<<20)
	rng := rand.New(rand.NewSource(1))
	rng.Read(mem)
	all := func(fn func(off, n uint64)) { fn(0, uint64(len(mem))) }
	s := New(mem, all)
	s.Take()
	b.SetBytes(int64(len(mem)))
	for i := 0; i < b.N; i++ {
		mem[rng.Intn(len(mem))]++
		v := s.Take()
		if i > 0 {
			s.Drop(v - 1)
		}
	}
}
