//go:build unix

package vmm

import (
	"bytes"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rvsim/rvsim/logfmt"
)

// cpuTime is the process's user and system time so far: the writer
// goroutine's work counts as well as the guest's.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ndloopReads is the argument of ndloop in BenchmarkRecordND: the reads
// of cycle and time it makes, one every ~163 instructions.
const ndloopReads = 300_000

// runNdloop runs ndloop once, recording into rec if it is not nil or
// replaying trace if it is not nil, and returns the result.
func runNdloop(b *testing.B, prog *Program, rec io.Writer, nd uint64, trace []byte) Result {
	cfg := Config{MemSize: 1 << 20, Args: []string{prog.Path, strconv.Itoa(ndloopReads)}, Stdin: strings.NewReader(""),
		Stdout: io.Discard, Stderr: io.Discard, Record: rec, TraceName: "t.zst", NDBuffer: nd}
	if trace != nil {
		r, err := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
		if err != nil {
			b.Fatal(err)
		}
		cfg.Replay = r
	}
	m, err := New(prog, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	res, err := m.Run()
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkRecordND measures what recording costs an ND-heavy program
// (ndloop: a read of cycle or time every ~163 instructions) over running
// it, and what replaying it costs, with ND buffers of several sizes. Each
// iteration runs, records and replays once, alternating, so that the
// machine's load touches all three alike; ns/op is the sum. It reports
// record/run and replay/run in wall time and in process CPU time (the
// trace's writer goroutine included), the trace bytes and the exits to
// the monitor per recorded event, and the wall nanoseconds of record and
// of replay per event beyond the run's.
//
//	go test ./vmm -run '^$' -bench BenchmarkRecordND -benchtime 5x
func BenchmarkRecordND(b *testing.B) {
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", "ndloop.elf"))
	if err != nil {
		b.Fatal(err)
	}
	for _, nd := range []uint64{16, DefaultNDBuffer, 65536} {
		b.Run("nd="+strconv.FormatUint(nd, 10), func(b *testing.B) {
			var wall, cpu [3]time.Duration
			var events, exits, traceBytes uint64
			var trace bytes.Buffer
			for i := 0; i < b.N; i++ {
				for mode := range 3 {
					w0, c0 := time.Now(), cpuTime(b)
					switch mode {
					case 0:
						runNdloop(b, prog, nil, 0, nil)
					case 1:
						trace.Reset()
						res := runNdloop(b, prog, &trace, nd, nil)
						events, exits, traceBytes = 0, res.Stats.Exits[ExitNDFull], uint64(trace.Len())
						for _, n := range res.Stats.Events {
							events += n
						}
					case 2:
						runNdloop(b, prog, nil, 0, trace.Bytes())
					}
					wall[mode] += time.Since(w0)
					cpu[mode] += cpuTime(b) - c0
				}
			}
			ratio := func(a, b time.Duration) float64 { return float64(a) / float64(b) }
			b.ReportMetric(ratio(wall[1], wall[0]), "record/run")
			b.ReportMetric(ratio(wall[2], wall[0]), "replay/run")
			b.ReportMetric(ratio(cpu[1], cpu[0]), "record/run-cpu")
			b.ReportMetric(ratio(cpu[2], cpu[0]), "replay/run-cpu")
			b.ReportMetric(float64(traceBytes)/float64(events), "bytes/event")
			b.ReportMetric(float64(exits)/float64(events), "exits/event")
			n := float64(b.N) * float64(events)
			b.ReportMetric(float64(wall[1]-wall[0])/n, "record-ns/event")
			b.ReportMetric(float64(wall[2]-wall[0])/n, "replay-ns/event")
		})
	}
}
