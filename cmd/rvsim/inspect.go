package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
)

// defaultDataLimit is how many bytes of guest memory --data shows per
// event unless told otherwise.
const defaultDataLimit = 256

// inspectOptions says what inspect prints beyond the summary.
type inspectOptions struct {
	events bool // every event
	data   int  // bytes of written guest memory shown per event: -1 none, 0 all
}

// segmentInfo describes one segment of a trace.
type segmentInfo struct {
	Index  uint64 `json:"index"`
	Offset int64  `json:"offset"`
	Bytes  int64  `json:"bytes"`
	Events int    `json:"events"`
}

// inspection is what inspect reports about a whole trace once it has read
// it: counts only, so that its size does not grow with the trace.
type inspection struct {
	Complete         bool
	Problem          string
	Segments         uint64
	Events           map[string]uint64
	TotalEvents      uint64
	TraceBytes       int64
	RawBytes         uint64
	CompressionRatio float64
	BytesPerEvent    float64
	Footer           *logfmt.Footer
}

// inspectPrinter prints a report as inspect reads the trace: the header,
// then each segment with its events as soon as it is read, then the
// summary. Its output is buffered: flush writes it out and returns the
// first error met in writing or encoding it.
type inspectPrinter interface {
	header(file string, h logfmt.Header)
	segment(s segmentInfo, evs []logfmt.Event)
	summary(in *inspection)
	flush() error
}

func (a *app) inspectCmd() *cobra.Command {
	var asJSON, events bool
	var data string
	cmd := &cobra.Command{
		Use:   "inspect [--json] [--events] [--data[=N|all]] TRACE.zst",
		Short: "Show what a trace holds",
		Long: `Show what a trace holds: its header (program, arguments, ISA, buffer
size), its segments, the events by kind, the footer (instructions, how the
run ended, exits, final digest) and whether the file is complete.

--events lists every event; --data also prints the bytes of the system
calls' memory writes (the first N bytes of each, or all); --json prints the
same as one JSON object.`,
		DisableFlagsInUseLine: true,
		Args:                  argCount(1, 1, "rvsim inspect [--json] [--events] [--data[=N|all]] TRACE.zst"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt := inspectOptions{events: events, data: -1}
			if cmd.Flags().Changed("data") {
				n, err := parseDataLimit(data)
				if err != nil {
					return err
				}
				opt.events, opt.data = true, n
			}
			w := bufio.NewWriterSize(a.stdout, 1<<16)
			var p inspectPrinter
			if asJSON {
				p = newJSONPrinter(w, opt)
			} else {
				p = newTextPrinter(w, opt)
			}
			return inspectTrace(args[0], opt, p)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.Flags().BoolVar(&events, "events", false, "list every event (kind, instruction count, pc, value, system call name)")
	cmd.Flags().StringVar(&data, "data", "", fmt.Sprintf("with each event, the guest memory it wrote: address, length and a hex dump of the first N bytes (--data: %d, --data=all: every byte); implies --events", defaultDataLimit))
	cmd.Flags().Lookup("data").NoOptDefVal = strconv.Itoa(defaultDataLimit)
	return cmd
}

// parseDataLimit reads the value of --data: a positive byte count, or
// "all" (returned as 0).
func parseDataLimit(s string) (int, error) {
	if s == "all" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("inspect: --data=%q: want a positive number of bytes per event, or all", s)
	}
	return n, nil
}

// inspectTrace reads the trace at path and prints it with p as it goes:
// nothing but counts is kept, so that memory does not depend on the
// trace's length. For an incomplete or damaged trace it prints what it
// could read and returns the error that stopped it; for a trace with no
// whole header it prints nothing.
func inspectTrace(path string, opt inspectOptions, p inspectPrinter) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	defer f.Close()
	r, err := logfmt.NewReader(bufio.NewReaderSize(f, 1<<16), path)
	if errors.Is(err, logfmt.ErrIncomplete) {
		// Empty, or cut inside the header (a recorder killed at once).
		return fmt.Errorf("trace %s is incomplete: 0 whole segments, 0 events readable, no whole header: %w", path, err)
	}
	if err != nil {
		return wrongKind(err, path, "inspect takes a trace: rvsim inspect [--json] [--events] [--data[=N|all]] TRACE.zst")
	}
	p.header(path, r.Header())
	in := &inspection{Events: map[string]uint64{}}
	var stop error
	for {
		off, idx := r.Offset(), r.Segment()
		evs, err := r.Next()
		if errors.Is(err, io.EOF) {
			ft, ok := r.Footer()
			if !ok {
				// Next said the footer was read; a Reader that disagrees
				// is a bug, not a property of the file.
				in.Problem = "the reader returned the end of the trace without its footer"
				stop = fmt.Errorf("trace %s: the end of the trace without its footer", path)
				break
			}
			in.Footer, in.Complete = &ft, true
			break
		}
		if err != nil {
			in.Problem = err.Error()
			stop = err
			if errors.Is(err, logfmt.ErrIncomplete) {
				stop = fmt.Errorf("trace %s is incomplete: %d whole segment%s, %d event%s readable: %w", path, in.Segments, plural(uint64(in.Segments)), in.TotalEvents, plural(uint64(in.TotalEvents)), err)
			}
			break
		}
		in.Segments++
		for i := range evs {
			e := &evs[i]
			in.Events[e.Kind.String()]++
			in.TotalEvents++
			in.RawBytes += ndbuf.EntrySize + uint64(dataBytes(e))
		}
		// Each segment goes out as soon as it is read, so that the report
		// of a long trace (or of one still being written) comes as it goes.
		p.segment(segmentInfo{Index: idx, Offset: off, Bytes: r.Offset() - off, Events: len(evs)}, evs)
		if err := p.flush(); err != nil {
			return fmt.Errorf("inspect: writing the report: %w", err)
		}
	}
	in.finish(r.Offset())
	p.summary(in)
	if err := p.flush(); err != nil && stop == nil {
		stop = fmt.Errorf("inspect: writing the report: %w", err)
	}
	return stop
}

// dataBytes is the number of guest memory bytes e wrote.
func dataBytes(e *logfmt.Event) int {
	n := 0
	for _, w := range e.Writes {
		n += len(w.Data)
	}
	return n
}

func (in *inspection) finish(size int64) {
	in.TraceBytes = size
	if size > 0 {
		in.CompressionRatio = float64(in.RawBytes) / float64(size)
	}
	if in.TotalEvents > 0 {
		in.BytesPerEvent = float64(size) / float64(in.TotalEvents)
	}
}
