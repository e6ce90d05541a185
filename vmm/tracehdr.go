package vmm

import (
	"errors"
	"fmt"

	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/rv64"
)

// MaxMemory is the largest guest memory: 128 TiB, the whole user address
// space of an x86-64 Linux process (47 bits), in which guest memory must
// be reserved; a host may refuse less (rv64.ErrReserve).
const MaxMemory = 1 << 47

// MaxNDBuffer is the largest ND buffer, in entries. The monitor holds
// about 128 bytes per entry while it drains or fills the buffer (the
// buffer, its scratch copy and the events made of it), and a replay takes
// the size from the trace: 2^20 entries keeps that near 128 MiB, where 2^24
// cost 2 GiB. Beyond a few thousand entries the exits are rare anyway.
const MaxNDBuffer = 1 << 20

// maxArgBytes is the most bytes the arguments and environment strings
// may take on the guest's initial stack (see initialStack).
const maxArgBytes = 1 << 20

// ErrBadHeader: a trace header field is out of range or does not match
// the program.
var ErrBadHeader = errors.New("bad trace header")

// CheckMemSize reports whether size is a guest memory size rvsim accepts:
// a whole number of pages from rv64.MinMemory to MaxMemory.
func CheckMemSize(size uint64) error {
	if size < rv64.MinMemory || size > MaxMemory || size%PageSize != 0 {
		return fmt.Errorf("memory size %d is not a multiple of %d from %d to %d bytes (4K to 128T)",
			size, PageSize, rv64.MinMemory, uint64(MaxMemory))
	}
	return nil
}

// checkHeader checks a trace header against prog before anything is
// allocated for the replay: the ELF hash first (a trace of another program
// is refused whatever else it says), then every field as strictly as the
// flag that set it when the trace was recorded. name names the trace file.
// Strings from the file are quoted: a trace may hold escape sequences.
func checkHeader(prog *Program, h logfmt.Header, name string) error {
	where := "replay: "
	if name != "" {
		where = fmt.Sprintf("replay: trace %q: ", name)
	}
	if got := fmt.Sprintf("%x", prog.SHA256); h.ELFSHA256 != got {
		return fmt.Errorf("%s%w: the trace names ELF sha256 %s (%q), %q has sha256 %s: give the program it was recorded from, or leave the program out to have the trace name it",
			where, ErrWrongELF, hashText(h.ELFSHA256), h.ELF, prog.Path, got)
	}
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%s%w: %s %s", where, ErrBadHeader, field, fmt.Sprintf(format, a...))
	}
	if err := CheckMemSize(h.MemSize); err != nil {
		return bad("mem_size", "%d: want a multiple of %d from %d to %d bytes", h.MemSize, PageSize, rv64.MinMemory, uint64(MaxMemory))
	}
	if h.NDBuffer == 0 || h.NDBuffer > MaxNDBuffer {
		return bad("nd_buffer", "%d: want 1 to %d entries", h.NDBuffer, MaxNDBuffer)
	}
	if h.Kind != prog.Kind.String() {
		return bad("kind", "%q: %s is a %s program", h.Kind, prog.Path, prog.Kind)
	}
	if h.ISA != ISA {
		return bad("isa", "%q: want %q", h.ISA, ISA)
	}
	if len(h.Args) == 0 {
		return bad("args", "is empty: want at least the program name")
	}
	n := 0
	for _, s := range h.Args {
		n += len(s) + 1
	}
	for _, s := range h.Env {
		n += len(s) + 1
	}
	if n > maxArgBytes {
		return bad("args and env", "take %d bytes: want at most %d", n, maxArgBytes)
	}
	return nil
}

// hashText prints a hash read from a trace: as it is when it is 64
// lower-case hex digits, quoted otherwise (a crafted trace may hold
// anything there).
func hashText(s string) string {
	if len(s) != 64 {
		return fmt.Sprintf("%q", s)
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Sprintf("%q", s)
		}
	}
	return s
}
