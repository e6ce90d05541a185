package vmm

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"syscall"
)

// Errors a program can fail to load with; they are wrapped with the file
// name and the place, and can be tested with errors.Is.
var (
	ErrNotELF    = errors.New("not an ELF file")
	ErrForeign   = errors.New("not a 64-bit little-endian RISC-V executable that rvsim runs")
	ErrTruncated = errors.New("file is truncated")
	ErrLayout    = errors.New("bad program layout")
)

// Kind tells the two kinds of program apart.
type Kind int

// Program kinds.
const (
	KindLinux    Kind = iota // Linux user-mode program, entered in U-mode
	KindBare                 // bare-metal program with a tohost symbol, entered in M-mode
	KindSemihost             // bare-metal program making RISC-V semihosting calls, entered in M-mode (semihost_load.go)
)

// String names the kind as trace headers and messages do.
func (k Kind) String() string {
	switch k {
	case KindBare:
		return "bare-metal"
	case KindSemihost:
		return "semihost"
	}
	return "linux"
}

// Segment is one PT_LOAD segment: Data is copied to Vaddr and the rest of
// Memsz is zero.
type Segment struct {
	Vaddr, Memsz uint64
	Data         []byte
	Flags        elf.ProgFlag
}

// Program is a loaded and validated ELF executable.
type Program struct {
	Path     string
	SHA256   [32]byte
	Kind     Kind
	Entry    uint64
	Segments []Segment // sorted by address, not overlapping
	ToHost   uint64    // bare-metal: address of tohost
	FromHost uint64    // bare-metal: address of fromhost, if HasFromHost
	// HasFromHost: the program has a fromhost symbol (at address 0 in a
	// program whose memory starts there).
	HasFromHost bool
	RAMTop      uint64 // semihosting: the initial stack pointer (__stack), 0 if unknown
	Phdr        uint64 // address of the program headers in memory, 0 if not loaded
	Phent       uint64
	Phnum       uint64
	// Bias is what was added to the ELF's addresses: PIEBase less its
	// lowest address for a position-independent (ET_DYN) executable, 0
	// for ET_EXEC. Entry, Segments and Phdr include it.
	Bias uint64
	// Interp is the program interpreter named by PT_INTERP (the dynamic
	// linker, /lib/ld-linux-riscv64-lp64d.so.1 for Debian's glibc), ""
	// for a static program.
	Interp string
	// Flags is the ELF header's e_flags.
	Flags uint32
	// PIE is set for a position-independent executable (ET_DYN).
	PIE bool
	// NoABI is set for a program run as a Linux one although its file
	// says nothing of Linux (no GNU ABI note, no interpreter, OS/ABI
	// not Linux): a bare-metal program that rvsim could not recognise
	// as one, perhaps.
	NoABI bool
}

// PIEBase is where a position-independent executable (ET_DYN, as gcc
// builds by default) is loaded: its lowest address goes there. It is the
// address riscv64 Linux uses without address randomization
// (ELF_ET_DYN_BASE, two thirds of Sv39's 2^38 user space, page aligned);
// qemu-riscv64 also uses a fixed base. Guest memory starts there.
const PIEBase = 0x2aaaaaa000

// Low returns the lowest address of any segment.
func (p *Program) Low() uint64 { return p.Segments[0].Vaddr }

// High returns one past the highest address of any segment.
func (p *Program) High() uint64 {
	var h uint64
	for _, s := range p.Segments {
		h = max(h, s.Vaddr+s.Memsz)
	}
	return h
}

// MaxELFSize is the largest file LoadFile reads as an ELF executable. A
// Debian static glibc program is about 1 MB and a large build with its
// debug information a few hundred MB; whatever of it is loaded must fit in
// guest memory (256 MiB unless --mem says otherwise), and the file is held
// in host memory while the program runs. 1 GiB takes them all, yet stops a
// stream that never ends (a pipe, /dev/stdin fed by one) within a second or
// two rather than when the host runs out of memory.
const MaxELFSize = 1 << 30

// ErrTooLarge: the file is larger than MaxELFSize.
var ErrTooLarge = errors.New("file too large")

// LoadFile reads and parses the ELF executable at path. The path must name
// a regular file, or a pipe or socket holding one (/dev/stdin fed by a
// pipe); a directory or a device is refused without being read, and no
// more than MaxELFSize bytes are read.
func LoadFile(path string) (*Program, error) {
	data, err := readELFFile(path, MaxELFSize)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return Parse(path, data)
}

// readELFFile reads the file at path, up to limit bytes. It stops as soon
// as the first four bytes are not the ELF magic, so that an endless stream
// of anything else is refused at once.
func readELFFile(path string, limit int) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	flag := os.O_RDONLY
	switch mode := st.Mode(); {
	case mode.IsRegular():
		if st.Size() > int64(limit) {
			return nil, fmt.Errorf("%d bytes, more than the limit of %d (%d MiB): %w", st.Size(), limit, limit>>20, ErrTooLarge)
		}
	case mode&os.ModeNamedPipe != 0:
		// A named pipe nobody writes to would block the open for ever:
		// opened without waiting, it reads as empty.
		flag |= syscall.O_NONBLOCK
	case mode&os.ModeSocket != 0:
	case mode.IsDir():
		return nil, fmt.Errorf("is a directory: %w", ErrNotELF)
	default:
		return nil, fmt.Errorf("is a %s: %w", fileType(mode), ErrNotELF)
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Mode().IsRegular() {
		// Read one byte more than the size: a file that grew since
		// the stat is still held to the limit.
		return readAll(f, int(st.Size())+1, limit)
	}
	return readAll(f, 64<<10, limit)
}

// readAll reads f to its end in pieces of at most piece bytes (then 4 MiB),
// so that a stream that stops at the limit has cost the limit in memory,
// not twice it; it stops early when the ELF magic is missing.
func readAll(f *os.File, piece, limit int) ([]byte, error) {
	var pieces [][]byte
	total := 0
	for {
		b := make([]byte, min(piece, limit+1-total))
		n, err := io.ReadFull(f, b)
		if n > 0 {
			pieces = append(pieces, b[:n])
			total += n
		}
		if total >= 4 && !bytes.HasPrefix(pieces[0], []byte(elf.ELFMAG)) {
			break // Parse says what is wrong
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if total > limit {
			return nil, fmt.Errorf("more than %d bytes (%d MiB), the limit: %w", limit, limit>>20, ErrTooLarge)
		}
		piece = 4 << 20
	}
	if len(pieces) == 1 {
		return pieces[0], nil
	}
	return bytes.Join(pieces, nil), nil
}

// fileType names the type of a file that is neither regular nor a
// directory, for errors.
func fileType(mode os.FileMode) string {
	switch {
	case mode&os.ModeCharDevice != 0:
		return "character device"
	case mode&os.ModeDevice != 0:
		return "block device"
	}
	return "special file"
}

// Parse validates an ELF executable held in data; name is used in errors.
func Parse(name string, data []byte) (p *Program, err error) {
	defer func() {
		// debug/elf is hardened but not promised panic-free on hostile
		// input; a panic there is a malformed file, reported as one.
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("load %s: malformed ELF (%v): %w", name, r, ErrForeign)
		}
	}()
	if len(data) < 4 || !bytes.Equal(data[:4], []byte(elf.ELFMAG)) {
		return nil, fmt.Errorf("load %s: offset 0: no ELF magic: %w", name, ErrNotELF)
	}
	if len(data) < 64 {
		return nil, fmt.Errorf("load %s: %d bytes, shorter than an ELF64 header (64): %w", name, len(data), ErrTruncated)
	}
	if c := elf.Class(data[elf.EI_CLASS]); c != elf.ELFCLASS64 {
		return nil, fmt.Errorf("load %s: offset 4: class %v, want ELFCLASS64: %w", name, c, ErrForeign)
	}
	if d := elf.Data(data[elf.EI_DATA]); d != elf.ELFDATA2LSB {
		return nil, fmt.Errorf("load %s: offset 5: %v, want little-endian: %w", name, d, ErrForeign)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("load %s: reading the ELF headers (program headers at offset %#x, section headers at offset %#x, in a file of %d bytes): %v: %w",
			name, binary.LittleEndian.Uint64(data[32:]), binary.LittleEndian.Uint64(data[40:]), len(data), err, ErrTruncated)
	}
	if f.Machine != elf.EM_RISCV {
		return nil, fmt.Errorf("load %s: offset 18: machine %v, want EM_RISCV: %w", name, f.Machine, ErrForeign)
	}
	flags := binary.LittleEndian.Uint32(data[48:])
	if err := checkFlags(flags); err != nil {
		return nil, fmt.Errorf("load %s: offset 48: %w", name, err)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return nil, fmt.Errorf("load %s: offset 16: type %v, want ET_EXEC or ET_DYN (an executable): %w", name, f.Type, ErrForeign)
	}
	p = &Program{Path: name, SHA256: sha256.Sum256(data), Entry: f.Entry, Flags: flags}
	phoff := binary.LittleEndian.Uint64(data[32:])
	p.Phent, p.Phnum = uint64(binary.LittleEndian.Uint16(data[54:])), uint64(len(f.Progs))
	for i, ph := range f.Progs {
		switch ph.Type {
		case elf.PT_INTERP:
			interp, err := interpPath(data, ph)
			if err != nil {
				return nil, fmt.Errorf("load %s: program header %d (PT_INTERP): %w", name, i, err)
			}
			p.Interp = interp
			continue
		case elf.PT_LOAD:
		default:
			continue
		}
		if ph.Filesz > ph.Memsz {
			return nil, fmt.Errorf("load %s: segment %d: file size %#x exceeds memory size %#x: %w", name, i, ph.Filesz, ph.Memsz, ErrLayout)
		}
		if ph.Off > uint64(len(data)) || ph.Filesz > uint64(len(data))-ph.Off {
			return nil, fmt.Errorf("load %s: segment %d: bytes [%#x, +%#x) lie beyond the end of the file (%#x bytes): %w", name, i, ph.Off, ph.Filesz, len(data), ErrTruncated)
		}
		if ph.Vaddr+ph.Memsz < ph.Vaddr {
			return nil, fmt.Errorf("load %s: segment %d: [%#x, +%#x) wraps around the address space: %w", name, i, ph.Vaddr, ph.Memsz, ErrLayout)
		}
		if ph.Memsz == 0 {
			continue
		}
		if phoff >= ph.Off && phoff+p.Phent*p.Phnum <= ph.Off+ph.Filesz {
			p.Phdr = ph.Vaddr + phoff - ph.Off
		}
		p.Segments = append(p.Segments, Segment{Vaddr: ph.Vaddr, Memsz: ph.Memsz, Data: data[ph.Off : ph.Off+ph.Filesz], Flags: ph.Flags})
	}
	if len(p.Segments) == 0 {
		return nil, fmt.Errorf("load %s: no loadable segment: %w", name, ErrLayout)
	}
	sort.SliceStable(p.Segments, func(a, b int) bool { return p.Segments[a].Vaddr < p.Segments[b].Vaddr })
	if f.Type == elf.ET_DYN {
		p.PIE = true
		if err := p.rebase(PIEBase); err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
	}
	for i := 1; i < len(p.Segments); i++ {
		a, b := p.Segments[i-1], p.Segments[i]
		if a.Vaddr+a.Memsz > b.Vaddr {
			return nil, fmt.Errorf("load %s: segments at %#x (+%#x) and %#x overlap: %w", name, a.Vaddr, a.Memsz, b.Vaddr, ErrLayout)
		}
	}
	if err := p.findHTIF(f); err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	p.NoABI = p.Kind == KindLinux && !linuxABI(f)
	if p.NoABI {
		if top := ramTop(f); top != 0 || p.semihosting(f) {
			p.NoABI = false
			p.Kind, p.RAMTop = KindSemihost, top
			if err := p.addLoadImages(f, data); err != nil {
				return nil, fmt.Errorf("load %s: %w", name, err)
			}
		}
	}
	if p.Kind != KindLinux {
		// The riscv-tests suite and other bare-metal test programs are
		// linked with PHDRS that give their LOAD segments no flags;
		// Spike and qemu-system load them whatever their flags:
		// so does rvsim. A Linux program gets no such leniency.
		for i := range p.Segments {
			if s := &p.Segments[i]; s.Flags&(elf.PF_R|elf.PF_W|elf.PF_X) == 0 {
				s.Flags |= elf.PF_R | elf.PF_W | elf.PF_X
			}
		}
	}
	if !p.executable(p.Entry) {
		return nil, fmt.Errorf("load %s: entry point %#x is not inside an executable segment: %w", name, p.Entry, ErrLayout)
	}
	if align := p.insnAlign(); p.Entry&(align-1) != 0 {
		return nil, fmt.Errorf("load %s: entry point %#x is not %d-byte aligned: %w", name, p.Entry, align, ErrLayout)
	}
	if p.Interp != "" && p.Kind == KindBare {
		return nil, fmt.Errorf("load %s: a bare-metal program (tohost symbol) names an interpreter, %s: %w", name, p.Interp, ErrLayout)
	}
	return p, nil
}

// insnAlign is the instruction alignment the program needs: 2 bytes when
// it is built with compressed instructions (IALIGN=16), else 4.
func (p *Program) insnAlign() uint64 {
	if p.Flags&efRVC != 0 {
		return 2
	}
	return 4
}

// rebase moves a position-independent program so that its lowest page
// starts at base, adding the same bias to every address.
func (p *Program) rebase(base uint64) error {
	low := p.Segments[0].Vaddr &^ (PageSize - 1)
	if span := p.High() - low; span > -base {
		return fmt.Errorf("segments spanning %#x bytes do not fit above the load base %#x: %w", span, base, ErrLayout)
	}
	bias := base - low // modulo 2^64: a program linked above base moves down
	p.Bias += bias
	for i := range p.Segments {
		p.Segments[i].Vaddr += bias
	}
	p.Entry += bias
	if p.Phdr != 0 { // found in a LOAD segment: never at address 0, where the ELF header is
		p.Phdr += bias
	}
	return nil
}

// interpPath reads the NUL-terminated path of a PT_INTERP segment.
func interpPath(data []byte, ph *elf.Prog) (string, error) {
	if ph.Off > uint64(len(data)) || ph.Filesz > uint64(len(data))-ph.Off {
		return "", fmt.Errorf("bytes [%#x, +%#x) lie beyond the end of the file (%#x bytes): %w", ph.Off, ph.Filesz, len(data), ErrTruncated)
	}
	b := data[ph.Off : ph.Off+ph.Filesz]
	n := bytes.IndexByte(b, 0)
	if n <= 0 || n >= maxPath {
		return "", fmt.Errorf("the interpreter path is not a NUL-terminated string of 1 to %d bytes: %w", maxPath-1, ErrLayout)
	}
	return string(b[:n]), nil
}

func (p *Program) executable(addr uint64) bool {
	for _, s := range p.Segments {
		if s.Flags&elf.PF_X != 0 && addr >= s.Vaddr && addr-s.Vaddr < s.Memsz {
			return true
		}
	}
	return false
}

func (p *Program) inSegment(addr, n uint64) bool {
	for _, s := range p.Segments {
		if addr >= s.Vaddr && addr-s.Vaddr <= s.Memsz && n <= s.Memsz-(addr-s.Vaddr) {
			return true
		}
	}
	return false
}

// findHTIF looks for the tohost and fromhost symbols that make a program
// bare-metal.
func (p *Program) findHTIF(f *elf.File) error {
	syms, err := f.Symbols()
	if err != nil {
		if errors.Is(err, elf.ErrNoSymbols) {
			return nil
		}
		return fmt.Errorf("symbol table: %v: %w", err, ErrTruncated)
	}
	for _, s := range syms {
		switch s.Name {
		case "tohost":
			p.Kind, p.ToHost = KindBare, s.Value
		case "fromhost":
			p.FromHost, p.HasFromHost = s.Value, true
		}
	}
	if p.Kind != KindBare {
		return nil
	}
	if p.ToHost&7 != 0 || !p.inSegment(p.ToHost, 8) {
		return fmt.Errorf("tohost at %#x is not an aligned doubleword inside a loaded segment: %w", p.ToHost, ErrLayout)
	}
	if p.HasFromHost && (p.FromHost&7 != 0 || !p.inSegment(p.FromHost, 8)) {
		return fmt.Errorf("fromhost at %#x is not an aligned doubleword inside a loaded segment: %w", p.FromHost, ErrLayout)
	}
	return nil
}

// ELF e_flags of RISC-V (the RISC-V ELF psABI).
const (
	efRVC      = 0x1 // compressed instructions
	efFloatABI = 0x6 // 0 soft, 2 single, 4 double, 6 quad
	efRVE      = 0x8 // the RV32E/RV64E base
)

// checkFlags refuses an ELF whose e_flags say that it needs what this
// RV64GC hart lacks: the E base or the quad-float ABI (the Q extension).
// Compressed instructions (RVC) and the lp64f and lp64d hard-float ABIs
// are accepted. Such a program would die of an illegal instruction at its
// first Q instruction, or pass arguments in registers the hart does not
// have; the flags say so up front.
func checkFlags(flags uint32) error {
	const rebuild = "rebuild it for RV64GC (-march=rv64gc -mabi=lp64d, or lp64 or lp64f)"
	switch {
	case flags&efRVE != 0:
		return fmt.Errorf("e_flags %#x: built for the RV64E base (16 registers, EF_RISCV_RVE), not RV64I: %s: %w", flags, rebuild, ErrForeign)
	case flags&efFloatABI == efFloatABI:
		return fmt.Errorf("e_flags %#x: built for the lp64q quad-float ABI (EF_RISCV_FLOAT_ABI_QUAD), and this hart has no Q extension: %s: %w", flags, rebuild, ErrForeign)
	}
	return nil
}
