package main

import (
	"errors"
	"io"
	"testing"
	"time"
)

// TestStopReader: reads pass through as asked, and a read that waits for
// input gives up with errReadInterrupted once stop is closed, as do all
// reads after it.
func TestStopReader(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	stop := make(chan struct{})
	s := &stopReader{r: pr, stop: stop}

	go pw.Write([]byte("hello"))
	b := make([]byte, 3)
	if n, err := s.Read(b); n != 3 || err != nil || string(b) != "hel" {
		t.Fatalf("first read: %d %q %v", n, b[:n], err)
	}
	if n, err := s.Read(b); n != 2 || err != nil || string(b[:n]) != "lo" {
		t.Fatalf("second read: %d %q %v", n, b[:n], err)
	}

	// Nothing more is written: the read waits until stop closes.
	done := make(chan error, 1)
	go func() {
		_, err := s.Read(b)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("read returned %v before stop", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(stop)
	select {
	case err := <-done:
		if !errors.Is(err, errReadInterrupted) {
			t.Fatalf("read after stop: %v, want errReadInterrupted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("read still waits after stop")
	}
	if _, err := s.Read(b); !errors.Is(err, errReadInterrupted) {
		t.Fatalf("later read: %v, want errReadInterrupted", err)
	}
}
