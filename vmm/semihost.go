package vmm

// RISC-V semihosting (the ARM semihosting operations, called with a0 the
// operation and a1 its parameter, a pointer to a block of 64-bit words on
// RV64), served as qemu-system's -semihosting serves them: the same return
// values and errno, and the semihosting-features file that tells picolibc
// that SYS_EXIT_EXTENDED and ":tt" in mode "a" for stderr exist. Files
// follow the rules of the Linux personality: only below --fs, read-only.
//
// Record and replay: the results that come from the host (opened files,
// reads, seeks and lengths, the clocks, errno, remove and rename) are
// trace events of kind syscall whose number is the operation (the trace
// header's kind, "semihost", says which numbers these are); replay answers
// them from the trace. Writes are output again, as for Linux programs.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
)

// Semihosting operation numbers.
const (
	semiOpen         = 0x01
	semiClose        = 0x02
	semiWriteC       = 0x03
	semiWrite0       = 0x04
	semiWrite        = 0x05
	semiRead         = 0x06
	semiReadC        = 0x07
	semiIsError      = 0x08
	semiIsTTY        = 0x09
	semiSeek         = 0x0a
	semiFlen         = 0x0c
	semiTmpnam       = 0x0d
	semiRemove       = 0x0e
	semiRename       = 0x0f
	semiClock        = 0x10
	semiTime         = 0x11
	semiSystem       = 0x12
	semiErrno        = 0x13
	semiGetCmdline   = 0x15
	semiHeapInfo     = 0x16
	semiExit         = 0x18
	semiExitExtended = 0x20
	semiElapsed      = 0x30
	semiTickFreq     = 0x31
)

// semiNames names the operations for inspect and messages.
var semiNames = map[uint64]string{
	semiOpen: "SYS_OPEN", semiClose: "SYS_CLOSE", semiWriteC: "SYS_WRITEC", semiWrite0: "SYS_WRITE0",
	semiWrite: "SYS_WRITE", semiRead: "SYS_READ", semiReadC: "SYS_READC", semiIsError: "SYS_ISERROR",
	semiIsTTY: "SYS_ISTTY", semiSeek: "SYS_SEEK", semiFlen: "SYS_FLEN", semiTmpnam: "SYS_TMPNAM",
	semiRemove: "SYS_REMOVE", semiRename: "SYS_RENAME", semiClock: "SYS_CLOCK", semiTime: "SYS_TIME",
	semiSystem: "SYS_SYSTEM", semiErrno: "SYS_ERRNO", semiGetCmdline: "SYS_GET_CMDLINE",
	semiHeapInfo: "SYS_HEAPINFO", semiExit: "SYS_EXIT", semiExitExtended: "SYS_EXIT_EXTENDED",
	semiElapsed: "SYS_ELAPSED", semiTickFreq: "SYS_TICKFREQ",
}

// SemihostName returns the name of semihosting operation op ("SYS_WRITE0"),
// or "semihost_N" for a number that is none.
func SemihostName(op uint64) string {
	if n, ok := semiNames[op]; ok {
		return n
	}
	return fmt.Sprintf("semihost_%#x", op)
}

// CallName names call nr of a trace event of kind syscall, by the trace
// header's kind: a semihosting operation in a "semihost" trace, a Linux
// system call in any other.
func CallName(kind string, nr uint64) string {
	if kind == KindSemihost.String() {
		return SemihostName(nr)
	}
	return SyscallName(nr)
}

const (
	// adpApplicationExit is the SYS_EXIT reason of a normal exit; with
	// it, the subcode is the exit status. Any other reason exits with
	// status 1, as under qemu.
	adpApplicationExit = 0x20026
	// semiTicks is SYS_TICKFREQ: SYS_ELAPSED counts nanoseconds.
	semiTicks = 1_000_000_000
	// semiConsole and semiFeatures are the special file names of
	// SYS_OPEN.
	semiConsole  = ":tt"
	semiFeatures = ":semihosting-features"
	e2BIG        = 7
)

// semiFeatureData is the content of ":semihosting-features": the magic
// "SHFB" and one byte of features: SH_EXT_EXIT_EXTENDED (bit 0) and
// SH_EXT_STDOUT_STDERR (bit 1).
var semiFeatureData = []byte{'S', 'H', 'F', 'B', 0x03}

// semihost is the state of the semihosting personality.
type semihost struct {
	files      map[uint64]*semiFile // open handles, from 1 up
	stdio      [3]*guestFile        // the console: stdin, stdout, stderr
	errno      uint64               // the last error (SYS_ERRNO)
	root       *os.Root             // files the guest may read; nil for none
	start      time.Time            // SYS_CLOCK and SYS_ELAPSED count from here
	warnedNoFS bool
	killedBy   int // sigPIPE once a console write met a pipe with no reader
}

// semiFile is an open handle.
type semiFile struct {
	g        *guestFile // the console stream or host file; nil for the features file and replayed files
	features bool       // ":semihosting-features"
	pos      int64      // read position in the features file
}

func (m *Machine) setupSemihost() error {
	h := m.Hart
	h.Semihosting = true
	s := &semihost{files: map[uint64]*semiFile{}, start: time.Now()}
	s.stdio = [3]*guestFile{
		{r: m.cfg.Stdin, name: "stdin"},
		{w: m.cfg.Stdout, name: "stdout"},
		{w: m.cfg.Stderr, name: "stderr"},
	}
	if m.cfg.FSRoot != "" {
		r, err := os.OpenRoot(m.cfg.FSRoot)
		if err != nil {
			return fmt.Errorf("file system root: %w", err)
		}
		s.root = r
	}
	m.semi = s
	return nil
}

// closeSemihost releases the host files of a semihosting program.
func (m *Machine) closeSemihost() {
	s := m.semi
	if s == nil {
		return
	}
	for _, f := range s.files {
		if f.g != nil && f.g.f != nil {
			f.g.f.Close()
		}
	}
	if s.root != nil {
		s.root.Close()
		s.root = nil
	}
}

// semiArgs reads the first n words of the parameter block at addr.
func (m *Machine) semiArgs(addr uint64, n int) ([]uint64, bool) {
	b, ok := m.Hart.Mem.Slice(addr, uint64(8*n))
	if !ok {
		return nil, false
	}
	a := make([]uint64, n)
	for i := range a {
		a[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return a, true
}

// semiRecorded reports whether operation op with parameter arg takes its
// result from the host: record writes it to the trace, replay answers it
// from there. Opening the console or the features file does not.
func (m *Machine) semiRecorded(op, arg uint64) bool {
	switch op {
	case semiRead, semiReadC, semiIsTTY, semiSeek, semiFlen, semiClock, semiTime, semiElapsed, semiErrno, semiRemove, semiRename:
		return true
	case semiOpen:
		a, ok := m.semiArgs(arg, 1)
		if !ok {
			return false
		}
		p, e := m.cString(a[0])
		return e != 0 || p != semiConsole && p != semiFeatures
	}
	return false
}

// semihostCall serves the semihosting call at the hart's pc (the ebreak)
// and resumes after it.
func (m *Machine) semihostCall() error {
	h := m.Hart
	op, arg := h.X[10]&0xffffffff, h.X[11] // the operation is a0's low 32 bits, as qemu takes it
	recorded := m.semiRecorded(op, arg)
	if m.rep != nil && recorded {
		r, err := m.rep.syscall(m, op, nil)
		if err != nil {
			return err
		}
		if op == semiOpen && int64(r) > 0 {
			// The file is not opened again: the trace answers its reads.
			m.semi.files[r] = &semiFile{}
		}
		h.X[10] = r
		h.PC += 4
		return nil
	}
	if m.rec != nil && recorded {
		m.rec.capture, m.rec.captured = true, nil
	}
	r, err := m.semiOp(op, arg)
	if err != nil {
		return err
	}
	if m.rec != nil && recorded {
		m.rec.capture = false
		ev := logfmt.Event{Kind: logfmt.KindSyscall, Instret: h.Instret(), PC: h.PC, Value: r, Nr: op, Writes: m.rec.captured, Regs: logfmt.RegsHash(&h.X)}
		m.rec.captured = nil
		if err := m.rec.add(m, ev); err != nil {
			return err
		}
	}
	h.X[10] = r
	h.PC += 4
	return nil
}

// semiFail sets errno to e and returns the failure result, -1.
func (m *Machine) semiFail(e int) uint64 {
	m.semi.errno = uint64(e)
	return ^uint64(0)
}

// semiOp runs operation op with parameter arg and returns a0. It fails
// only when the trace cannot take a write's result.
func (m *Machine) semiOp(op, arg uint64) (uint64, error) {
	s := m.semi
	h := m.Hart
	words := map[uint64]int{
		semiOpen: 3, semiClose: 1, semiWrite: 3, semiRead: 3, semiIsError: 1, semiIsTTY: 1,
		semiSeek: 2, semiFlen: 1, semiTmpnam: 3, semiRemove: 2, semiRename: 4, semiSystem: 2,
		semiGetCmdline: 2, semiHeapInfo: 1, semiExit: 2, semiExitExtended: 2, semiElapsed: 1,
	}[op]
	var a []uint64
	if words > 0 {
		var ok bool
		if a, ok = m.semiArgs(arg, words); !ok {
			return m.semiFail(eFAULT), nil
		}
	}
	switch op {
	case semiOpen:
		return m.semiOpen(a[0], a[1]), nil
	case semiClose:
		if _, ok := s.files[a[0]]; !ok {
			return m.semiFail(eBADF), nil
		}
		if f := s.files[a[0]]; f.g != nil && f.g.f != nil {
			f.g.f.Close()
		}
		delete(s.files, a[0])
		return 0, nil
	case semiWriteC, semiWrite0:
		// No result: a0 becomes 0xdeadbeef whatever happens, and errno
		// is left alone, as under qemu.
		b, ok := m.guest(arg, 1)
		if op == semiWrite0 {
			b, ok = m.guestString(arg)
		}
		if ok {
			if _, err := m.semiOutput(op, s.stdio[1], b); err != nil {
				return 0, err
			}
		}
		return semiNoResult, nil
	case semiWrite:
		// The bytes not written: all of them on any error, which sets
		// no errno (as under qemu).
		f := s.files[a[0]]
		if f == nil || f.g == nil || f.g.w == nil {
			return a[2], nil
		}
		b, ok := m.guest(a[1], a[2])
		if !ok {
			return a[2], nil
		}
		n, err := m.semiOutput(op, f.g, b[:min(a[2], maxIO)])
		if int64(n) < 0 {
			n = 0
		}
		return a[2] - n, err
	case semiRead:
		return m.semiRead(a[0], a[1], a[2]), nil
	case semiReadC:
		var c [1]byte
		n, err := m.hostRead(s.stdio[0], c[:])
		if n == 0 {
			if err != nil {
				return m.semiFail(hostErrno(err)), nil
			}
			return ^uint64(0), nil
		}
		return uint64(c[0]), nil
	case semiIsError:
		if int64(a[0]) < 0 {
			return 1, nil
		}
		return 0, nil
	case semiIsTTY:
		// The console is a terminal when its host stream is one.
		f := s.files[a[0]]
		if f == nil {
			return m.semiFail(eBADF), nil
		}
		if f.g != nil && f.g.f == nil && isTerminal(f.g) {
			return 1, nil
		}
		m.semiFail(eNOTTY)
		return 0, nil
	case semiSeek:
		f := s.files[a[0]]
		switch {
		case f == nil:
			return m.semiFail(eBADF), nil
		case f.features:
			if int64(a[1]) < 0 {
				return m.semiFail(eINVAL), nil
			}
			f.pos = int64(a[1])
			return 0, nil
		case f.g == nil || f.g.f == nil:
			return m.semiFail(eSPIPE), nil
		}
		if _, err := f.g.f.Seek(int64(a[1]), 0); err != nil {
			return m.semiFail(hostErrno(err)), nil
		}
		return 0, nil
	case semiFlen:
		f := s.files[a[0]]
		switch {
		case f == nil:
			return m.semiFail(eBADF), nil
		case f.features:
			return uint64(len(semiFeatureData)), nil
		case f.g == nil || f.g.f == nil:
			return m.semiFail(eSPIPE), nil
		}
		fi, err := f.g.f.Stat()
		if err != nil {
			return m.semiFail(hostErrno(err)), nil
		}
		return uint64(fi.Size()), nil
	case semiTmpnam, semiRemove, semiRename:
		if s.root == nil {
			return m.semiFail(eNOENT), nil
		}
		return m.semiFail(eACCES), nil // the guest's files are read-only
	case semiSystem:
		return m.semiFail(eNOSYS), nil // no host commands
	case semiClock:
		return uint64(time.Since(s.start) / (10 * time.Millisecond)), nil
	case semiTime:
		return uint64(time.Now().Unix()), nil
	case semiElapsed:
		b, _ := m.guestWrite(arg, 8)
		binary.LittleEndian.PutUint64(b, uint64(time.Since(s.start)))
		m.noteWrite(arg, 8)
		return 0, nil
	case semiTickFreq:
		return semiTicks, nil
	case semiErrno:
		return s.errno, nil
	case semiGetCmdline:
		cmd := strings.Join(m.cfg.Args, " ")
		if uint64(len(cmd))+1 > a[1] {
			return m.semiFail(e2BIG), nil
		}
		b, ok := m.guestWrite(a[0], uint64(len(cmd))+1)
		if !ok {
			return m.semiFail(eFAULT), nil
		}
		copy(b, cmd)
		b[len(cmd)] = 0
		size, _ := m.guestWrite(arg+8, 8)
		binary.LittleEndian.PutUint64(size, uint64(len(cmd)))
		return 0, nil
	case semiHeapInfo:
		b, ok := m.guestWrite(a[0], 32)
		if !ok {
			return m.semiFail(eFAULT), nil
		}
		for i, v := range m.heapInfo() {
			binary.LittleEndian.PutUint64(b[8*i:], v)
		}
		return 0, nil
	case semiExit, semiExitExtended:
		status := 1
		if a[0] == adpApplicationExit {
			status = int(a[1] & 0xff)
		}
		m.exit(status)
		return h.X[10], nil
	}
	// qemu aborts at an operation it does not know; rvsim stops the run
	// with one line, rather than give the guest an answer it does not
	// expect.
	return 0, fmt.Errorf("%w %#x (a1 %#x) at pc %#x", ErrSemihostOp, op, arg, h.PC)
}

// ErrSemihostOp: the guest made a semihosting call with an operation
// number that has no meaning.
var ErrSemihostOp = errors.New("unsupported semihosting operation")

// semiNoResult is what a0 holds after SYS_WRITEC and SYS_WRITE0, which
// return nothing (qemu's value).
const semiNoResult = 0xdeadbeef

// isTerminal reports whether g's host stream is a terminal (TCGETS
// succeeds on it).
func isTerminal(g *guestFile) bool {
	var st any = g.w
	if g.r != nil {
		st = g.r
	}
	rc, ok := st.(rawConner)
	if !ok {
		return false
	}
	var buf [termiosLen]byte
	return hostIoctl(rc, tcgets, buf[:]) == nil
}

// guestString returns the NUL-terminated string at addr, without its NUL,
// or false if it runs off the end of guest memory.
func (m *Machine) guestString(addr uint64) ([]byte, bool) {
	mem := &m.Hart.Mem
	if !mem.Contains(addr, 1) {
		return nil, false
	}
	b, _ := mem.Slice(addr, mem.End()-addr)
	for i, c := range b {
		if c == 0 {
			return b[:i], true
		}
	}
	return nil, false
}

// semiOutput writes b to the console stream g as the write call op, and
// returns the count written or a negative errno, as the trace has it
// (writes.go: record keeps a result the host cut short, replay takes it).
func (m *Machine) semiOutput(op uint64, g *guestFile, b []byte) (uint64, error) {
	if err := m.beginWrite(op); err != nil {
		return 0, err
	}
	n, err := m.output(&g.out, g.w, g.name, b)
	r := uint64(n)
	if err != nil && n == 0 {
		r = errno(hostErrno(err))
	}
	r, err = m.endWrite(op, r)
	if err == nil && r == errno(ePIPE) {
		m.semiBrokenPipe()
	}
	return r, err
}

// semiBrokenPipe ends a semihosting program whose console write met a pipe
// that no one reads (in replay, whose recorded write did). picolibc answers
// "nothing written" by writing again, for ever; qemu itself would die of
// SIGPIPE. The guest dies as a Linux guest would: status 128+SIGPIPE,
// reason signal.
func (m *Machine) semiBrokenPipe() {
	m.log.Info(fmt.Sprintf("the guest was killed by signal %d (SIGPIPE: a console write to a pipe with no reader) at pc %#x", sigPIPE, m.Hart.PC))
	m.semi.killedBy = sigPIPE
	m.exit(128 + sigPIPE)
}

// semiRead is SYS_READ: it returns how many of the n bytes asked for were
// not read (n at the end of the file, or on any error, which sets no
// errno: qemu's answers).
func (m *Machine) semiRead(handle, buf, n uint64) uint64 {
	s := m.semi
	f := s.files[handle]
	if f == nil || !f.features && (f.g == nil || f.g.r == nil) {
		return n
	}
	if _, ok := m.guest(buf, n); !ok {
		return n
	}
	k := min(n, maxInput)
	b, _ := m.guestFill(buf, k)
	var got int
	if f.features {
		if f.pos < int64(len(semiFeatureData)) {
			got = copy(b, semiFeatureData[f.pos:])
			f.pos += int64(got)
		}
	} else {
		got, _ = m.hostRead(f.g, b)
	}
	m.noteWrite(buf, uint64(got))
	return n - uint64(got)
}

// semiOpen is SYS_OPEN of the file named at pathAddr in mode (0-11: r, rb,
// r+, r+b, w, wb, w+, w+b, a, ab, a+, a+b).
func (m *Machine) semiOpen(pathAddr, mode uint64) uint64 {
	s := m.semi
	p, e := m.cString(pathAddr)
	if e != 0 {
		return m.semiFail(int(-int64(e)))
	}
	if mode > 11 {
		return m.semiFail(eINVAL)
	}
	handle := uint64(1)
	for s.files[handle] != nil {
		handle++
	}
	if handle > maxFiles {
		return m.semiFail(eMFILE)
	}
	switch p {
	case semiConsole:
		s.files[handle] = &semiFile{g: s.stdio[min(mode/4, 2)]}
		return handle
	case semiFeatures:
		if mode > 1 {
			return m.semiFail(eACCES)
		}
		s.files[handle] = &semiFile{features: true}
		return handle
	}
	if s.root == nil {
		if !s.warnedNoFS {
			s.warnedNoFS = true
			m.log.Warn(fmt.Sprintf("the guest opened %q but no --fs directory was given: it sees no files", p))
		}
		return m.semiFail(eNOENT)
	}
	if p == "" {
		return m.semiFail(eNOENT)
	}
	if mode > 1 {
		return m.semiFail(eACCES) // read-only access
	}
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		rel = "."
	}
	fi, err := s.root.Stat(rel)
	if err != nil {
		return m.semiFail(rootErrno(err))
	}
	if fi.IsDir() {
		return m.semiFail(eISDIR)
	}
	if !fi.Mode().IsRegular() {
		return m.semiFail(eACCES)
	}
	// Opened without waiting, so that a FIFO swapped in after the look
	// cannot hold the monitor; what was opened is checked again.
	f, err := s.root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return m.semiFail(rootErrno(err))
	}
	if ofi, err := f.Stat(); err != nil || !ofi.Mode().IsRegular() {
		f.Close()
		return m.semiFail(eACCES)
	}
	s.files[handle] = &semiFile{g: &guestFile{f: f, r: f, name: p}}
	return handle
}

// heapInfo returns SYS_HEAPINFO's heap base, heap limit, stack base and
// stack limit: the heap from the end of the program up, the stack from the
// top of RAM (picolibc's __stack, else the end of memory) down, at most 8
// MiB and at most half the room between them.
func (m *Machine) heapInfo() [4]uint64 {
	mem := &m.Hart.Mem
	top := mem.End()
	if t := m.Prog.RAMTop; t > mem.Base && t <= top {
		top = t
	}
	heap := min(pageUp(m.Prog.High()), top)
	limit := top - min(8<<20, (top-heap)/2)&^(PageSize-1)
	return [4]uint64{heap, limit, top, limit}
}

// ErrStuck: a semihosting program jumps to itself for ever (j .).
var ErrStuck = errors.New("the guest is stuck in an endless loop")

// stuck reports whether the hart of a semihosting program sits on a jump
// to itself (j ., or c.j .) in M-mode: with no interrupt sources, nothing
// can ever take it out. picolibc's default crt0 (crt0.o, chosen when no
// --crt0 is given) ends that way when main returns; the run loop checks
// at the end of each chunk of instructions.
func (m *Machine) stuck() bool {
	h := m.Hart
	if h.Priv != csr.PrivM {
		return false
	}
	w, ok := m.insnAt(h.PC)                       // a compressed instruction is its parcel
	return ok && (w == 0xa001 || w == 0x0000006f) // c.j 0, jal x0, 0
}

func (m *Machine) stuckError() error {
	h := m.Hart
	return fmt.Errorf("%w at pc %#x (j ., a jump to itself) after %d instructions: picolibc's default crt0 ends so when main returns; "+
		"link with --crt0=semihost (or --crt0=hosted), or end the program with exit()", ErrStuck, h.PC, h.Instret())
}
