package vmm

import (
	"io"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
)

// TestSpareBuffers checks how many ND buffers are made ahead: enough for
// the batches in flight with the default buffer, never more than
// prefaultBytes, and none for buffers that drains copy or that are larger
// than the bound.
func TestSpareBuffers(t *testing.T) {
	def := DefaultNDBuffer * ndbuf.EntrySize
	if n, want := spareBuffers(def), batches*(batchEvents/DefaultNDBuffer+1); n != want {
		t.Errorf("default buffer: %d spares, want %d (the batches in flight)", n, want)
	}
	for _, entries := range []int{1, 16, 2*swapEntries - 1, 2 * swapEntries, 4096, 65536, 1 << 20} {
		size := entries * ndbuf.EntrySize
		n := spareBuffers(size)
		switch {
		case n*size > prefaultBytes:
			t.Errorf("%d entries: %d spares, %d bytes, more than %d", entries, n, n*size, prefaultBytes)
		case entries < 2*swapEntries && n != 0:
			t.Errorf("%d entries (drains copy them): %d spares, want 0", entries, n)
		case size > prefaultBytes && n != 0:
			t.Errorf("%d entries (%d bytes): %d spares, want 0", entries, size, n)
		}
	}
}

// TestPrefault checks that buffers are made ahead from the recorder's
// first swap on (not before), that drains then get them, of the unit's
// size, before new ones, and that a stopped recording makes no more.
func TestPrefault(t *testing.T) {
	w, err := logfmt.NewWriter(io.Discard, logfmt.Header{})
	if err != nil {
		t.Fatal(err)
	}
	var events [256]uint64
	size := DefaultNDBuffer * ndbuf.EntrySize
	r := newRecorder(w, "t.zst", &events, zap.NewNop(), nil)
	defer r.stop()
	n := spareBuffers(size)
	time.Sleep(20 * time.Millisecond)
	if r.fresh != nil {
		t.Fatalf("before the first swap: %d buffers made ahead, room for %d; want none", len(r.fresh), cap(r.fresh))
	}
	// The first swap starts making them, and may take the first one made.
	if b := r.buffer(size); len(b) != size {
		t.Fatalf("first buffer: %d bytes, want %d", len(b), size)
	}
	// The first swap took one of the mapping's buffers: the others are
	// made ahead (n-1, or as many as fill the huge pages, mapSpare).
	want := n - 1
	if m, bufs := mapSpare(size, n); m != nil {
		want = len(bufs) - 1
		unmapBuffer(m)
	}
	if r.fresh == nil || cap(r.fresh) != want {
		t.Fatalf("after the first swap: room for %d buffers made ahead, want %d", cap(r.fresh), want)
	}
	for deadline := time.Now().Add(10 * time.Second); len(r.fresh) < n-1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of at least %d buffers made ahead after 10 s", len(r.fresh), n-1)
		}
	}

	// Synchronously, from here on: drains take the buffers made ahead,
	// then new ones.
	r2 := &recorder{fresh: make(chan []byte, 4)}
	r2.prefault(nil, size, 3)
	for i := range 3 {
		if b := r2.buffer(size); len(b) != size || len(r2.fresh) != 2-i {
			t.Fatalf("buffer %d: %d bytes, %d left made ahead; want %d and %d", i, len(b), len(r2.fresh), size, 2-i)
		}
	}
	if b := r2.buffer(size); len(b) != size {
		t.Fatalf("buffer past those made ahead: %d bytes, want %d", len(b), size)
	}
	// One made ahead of another size is not used.
	r2.prefault(nil, size/2, 1)
	if b := r2.buffer(size); len(b) != size {
		t.Fatalf("buffer with one of another size made ahead: %d bytes, want %d", len(b), size)
	}

	// A stopped recording makes no more.
	r3 := &recorder{fresh: make(chan []byte, 4)}
	r3.prefault(nil, size, 2)
	r3.halt.Store(true)
	r3.prefault(nil, size, 2)
	if len(r3.fresh) != 2 {
		t.Errorf("%d buffers made ahead, want the 2 made before the stop", len(r3.fresh))
	}
	r2.release()
	r3.release()
}
