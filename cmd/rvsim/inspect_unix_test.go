//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// TestInspectStreams gives inspect a trace through a named pipe, one part
// at a time, and requires the report of the first segment, with its
// events, before the rest of the trace exists: inspect prints as it reads
// instead of gathering the whole trace first.
func TestInspectStreams(t *testing.T) {
	trace := recordTrace(t, "", "ndloop", "20000")
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	fs := traceFrames(t, trace, data)
	if len(fs) < 5 {
		t.Fatalf("%d frames; the test wants several segments", len(fs))
	}
	for _, c := range []struct {
		name, flag string
		first      *regexp.Regexp // the first segment's report, with an event
	}{
		{"text", "--events", regexp.MustCompile(`(?s)  segment 0 .*\n    (cycle|time) .*\n`)},
		{"json", "--json", regexp.MustCompile(`(?s)"index": 0,.*"event_list": \[\n        \{"kind":"[a-z]+"[^\n]*\},\n`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			fifo := filepath.Join(t.TempDir(), "trace.zst")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			args := []string{"inspect", "--events", fifo}
			if c.flag == "--json" {
				args = []string{"inspect", "--json", "--events", fifo}
			}
			cmd := exec.Command(rvsimBin, args...)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // until inspect opens it
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			// The header and segment 0, and the first bytes of segment 1.
			if _, err := w.Write(data[:fs[1].end+4]); err != nil {
				t.Fatal(err)
			}
			got := make(chan []byte, 64)
			go func() {
				defer close(got)
				for {
					b := make([]byte, 1<<16)
					n, err := out.Read(b)
					if n > 0 {
						got <- b[:n]
					}
					if err != nil {
						return
					}
				}
			}()
			var report []byte
			deadline := time.After(60 * time.Second)
			for !c.first.Match(report) {
				select {
				case b, ok := <-got:
					if !ok {
						t.Fatalf("inspect ended (%s) before the trace was whole:\n%s", stderr.String(), report)
					}
					report = append(report, b...)
				case <-deadline:
					t.Fatalf("no report of segment 0 and its events while the rest of the trace is not written, after 60 s; so far:\n%.2000s", report)
				}
			}
			if bytes.Contains(report, []byte("  segment 1 ")) || bytes.Contains(report, []byte(`"index": 1,`)) {
				t.Fatalf("inspect reported segment 1 before it was written")
			}
			if _, err := w.Write(data[fs[1].end+4:]); err != nil {
				t.Fatal(err)
			}
			w.Close()
			for b := range got {
				report = append(report, b...)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("inspect: %v: %s", err, stderr.String())
			}
			if c.flag == "--json" {
				var in inspectEvents
				if err := json.Unmarshal(report, &in); err != nil || !in.Complete || in.TotalEvents < 20000 {
					t.Fatalf("the whole report: %v, complete %v, %d events", err, in.Complete, in.TotalEvents)
				}
			} else if !bytes.Contains(report, []byte("\ncomplete         yes\n")) {
				t.Fatalf("the whole report does not say the trace is complete:\n%.2000s", report)
			}
		})
	}
}
