package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/vmm"
)

// recordTrace records prog (a programs/bin name) with args and stdin (a
// file path or "") into a new trace and returns its path.
func recordTrace(t *testing.T, stdin, prog string, args ...string) string {
	t.Helper()
	trace := filepath.Join(t.TempDir(), prog+".zst")
	r := rvsim(t, stdin, append([]string{"record", "-o", trace, programPath(prog)}, args...)...)
	if r.status != 0 {
		t.Fatalf("rvsim record %s: status %d: %s", prog, r.status, r.stderr)
	}
	return trace
}

// controlRunes returns the control characters (C0, DEL, C1, format
// characters such as U+202E) and invalid UTF-8 in s, other than the
// newline that ends each line, quoted for a message.
func controlRunes(s string) []string {
	var bad []string
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			bad = append(bad, fmt.Sprintf("byte %d: invalid UTF-8", i))
		case r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)):
			bad = append(bad, fmt.Sprintf("byte %d: %q", i, r))
		}
	}
	return bad
}

// evil is what a crafted trace puts in every string: a carriage return,
// an erase-line escape sequence, a newline with a forged report line, the
// 8-bit CSI and a right-to-left override.
const evil = "a\rb\x1b[2Kc\nexits            forged\u009b2K\u202ez"

// rewriteMeta rewrites the JSON of the header or footer frame at
// data[at:] with edit, and recomputes its size and CRC-32C as
// docs/trace-format.md describes them. It returns the new file.
func rewriteMeta(t *testing.T, data []byte, at int, edit func(map[string]any)) []byte {
	t.Helper()
	size := int(binary.LittleEndian.Uint32(data[at+4 : at+8]))
	payload := data[at+8 : at+8+size]
	var m map[string]any
	if err := json.Unmarshal(payload[12:size-4], &m); err != nil {
		t.Fatalf("the frame at %d: %v", at, err)
	}
	edit(m)
	js, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	p := append([]byte(nil), payload[:12]...) // tag and version
	p = append(p, js...)
	p = binary.LittleEndian.AppendUint32(p, crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli)))
	out := append([]byte(nil), data[:at+4]...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(p)))
	out = append(out, p...)
	return append(out, data[at+8+size:]...)
}

// TestInspectQuotesTraceStrings crafts a trace whose header and footer
// strings hold control characters and escape sequences (with valid
// checksums, so that the reader accepts it) and requires that inspect's
// text and JSON reports hold none of them raw, and that each still says
// exactly what the trace holds.
func TestInspectQuotesTraceStrings(t *testing.T) {
	trace := recordTrace(t, "", "hello")
	data, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	fs := traceFrames(t, trace, data)
	footerAt := fs[len(fs)-1].start
	// The footer first: rewriting the header moves it.
	data = rewriteMeta(t, data, footerAt, func(m map[string]any) {
		m["reason"], m["digest"] = evil, evil
		m["exits"] = map[string]any{evil: 7}
	})
	data = rewriteMeta(t, data, 0, func(m map[string]any) {
		for _, k := range []string{"rvsim_version", "elf", "elf_sha256", "isa", "kind", "created"} {
			m[k] = k + ":" + evil
		}
		m["args"] = []string{"arg0", evil}
		m["env"] = []string{"X=" + evil}
	})
	crafted := filepath.Join(t.TempDir(), "crafted.zst")
	if err := os.WriteFile(crafted, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := zstdTest(t, data); err != nil {
		t.Fatalf("zstd -t rejects the crafted trace: %v", err)
	}

	for _, flags := range [][]string{nil, {"--events"}, {"--data=all"}} {
		r := rvsim(t, "", append(append([]string{"inspect"}, flags...), crafted)...)
		if r.status != 0 {
			t.Fatalf("inspect %v: status %d: %s", flags, r.status, r.stderr)
		}
		if bad := controlRunes(r.stdout); len(bad) > 0 {
			t.Errorf("inspect %v prints raw control characters: %v\n%s", flags, bad, r.stdout)
		}
		// Each string reads back, unquoted, as the trace holds it.
		want := map[string]string{
			"created": "created:" + evil, "isa": "isa:" + evil, "elf sha256": "elf_sha256:" + evil,
			"final digest": evil,
		}
		for label, w := range want {
			m := regexp.MustCompile(`(?m)^` + label + ` +(".*")$`).FindStringSubmatch(r.stdout)
			if m == nil {
				t.Errorf("inspect %v: no %q line:\n%s", flags, label, r.stdout)
				continue
			}
			if got, err := strconv.Unquote(m[1]); err != nil || got != w {
				t.Errorf("inspect %v: %s %s reads back as %q (%v), want %q", flags, label, m[1], got, err, w)
			}
		}
		for _, line := range []string{
			fmt.Sprintf("program          %q (%q)", "elf:"+evil, "kind:"+evil),
			fmt.Sprintf("format version   %d (rvsim %q)", logfmt.Version, "rvsim_version:"+evil),
			fmt.Sprintf("args             %q", []string{"arg0", evil}),
			fmt.Sprintf("env              %q", []string{"X=" + evil}),
			fmt.Sprintf("ended by         %q", evil),
			fmt.Sprintf("exits            %q 7", evil),
		} {
			if !strings.Contains(r.stdout, line+"\n") {
				t.Errorf("inspect %v does not print the line %s:\n%s", flags, line, r.stdout)
			}
		}
		if n := strings.Count(r.stdout, "\nexits "); n != 1 {
			t.Errorf("inspect %v prints %d lines starting \"exits\", want 1", flags, n)
		}
	}

	// A path with control characters, of a trace cut short: the path and
	// the reader's message that names it are escaped too.
	cut := filepath.Join(t.TempDir(), "cut\r\x1b[2K.zst")
	seg1 := 8 + int(binary.LittleEndian.Uint32(data[4:8])) + fs[1].end - fs[1].start // in the crafted file
	if err := os.WriteFile(cut, data[:seg1+10], 0o644); err != nil {
		t.Fatal(err)
	}
	r := rvsim(t, "", "inspect", "--events", cut)
	if r.status != exitSimError || !strings.Contains(r.stdout, "\ncomplete         no: 1 whole segment (") {
		t.Errorf("inspect of a cut trace: status %d:\n%s", r.status, r.stdout)
	}
	if bad := controlRunes(r.stdout); len(bad) > 0 {
		t.Errorf("inspect of %q prints raw control characters: %v\n%s", cut, bad, r.stdout)
	}

	r = rvsim(t, "", "inspect", "--json", "--data", crafted)
	if r.status != 0 {
		t.Fatalf("inspect --json: status %d: %s", r.status, r.stderr)
	}
	if bad := controlRunes(r.stdout); len(bad) > 0 {
		t.Errorf("inspect --json prints raw control characters: %v\n%s", bad, r.stdout)
	}
	var in struct {
		Header logfmt.Header
		Footer logfmt.Footer
	}
	if err := json.Unmarshal([]byte(r.stdout), &in); err != nil {
		t.Fatalf("inspect --json is not JSON: %v\n%s", err, r.stdout)
	}
	h := in.Header
	if h.ELF != "elf:"+evil || h.Kind != "kind:"+evil || h.RvsimVersion != "rvsim_version:"+evil || h.Created != "created:"+evil ||
		len(h.Args) != 2 || h.Args[1] != evil || len(h.Env) != 1 || h.Env[0] != "X="+evil {
		t.Errorf("inspect --json header = %+v, want the crafted strings", h)
	}
	if in.Footer.Reason != evil || in.Footer.Digest != evil || in.Footer.Exits[evil] != 7 {
		t.Errorf("inspect --json footer = %+v, want the crafted strings", in.Footer)
	}
}

// inspectEvents is inspect --json --events as these tests read it.
type inspectEvents struct {
	Complete bool `json:"complete"`
	Segments []struct {
		Index     int `json:"index"`
		Events    int `json:"events"`
		EventList []struct {
			Kind    string  `json:"kind"`
			Instret uint64  `json:"instret"`
			Nr      *uint64 `json:"nr"`
			Name    string  `json:"name"`
			Return  *int64  `json:"return"`
			Note    string  `json:"note"`
			Bytes   int     `json:"bytes"`
			Writes  []struct {
				Addr string `json:"addr"`
				Len  int    `json:"len"`
				Data string `json:"data"`
				More int    `json:"more"`
			} `json:"writes"`
		} `json:"event_list"`
	} `json:"segments"`
	Events      map[string]uint64 `json:"events"`
	TotalEvents uint64            `json:"total_events"`
	Footer      *logfmt.Footer    `json:"footer"`
}

// inspectEventsJSON runs inspect --json with flags and decodes it
// strictly: one JSON value and nothing after it.
func inspectEventsJSON(t *testing.T, trace string, flags ...string) inspectEvents {
	t.Helper()
	r := rvsim(t, "", append(append([]string{"inspect", "--json"}, flags...), trace)...)
	if r.status != 0 {
		t.Fatalf("inspect --json %v: status %d: %s", flags, r.status, r.stderr)
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var in inspectEvents
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("inspect --json %v is not JSON: %v", flags, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("inspect --json %v: more follows the JSON object (%v)", flags, err)
	}
	return in
}

// TestInspectEventsJSON lists every event of a trace of many segments as
// JSON, and checks the list against the totals and the footer's counts.
func TestInspectEventsJSON(t *testing.T) {
	trace := recordTrace(t, "", "ndloop", "20000")
	in := inspectEventsJSON(t, trace, "--events")
	if !in.Complete || in.Footer == nil {
		t.Fatalf("inspect --json --events: not complete")
	}
	if len(in.Segments) < 4 {
		t.Fatalf("%d segments; the test wants several", len(in.Segments))
	}
	kinds := map[string]uint64{}
	var total uint64
	var last uint64
	for i, s := range in.Segments {
		if s.Index != i || len(s.EventList) != s.Events {
			t.Fatalf("segment %d: index %d, %d events listed of %d", i, s.Index, len(s.EventList), s.Events)
		}
		for _, e := range s.EventList {
			kinds[e.Kind]++
			total++
			if e.Instret < last {
				t.Fatalf("segment %d: an event at instruction %d after one at %d", i, e.Instret, last)
			}
			last = e.Instret
		}
	}
	if total != in.TotalEvents || total < 20000 {
		t.Errorf("%d events listed, total_events %d, the program reads the counters 20000 times", total, in.TotalEvents)
	}
	for k, n := range in.Footer.Events {
		if kinds[k] != n || in.Events[k] != n {
			t.Errorf("%s: %d listed, %d counted, the footer says %d", k, kinds[k], in.Events[k], n)
		}
	}
	if kinds["cycle"] != 10000 || kinds["time"] != 10000 {
		t.Errorf("cycle %d, time %d events, want 10000 each", kinds["cycle"], kinds["time"])
	}
	// No environment is an empty list, as the text shows it, not null.
	if r := rvsim(t, "", "inspect", "--json", trace); !strings.Contains(r.stdout, "\"env\": []") {
		t.Errorf("inspect --json of a trace without environment:\n%s", r.stdout)
	}
}

// TestInspectSyscallNamesAndData records cat with a standard input that
// holds every byte value, and checks what inspect --events and --data say
// of its read system calls against that input: the name, the return
// value, and the bytes each read wrote into guest memory, bounded per
// event unless --data=all.
func TestInspectSyscallNamesAndData(t *testing.T) {
	input := make([]byte, 5000) // cat reads 4096 bytes at a time
	for i := range input {
		input[i] = byte(i*7 + i/256)
	}
	copy(input, "\x1b[2K\r\nforged line\n")
	stdin := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(stdin, input, 0o644); err != nil {
		t.Fatal(err)
	}
	trace := recordTrace(t, stdin, "cat")

	// JSON: every read names itself; with --data=all the bytes of the
	// reads are the input; with --data, the first 256 of each.
	for _, c := range []struct {
		flag  string
		limit int
	}{{"--data=all", 0}, {"--data", 256}, {"--data=100", 100}} {
		in := inspectEventsJSON(t, trace, c.flag)
		var got []byte
		var reads []int64
		inputs := 0
		for _, s := range in.Segments {
			for _, e := range s.EventList {
				switch e.Kind {
				case "input":
					inputs++
					if e.Note == "" || !strings.Contains(e.Note, "AT_RANDOM") || len(e.Writes) != 1 || e.Writes[0].Len != 16 {
						t.Errorf("%s: input event %+v: want its meaning and its 16 AT_RANDOM bytes", c.flag, e)
					}
				case "syscall":
					if e.Nr == nil || *e.Nr != 63 || e.Name != "read" || e.Return == nil {
						t.Fatalf("%s: a system call event %+v, want read (63) only", c.flag, e)
					}
					reads = append(reads, *e.Return)
					n := 0
					for _, w := range e.Writes {
						b, err := hex.DecodeString(w.Data)
						if err != nil {
							t.Fatalf("%s: data %q: %v", c.flag, w.Data, err)
						}
						if len(b)+w.More != w.Len {
							t.Errorf("%s: a write of %d bytes shows %d and %d more", c.flag, w.Len, len(b), w.More)
						}
						if c.limit > 0 && len(b) != min(w.Len, c.limit) {
							t.Errorf("%s: a write of %d bytes shows %d", c.flag, w.Len, len(b))
						}
						// The bytes shown are the start of what this read returned.
						if !bytes.Equal(b, input[len(got):len(got)+len(b)]) {
							t.Errorf("%s: a read at input offset %d shows % x, the input holds % x", c.flag, len(got), b, input[len(got):len(got)+len(b)])
						}
						n += w.Len
					}
					if int64(n) != *e.Return || e.Bytes != n {
						t.Errorf("%s: read returned %d, wrote %d bytes, says %d", c.flag, *e.Return, n, e.Bytes)
					}
					got = append(got, input[len(got):len(got)+n]...)
				}
			}
		}
		if inputs != 1 {
			t.Errorf("%s: %d input events, want 1", c.flag, inputs)
		}
		if fmt.Sprint(reads) != "[4096 904 0]" {
			t.Errorf("%s: reads returned %v, want [4096 904 0]", c.flag, reads)
		}
		if !bytes.Equal(got, input) {
			t.Errorf("%s: the reads wrote %d bytes that are not the input", c.flag, len(got))
		}
	}

	// Text: the name, and an xxd-style dump whose hex is the input and
	// whose ASCII column is printable, "... N more bytes" past the limit.
	r := rvsim(t, "", "inspect", "--data", trace)
	if r.status != 0 {
		t.Fatalf("inspect --data: status %d: %s", r.status, r.stderr)
	}
	if bad := controlRunes(r.stdout); len(bad) > 0 {
		t.Errorf("inspect --data prints raw control characters: %v", bad)
	}
	for _, want := range []string{
		" read (nr 63) returned 4096, 4096 bytes written to guest memory\n",
		" read (nr 63) returned 904, 904 bytes written to guest memory\n",
		" read (nr 63) returned 0\n",
		"(start-up bytes written by the monitor: AT_RANDOM), 16 bytes written to guest memory\n",
		"        ... 3840 more bytes (--data=all shows every byte)\n",
		"        ... 648 more bytes (--data=all shows every byte)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("inspect --data does not print %q:\n%s", want, r.stdout)
		}
	}
	dumpRE := regexp.MustCompile(`(?m)^        ([0-9a-f]{16}): ((?:[0-9a-f ]{4} ){8}) (.{1,16})$`)
	var dumped []byte
	for _, m := range dumpRE.FindAllStringSubmatch(r.stdout, -1) {
		b, err := hex.DecodeString(strings.ReplaceAll(m[2], " ", ""))
		if err != nil || len(b) != len(m[3]) {
			t.Fatalf("dump line %q: %v", m[0], err)
		}
		for i, c := range b {
			want := byte('.')
			if c >= 0x20 && c < 0x7f {
				want = c
			}
			if m[3][i] != want {
				t.Fatalf("dump line %q: ASCII column %q at %d for byte %#x", m[0], m[3][i], i, c)
			}
		}
		dumped = append(dumped, b...)
	}
	// The AT_RANDOM bytes come first, then 256 of each read.
	if len(dumped) != 16+256+256 || !bytes.Equal(dumped[16:272], input[:256]) || !bytes.Equal(dumped[272:], input[4096:4096+256]) {
		t.Errorf("the dump holds %d bytes; want 16 of AT_RANDOM, then the input's bytes 0-255 and 4096-4351", len(dumped))
	}

	// A --data value that is not a byte count is refused in one line.
	for _, v := range []string{"--data=0", "--data=-5", "--data=lots"} {
		r := rvsim(t, "", "inspect", v, trace)
		if r.status != exitSimError || r.stdout != "" || !regexp.MustCompile(`^rvsim: inspect: --data="[^"]*": want a positive number of bytes per event, or all\n$`).MatchString(r.stderr) {
			t.Errorf("inspect %s: status %d, stdout %q, stderr %q", v, r.status, r.stdout, r.stderr)
		}
	}
}

// TestInspectDynamicInputs: in the trace of a dynamic program, inspect
// tells the three kinds of input event apart: the interpreter's file (its
// writes shown as offsets in the file), the AT_RANDOM bytes, and the bytes
// of a file mapping past its first MiB (libc is larger than that).
func TestInspectDynamicInputs(t *testing.T) {
	if _, err := os.Stat("/usr/riscv64-linux-gnu"); err != nil {
		t.Skip("no sysroot /usr/riscv64-linux-gnu")
	}
	trace := filepath.Join(t.TempDir(), "dyn.zst")
	if r := rvsim(t, "", "record", "-o", trace, programPath("glibc_hello_dynamic")); r.status != 0 {
		t.Fatalf("record: status %d: %s", r.status, r.stderr)
	}
	r := rvsim(t, "", "inspect", "--data=4", trace)
	for _, want := range []string{
		"(the interpreter's file, loaded by the monitor: the write's address is the offset in the file, the value its size)",
		"      file offset 0x0, ",
		"(start-up bytes written by the monitor: AT_RANDOM), 16 bytes",
		"(more bytes of the file mapping above: the value is how many are still to come)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("inspect --data does not print %q:\n%s", want, r.stdout)
		}
	}
	if strings.Count(r.stdout, "AT_RANDOM") != 1 {
		t.Errorf("inspect calls %d input events AT_RANDOM, want 1", strings.Count(r.stdout, "AT_RANDOM"))
	}
	j := rvsim(t, "", "inspect", "--json", "--events", trace)
	for _, note := range []string{"the interpreter's file", "start-up bytes written by the monitor: AT_RANDOM", "more bytes of the file mapping"} {
		if !strings.Contains(j.stdout, `"note":"`+note) && !strings.Contains(j.stdout, `"note": "`+note) {
			t.Errorf("inspect --json has no input note %q", note)
		}
	}
}

// TestInspectAddressesInHex: the system calls that return addresses (the
// mmaps of a dynamic program's libraries, its brk) show them in
// hexadecimal, as the value column does; errors stay negative decimals.
func TestInspectAddressesInHex(t *testing.T) {
	if _, err := os.Stat(vmm.DefaultSysroot); err != nil {
		t.Fatalf("the sysroot %s is needed (Debian: libc6-dev-riscv64-cross): %v", vmm.DefaultSysroot, err)
	}
	trace := filepath.Join(t.TempDir(), "t.zst")
	if r := rvsim(t, "", "record", "-o", trace, programPath("glibc_hello_dynamic")); r.status != 0 {
		t.Fatalf("record: status %d: %s", r.status, r.stderr)
	}
	r := rvsim(t, "", "inspect", "--events", trace)
	if r.status != 0 {
		t.Fatalf("inspect: status %d: %s", r.status, r.stderr)
	}
	mmaps := regexp.MustCompile(` mmap \(nr 222\) returned (\S+?),? `).FindAllStringSubmatch(r.stdout, -1)
	if len(mmaps) == 0 {
		t.Fatalf("no mmap of a library listed:\n%s", r.stdout)
	}
	for _, m := range mmaps {
		if !regexp.MustCompile(`^0x[0-9a-f]+$`).MatchString(m[1]) {
			t.Errorf("mmap returned %q, want a hexadecimal address", m[1])
		}
	}
}
