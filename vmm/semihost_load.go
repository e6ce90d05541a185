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

// semihosting reports whether an executable segment of p (or one without
// any flags, as bare-metal test programs have them) holds the semihosting
// sequence at an instruction boundary (an even address).
func (p *Program) semihosting() bool {
	for _, s := range p.Segments {
		if s.Flags&elf.PF_X == 0 && s.Flags&(elf.PF_R|elf.PF_W) != 0 {
			continue
		}
		d := s.Data
		for off := 0; ; {
			i := bytes.Index(d[off:], semihostSeq)
			if i < 0 {
				break
			}
			if (s.Vaddr+uint64(off+i))%2 == 0 {
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
// when the program has no such symbol.
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
