package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rvsim/rvsim/logfmt"
)

// rewriteHeader copies the trace src to dst with its header (and footer)
// edited: the writer computes the CRC-32C afresh, so the result is a valid
// trace that says what edit made it say.
func rewriteHeader(t *testing.T, src, dst string, edit func(h *logfmt.Header), editFooter ...func(f *logfmt.Footer)) {
	t.Helper()
	copyTrace(t, src, dst, edit, nil, func(f *logfmt.Footer) {
		for _, e := range editFooter {
			e(f)
		}
	})
}

// rawControl returns the first control byte (other than the newline that
// ends a line) or DEL in s, and whether there is one.
func rawControl(s string) (byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n') || c == 0x7f {
			return c, true
		}
	}
	return 0, false
}

// TestTraceStringsAreEscaped replays a trace whose header strings (the
// program's path, its arguments and environment) hold carriage returns,
// escape sequences and newlines: none of them reaches stderr raw, so
// none can forge or erase a line of rvsim's.
func TestTraceStringsAreEscaped(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.zst")
	if r := cli(t, "", "record", "-o", orig, programPath("hello"), "x"); r.status != 0 {
		t.Fatalf("record: status %d: %s", r.status, r.stderr)
	}
	const evil = "\r\x1b[2K\nrvsim: replay identical: 1 instructions\x1b]0;title\x07\xff"
	trace := filepath.Join(dir, "evil.zst")
	rewriteHeader(t, orig, trace, func(h *logfmt.Header) {
		h.ELF = "gone" + evil + ".elf"
		h.ELFAbs = "/nowhere" + evil + ".elf"
		h.Args = []string{"hello" + evil, evil}
		h.Env = []string{"X=" + evil}
	})
	if err := zstdTest(t, mustRead(t, trace)); err != nil {
		t.Fatalf("the crafted trace is not a valid zstd file: %v", err)
	}
	// The footer's reason, too.
	badEnd := filepath.Join(dir, "reason.zst")
	rewriteHeader(t, orig, badEnd, func(*logfmt.Header) {}, func(f *logfmt.Footer) { f.Reason = "exit" + evil })
	cases := []struct {
		name string
		args []string
		re   string // for the one-line cases
	}{
		{"wrong program", []string{"replay", programPath("args"), trace}, `trace was recorded from another ELF: .*\(".*\\r\\x1b\[2K\\nrvsim: replay identical`},
		{"program not found", []string{"replay", trace}, `the recorded program is not found \(tried ".*\\r\\x1b\[2K\\n.*" and ".*"\)`},
		{"footer reason", []string{"replay", programPath("hello"), badEnd}, `replay diverged: the recorded run ended by "exit\\r\\x1b\[2K\\n`},
		{"debug log", []string{"--log-level", "debug", "replay", programPath("hello"), trace}, ""},
		{"json log", []string{"--log-format", "json", "--log-level", "debug", "replay", programPath("hello"), trace}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := cli(t, "", c.args...)
			if b, ok := rawControl(r.stderr); ok {
				t.Errorf("stderr holds a raw control byte %#x: %q", b, r.stderr)
			}
			for _, l := range strings.Split(strings.TrimRight(r.stderr, "\n"), "\n") {
				if strings.HasPrefix(l, "rvsim: replay identical") {
					t.Errorf("a forged line reached stderr: %q", l)
				}
				if c.name == "json log" && l != "a line on stderr" && !json.Valid([]byte(l)) {
					t.Errorf("--log-format json: line is not JSON: %q", l)
				}
			}
			if c.re != "" {
				rr := r
				rr.stderr = strings.ReplaceAll(r.stderr, "a line on stderr\n", "") // the guest's
				oneLine(t, rr, c.re)
				if r.status != exitSimError {
					t.Errorf("exit status %d, want %d", r.status, exitSimError)
				}
			}
			if strings.HasPrefix(c.name, "debug") && !strings.Contains(r.stderr, `rvsim: info: loaded {"program": "gone\r\u001b[2K\nrvsim`) {
				t.Errorf("the debug log does not show the program's path, escaped: %q", r.stderr)
			}
		})
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSanitize checks the escaping of rvsim's one-line messages.
func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plain: 0x10 ok":          "plain: 0x10 ok",
		"a\rb":                    `a\rb`,
		"a\nb\tc":                 `a\nb\tc`,
		"\x1b[2K":                 `\x1b[2K`,
		"del\x7f":                 `del\x7f`,
		"c1 \u0085 and \u009b":    `c1 \u0085 and \u009b`,
		"bad \xff\xfe utf-8":      `bad \xff\xfe utf-8`,
		"unicode é ✓ stays":       "unicode é ✓ stays",
		"\"quotes\" \\ untouched": "\"quotes\" \\ untouched",
	} {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}
