package vmm

// How a semihosting program is recognised and laid out in memory.
//
// A program without a tohost symbol whose code holds the RISC-V
// semihosting sequence (slli x0,x0,0x1f; ebreak; srai x0,x0,7, three
// 32-bit words) is a semihosting program: it runs bare-metal in M-mode and
// its semihosting calls are served by the monitor (semihost.go). A Linux
// program cannot use the sequence (under Linux its ebreak is a SIGTRAP),
// and picolibc's --oslib=semihost library always links it (sys_semihost),
// stripped or not.

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sort"
)

// semihostSeq is the semihosting call sequence as bytes in memory.
var semihostSeq = func() []byte {
	b := make([]byte, 12)
	binary.LittleEndian.PutUint32(b, 0x01f01013)     // slli x0, x0, 0x1f
	binary.LittleEndian.PutUint32(b[4:], 0x00100073) // ebreak
	binary.LittleEndian.PutUint32(b[8:], 0x40705013) // srai x0, x0, 7
	return b
}()

// linuxABI reports whether f says that it is a Linux program whatever
// its code holds: it is position-independent or dynamic (ET_DYN, or a
// PT_INTERP), or it carries the GNU ABI tag note of a Linux C library
// (NT_GNU_ABI_TAG, OS 0 = Linux), as every glibc program does. Such a
// program is never taken for a semihosting one.
func linuxABI(f *elf.File) bool {
	if f.Type == elf.ET_DYN {
		return true
	}
	for _, ph := range f.Progs {
		switch ph.Type {
		case elf.PT_INTERP:
			return true
		case elf.PT_NOTE:
			if gnuLinuxTag(ph.Open()) {
				return true
			}
		}
	}
	return false
}

// gnuLinuxTag reports whether the notes read from r hold a GNU ABI tag
// for Linux: owner "GNU", type 1, and a descriptor whose first word is 0.
func gnuLinuxTag(r io.Reader) bool {
	b, err := io.ReadAll(io.LimitReader(r, 1<<16))
	if err != nil {
		return false
	}
	for len(b) >= 12 {
		nsz, dsz, typ := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])
		nEnd := 12 + (uint64(nsz)+3)&^3
		dEnd := nEnd + (uint64(dsz)+3)&^3
		if dEnd > uint64(len(b)) {
			return false
		}
		if typ == 1 && nsz == 4 && string(b[12:16]) == "GNU\x00" && dsz >= 4 && binary.LittleEndian.Uint32(b[nEnd:]) == 0 {
			return true
		}
		b = b[dEnd:]
	}
	return false
}

// semihosting reports whether p's code holds the semihosting sequence at
// an instruction boundary (an even address): its executable sections
// (SHF_EXECINSTR) when the file has section headers, so that data that
// happens to hold the bytes (a constant in .rodata, which a static
// program's text segment also maps) does not count; else its executable
// segments (or those without any flags, as bare-metal test programs have
// them).
func (p *Program) semihosting(f *elf.File) bool {
	var code [][]byte
	var addrs []uint64
	for _, sec := range f.Sections {
		if sec.Flags&elf.SHF_EXECINSTR != 0 && sec.Type == elf.SHT_PROGBITS {
			d, err := sec.Data()
			if err == nil {
				code, addrs = append(code, d), append(addrs, sec.Addr)
			}
		}
	}
	if len(code) == 0 {
		for _, s := range p.Segments {
			if s.Flags&elf.PF_X == 0 && s.Flags&(elf.PF_R|elf.PF_W) != 0 {
				continue
			}
			code, addrs = append(code, s.Data), append(addrs, s.Vaddr)
		}
	}
	for k, d := range code {
		base := addrs[k]
		for off := 0; ; {
			i := bytes.Index(d[off:], semihostSeq)
			if i < 0 {
				break
			}
			if (base+uint64(off+i))%2 == 0 {
				return true
			}
			off += i + 1
		}
	}
	return false
}

// ramTop returns the value of the __stack symbol, where picolibc's crt0
// puts the stack pointer: the end of its RAM region, which lies past the
// end of the last segment (the heap and stack are not in one). It is 0
// when the program has no such symbol. A program without the Linux ABI
// that has it is a picolibc program even if it makes no semihosting call
// (picolibc's default crt0 loops for ever once main returns): it runs as
// one, in M-mode at its own addresses, rather than as a Linux program
// whose layout does not fit.
func ramTop(f *elf.File) uint64 {
	syms, _ := f.Symbols()
	for _, s := range syms {
		if s.Name == "__stack" {
			return s.Value
		}
	}
	return 0
}

// ramSlack is how far past its last segment the memory of a semihosting
// program reaches when its symbols are stripped (no __stack): picolibc's
// default RAM is 32 KiB, its stack at the top, and reserved memory that
// the guest does not touch costs nothing.
const ramSlack = 16 << 20

// semihostMemSize returns the guest memory size of a semihosting program
// whose memory starts at base, given the size asked for (--mem): at least
// enough to hold every segment and the stack below RAMTop (or ramSlack
// past the last segment when RAMTop is unknown). picolibc's default linker script puts
// code at 0x10000000 (flash, 64 KiB) and data, heap and stack at
// 0x20000000 (ram, 32 KiB, the stack at its top): 256 MiB from the first
// would end just short of the second. Memory is reserved, not allocated:
// the gap costs nothing.
func semihostMemSize(prog *Program, base, size uint64) (uint64, error) {
	top := max(prog.High(), prog.RAMTop)
	if prog.RAMTop == 0 && top < math.MaxUint64-ramSlack {
		// Stripped of its symbols: where RAM ends is unknown.
		top += ramSlack
	}
	need := pageUp(top) - base
	if need <= size || top < base {
		return size, nil
	}
	if err := CheckMemSize(need); err != nil {
		return 0, fmt.Errorf("load %s: its segments and stack span [%#x, %#x): %v: %w", prog.Path, base, top, err, ErrLayout)
	}
	return need, nil
}

// addLoadImages adds to the segments of a semihosting program the load
// images of those whose physical (load) address differs from their
// virtual one: picolibc keeps the initial .data in flash, at its load
// address, and its crt0 copies it to RAM. qemu-system and Spike load a
// bare-metal ELF at the physical addresses; the segment is also loaded at
// its virtual address, which crt0 then overwrites with the same bytes.
func (p *Program) addLoadImages(f *elf.File, data []byte) error {
	added := false
	for i, ph := range f.Progs {
		if ph.Type != elf.PT_LOAD || ph.Paddr == ph.Vaddr || ph.Filesz == 0 {
			continue
		}
		if ph.Paddr+ph.Filesz < ph.Paddr {
			return fmt.Errorf("segment %d: load address [%#x, +%#x) wraps around the address space: %w", i, ph.Paddr, ph.Filesz, ErrLayout)
		}
		// Parse has checked the file range.
		p.Segments = append(p.Segments, Segment{Vaddr: ph.Paddr, Memsz: ph.Filesz, Data: data[ph.Off : ph.Off+ph.Filesz], Flags: elf.PF_R})
		added = true
	}
	if !added {
		return nil
	}
	sort.SliceStable(p.Segments, func(a, b int) bool { return p.Segments[a].Vaddr < p.Segments[b].Vaddr })
	for i := 1; i < len(p.Segments); i++ {
		a, b := p.Segments[i-1], p.Segments[i]
		if a.Vaddr+a.Memsz > b.Vaddr {
			return fmt.Errorf("segments at %#x (+%#x) and %#x overlap (counting load addresses): %w", a.Vaddr, a.Memsz, b.Vaddr, ErrLayout)
		}
	}
	return nil
}
