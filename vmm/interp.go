package vmm

// The program interpreter of a dynamic program (PT_INTERP: glibc's
// ld-linux-riscv64-lp64d.so.1), loaded by the monitor as Linux's ELF
// loader does.

import (
	"bytes"
	"debug/elf"
	"fmt"

	"github.com/rvsim/rvsim/logfmt"
)

// loadInterp loads the program's interpreter at the top of the mmap area,
// just below the stack, where Linux puts it too, and returns its entry
// point and load base (AT_BASE). Its bytes come from the sysroot, and are
// recorded in the trace; a replay takes them from the trace.
func (m *Machine) loadInterp() (entry, base uint64, err error) {
	l := m.linux
	data, err := m.interpData()
	if err != nil {
		return 0, 0, err
	}
	name := m.Prog.Interp
	switch {
	case m.rep != nil:
		name = fmt.Sprintf("the trace's recorded interpreter %s", m.Prog.Interp)
	case l.sysroot != nil:
		name = l.sysroot.dir + m.Prog.Interp
	}
	ip, err := Parse(name, data)
	if err != nil {
		return 0, 0, fmt.Errorf("interpreter: %w", err)
	}
	switch {
	case !ip.PIE:
		return 0, 0, fmt.Errorf("interpreter %s: not position-independent (ET_DYN): %w", name, ErrForeign)
	case ip.Interp != "":
		return 0, 0, fmt.Errorf("interpreter %s names an interpreter itself, %s: %w", name, ip.Interp, ErrForeign)
	case ip.Kind != KindLinux:
		return 0, 0, fmt.Errorf("interpreter %s is a bare-metal program: %w", name, ErrForeign)
	}
	span := pageUp(ip.High()) - ip.Low()
	if span > l.mmapTop || l.mmapTop-span < l.brkStart {
		return 0, 0, fmt.Errorf("interpreter %s (%#x bytes) does not fit between the program's end %#x and the stack at %#x (raise --mem to %s at least): %w",
			name, span, l.brkStart, l.mmapTop, sizeString(memHint(linuxMem(m.Hart.Mem.Base, m.Prog.High(), span))), ErrLayout)
	}
	base = l.mmapTop - span
	if err := ip.rebase(base); err != nil {
		return 0, 0, fmt.Errorf("interpreter %s: %w", name, err)
	}
	for _, s := range ip.Segments {
		dst, _ := m.guestWrite(s.Vaddr, uint64(len(s.Data)))
		copy(dst, s.Data)
	}
	m.insertMap(mapping{lo: base, hi: base + span, file: true})
	return ip.Entry, base, nil
}

// interpData returns the interpreter's file. Read from the sysroot in a
// normal run and when recording (the recording then holds it, as input
// events at instruction 0 whose writes carry the file in pieces: Addr is
// the offset in the file and Value its size); taken from those events in a
// replay, which needs no sysroot.
func (m *Machine) interpData() ([]byte, error) {
	l := m.linux
	if m.rep != nil {
		return m.rep.file(m, "the interpreter "+m.Prog.Interp)
	}
	if l.sysroot == nil {
		return nil, fmt.Errorf("dynamically linked (interpreter %s), and no sysroot: %s does not exist; give the target's sysroot with -L DIR, --sysroot DIR or RVSIM_LD_PREFIX (Debian: apt install gcc-riscv64-linux-gnu gives %s): %w",
			m.Prog.Interp, DefaultSysroot, DefaultSysroot, ErrNoInterpreter)
	}
	data, err := l.sysroot.readInterp(m.Prog.Interp)
	if err != nil {
		return nil, err
	}
	if m.rec != nil {
		for off := 0; off == 0 || off < len(data); off += maxInput {
			piece := data[off:min(len(data), off+maxInput)]
			ev := logfmt.Event{Kind: logfmt.KindInput, PC: m.Hart.PC, Value: uint64(len(data)),
				Writes: []logfmt.MemWrite{{Addr: uint64(off), Data: append([]byte(nil), piece...)}}}
			if err := m.rec.add(m, ev); err != nil {
				return nil, err
			}
		}
	}
	return data, nil
}

// file reassembles a file recorded as input events at instruction 0 (see
// interpData).
func (p *replayer) file(m *Machine, what string) ([]byte, error) {
	var data []byte
	for {
		ev, err := p.peek(m)
		if err != nil || ev == nil || ev.Kind != logfmt.KindInput || ev.Instret != 0 || len(ev.Writes) != 1 {
			return nil, p.missing(m, "start-up input ("+what+")", m.Hart.PC)
		}
		w := ev.Writes[0]
		if ev.Value > MaxInterpSize || w.Addr != uint64(len(data)) || w.Addr > ev.Value || uint64(len(w.Data)) > ev.Value-w.Addr ||
			len(w.Data) == 0 && ev.Value != 0 {
			return nil, fmt.Errorf("%w: the trace's start-up input for %s is not the pieces of one file in order (piece of %d bytes at offset %d of %d, after %d bytes)",
				ErrDivergence, what, len(w.Data), w.Addr, ev.Value, len(data))
		}
		if w.Addr == 0 && !bytes.HasPrefix(w.Data, []byte(elf.ELFMAG)) {
			return nil, fmt.Errorf("%w: the trace's start-up input for %s does not start with the ELF magic", ErrDivergence, what)
		}
		data = append(data, w.Data...) // grown as the pieces come: a damaged Value allocates nothing
		p.take(m)
		if uint64(len(data)) == ev.Value {
			return data, nil
		}
	}
}
