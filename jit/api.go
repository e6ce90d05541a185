package jit

import (
	"errors"
	"runtime"
	"time"
)

// ErrUnsupported is returned by New and SelfCheck on a host the engine
// does not run on (it needs linux/amd64).
var ErrUnsupported = errors.New("the native-code engine needs linux/amd64")

// Supported reports whether the engine is built for this host: if not,
// New and SelfCheck fail with ErrUnsupported.
const Supported = runtime.GOOS == "linux" && runtime.GOARCH == "amd64"

// Stats counts what the engine did.
type Stats struct {
	Blocks        uint64        // blocks translated
	Loops         uint64        // of those, loops that keep the guest's registers in host registers from one time round to the next
	CodeBytes     uint64        // bytes of native code written
	TranslateTime time.Duration // time spent translating
	Flushes       uint64        // times the code cache was emptied
	Invalidated   uint64        // blocks dropped because their code was written
	Watched       uint64        // blocks translated again with stores checked against the watch range, which was empty when they were first translated
	Entries       uint64        // entries into native code
	Interpreted   uint64        // instructions handed to the interpreter
}
