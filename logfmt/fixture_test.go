package logfmt

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The files in testdata/fixtures pin the bytes of the trace format: each
// vN-NAME.zst was written by the Writer of format version N, and
// vN-NAME.json beside it holds what it must decode to. They are the
// reference, not the code: a change that makes one decode differently
// breaks traces already on disk.
//
// NEVER regenerate the fixtures of an existing version. -update only writes
// the fixtures of the current Version that do not exist yet (after a new
// version is introduced); it refuses to overwrite a file.
var update = flag.Bool("update", false, "write the missing testdata/fixtures of the current format version (never overwrites)")

const fixtureDir = "testdata/fixtures"

// fixtureView is the readable form of what a Reader makes of a file.
type fixtureView struct {
	Version  int           `json:"version"`
	Header   Header        `json:"header"`
	Segments [][]eventView `json:"segments"`
	Footer   *Footer       `json:"footer,omitempty"` // nil unless the trace is complete
	Error    string        `json:"error,omitempty"`  // "corrupt" or "incomplete"
	ErrorAt  int64         `json:"error_frame_offset,omitempty"`
}

type eventView struct {
	Kind    string      `json:"kind"`
	Instret uint64      `json:"instret"`
	PC      string      `json:"pc"`
	Value   string      `json:"value"`
	Nr      uint64      `json:"nr,omitempty"`
	Regs    string      `json:"regs,omitempty"` // system calls, version 2 on
	Writes  []writeView `json:"writes,omitempty"`
}

type writeView struct {
	Addr string `json:"addr"`
	Data string `json:"data"` // hex
}

func viewEvents(evs []Event, version int) []eventView {
	out := make([]eventView, len(evs))
	for i, e := range evs {
		v := eventView{Kind: e.Kind.String(), Instret: e.Instret, PC: fmt.Sprintf("%#x", e.PC), Value: fmt.Sprintf("%#x", e.Value), Nr: e.Nr}
		if e.Kind == KindSyscall && version >= RegsVersion {
			v.Regs = fmt.Sprintf("%#016x", e.Regs)
		} else if e.Regs != 0 {
			v.Regs = fmt.Sprintf("unexpected %#x", e.Regs)
		}
		for _, w := range e.Writes {
			v.Writes = append(v.Writes, writeView{Addr: fmt.Sprintf("%#x", w.Addr), Data: hex.EncodeToString(w.Data)})
		}
		out[i] = v
	}
	return out
}

// decodeView reads data as a trace and returns its readable form.
func decodeView(data []byte) (fixtureView, error) {
	var v fixtureView
	r, err := NewReader(bytes.NewReader(data), "fixture")
	if err != nil {
		return v, err
	}
	v.Version, v.Header = r.Header().Version, r.Header()
	v.Segments = [][]eventView{}
	for {
		evs, err := r.Next()
		if err == io.EOF {
			ft, _ := r.Footer()
			v.Footer = &ft
			return v, nil
		}
		switch {
		case errors.Is(err, ErrCorrupt):
			v.Error = "corrupt"
		case errors.Is(err, ErrIncomplete):
			v.Error = "incomplete"
		case err != nil:
			return v, err
		}
		if err != nil {
			v.ErrorAt = r.Offset()
			return v, nil
		}
		v.Segments = append(v.Segments, viewEvents(evs, r.Version()))
	}
}

// fixture describes one fixture: its segments and what is done to the
// written file.
type fixture struct {
	name   string
	segs   [][]Event
	close  bool                                 // write the footer
	mangle func(data []byte, ends []int) []byte // cut or damage the file; ends as in trace.ends
}

// fixtureEvents is one segment with every kind of event: CSR reads whose
// deltas go up and down, a seed, system calls with and without memory
// writes and with a negative result, and the auxv input. The version 1
// fixtures were written without the register hashes.
func fixtureEvents() []Event {
	// Registers at the three ecalls (version 2 on).
	var x1, x2, x3 [32]uint64
	for i := range x1 {
		x1[i] = uint64(i) * 0x0101010101010101
		x2[i] = ^uint64(i)
	}
	x1[2], x1[10], x1[17] = 0x3ffffff0, 0, 63
	x2[10], x2[17] = 0, 63
	x3[1], x3[10], x3[17] = 0x10204, 1, 113
	return []Event{
		{Kind: KindInput, Instret: 0, PC: 0x100b0, Value: 0, Writes: []MemWrite{{Addr: 0x3fffffe0, Data: []byte("0123456789abcdef")}}},
		{Kind: KindCycle, Instret: 100, PC: 0x10078, Value: 5000},
		{Kind: KindTime, Instret: 120, PC: 0x1007c, Value: 1_700_000_000_000},
		{Kind: KindCycle, Instret: 180, PC: 0x10078, Value: 5150},
		{Kind: KindSeed, Instret: 181, PC: 0x10080, Value: 0x8000abcd},
		{Kind: KindSyscall, Instret: 200, PC: 0x10100, Nr: 63, Value: 5, Regs: RegsHash(&x1), Writes: []MemWrite{{Addr: 0x3ffff000, Data: []byte("hello")}}},
		{Kind: KindSyscall, Instret: 210, PC: 0x10100, Nr: 63, Value: uint64(0xfffffffffffffff5), Regs: RegsHash(&x2)}, // -EAGAIN
		{Kind: KindSyscall, Instret: 300, PC: 0x10200, Nr: 113, Value: 0, Regs: RegsHash(&x3), Writes: []MemWrite{{Addr: 0x3fffef00, Data: []byte{1, 0, 0, 0, 0, 0, 0, 0}}, {Addr: 0x3fffef08, Data: []byte{0x40, 0x42, 0x0f, 0, 0, 0, 0, 0}}}},
		{Kind: KindTime, Instret: 300, PC: 0xffff_ffff_ffff_fff0, Value: 1_699_999_999_000},
		{Kind: KindSeed, Instret: 301, PC: 0x10080, Value: 0x1234},
		{Kind: KindCycle, Instret: 1 << 40, PC: 0x10078, Value: 1<<64 - 1},
	}
}

func fixtures() []fixture {
	all := fixtureEvents()
	three := [][]Event{all[:4], all[4:8], all[8:]}
	cut := func(n int) func([]byte, []int) []byte {
		return func(d []byte, ends []int) []byte { return d[:ends[n]+n+5] }
	}
	return []fixture{
		{name: "no-segments", close: true},
		{name: "one-segment", segs: [][]Event{all}, close: true},
		{name: "three-segments", segs: three, close: true},
		{name: "no-footer", segs: three},
		{name: "cut-in-segment", segs: three, close: true, mangle: cut(2)},
		{name: "damaged-segment", segs: three, close: true, mangle: func(d []byte, ends []int) []byte {
			d = append([]byte(nil), d...)
			d[ends[2]-6] ^= 0x20 // inside segment 1's last block: its checksum fails
			return d
		}},
	}
}

// expectedView is what a fixture must decode to, from what went into it:
// orig as written, data after mangling, ends as in trace.ends.
func (fx fixture) expectedView(orig, data []byte, ends []int) fixtureView {
	v := fixtureView{Version: Version, Header: testHeader(), Segments: [][]eventView{}}
	v.Header.Version = Version
	// The segments whose frames are intact.
	good := 0
	for good < len(fx.segs) && ends[good+1] <= len(data) && bytes.Equal(data[ends[good]:ends[good+1]], orig[ends[good]:ends[good+1]]) {
		good++
	}
	for _, s := range fx.segs[:good] {
		v.Segments = append(v.Segments, viewEvents(s, Version))
	}
	switch {
	case len(data) < len(orig) || !fx.close:
		v.Error, v.ErrorAt = "incomplete", int64(ends[good])
	case !bytes.Equal(data, orig):
		v.Error, v.ErrorAt = "corrupt", int64(ends[good])
	default:
		f := fixtureFooter(fx.segs)
		f.Segments = uint64(len(fx.segs))
		v.Footer = &f
	}
	return v
}

func fixtureFooter(segs [][]Event) Footer {
	f := testFooter(0)
	for _, s := range segs {
		f.Instret = s[len(s)-1].Instret + 7
	}
	return f
}

func fixturePath(version int, name, ext string) string {
	return filepath.Join(fixtureDir, fmt.Sprintf("v%d-%s.%s", version, name, ext))
}

// writeFixture writes fx with the current Writer, checks that it decodes
// as expected, and stores both files unless they exist.
func writeFixture(t *testing.T, fx fixture) {
	tr := writeTrace(t, testHeader(), fx.segs, map[bool]*Footer{true: ptr(fixtureFooter(fx.segs)), false: nil}[fx.close])
	data := tr.data
	if fx.mangle != nil {
		data = fx.mangle(tr.data, tr.ends)
	}
	want := fx.expectedView(tr.data, data, tr.ends)
	got, err := decodeView(data)
	if err != nil {
		t.Fatalf("%s: %v", fx.name, err)
	}
	wantJS, gotJS := marshalView(t, want), marshalView(t, got)
	if !bytes.Equal(wantJS, gotJS) {
		t.Fatalf("%s: the new fixture decodes to\n%s\nwant\n%s", fx.name, gotJS, wantJS)
	}
	for _, f := range []struct {
		ext  string
		data []byte
	}{{"zst", data}, {"json", wantJS}} {
		p := fixturePath(Version, fx.name, f.ext)
		if _, err := os.Stat(p); err == nil {
			t.Logf("%s exists: not rewritten", p)
			continue
		}
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", p)
	}
}

func ptr[T any](v T) *T { return &v }

func marshalView(t *testing.T, v fixtureView) []byte {
	t.Helper()
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(js, '\n')
}

// TestFixtures decodes every committed fixture and compares it with the
// JSON beside it. A failure here means that traces written by an earlier
// rvsim no longer read the same: fix the code, not the fixture.
func TestFixtures(t *testing.T) {
	if *update {
		if err := os.MkdirAll(fixtureDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, fx := range fixtures() {
			writeFixture(t, fx)
		}
	}
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.zst"))
	if err != nil {
		t.Fatal(err)
	}
	versions := map[int]int{}
	zstd := zstdCommand(t)
	for _, p := range files {
		var ver int
		if _, err := fmt.Sscanf(filepath.Base(p), "v%d-", &ver); err != nil {
			t.Fatalf("%s: the name does not start with vN-: %v", p, err)
		}
		versions[ver]++
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(strings.TrimSuffix(p, ".zst") + ".json")
		if err != nil {
			t.Fatal(err)
		}
		v, err := decodeView(data)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if v.Version != ver {
			t.Errorf("%s: decodes as version %d", p, v.Version)
		}
		// zstd is the referee of the frame layer: it accepts every
		// fixture but one whose frame is cut or damaged.
		out, err := exec.Command(zstd, "-t", "-q", p).CombinedOutput()
		if broken := v.Error != "" && v.ErrorAt < int64(len(data)); (err != nil) != broken {
			t.Errorf("%s: zstd -t: %v %s; the reader says %q at offset %d", p, err, out, v.Error, v.ErrorAt)
		}
		if got := marshalView(t, v); !bytes.Equal(got, want) {
			t.Errorf("%s decodes to\n%s\nwant (%s.json)\n%s", p, got, strings.TrimSuffix(p, ".zst"), want)
		}
	}
	// Every version this package reads has its full set of fixtures.
	for ver := 1; ver <= Version; ver++ {
		if versions[ver] != len(fixtures()) {
			t.Errorf("%d fixtures of version %d, want %d (go test -run TestFixtures -update writes the missing ones of the current version)", versions[ver], ver, len(fixtures()))
		}
	}
}
