package logfmt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// step is what one call of Next returned, from the Pos before it.
type step struct {
	pos  Pos
	evs  []Event
	err  error
	foot Footer
	done bool
}

// readSteps reads r to its end (io.EOF or an error), keeping every Pos.
func readSteps(t *testing.T, r *Reader) []step {
	t.Helper()
	var steps []step
	for {
		s := step{pos: r.Pos()}
		evs, err := r.Next()
		s.evs, s.err = copyEvents(evs), err
		s.foot, s.done = r.Footer()
		steps = append(steps, s)
		if err != nil {
			return steps
		}
	}
}

func sameStep(t *testing.T, what string, want step, evs []Event, err error, r *Reader) {
	t.Helper()
	switch {
	case (err == nil) != (want.err == nil) || err != nil && err.Error() != want.err.Error():
		t.Fatalf("%s: Next error %v, first read %v", what, err, want.err)
	case !sameEvents(evs, want.evs):
		t.Fatalf("%s: Next returned %d events, not the %d of the first read", what, len(evs), len(want.evs))
	}
	if f, done := r.Footer(); done != want.done || done && !reflect.DeepEqual(f, want.foot) {
		t.Fatalf("%s: Footer() = %+v, %v; first read %+v, %v", what, f, done, want.foot, want.done)
	}
}

// checkSeeks seeks to every Pos of steps in a random order and checks that
// Next returns what it did the first time, then reads on from one Pos to
// the end.
func checkSeeks(t *testing.T, r *Reader, steps []step, seed int64) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	for round := 0; round < 3; round++ {
		for _, k := range rng.Perm(len(steps)) {
			if err := r.Seek(steps[k].pos); err != nil {
				t.Fatalf("Seek to step %d: %v", k, err)
			}
			if got := r.Pos(); got != steps[k].pos {
				t.Fatalf("after Seek to step %d, Pos() = %+v, want %+v", k, got, steps[k].pos)
			}
			evs, err := r.Next()
			sameStep(t, fmt.Sprintf("step %d", k), steps[k], evs, err, r)
		}
	}
	k := rng.Intn(len(steps))
	if err := r.Seek(steps[k].pos); err != nil {
		t.Fatal(err)
	}
	for j := k; j < len(steps); j++ {
		evs, err := r.Next()
		sameStep(t, "reading on", steps[j], evs, err, r)
	}
}

func TestSeekRandomTrace(t *testing.T) {
	tr := randTrace(t, 7, 40, 30)
	path := filepath.Join(t.TempDir(), "t.zst")
	if err := os.WriteFile(path, tr.data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f, path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Seekable() {
		t.Fatal("a regular file is not seekable")
	}
	steps := readSteps(t, r)
	if len(steps) != len(tr.segs)+1 || steps[len(steps)-1].err != io.EOF {
		t.Fatalf("read %d steps ending in %v, want %d segments and io.EOF", len(steps), steps[len(steps)-1].err, len(tr.segs))
	}
	for i, s := range tr.segs {
		if !sameEvents(steps[i].evs, s) {
			t.Fatalf("segment %d read back differently", i)
		}
		if steps[i].pos.Segment() != uint64(i) || steps[i].pos.Offset() != int64(tr.ends[i]) {
			t.Fatalf("Pos before segment %d: segment %d offset %d, want offset %d", i, steps[i].pos.Segment(), steps[i].pos.Offset(), tr.ends[i])
		}
	}
	checkSeeks(t, r, steps, 1)
}

// A trace that does not start at the stream's offset 0 (a reader given a
// file already read from) seeks relative to where it starts.
func TestSeekFromOffset(t *testing.T) {
	tr := randTrace(t, 8, 5, 10)
	data := append([]byte("prefix!"), tr.data...)
	br := bytes.NewReader(data)
	br.Seek(7, io.SeekStart)
	r, err := NewReader(br, "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	checkSeeks(t, r, readSteps(t, r), 2)
}

// The fixtures, complete or not: a Pos before a damaged or missing frame
// gives the same error again, and one before it the same events.
func TestSeekFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.zst"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for i, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := NewReader(f, p)
			if err != nil {
				t.Fatal(err)
			}
			steps := readSteps(t, r)
			last := steps[len(steps)-1].err
			if strings.Contains(p, "damaged") && !errors.Is(last, ErrCorrupt) || strings.Contains(p, "cut") && !errors.Is(last, ErrIncomplete) {
				t.Fatalf("the fixture ends with %v", last)
			}
			checkSeeks(t, r, steps, int64(i))
		})
	}
}

func TestSeekNotSeekable(t *testing.T) {
	tr := randTrace(t, 9, 3, 5)
	check := func(t *testing.T, r *Reader, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if r.Seekable() {
			t.Fatal("Seekable() = true")
		}
		p := r.Pos()
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		if err := r.Seek(p); !errors.Is(err, ErrNotSeekable) {
			t.Fatalf("Seek = %v, want ErrNotSeekable", err)
		}
		// Nothing changed: the reader reads on.
		if _, err := r.Next(); err != nil {
			t.Fatalf("Next after a refused Seek: %v", err)
		}
	}
	t.Run("io.Pipe", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() { pw.Write(tr.data); pw.Close() }()
		defer pr.Close()
		r, err := NewReader(pr, "pipe")
		check(t, r, err)
	})
	t.Run("os.Pipe", func(t *testing.T) {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() { pw.Write(tr.data); pw.Close() }()
		defer pr.Close()
		r, err := NewReader(pr, "pipe")
		check(t, r, err)
	})
	t.Run("bufio", func(t *testing.T) {
		r, err := NewReader(bufio.NewReader(bytes.NewReader(tr.data)), "bufio")
		check(t, r, err)
	})
}

func TestSeekZeroPos(t *testing.T) {
	tr := randTrace(t, 10, 2, 5)
	r, err := NewReader(bytes.NewReader(tr.data), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Seek(Pos{}); err == nil {
		t.Fatal("Seek to the zero Pos succeeded")
	}
	if _, err := r.Next(); err != nil {
		t.Fatalf("Next after a refused Seek: %v", err)
	}
}
