package vmm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"unsafe"

	"github.com/rvsim/rvsim/logfmt"
)

// Fuzzing geometry: a small guest memory keeps each run cheap, and a
// window of it holds the fuzzer's bytes for the arguments that point there.
const (
	fuzzMem    = 256 << 10
	fuzzWindow = 64 << 10
)

// Argument modes of FuzzSyscall, bits of its mode byte.
const (
	fuzzPtrArgs  = 0x3f // bit i: argument i points into the window
	fuzzSmallNr  = 0x40 // the number is taken modulo 300, where Linux's are
	fuzzRecorded = 0x80 // the machine records (to nowhere)
)

// Guest memory before the call, and as replay would make it, kept from
// one run to the next: fuzzing runs one input at a time.
var snapshot, replaySnapshot []byte

// knownErrnos are the errors the monitor may return to the guest.
var knownErrnos = map[int]bool{
	ePERM: true, eNOENT: true, eSRCH: true, eNXIO: true, eBADF: true, eNOMEM: true,
	eACCES: true, eFAULT: true, eNODEV: true, eNOTDIR: true, eISDIR: true, eINVAL: true,
	eNFILE: true, eMFILE: true, eNOTTY: true, eSPIPE: true, eRANGE: true,
	eNAMETOOLONG: true, eNOSYS: true, eLOOP: true, eEXIST: true, eOPNOTSUPP: true, 7: true, // E2BIG
	eAGAIN: true, eTIMEDOUT: true, // futex
}

// FuzzSyscall runs one Linux system call with a fuzzed number and fuzzed
// arguments on a fresh machine with no --fs root, standard input from the
// fuzzer's bytes, and checks what the monitor must keep whatever the guest
// asks: no panic; the result is a value or a known -errno; the pc moves
// past the ecall and no register but a0 changes; guest memory keeps its
// size and place, and changes only where an argument points; the heap,
// the mappings and the stack keep their order; no file is opened and none
// appears in the working directory; in record mode the recorded event
// holds the call's number, result and exactly the guest memory it wrote.
func FuzzSyscall(f *testing.F) {
	prog, err := Parse(helloELF, readELF(f, helloELF))
	if err != nil {
		f.Fatal(err)
	}
	cwd := f.TempDir() // a file the monitor created by mistake would land here
	f.Add(uint64(sysWrite), uint64(1), uint64(0), uint64(5), uint64(0), uint64(0), uint64(0), uint8(0x02), []byte("hello"))
	f.Fuzz(func(t *testing.T, nr, a0, a1, a2, a3, a4, a5 uint64, mode uint8, data []byte) {
		t.Chdir(cwd)
		var stdout, stderr bytes.Buffer
		cfg := Config{MemSize: fuzzMem, Stdin: bytes.NewReader(data), Stdout: &stdout, Stderr: &stderr}
		if mode&fuzzRecorded != 0 {
			cfg.Record = io.Discard
		}
		m, err := New(prog, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if m.rec != nil {
			defer m.rec.stop()
		}
		h, l := m.Hart, m.linux
		// The window: in the free memory between the heap and the stack.
		win := l.brkStart + 16*PageSize
		dst, ok := m.guestWrite(win, fuzzWindow)
		if !ok {
			t.Fatalf("window at %#x outside memory", win)
		}
		copy(dst, data)
		args := []uint64{a0, a1, a2, a3, a4, a5}
		for i := range args {
			if mode&(1<<i) != 0 {
				args[i] = win + args[i]%fuzzWindow
			}
		}
		if mode&fuzzSmallNr != 0 {
			nr %= 300
		}
		copy(h.X[10:16], args)
		h.X[17] = nr
		regs, pc := h.X, h.PC
		mem := append(snapshot[:0], h.Mem.Data...)
		snapshot = mem
		base, data0 := h.Mem.Base, unsafe.SliceData(h.Mem.Data)

		if err := m.syscall(); err != nil {
			if errors.Is(err, ErrUnsupported) {
				switch nr {
				case sysClone, sysClone3, sysExecve, sysExecveat, sysKill, sysTkill, sysTgkill, sysFutex:
					return // the run stops there, with that error
				}
			}
			t.Fatalf("system call %d: %v", nr, err)
		}

		r := h.X[10]
		if int64(r) < 0 && int64(r) >= -4095 && !knownErrnos[int(-int64(r))] {
			t.Errorf("system call %d returned an unknown errno %d", nr, -int64(r))
		}
		if h.PC != pc+4 {
			t.Errorf("pc %#x after the system call at %#x", h.PC, pc)
		}
		regs[10] = r
		if h.X != regs {
			t.Errorf("registers other than a0 changed: %x, were %x", h.X, regs)
		}
		if h.Mem.Base != base || h.Mem.Size() != fuzzMem || unsafe.SliceData(h.Mem.Data) != data0 {
			t.Fatalf("guest memory moved or changed size: base %#x size %d", h.Mem.Base, h.Mem.Size())
		}
		// Memory may change only where the call writes its results.
		reach := outputs(nr, args, mem, base)
		if nr == sysMremap {
			reach = append(reach, [2]uint64{r, pageUp(args[2])}) // where the bytes moved
		}
		for off := uint64(0); off < fuzzMem; off++ {
			if off%PageSize == 0 && bytes.Equal(h.Mem.Data[off:off+PageSize], mem[off:off+PageSize]) {
				off += PageSize - 1
				continue
			}
			if h.Mem.Data[off] == mem[off] {
				continue
			}
			a := base + off
			if !slices.ContainsFunc(reach, func(r [2]uint64) bool { return a-r[0] < r[1] }) {
				t.Fatalf("system call %d (%#x) changed guest memory at %#x, outside its results %#x", nr, args, a, reach)
			}
		}
		if !(l.brkStart <= l.brk && l.brk <= l.mmapLow && l.mmapLow <= l.mmapTop && l.mmapTop < h.Mem.End()) {
			t.Errorf("layout broken: brk [%#x, %#x), mappings from %#x to %#x, memory end %#x", l.brkStart, l.brk, l.mmapLow, l.mmapTop, h.Mem.End())
		}
		lo := pageUp(l.brk)
		for _, mp := range l.maps {
			if mp.lo < lo || mp.hi <= mp.lo || mp.hi > l.mmapTop || mp.lo%PageSize != 0 || mp.hi%PageSize != 0 {
				t.Errorf("mapping [%#x, %#x) out of order or place (heap ends %#x, stack at %#x)", mp.lo, mp.hi, l.brk, l.mmapTop)
			}
			lo = mp.hi
		}
		for fd, gf := range l.files {
			if gf.f != nil || fd > 2 && gf.name != "stdin" && gf.name != "stdout" && gf.name != "stderr" { // dup shares the streams
				t.Errorf("descriptor %d (%s) is open with no --fs root", fd, gf.name)
			}
		}
		if ents, err := os.ReadDir(cwd); err != nil || len(ents) != 0 {
			t.Fatalf("the working directory holds %d entries (%v) after system call %d", len(ents), err, nr)
		}
		if m.rec != nil && recorded(nr, args[3]) {
			checkRecorded(t, m, nr, r, mem, base)
		}
	})
}

// outputs returns the guest memory system call nr may write, as [start,
// length) pairs: the buffers Linux fills. mem is guest memory before the
// call (at base), for the vectors of readv.
func outputs(nr uint64, a []uint64, mem []byte, base uint64) [][2]uint64 {
	switch nr {
	case sysRead:
		return [][2]uint64{{a[1], min(a[2], maxInput)}}
	case sysGetrandom:
		return [][2]uint64{{a[0], min(a[1], maxInput)}}
	case sysReadv:
		var out [][2]uint64
		for i := uint64(0); i < min(a[2], maxIovcnt); i++ {
			off := a[1] + 16*i - base
			if off >= uint64(len(mem)) || uint64(len(mem))-off < 16 {
				break
			}
			out = append(out, [2]uint64{binary.LittleEndian.Uint64(mem[off:]), min(binary.LittleEndian.Uint64(mem[off+8:]), maxInput)})
		}
		return out
	case sysFstat:
		return [][2]uint64{{a[1], 128}}
	case sysNewfstatat:
		return [][2]uint64{{a[2], 128}}
	case sysIoctl:
		return [][2]uint64{{a[2], termiosLen}}
	case sysReadlinkat:
		return [][2]uint64{{a[2], uint64(uint32(a[3]))}}
	case sysPread64:
		return [][2]uint64{{a[1], min(a[2], maxInput)}}
	case sysMmap:
		if a[3]&(mapFixed|mapFixedNoreplace) != 0 {
			return [][2]uint64{{a[0], pageUp(a[1])}} // cleared, as what it replaces
		}
	case sysMremap:
		return [][2]uint64{{a[0], pageUp(a[1])}} // cleared when moved or shrunk
	case sysMadvise:
		return [][2]uint64{{a[0], pageUp(a[1])}} // MADV_DONTNEED clears
	case sysClockGettime:
		return [][2]uint64{{a[1], 16}}
	case sysGettimeofday:
		return [][2]uint64{{a[0], 16}, {a[1], 8}}
	case sysUname:
		return [][2]uint64{{a[0], 6 * 65}}
	case sysSysinfo:
		return [][2]uint64{{a[0], 112}}
	case sysGetcwd:
		return [][2]uint64{{a[0], 2}}
	case sysClockGetres:
		return [][2]uint64{{a[1], 16}}
	case sysTimes:
		return [][2]uint64{{a[0], 32}}
	case sysGetrusage:
		return [][2]uint64{{a[1], rusageSize}}
	case sysSigpending:
		return [][2]uint64{{a[0], min(a[1], sigsetSize)}}
	case sysSigaction:
		return [][2]uint64{{a[2], sigactionSize}}
	case sysSigprocmask:
		return [][2]uint64{{a[2], sigsetSize}}
	case sysPrlimit64:
		return [][2]uint64{{a[3], 16}}
	}
	return nil // brk, mmap and munmap clear nothing on a fresh machine
}

// checkRecorded checks the event a recorded system call left: its number
// and result, and guest memory writes that, applied in order to memory as
// it was before the call (mem, at base), give memory as it is: what replay
// does instead of the call.
func checkRecorded(t *testing.T, m *Machine, nr, r uint64, mem []byte, base uint64) {
	t.Helper()
	p := m.rec.cur.evs
	if len(p) == 0 {
		return // a megabyte of data went out as a segment of its own
	}
	ev := p[len(p)-1]
	if ev.Kind != logfmt.KindSyscall || ev.Nr != nr || ev.Value != r {
		t.Fatalf("recorded %v nr %d value %#x, want system call %d value %#x", ev.Kind, ev.Nr, ev.Value, nr, r)
	}
	replayed := append(replaySnapshot[:0], mem...)
	replaySnapshot = replayed
	for _, w := range ev.Writes {
		off := w.Addr - base
		if w.Addr < base || off > uint64(len(replayed)) || uint64(len(w.Data)) > uint64(len(replayed))-off {
			t.Fatalf("recorded write of %d bytes at %#x is outside guest memory", len(w.Data), w.Addr)
		}
		copy(replayed[off:], w.Data)
	}
	if !bytes.Equal(replayed, m.Hart.Mem.Data) {
		t.Fatalf("system call %d: its recorded writes do not reproduce guest memory", nr)
	}
}
