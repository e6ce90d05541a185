package vmm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
)

// Linux system call numbers of riscv64 (asm-generic/unistd.h).
const (
	sysGetcwd        = 17
	sysIoctl         = 29
	sysOpenat        = 56
	sysClose         = 57
	sysLseek         = 62
	sysRead          = 63
	sysWrite         = 64
	sysReadv         = 65
	sysWritev        = 66
	sysFstat         = 80
	sysExit          = 93
	sysExitGroup     = 94
	sysSetTidAddress = 96
	sysSetRobustList = 99
	sysNanosleep     = 101
	sysClockGettime  = 113
	sysSchedYield    = 124
	sysSigaction     = 134
	sysSigprocmask   = 135
	sysUname         = 160
	sysGettimeofday  = 169
	sysGetpid        = 172
	sysGetppid       = 173
	sysGetuid        = 174
	sysGeteuid       = 175
	sysGetgid        = 176
	sysGetegid       = 177
	sysGettid        = 178
	sysBrk           = 214
	sysMunmap        = 215
	sysMmap          = 222
	sysMprotect      = 226
	sysPrlimit64     = 261
	sysGetrandom     = 278
)

// Linux errno values.
const (
	eNOENT       = 2
	eBADF        = 9
	eNOMEM       = 12
	eACCES       = 13
	eFAULT       = 14
	eISDIR       = 21
	eINVAL       = 22
	eNOTTY       = 25
	eSPIPE       = 29
	eNAMETOOLONG = 36
	eNOSYS       = 38
)

// Auxiliary vector tags.
const (
	atNull   = 0
	atPhdr   = 3
	atPhent  = 4
	atPhnum  = 5
	atPagesz = 6
	atBase   = 7
	atFlags  = 8
	atEntry  = 9
	atUID    = 11
	atEUID   = 12
	atGID    = 13
	atEGID   = 14
	atHwcap  = 16
	atClktck = 17
	atSecure = 23
	atRandom = 25
	atExecfn = 31
)

const (
	maxPath   = 4096
	maxIovcnt = 1024
	maxIO     = 0x7ffff000 // Linux caps one write at this many bytes
	// maxInput caps one read or getrandom: a shorter result is legal, and
	// it bounds what one recorded event carries.
	maxInput = 1 << 20
	atFDCWD  = -100
	guestPID = 1
)

// linux is the state of the Linux user-mode personality.
type linux struct {
	brkStart, brk uint64 // program break: [brkStart, brk) is the heap
	mmapLow       uint64 // lowest mapped address; mappings grow down from the stack
	mmapTop       uint64
	maps          []mapping // anonymous mappings, sorted by address
	files         map[int]*guestFile
	nextFD        int
	root          *os.Root // files the guest may read; nil for none
	warned        map[uint64]bool
	warnedOOM     bool
}

// outOfMemory warns, once a run, that the guest asked for more memory than
// --mem leaves it; the guest itself gets ENOMEM as from Linux.
func (m *Machine) outOfMemory(call string, n uint64) {
	if m.linux.warnedOOM {
		return
	}
	m.linux.warnedOOM = true
	m.log.Warn(fmt.Sprintf("%s of %d bytes at pc %#x exceeds guest memory (--mem %d): returning ENOMEM to the guest",
		call, n, m.Hart.PC, m.Hart.Mem.Size()))
}

type mapping struct{ lo, hi uint64 }

type guestFile struct {
	f    *os.File // nil for the standard streams
	r    io.Reader
	w    io.Writer
	name string
}

func (m *Machine) setupLinux() error {
	h := m.Hart
	h.Priv = csr.PrivU
	h.UserTrapsExit = true
	// The monitor, as the kernel, lets user mode read every counter and seed.
	h.CSR.Set(csr.Mcounteren, 7)
	h.CSR.Set(csr.Mseccfg, csr.MseccfgUSEED)

	mem := &h.Mem
	stackSize := min(uint64(8<<20), mem.Size()/8) &^ (PageSize - 1)
	l := &linux{
		brkStart: pageUp(m.Prog.High()),
		mmapTop:  mem.End() - stackSize,
		files:    map[int]*guestFile{},
		nextFD:   3,
		warned:   map[uint64]bool{},
	}
	l.brk, l.mmapLow = l.brkStart, l.mmapTop
	if l.brkStart >= l.mmapTop {
		return fmt.Errorf("program ends at %#x, leaving no room for heap and stack below %#x (raise --mem): %w", l.brkStart, mem.End(), ErrLayout)
	}
	l.files[0] = &guestFile{r: m.cfg.Stdin, name: "stdin"}
	l.files[1] = &guestFile{w: m.cfg.Stdout, name: "stdout"}
	l.files[2] = &guestFile{w: m.cfg.Stderr, name: "stderr"}
	if m.cfg.FSRoot != "" {
		r, err := os.OpenRoot(m.cfg.FSRoot)
		if err != nil {
			return fmt.Errorf("file system root: %w", err)
		}
		l.root = r
	}
	m.linux = l
	sp, err := m.initialStack(mem.End())
	if err != nil {
		return err
	}
	h.X[2] = sp
	return nil
}

// initialStack lays out argc, argv, envp and auxv below top as Linux does
// and returns the stack pointer.
func (m *Machine) initialStack(top uint64) (uint64, error) {
	mem := &m.Hart.Mem
	sp := top
	push := func(b []byte) uint64 {
		sp -= uint64(len(b))
		dst, _ := mem.Slice(sp, uint64(len(b)))
		copy(dst, b)
		return sp
	}
	var random [16]byte
	hostRandom(random[:])
	randAddr := push(random[:])
	if err := m.startInput(randAddr, random[:]); err != nil {
		return 0, err
	}
	execfn := push(append([]byte(m.Prog.Path), 0))
	var argv, envp []uint64
	for _, a := range m.cfg.Args {
		argv = append(argv, push(append([]byte(a), 0)))
	}
	for _, e := range m.cfg.Env {
		envp = append(envp, push(append([]byte(e), 0)))
	}
	if top-sp > 1<<20 {
		return 0, fmt.Errorf("arguments and environment take %d bytes, more than 1 MiB", top-sp)
	}
	hwcap := uint64(1<<('I'-'A') | 1<<('M'-'A'))
	aux := [][2]uint64{
		{atPhdr, m.Prog.Phdr}, {atPhent, m.Prog.Phent}, {atPhnum, m.Prog.Phnum},
		{atPagesz, PageSize}, {atBase, 0}, {atFlags, 0}, {atEntry, m.Prog.Entry},
		{atUID, 0}, {atEUID, 0}, {atGID, 0}, {atEGID, 0}, {atHwcap, hwcap},
		{atClktck, 100}, {atSecure, 0}, {atRandom, randAddr}, {atExecfn, execfn}, {atNull, 0},
	}
	words := []uint64{uint64(len(argv))}
	words = append(append(words, argv...), 0)
	words = append(append(words, envp...), 0)
	for _, a := range aux {
		words = append(words, a[0], a[1])
	}
	sp = (sp - uint64(8*len(words))) &^ 15
	for i, w := range words {
		dst, _ := mem.Slice(sp+uint64(8*i), 8)
		binary.LittleEndian.PutUint64(dst, w)
	}
	return sp, nil
}

// startInput records, or replays, the bytes the monitor writes into guest
// memory before the first instruction (the AT_RANDOM bytes).
func (m *Machine) startInput(addr uint64, data []byte) error {
	switch {
	case m.rec != nil:
		ev := logfmt.Event{Kind: logfmt.KindInput, PC: m.Hart.PC, Writes: []logfmt.MemWrite{{Addr: addr, Data: append([]byte(nil), data...)}}}
		return m.rec.add(m, ev)
	case m.rep != nil:
		return m.rep.input(m)
	}
	return nil
}

func pageUp(a uint64) uint64 { return (a + PageSize - 1) &^ (PageSize - 1) }

// errno encodes a Linux error as a system call return value.
func errno(e int) uint64 { return uint64(-int64(e)) }

// recordedSyscalls are the system calls whose results come from the host:
// record mode writes their results and the guest memory they fill into
// the trace, and replay answers them from it without running them.
var recordedSyscalls = map[uint64]bool{
	sysRead: true, sysReadv: true, sysOpenat: true, sysLseek: true, sysFstat: true,
	sysClockGettime: true, sysGettimeofday: true, sysGetrandom: true,
}

// syscall handles the ecall at the hart's pc and resumes after it.
func (m *Machine) syscall() error {
	h := m.Hart
	x := &h.X
	nr, a0, a1, a2, a3, a4 := x[17], x[10], x[11], x[12], x[13], x[14]
	l := m.linux
	recorded := recordedSyscalls[nr]
	if m.rep != nil && recorded {
		r, err := m.rep.syscall(m, nr)
		if err != nil {
			return err
		}
		if nr == sysOpenat && int64(r) >= 0 && int64(r) < 1<<20 {
			// The file is not opened again: the trace answers its reads.
			l.files[int(r)] = &guestFile{name: "(replayed)"}
		}
		x[10] = r
		h.PC += 4
		return nil
	}
	if m.rec != nil && recorded {
		m.rec.capture, m.rec.captured = true, nil
	}
	var r uint64
	switch nr {
	case sysRead:
		r = m.sysRead(int64(a0), a1, a2)
	case sysWrite:
		r = m.sysWrite(int64(a0), a1, a2)
	case sysReadv, sysWritev:
		r = m.sysVector(nr == sysWritev, int64(a0), a1, a2)
	case sysOpenat:
		r = m.sysOpenat(int64(a0), a1, a2)
	case sysClose:
		r = m.sysClose(int64(a0))
	case sysLseek:
		r = m.sysLseek(int64(a0), int64(a1), int(a2))
	case sysFstat:
		r = m.sysFstat(int64(a0), a1)
	case sysIoctl:
		if _, ok := l.files[int(int32(a0))]; !ok {
			r = errno(eBADF)
		} else {
			r = errno(eNOTTY)
		}
	case sysExit, sysExitGroup:
		m.exit(int(a0 & 0xff))
	case sysBrk:
		r = m.sysBrk(a0)
	case sysMmap:
		r = m.sysMmap(a0, a1, a2, a3, int64(a4))
	case sysMunmap:
		r = m.sysMunmap(a0, a1)
	case sysMprotect:
		r = 0
	case sysClockGettime:
		r = m.sysClockGettime(int64(a0), a1)
	case sysGettimeofday:
		r = m.sysGettimeofday(a0, a1)
	case sysGetrandom:
		r = m.sysGetrandom(a0, a1)
	case sysUname:
		r = m.sysUname(a0)
	case sysGetcwd:
		r = m.sysGetcwd(a0, a1)
	case sysSetTidAddress, sysGetpid, sysGettid:
		r = guestPID
	case sysGetppid, sysGetuid, sysGeteuid, sysGetgid, sysGetegid, sysSetRobustList,
		sysSigaction, sysSigprocmask, sysSchedYield, sysNanosleep, sysPrlimit64:
		r = 0
	default:
		if !l.warned[nr] {
			l.warned[nr] = true
			m.log.Warn("unsupported system call, returning -ENOSYS", zap.Uint64("nr", nr), zap.String("pc", fmt.Sprintf("%#x", h.PC)))
		}
		r = errno(eNOSYS)
	}
	if m.rec != nil && recorded {
		m.rec.capture = false
		ev := logfmt.Event{Kind: logfmt.KindSyscall, Instret: h.Instret(), PC: h.PC, Value: r, Nr: nr, Writes: m.rec.captured}
		m.rec.captured = nil
		if err := m.rec.add(m, ev); err != nil {
			return err
		}
	}
	x[10] = r
	h.PC += 4
	return nil
}

// guest returns guest memory [addr, addr+n) for the monitor to read, or
// false if any of it is outside.
func (m *Machine) guest(addr, n uint64) ([]byte, bool) { return m.Hart.Mem.Slice(addr, n) }

// guestWrite returns guest memory [addr, addr+n) for the monitor to write:
// the hart forgets any instructions it decoded there.
func (m *Machine) guestWrite(addr, n uint64) ([]byte, bool) {
	b, ok := m.Hart.Mem.Slice(addr, n)
	if ok {
		m.Hart.Invalidate(addr, n)
	}
	return b, ok
}

func (m *Machine) file(fd int64) *guestFile {
	if fd < 0 || fd > 1<<20 {
		return nil
	}
	return m.linux.files[int(fd)]
}

func (m *Machine) sysRead(fd int64, buf, n uint64) uint64 {
	f := m.file(fd)
	if f == nil || f.r == nil {
		return errno(eBADF)
	}
	n = min(n, maxInput)
	b, ok := m.guestWrite(buf, n)
	if !ok {
		return errno(eFAULT)
	}
	got, err := readSome(f.r, b)
	if got == 0 && err != nil && !errors.Is(err, io.EOF) {
		return errno(ioErrno(err))
	}
	m.noteWrite(buf, uint64(got))
	return uint64(got)
}

// readSome reads what is available, as read(2) does, without waiting to
// fill b.
func readSome(r io.Reader, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		n, err := r.Read(b)
		if n > 0 || err != nil {
			return n, err
		}
	}
}

func ioErrno(err error) int {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return eNOENT
	case errors.Is(err, fs.ErrPermission):
		return eACCES
	case strings.Contains(err.Error(), "is a directory"):
		return eISDIR
	case strings.Contains(err.Error(), "escapes"):
		return eACCES // a path or link that leads outside --fs
	}
	return eINVAL
}

func (m *Machine) sysWrite(fd int64, buf, n uint64) uint64 {
	f := m.file(fd)
	if f == nil || f.w == nil {
		return errno(eBADF)
	}
	n = min(n, maxIO)
	b, ok := m.guest(buf, n)
	if !ok {
		return errno(eFAULT)
	}
	w, err := f.w.Write(b)
	if err != nil && w == 0 {
		return errno(eINVAL)
	}
	return uint64(w)
}

// sysVector is readv and writev.
func (m *Machine) sysVector(write bool, fd int64, iov, cnt uint64) uint64 {
	if cnt > maxIovcnt {
		return errno(eINVAL)
	}
	vec, ok := m.guest(iov, 16*cnt)
	if !ok {
		return errno(eFAULT)
	}
	var total uint64
	for i := uint64(0); i < cnt; i++ {
		base := binary.LittleEndian.Uint64(vec[16*i:])
		n := binary.LittleEndian.Uint64(vec[16*i+8:])
		if n == 0 {
			continue
		}
		var r uint64
		if write {
			r = m.sysWrite(fd, base, n)
		} else {
			r = m.sysRead(fd, base, n)
		}
		if int64(r) < 0 {
			if total > 0 {
				return total
			}
			return r
		}
		total += r
		if r < n {
			break
		}
	}
	return total
}

// cString reads a NUL-terminated string from guest memory.
func (m *Machine) cString(addr uint64) (string, uint64) {
	var sb strings.Builder
	for i := uint64(0); i < maxPath; i++ {
		b, ok := m.guest(addr+i, 1)
		if !ok {
			return "", errno(eFAULT)
		}
		if b[0] == 0 {
			return sb.String(), 0
		}
		sb.WriteByte(b[0])
	}
	return "", errno(eNAMETOOLONG)
}

func (m *Machine) sysOpenat(dirfd int64, pathAddr, flags uint64) uint64 {
	p, e := m.cString(pathAddr)
	if e != 0 {
		return e
	}
	l := m.linux
	if p == "" {
		return errno(eNOENT)
	}
	if !strings.HasPrefix(p, "/") && int32(dirfd) != atFDCWD {
		return errno(eBADF) // directory descriptors are not supported
	}
	if l.root == nil {
		return errno(eNOENT) // no directory was granted: the guest sees no files
	}
	const accMode, oCreat, oTrunc = 3, 0o100, 0o1000
	if flags&accMode != 0 || flags&(oCreat|oTrunc) != 0 {
		return errno(eACCES) // read-only access
	}
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		rel = "."
	}
	f, err := l.root.Open(rel)
	if err != nil {
		return errno(ioErrno(err))
	}
	fd := l.nextFD
	for l.files[fd] != nil {
		fd++
	}
	l.files[fd] = &guestFile{f: f, r: f, name: p}
	return uint64(fd)
}

func (m *Machine) sysClose(fd int64) uint64 {
	f := m.file(fd)
	if f == nil {
		return errno(eBADF)
	}
	if f.f != nil {
		f.f.Close()
	}
	delete(m.linux.files, int(fd))
	return 0
}

func (m *Machine) sysLseek(fd, off int64, whence int) uint64 {
	f := m.file(fd)
	if f == nil {
		return errno(eBADF)
	}
	if f.f == nil {
		return errno(eSPIPE)
	}
	if whence > 2 {
		return errno(eINVAL)
	}
	n, err := f.f.Seek(off, whence)
	if err != nil {
		return errno(eINVAL)
	}
	return uint64(n)
}

// sysFstat writes a struct stat of riscv64 Linux (asm-generic, 128 bytes).
func (m *Machine) sysFstat(fd int64, buf uint64) uint64 {
	f := m.file(fd)
	if f == nil {
		return errno(eBADF)
	}
	b, ok := m.guestWrite(buf, 128)
	if !ok {
		return errno(eFAULT)
	}
	var st [128]byte
	put32 := func(off int, v uint32) { binary.LittleEndian.PutUint32(st[off:], v) }
	put64 := func(off int, v uint64) { binary.LittleEndian.PutUint64(st[off:], v) }
	const sIFCHR, sIFREG, sIFDIR = 0o020000, 0o100000, 0o040000
	put32(20, 1)           // st_nlink
	put32(56, PageSize)    // st_blksize
	put64(8, uint64(fd)+1) // st_ino
	if f.f == nil {
		put32(16, sIFCHR|0o620)
	} else {
		fi, err := f.f.Stat()
		if err != nil {
			return errno(ioErrno(err))
		}
		mode := uint32(fi.Mode().Perm())
		if fi.IsDir() {
			mode |= sIFDIR
		} else {
			mode |= sIFREG
		}
		put32(16, mode)
		put64(48, uint64(fi.Size()))
		put64(64, uint64(fi.Size()+511)/512)
		mt := fi.ModTime()
		for _, off := range []int{72, 88, 104} { // atime, mtime, ctime
			put64(off, uint64(mt.Unix()))
			put64(off+8, uint64(mt.Nanosecond()))
		}
	}
	copy(b, st[:])
	m.noteWrite(buf, 128)
	return 0
}

func (m *Machine) sysBrk(addr uint64) uint64 {
	l := m.linux
	if addr < l.brkStart || addr > l.mmapLow {
		if addr > l.mmapLow {
			m.outOfMemory("brk", addr-l.brk)
		}
		return l.brk // Linux returns the unchanged break on failure
	}
	if addr < l.brk {
		// Memory given back reads as zero when the heap grows again.
		b, _ := m.guestWrite(addr, l.brk-addr)
		clear(b)
	}
	l.brk = addr
	return l.brk
}

func (m *Machine) sysMmap(addr, length, prot, flags uint64, fd int64) uint64 {
	const mapPrivate, mapFixed, mapAnonymous = 0x02, 0x10, 0x20
	if length == 0 || flags&mapAnonymous == 0 || flags&mapFixed != 0 || flags&mapPrivate == 0 {
		return errno(eINVAL) // only private anonymous mappings at an address of the monitor's choice
	}
	l := m.linux
	n := pageUp(length)
	if n < length {
		return errno(eNOMEM)
	}
	// First fit in a hole between mappings, else below the lowest one.
	lo := l.mmapTop
	for i := len(l.maps) - 1; i >= 0; i-- {
		if lo-l.maps[i].hi >= n {
			break
		}
		lo = l.maps[i].lo
	}
	if lo < n || lo-n < pageUp(l.brk) {
		m.outOfMemory("mmap", n)
		return errno(eNOMEM)
	}
	start := lo - n
	m.insertMap(mapping{start, start + n})
	return start
}

func (m *Machine) insertMap(mp mapping) {
	l := m.linux
	i := 0
	for i < len(l.maps) && l.maps[i].lo < mp.lo {
		i++
	}
	l.maps = append(l.maps, mapping{})
	copy(l.maps[i+1:], l.maps[i:])
	l.maps[i] = mp
	l.mmapLow = min(l.mmapLow, mp.lo)
}

func (m *Machine) sysMunmap(addr, length uint64) uint64 {
	l := m.linux
	if addr%PageSize != 0 || length == 0 {
		return errno(eINVAL)
	}
	hi := addr + pageUp(length)
	if hi < addr {
		return errno(eINVAL)
	}
	var kept []mapping
	for _, mp := range l.maps {
		if mp.hi <= addr || mp.lo >= hi {
			kept = append(kept, mp)
			continue
		}
		lo, up := max(mp.lo, addr), min(mp.hi, hi)
		b, _ := m.guestWrite(lo, up-lo)
		clear(b) // a later mapping of this memory reads zero
		if mp.lo < lo {
			kept = append(kept, mapping{mp.lo, lo})
		}
		if up < mp.hi {
			kept = append(kept, mapping{up, mp.hi})
		}
	}
	l.maps = kept
	l.mmapLow = l.mmapTop
	if len(kept) > 0 {
		l.mmapLow = kept[0].lo
	}
	return 0
}

// Clocks of clock_gettime.
const (
	clockRealtime       = 0
	clockMonotonic      = 1
	clockProcessCPU     = 2
	clockThreadCPU      = 3
	clockMonotonicRaw   = 4
	clockRealtimeCoarse = 5
	clockMonoCoarse     = 6
	clockBoottime       = 7
)

var processStart = time.Now()

func (m *Machine) sysClockGettime(clk int64, tp uint64) uint64 {
	var t time.Duration
	switch clk {
	case clockRealtime, clockRealtimeCoarse:
		t = time.Duration(time.Now().UnixNano())
	case clockMonotonic, clockMonotonicRaw, clockMonoCoarse, clockBoottime, clockProcessCPU, clockThreadCPU:
		t = time.Since(processStart)
	default:
		return errno(eINVAL)
	}
	b, ok := m.guestWrite(tp, 16)
	if !ok {
		return errno(eFAULT)
	}
	binary.LittleEndian.PutUint64(b, uint64(t/time.Second))
	binary.LittleEndian.PutUint64(b[8:], uint64(t%time.Second))
	m.noteWrite(tp, 16)
	return 0
}

func (m *Machine) sysGettimeofday(tv, tz uint64) uint64 {
	if tv != 0 {
		b, ok := m.guestWrite(tv, 16)
		if !ok {
			return errno(eFAULT)
		}
		now := time.Now()
		binary.LittleEndian.PutUint64(b, uint64(now.Unix()))
		binary.LittleEndian.PutUint64(b[8:], uint64(now.Nanosecond()/1000))
		m.noteWrite(tv, 16)
	}
	if tz != 0 {
		b, ok := m.guestWrite(tz, 8)
		if !ok {
			return errno(eFAULT)
		}
		clear(b)
		m.noteWrite(tz, 8)
	}
	return 0
}

func (m *Machine) sysGetrandom(buf, n uint64) uint64 {
	n = min(n, maxInput)
	b, ok := m.guestWrite(buf, n)
	if !ok {
		return errno(eFAULT)
	}
	hostRandom(b)
	m.noteWrite(buf, n)
	return n
}

func (m *Machine) sysUname(buf uint64) uint64 {
	b, ok := m.guestWrite(buf, 6*65)
	if !ok {
		return errno(eFAULT)
	}
	clear(b)
	for i, s := range []string{"Linux", "rvsim", "6.1.0", "#1 rvsim", "riscv64", "(none)"} {
		copy(b[65*i:], s)
	}
	return 0
}

func (m *Machine) sysGetcwd(buf, size uint64) uint64 {
	if size < 2 {
		return errno(eINVAL)
	}
	b, ok := m.guestWrite(buf, 2)
	if !ok {
		return errno(eFAULT)
	}
	copy(b, "/\x00")
	return buf
}
