package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
)

// segmentInfo describes one segment of a trace.
type segmentInfo struct {
	Index  uint64 `json:"index"`
	Offset int64  `json:"offset"`
	Bytes  int64  `json:"bytes"`
	Events int    `json:"events"`
}

// eventInfo is one event as inspect prints it.
type eventInfo struct {
	Kind    string `json:"kind"`
	Instret uint64 `json:"instret"`
	PC      string `json:"pc"`
	Value   string `json:"value"`
	Nr      uint64 `json:"nr,omitempty"`
	Bytes   int    `json:"bytes,omitempty"`
}

// inspection is everything inspect reports about a trace.
type inspection struct {
	File             string            `json:"file"`
	Header           logfmt.Header     `json:"header"`
	Complete         bool              `json:"complete"`
	Problem          string            `json:"problem,omitempty"`
	Segments         []segmentInfo     `json:"segments"`
	Events           map[string]uint64 `json:"events"`
	TotalEvents      uint64            `json:"total_events"`
	TraceBytes       int64             `json:"trace_bytes"`
	RawBytes         uint64            `json:"raw_bytes"`
	CompressionRatio float64           `json:"compression_ratio"`
	BytesPerEvent    float64           `json:"bytes_per_event"`
	Footer           *logfmt.Footer    `json:"footer,omitempty"`
	EventList        []eventInfo       `json:"event_list,omitempty"`
}

func (a *app) inspectCmd() *cobra.Command {
	var asJSON, events bool
	cmd := &cobra.Command{
		Use:   "inspect [--json] [--events] TRACE.zst",
		Short: "Show what a trace holds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := inspectTrace(args[0], events)
			if in == nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if e := enc.Encode(in); e != nil {
					return e
				}
			} else {
				printInspection(a.stdout, in)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.Flags().BoolVar(&events, "events", false, "list every event (kind, instruction count, pc, value)")
	return cmd
}

// inspectTrace reads the whole trace. It returns what it could read and,
// for an incomplete or damaged trace, the error that stopped it.
func inspectTrace(path string, withEvents bool) (*inspection, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	defer f.Close()
	r, err := logfmt.NewReader(bufio.NewReaderSize(f, 1<<16), path)
	if errors.Is(err, logfmt.ErrIncomplete) {
		// Empty, or cut inside the header (a recorder killed at once).
		return nil, fmt.Errorf("trace %s is incomplete: 0 whole segments, 0 events readable, no whole header: %w", path, err)
	}
	if err != nil {
		return nil, err
	}
	in := &inspection{File: path, Header: r.Header(), Events: map[string]uint64{}}
	for {
		off, idx := r.Offset(), r.Segment()
		evs, err := r.Next()
		if errors.Is(err, io.EOF) {
			ft, _ := r.Footer()
			in.Footer, in.Complete = &ft, true
			break
		}
		if err != nil {
			in.Problem = err.Error()
			in.finish(r.Offset())
			if errors.Is(err, logfmt.ErrIncomplete) {
				return in, fmt.Errorf("trace %s is incomplete: %d whole segments, %d events readable: %w", path, len(in.Segments), in.TotalEvents, err)
			}
			return in, err
		}
		in.Segments = append(in.Segments, segmentInfo{Index: idx, Offset: off, Bytes: r.Offset() - off, Events: len(evs)})
		for _, e := range evs {
			in.Events[e.Kind.String()]++
			in.TotalEvents++
			data := 0
			for _, w := range e.Writes {
				data += len(w.Data)
			}
			in.RawBytes += ndbuf.EntrySize + uint64(data)
			if withEvents {
				in.EventList = append(in.EventList, eventInfo{Kind: e.Kind.String(), Instret: e.Instret,
					PC: fmt.Sprintf("%#x", e.PC), Value: fmt.Sprintf("%#x", e.Value), Nr: e.Nr, Bytes: data})
			}
		}
	}
	in.finish(r.Offset())
	return in, nil
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

func printInspection(w io.Writer, in *inspection) {
	h := in.Header
	fmt.Fprintf(w, "trace            %s\n", in.File)
	fmt.Fprintf(w, "format version   %d (rvsim %s)\n", h.Version, h.RvsimVersion)
	fmt.Fprintf(w, "created          %s\n", h.Created)
	fmt.Fprintf(w, "program          %s (%s)\n", h.ELF, h.Kind)
	fmt.Fprintf(w, "elf sha256       %s\n", h.ELFSHA256)
	fmt.Fprintf(w, "args             %q\n", h.Args)
	fmt.Fprintf(w, "env              %q\n", h.Env)
	fmt.Fprintf(w, "isa              %s\n", h.ISA)
	fmt.Fprintf(w, "memory           %d bytes\n", h.MemSize)
	fmt.Fprintf(w, "nd buffer        %d entries\n", h.NDBuffer)
	if in.Complete {
		fmt.Fprintf(w, "complete         yes\n")
	} else {
		fmt.Fprintf(w, "complete         no: %d whole segments (%s)\n", len(in.Segments), in.Problem)
	}
	fmt.Fprintf(w, "segments         %d\n", len(in.Segments))
	for _, s := range in.Segments {
		fmt.Fprintf(w, "  segment %-6d offset %-10d %8d bytes %7d events\n", s.Index, s.Offset, s.Bytes, s.Events)
	}
	fmt.Fprintf(w, "events           %d (%s)\n", in.TotalEvents, byKey(in.Events))
	fmt.Fprintf(w, "trace bytes      %d (%.2f per event)\n", in.TraceBytes, in.BytesPerEvent)
	fmt.Fprintf(w, "compression      %.1fx against %d-byte buffer entries plus system call data\n", in.CompressionRatio, ndbuf.EntrySize)
	if f := in.Footer; f != nil {
		fmt.Fprintf(w, "instructions     %d\n", f.Instret)
		fmt.Fprintf(w, "ended by         %s, status %d\n", f.Reason, f.Status)
		fmt.Fprintf(w, "exits            %s\n", byKey(f.Exits))
		fmt.Fprintf(w, "final digest     %s\n", f.Digest)
	}
	if len(in.EventList) > 0 {
		fmt.Fprintf(w, "%-8s %14s %18s %18s\n", "kind", "instret", "pc", "value")
		for _, e := range in.EventList {
			extra := ""
			if e.Kind == "syscall" {
				extra = fmt.Sprintf(" nr %d", e.Nr)
			}
			if e.Bytes > 0 {
				extra += fmt.Sprintf(" (%d bytes of data)", e.Bytes)
			}
			fmt.Fprintf(w, "%-8s %14d %18s %18s%s\n", e.Kind, e.Instret, e.PC, e.Value, extra)
		}
	}
}
