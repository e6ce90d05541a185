package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
	"github.com/rvsim/rvsim/vmm"
)

// What an input event holds (docs/trace-format.md): the AT_RANDOM block
// the monitor writes before the first instruction; before it, a dynamic
// program's interpreter file, in pieces whose write address is the offset
// in the file and whose value is the file's size; and after a file
// mapping's syscall event, the bytes of the mapping past its first MiB;
// at another instruction, the file's bytes an mremap added to a mapping.
const (
	inputRandom  = "start-up bytes written by the monitor: AT_RANDOM"
	inputInterp  = "the interpreter's file, loaded by the monitor: the write's address is the offset in the file, the value its size"
	inputMapping = "more bytes of the file mapping above: the value is how many are still to come"
	inputRemap   = "bytes of a file that an mremap added to its mapping: the value is how many are still to come"
)

// inputs tells input events apart by what came before them.
type inputs struct {
	prevPC   uint64
	prevInst uint64
	mapping  bool // the event before was a mapping's syscall or one of its input events
}

// meaning returns what the input event e holds, and notes e (of any kind)
// as the event before the next one.
func (in *inputs) meaning(e *logfmt.Event) string {
	var m string
	if e.Kind == logfmt.KindInput {
		switch {
		case in.mapping && e.Instret == in.prevInst && e.PC == in.prevPC:
			m = inputMapping
		case e.Instret == 0 && e.Value != 0:
			m = inputInterp
		case e.Instret == 0:
			m = inputRandom
		default:
			m = inputRemap
		}
	}
	in.mapping = e.Kind == logfmt.KindSyscall && vmm.SyscallName(e.Nr) == "mmap" || m == inputMapping
	in.prevPC, in.prevInst = e.PC, e.Instret
	return m
}

// shown returns how many of n bytes of data an event may still show when
// used bytes are already shown and limit is the per-event limit (0: all).
func shown(n, used, limit int) int {
	if limit == 0 {
		return n
	}
	return max(0, min(n, limit-used))
}

// printable escapes what is not printable in s (control bytes, invalid
// UTF-8, format characters) as Go does in a quoted string, without adding
// quotes: for rvsim's own messages that may carry text from a file.
func printable(s string) string {
	q := strconv.Quote(s)
	if q[1:len(q)-1] == strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) {
		return s
	}
	return q[1 : len(q)-1]
}

// quotedByKey lists a map from a trace as "key" value pairs in key order,
// each key quoted.
func quotedByKey(m map[string]uint64) string { return formatByKey(m, "%q %d") }

// textPrinter prints inspect's report as text. Every string that comes
// from the trace is quoted, so that no byte of it can act on the terminal
// or forge a line.
type textPrinter struct {
	w       *bufio.Writer
	opt     inspectOptions
	started bool   // the segment list has begun
	kind    string // the header's program kind, which names system calls
	inputs  inputs
}

func newTextPrinter(w *bufio.Writer, opt inspectOptions) *textPrinter {
	return &textPrinter{w: w, opt: opt}
}

func (p *textPrinter) flush() error { return p.w.Flush() }

func (p *textPrinter) header(file string, h logfmt.Header) {
	w := p.w
	p.kind = h.Kind
	fmt.Fprintf(w, "trace            %q\n", file)
	fmt.Fprintf(w, "format version   %d (rvsim %q)\n", h.Version, h.RvsimVersion)
	fmt.Fprintf(w, "created          %q\n", h.Created)
	fmt.Fprintf(w, "program          %q (%q)\n", h.ELF, h.Kind)
	fmt.Fprintf(w, "elf sha256       %q\n", h.ELFSHA256)
	fmt.Fprintf(w, "args             %q\n", h.Args)
	fmt.Fprintf(w, "env              %q\n", h.Env)
	fmt.Fprintf(w, "isa              %q\n", h.ISA)
	fmt.Fprintf(w, "memory           %d bytes\n", h.MemSize)
	fmt.Fprintf(w, "nd buffer        %d entries\n", h.NDBuffer)
}

func (p *textPrinter) segment(s segmentInfo, evs []logfmt.Event) {
	w := p.w
	if !p.started {
		p.started = true
		fmt.Fprintf(w, "segment list\n")
		if p.opt.events {
			fmt.Fprintf(w, "    %-8s %14s %18s %18s\n", "kind", "instret", "pc", "value")
		}
	}
	fmt.Fprintf(w, "  segment %-6d offset %-10d %8d bytes %7d events\n", s.Index, s.Offset, s.Bytes, s.Events)
	if !p.opt.events {
		return
	}
	for i := range evs {
		p.event(&evs[i])
	}
}

// addressCalls are the Linux system calls whose results are addresses,
// which inspect prints in hexadecimal (errors stay negative decimals).
var addressCalls = map[string]bool{"mmap": true, "mremap": true, "brk": true}

// event prints one event on one line and, with --data, the memory it
// wrote below it.
func (p *textPrinter) event(e *logfmt.Event) {
	w := p.w
	extra := ""
	meaning := p.inputs.meaning(e)
	switch e.Kind {
	case logfmt.KindSyscall:
		name := vmm.CallName(p.kind, e.Nr)
		ret := fmt.Sprint(int64(e.Value))
		if addressCalls[name] && int64(e.Value) >= 0 {
			ret = fmt.Sprintf("%#x", e.Value) // an address, as the value column shows it
		}
		extra = fmt.Sprintf(" %s (nr %d) returned %s", name, e.Nr, ret)
	case logfmt.KindInput:
		extra = " (" + meaning + ")"
	}
	if n := dataBytes(e); n == 1 {
		extra += ", 1 byte written to guest memory"
	} else if n > 0 {
		extra += fmt.Sprintf(", %d bytes written to guest memory", n)
	}
	fmt.Fprintf(w, "    %-8s %14d %#18x %#18x%s\n", e.Kind, e.Instret, e.PC, e.Value, extra)
	if p.opt.data < 0 {
		return
	}
	used := 0
	for _, mw := range e.Writes {
		where := "write"
		if meaning == inputInterp {
			where = "file offset"
		}
		fmt.Fprintf(w, "      %s %#x, %d bytes\n", where, mw.Addr, len(mw.Data))
		k := shown(len(mw.Data), used, p.opt.data)
		hexDump(w, mw.Addr, mw.Data[:k])
		used += k
		if more := len(mw.Data) - k; more > 0 {
			fmt.Fprintf(w, "        ... %d more bytes (--data=all shows every byte)\n", more)
		}
	}
}

// hexDump prints data as xxd does: 16 bytes a line, the guest address,
// the bytes in hex in pairs, and the printable ASCII ones beside them ('.'
// for the others).
func hexDump(w *bufio.Writer, addr uint64, data []byte) {
	var line [16 * 4]byte
	for off := 0; off < len(data); off += 16 {
		chunk := data[off:min(off+16, len(data))]
		b := line[:0]
		for i := 0; i < 16; i++ {
			if i < len(chunk) {
				b = hex.AppendEncode(b, chunk[i:i+1])
			} else {
				b = append(b, ' ', ' ')
			}
			if i%2 == 1 {
				b = append(b, ' ')
			}
		}
		b = append(b, ' ')
		for _, c := range chunk {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			b = append(b, c)
		}
		fmt.Fprintf(w, "        %016x: %s\n", addr+uint64(off), b)
	}
}

func (p *textPrinter) summary(in *inspection) {
	w := p.w
	if in.Complete {
		fmt.Fprintf(w, "complete         yes\n")
	} else {
		fmt.Fprintf(w, "complete         no: %d whole segment%s (%s)\n", in.Segments, plural(uint64(in.Segments)), printable(in.Problem))
	}
	fmt.Fprintf(w, "segments         %d\n", in.Segments)
	fmt.Fprintf(w, "events           %d (%s)\n", in.TotalEvents, byKey(in.Events))
	fmt.Fprintf(w, "trace bytes      %d (%.2f per event)\n", in.TraceBytes, in.BytesPerEvent)
	fmt.Fprintf(w, "compression      %.1fx against %d-byte buffer entries plus system call data\n", in.CompressionRatio, ndbuf.EntrySize)
	if f := in.Footer; f != nil {
		fmt.Fprintf(w, "instructions     %d\n", f.Instret)
		if f.Reason == vmm.ReasonExit || f.Reason == vmm.ReasonSignal {
			fmt.Fprintf(w, "ended by         %q, status %d\n", f.Reason, f.Status)
		} else { // the guest did not end: no status of its
			fmt.Fprintf(w, "ended by         %q\n", f.Reason)
		}
		fmt.Fprintf(w, "exits            %s\n", quotedByKey(f.Exits))
		fmt.Fprintf(w, "final digest     %q\n", f.Digest)
	}
}

// jsonPrinter prints inspect's report as one JSON object, written as the
// trace is read: the segment list (with each segment's events under
// --events) is emitted segment by segment, the totals at the end.
// encoding/json escapes every control character of the trace's strings.
type jsonPrinter struct {
	w      *bufio.Writer
	opt    inspectOptions
	first  bool // no segment printed yet
	werr   error
	kind   string // the header's program kind, which names system calls
	inputs inputs
}

func newJSONPrinter(w *bufio.Writer, opt inspectOptions) *jsonPrinter {
	return &jsonPrinter{w: w, opt: opt, first: true}
}

func (p *jsonPrinter) flush() error {
	if p.werr != nil {
		return p.werr
	}
	return p.w.Flush()
}

// value writes v as JSON with the object's indentation; a value that
// cannot be encoded (none of inspect's can) ends the report's output.
func (p *jsonPrinter) value(indent string, v any) {
	b, err := json.MarshalIndent(v, indent, "  ")
	if err != nil {
		p.werr = fmt.Errorf("encoding JSON: %w", err)
		return
	}
	p.w.Write(escapeUnprintable(b))
}

// escapeUnprintable escapes, in the JSON text b, the characters beyond
// ASCII that are not printable (the C1 controls U+0080-U+009F, format
// characters such as U+202E, ...), which encoding/json leaves as they are,
// as \uXXXX (a surrogate pair past U+FFFF). Outside strings JSON is
// ASCII, so that only strings change, and they decode to the same text.
func escapeUnprintable(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	if i == len(b) {
		return b
	}
	out := append(make([]byte, 0, len(b)+16), b[:i]...)
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r < utf8.RuneSelf || unicode.IsPrint(r) || (r == utf8.RuneError && n == 1) {
			out = append(out, b[i:i+n]...)
		} else if r1, r2 := utf16.EncodeRune(r); r1 != unicode.ReplacementChar {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += n
	}
	return out
}

func (p *jsonPrinter) header(file string, h logfmt.Header) {
	p.kind = h.Kind
	if h.Env == nil {
		h.Env = []string{} // "env": [], as the text shows it, not null
	}
	p.w.WriteString("{\n  \"file\": ")
	p.value("  ", file)
	p.w.WriteString(",\n  \"header\": ")
	p.value("  ", h)
	p.w.WriteString(",\n  \"segments\": [")
}

// writes prints the "writes" member of an event's JSON object (with
// --data): each memory write as {"addr", "len", "data" (hex of the bytes
// shown), "more" (bytes past the --data limit, when there are)}, written
// as it goes, so that memory does not grow with the number of writes.
func (p *jsonPrinter) writes(e *logfmt.Event) {
	if len(e.Writes) == 0 {
		return
	}
	w := p.w
	w.WriteString(`,"writes":[`)
	used := 0
	for i, mw := range e.Writes {
		if i > 0 {
			w.WriteByte(',')
		}
		k := shown(len(mw.Data), used, p.opt.data)
		fmt.Fprintf(w, `{"addr":"%#x","len":%d,"data":"`, mw.Addr, len(mw.Data))
		var buf [512]byte
		for d := mw.Data[:k]; len(d) > 0; {
			n := min(len(d), len(buf)/2)
			w.Write(buf[:hex.Encode(buf[:], d[:n])])
			d = d[n:]
		}
		w.WriteByte('"')
		if more := len(mw.Data) - k; more > 0 {
			fmt.Fprintf(w, `,"more":%d`, more)
		}
		w.WriteByte('}')
		used += k
	}
	w.WriteByte(']')
}

// jsonEvent is one event as --json --events prints it.
type jsonEvent struct {
	Kind    string  `json:"kind"`
	Instret uint64  `json:"instret"`
	PC      string  `json:"pc"`
	Value   string  `json:"value"`
	Nr      *uint64 `json:"nr,omitempty"`     // system calls only
	Name    string  `json:"name,omitempty"`   // system call name
	Return  *int64  `json:"return,omitempty"` // system call return value, signed
	Note    string  `json:"note,omitempty"`   // what an input event is
	Bytes   int     `json:"bytes,omitempty"`  // guest memory bytes written
	// With --data, the memory writes follow as "writes" (jsonPrinter.writes).
}

func (p *jsonPrinter) segment(s segmentInfo, evs []logfmt.Event) {
	if p.werr != nil {
		return
	}
	w := p.w
	if !p.first {
		w.WriteByte(',')
	}
	p.first = false
	fmt.Fprintf(w, "\n    {\n      \"index\": %d,\n      \"offset\": %d,\n      \"bytes\": %d,\n      \"events\": %d", s.Index, s.Offset, s.Bytes, s.Events)
	if p.opt.events {
		w.WriteString(",\n      \"event_list\": [")
		var je jsonEvent
		for i := range evs {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString("\n        ")
			p.event(&je, &evs[i])
			b, err := json.Marshal(&je)
			if err != nil {
				p.werr = fmt.Errorf("encoding JSON: %w", err)
				return
			}
			if p.opt.data < 0 {
				w.Write(b)
				continue
			}
			// The memory writes are streamed one by one rather than
			// marshalled with the event: one event may hold millions.
			w.Write(b[:len(b)-1]) // without the closing brace
			p.writes(&evs[i])
			w.WriteByte('}')
		}
		w.WriteString("\n      ]")
	}
	w.WriteString("\n    }")
}

// event fills je with e, reusing its write list.
func (p *jsonPrinter) event(je *jsonEvent, e *logfmt.Event) {
	*je = jsonEvent{Kind: e.Kind.String(), Instret: e.Instret, PC: fmt.Sprintf("%#x", e.PC),
		Value: fmt.Sprintf("%#x", e.Value), Bytes: dataBytes(e)}
	meaning := p.inputs.meaning(e)
	switch e.Kind {
	case logfmt.KindSyscall:
		nr, ret := e.Nr, int64(e.Value)
		je.Nr, je.Name, je.Return = &nr, vmm.CallName(p.kind, nr), &ret
	case logfmt.KindInput:
		je.Note = meaning
	}
}

func (p *jsonPrinter) summary(in *inspection) {
	if p.werr != nil {
		return
	}
	w := p.w
	if !p.first {
		w.WriteString("\n  ")
	}
	w.WriteString("],\n")
	field := func(name string, v any) {
		fmt.Fprintf(w, "  %q: ", name)
		p.value("  ", v)
	}
	field("complete", in.Complete)
	if in.Problem != "" {
		w.WriteString(",\n")
		field("problem", in.Problem)
	}
	for _, f := range []struct {
		name string
		v    any
	}{
		{"events", in.Events}, {"total_events", in.TotalEvents}, {"trace_bytes", in.TraceBytes},
		{"raw_bytes", in.RawBytes}, {"compression_ratio", in.CompressionRatio}, {"bytes_per_event", in.BytesPerEvent},
	} {
		w.WriteString(",\n")
		field(f.name, f.v)
	}
	if in.Footer != nil {
		w.WriteString(",\n")
		field("footer", in.Footer)
	}
	w.WriteString("\n}\n")
}
