package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// sanitize escapes what must not reach a terminal raw in one of rvsim's
// lines: control characters (C0, DEL and C1, which can move the cursor,
// erase a line or start an escape sequence) are written as Go escapes
// (\r, \x1b, \u0085) and bytes that are not UTF-8 as \xNN. Everything else
// is left as it is, so that ordinary messages read as before.
func sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// cleanCore is a zap core whose messages are sanitized: a message built
// from a string read from a file cannot forge or erase a line of stderr.
// Fields need nothing: the encoders write them as escaped JSON.
type cleanCore struct{ zapcore.Core }

// With returns the wrapped core with fields added, still sanitizing.
func (c cleanCore) With(fields []zapcore.Field) zapcore.Core {
	return cleanCore{c.Core.With(fields)}
}

// Check adds c to ce if the entry's level is enabled.
func (c cleanCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

// Write writes the entry with its message sanitized.
func (c cleanCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message = sanitize(e.Message)
	return c.Core.Write(e, fields)
}

// say prints one of rvsim's result lines, shown whatever the log level:
// "rvsim: " and msg on stderr for the console format; for json, one JSON
// object with msg and fields, as the logger writes them.
func (a *app) say(msg string, fields ...zap.Field) {
	if a.logFormat == "json" && a.report != nil {
		a.report.Info(msg, fields...)
		return
	}
	a.ownLine()
	fmt.Fprintln(a.stderr, "rvsim: "+sanitize(msg))
}

// stat is one figure of --stats: its console line and its JSON fields.
type stat struct {
	text   string
	fields []zap.Field
}

// printStats prints the figures of --stats: one "rvsim: stats: ..." line
// each for the console format, one JSON object holding them all for json.
func (a *app) printStats(stats []stat) {
	if a.logFormat == "json" && a.report != nil {
		var fields []zap.Field
		for _, s := range stats {
			fields = append(fields, s.fields...)
		}
		a.report.Info("stats", fields...)
		return
	}
	a.ownLine()
	for _, s := range stats {
		fmt.Fprintln(a.stderr, "rvsim: stats: "+sanitize(s.text))
	}
}
