package vmm

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
)

// countingHost is a csr.Host whose k-th read of each CSR (from 1) has a
// value known in advance, so that a trace's CSR events can be checked
// against what the guest read, in order.
type countingHost struct{ cycles, times, seeds uint64 }

func cycleValue(k uint64) uint64   { return 1000*k + k*k%17 }
func timeValue(k uint64) uint64    { return 3*k + k%5 }
func entropyValue(k uint64) uint16 { return uint16(k * 40503) }

func (c *countingHost) host() csr.Host {
	return csr.Host{
		Cycle:   func() uint64 { c.cycles++; return cycleValue(c.cycles) },
		Time:    func() uint64 { c.times++; return timeValue(c.times) },
		Entropy: func() uint16 { c.seeds++; return entropyValue(c.seeds) },
	}
}

// setHost makes the machine's CSRs read host, keeping every CSR's value.
func setHost(m *Machine, host csr.Host) {
	f := csr.New(host)
	for n := 0; n < 4096; n++ {
		f.SetRaw(uint16(n), m.Hart.CSR.Raw(uint16(n)))
	}
	f.Instret = m.Hart.CSR.Instret
	*m.Hart.CSR = *f
}

// buildNdread compiles testdata/ndread.c with the Linux cross compiler.
func buildNdread(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("riscv64-linux-gnu-gcc"); err != nil {
		t.Skip("riscv64-linux-gnu-gcc not installed")
	}
	elf := filepath.Join(t.TempDir(), "ndread")
	if b, err := exec.Command("riscv64-linux-gnu-gcc", "-static", "-O1", "-o", elf, "testdata/ndread.c").CombinedOutput(); err != nil {
		t.Fatalf("riscv64-linux-gnu-gcc: %v\n%s", err, b)
	}
	return elf
}

// oldSegments cuts events into segments as the recorder always has: a
// segment ends after the event that makes it segmentEvents events, or
// that brings its memory writes to segmentBytes.
func oldSegments(evs []logfmt.Event) [][]logfmt.Event {
	var segs [][]logfmt.Event
	var cur []logfmt.Event
	data := 0
	for _, ev := range evs {
		cur = append(cur, ev)
		for _, w := range ev.Writes {
			data += len(w.Data)
		}
		if len(cur) >= segmentEvents || data >= segmentBytes {
			segs, cur, data = append(segs, cur), nil, 0
		}
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	return segs
}

// TestRecordDrainKeepsTrace records a program whose CSR reads (up to
// 9,000 between two system calls, cycle, time and seed) alternate with
// reads of 6 MB of standard input, through ND buffers of many sizes (one
// entry, a few, the default, more than a segment, a multiple of it), with
// CSRs that read known values. The recorder hands raw buffer entries to
// its writer goroutine; the trace must be what converting each entry into
// an event on the guest's thread wrote:
//   - its CSR events are the guest's reads, in order, with the values the
//     host gave, and every event comes in the order of its instruction;
//   - the file is, byte for byte, the one logfmt.Writer.WriteSegment makes
//     of the same events cut into segments by the recorder's rule (4,096
//     events or 1 MiB of memory writes), with the same header and footer;
//   - it replays, printing what the recording printed, to the same state,
//     counting the same events.
func TestRecordDrainKeepsTrace(t *testing.T) {
	elf := buildNdread(t)
	prog, err := LoadFile(elf)
	if err != nil {
		t.Fatal(err)
	}
	input := make([]byte, 6_000_000)
	rand.New(rand.NewSource(12)).Read(input)
	for i := 0; i < len(input)/3; i++ {
		input[i] &= 7 // a third that compresses well
	}
	for _, size := range []uint64{1, 16, DefaultNDBuffer, segmentEvents + 904, 3 * segmentEvents} {
		var out, trace bytes.Buffer
		m, err := New(prog, Config{Args: []string{elf}, Stdin: bytes.NewReader(input), Stdout: &out, Stderr: io.Discard,
			Record: &trace, TraceName: "t.zst", NDBuffer: size})
		if err != nil {
			t.Fatal(err)
		}
		var host countingHost
		setHost(m, host.host())
		res, err := m.Run()
		m.Close()
		if err != nil {
			t.Fatalf("nd buffer %d: record: %v", size, err)
		}
		if !strings.Contains(out.String(), " rounds, 6000000 bytes, checksum ") {
			t.Fatalf("nd buffer %d: the program printed %q", size, out.String())
		}

		// The events as read back, and the segments they came in.
		r, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
		if err != nil {
			t.Fatal(err)
		}
		var all []logfmt.Event
		var sizes []int
		for {
			evs, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("nd buffer %d: %v", size, err)
			}
			all = append(all, copyEvents(evs)...)
			sizes = append(sizes, len(evs))
		}
		footer, _ := r.Footer()

		var k [4]uint64
		var last uint64
		for i, ev := range all {
			if ev.Instret < last {
				t.Fatalf("nd buffer %d: event %d (%s) at instruction %d comes after one at %d", size, i, ev.Kind, ev.Instret, last)
			}
			last = ev.Instret
			var want uint64
			switch ev.Kind {
			case logfmt.KindCycle:
				k[1]++
				want = cycleValue(k[1])
			case logfmt.KindTime:
				k[2]++
				want = timeValue(k[2])
			case logfmt.KindSeed:
				k[3]++
				want = csr.SeedES16 | uint64(entropyValue(k[3]))
			default:
				continue
			}
			if ev.Value != want {
				t.Fatalf("nd buffer %d: event %d, the %s read number %d, has value %#x, want %#x", size, i, ev.Kind, k[ev.Kind], ev.Value, want)
			}
		}
		if k[1] != host.cycles || k[2] != host.times || k[3] != host.seeds || k[3] == 0 {
			t.Fatalf("nd buffer %d: the trace has %d cycle, %d time and %d seed reads; the guest made %d, %d and %d",
				size, k[1], k[2], k[3], host.cycles, host.times, host.seeds)
		}
		if got := footer.Events; got["cycle"] != k[1] || got["time"] != k[2] || got["seed"] != k[3] {
			t.Errorf("nd buffer %d: the footer counts %v", size, got)
		}
		if got := res.Stats.Events; got["cycle"] != k[1] || got["time"] != k[2] || got["seed"] != k[3] {
			t.Errorf("nd buffer %d: the run's stats count %v", size, got)
		}

		// The referee: the same events written by WriteSegment, cut
		// by the recorder's rule.
		segs := oldSegments(all)
		var ref bytes.Buffer
		w, err := logfmt.NewWriter(&ref, r.Header())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range segs {
			if err := w.WriteSegment(s); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(footer); err != nil {
			t.Fatal(err)
		}
		if len(segs) != len(sizes) || !bytes.Equal(ref.Bytes(), trace.Bytes()) {
			t.Fatalf("nd buffer %d: the trace (%d bytes, segments of %v events) is not what WriteSegment writes (%d bytes, %d segments)",
				size, trace.Len(), sizes, ref.Len(), len(segs))
		}
		byData := -1 // the last segment is short too
		for _, s := range segs {
			if len(s) < segmentEvents {
				byData++
			}
		}
		if len(segs) < 10 || byData < 1 {
			t.Fatalf("nd buffer %d: %d segments, %d ended by their data: the test no longer covers both cuts", size, len(segs), byData)
		}

		// The replay prints the same and ends in the same state.
		rr, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
		if err != nil {
			t.Fatal(err)
		}
		var rout bytes.Buffer
		rm, err := New(prog, Config{Args: []string{elf}, Stdin: strings.NewReader(""), Stdout: &rout, Stderr: io.Discard, Replay: rr})
		if err != nil {
			t.Fatal(err)
		}
		rres, err := rm.Run()
		rm.Close()
		if err != nil || rout.String() != out.String() || rres.Stats.Digest != res.Stats.Digest {
			t.Fatalf("nd buffer %d: replay: %v, printed %q, digest %s; recorded %q, %s", size, err, rout.String(), rres.Stats.Digest, out.String(), res.Stats.Digest)
		}
		if !reflect.DeepEqual(rres.Stats.Events, res.Stats.Events) {
			t.Errorf("nd buffer %d: the replay counts events %v, the recording %v", size, rres.Stats.Events, res.Stats.Events)
		}
	}
}

// copyEvents copies events deeply, since a Reader reuses its buffers.
func copyEvents(evs []logfmt.Event) []logfmt.Event {
	out := make([]logfmt.Event, len(evs))
	for i, e := range evs {
		out[i] = e
		out[i].Writes = nil
		for _, w := range e.Writes {
			out[i].Writes = append(out[i].Writes, logfmt.MemWrite{Addr: w.Addr, Data: append([]byte(nil), w.Data...)})
		}
	}
	return out
}

// TestReplayStoppedEarlyEndsReader: a replay that stops before the end of
// its trace (here where asked, with MaxInsns) leaves its reader goroutine
// waiting for a request; it ends once the machine is collected.
func TestReplayStoppedEarlyEndsReader(t *testing.T) {
	var trace bytes.Buffer
	if _, _, err := recordNdloop(t, &trace); err != nil {
		t.Fatal(err)
	}
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "ndloop.elf"))
	if err != nil {
		t.Fatal(err)
	}
	// Goroutines that earlier tests left to the collector end first.
	base := runtime.NumGoroutine()
	for stable := 0; stable < 5; {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if g := runtime.NumGoroutine(); g < base {
			base, stable = g, 0
		} else {
			stable++
		}
	}
	replay := func() *Machine {
		r, err := logfmt.NewReader(bytes.NewReader(trace.Bytes()), "t.zst")
		if err != nil {
			t.Fatal(err)
		}
		h := r.Header()
		m, err := New(prog, Config{MemSize: h.MemSize, Args: h.Args, Env: h.Env, MaxInsns: 200_000, Stdin: strings.NewReader(""),
			Stdout: io.Discard, Stderr: io.Discard, Replay: r})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Run(); !errors.Is(err, ErrStopAt) {
			t.Fatalf("replay to instruction 200000: %v, want ErrStopAt", err)
		}
		return m
	}
	const n = 8
	var ms []*Machine
	for range n {
		ms = append(ms, replay())
	}
	if g := runtime.NumGoroutine(); g < base+n {
		t.Fatalf("%d goroutines after %d replays stopped early, %d before: the replays read no segment ahead", g, n, base)
	}
	for _, m := range ms {
		m.Close()
	}
	ms = nil
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines remain, %d before the replays", runtime.NumGoroutine(), base)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
