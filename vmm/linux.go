package vmm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
)

// Linux system call numbers of riscv64 (asm-generic/unistd.h).
const (
	sysGetcwd           = 17
	sysIoctl            = 29
	sysFaccessat        = 48
	sysChdir            = 49
	sysFchdir           = 50
	sysOpenat           = 56
	sysClose            = 57
	sysDup              = 23
	sysDup3             = 24
	sysFcntl            = 25
	sysGetdents64       = 61
	sysLseek            = 62
	sysRead             = 63
	sysWrite            = 64
	sysReadv            = 65
	sysWritev           = 66
	sysPread64          = 67
	sysReadlinkat       = 78
	sysNewfstatat       = 79
	sysFstat            = 80
	sysExit             = 93
	sysExitGroup        = 94
	sysSetTidAddress    = 96
	sysFutex            = 98
	sysSetRobustList    = 99
	sysNanosleep        = 101
	sysClockGettime     = 113
	sysClockGetres      = 114
	sysClockNanosleep   = 115
	sysSchedYield       = 124
	sysKill             = 129
	sysTkill            = 130
	sysTgkill           = 131
	sysSigaction        = 134
	sysSigprocmask      = 135
	sysSigpending       = 136
	sysTimes            = 153
	sysUname            = 160
	sysGetrusage        = 165
	sysUmask            = 166
	sysSysinfo          = 179
	sysGettimeofday     = 169
	sysGetpid           = 172
	sysGetppid          = 173
	sysGetuid           = 174
	sysGeteuid          = 175
	sysGetgid           = 176
	sysGetegid          = 177
	sysGettid           = 178
	sysBrk              = 214
	sysMunmap           = 215
	sysMremap           = 216
	sysClone            = 220
	sysExecve           = 221
	sysMmap             = 222
	sysMprotect         = 226
	sysMadvise          = 233
	sysRiscvFlushIcache = 259
	sysPrlimit64        = 261
	sysGetrandom        = 278
	sysExecveat         = 281
	sysRseq             = 293
	sysClone3           = 435
	sysFaccessat2       = 439
)

// Linux errno values.
const (
	ePERM        = 1
	eNOENT       = 2
	eSRCH        = 3
	eINTR        = 4
	eIO          = 5
	eNXIO        = 6
	eBADF        = 9
	eAGAIN       = 11
	eNOMEM       = 12
	eACCES       = 13
	eFAULT       = 14
	eEXIST       = 17
	eNODEV       = 19
	eNOTDIR      = 20
	eISDIR       = 21
	eINVAL       = 22
	eNFILE       = 23
	eMFILE       = 24
	eNOTTY       = 25
	eFBIG        = 27
	eNOSPC       = 28
	eSPIPE       = 29
	eROFS        = 30
	ePIPE        = 32
	eRANGE       = 34
	eNAMETOOLONG = 36
	eNOSYS       = 38
	eLOOP        = 40
	eOPNOTSUPP   = 95
	eDQUOT       = 122
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
	// maxFiles is the most descriptors the guest may hold open
	// (RLIMIT_NOFILE, soft and hard): the host's descriptors are the
	// monitor's, not the guest's to exhaust.
	maxFiles = 1024
	// userEnd is the end of Linux's user address space on riscv64 with
	// Sv39 (TASK_SIZE): a zero-length buffer anywhere below it is valid,
	// as access_ok has it, because nothing is accessed.
	userEnd = 1 << 38
	// maxWarned is how many unsupported system call numbers are warned
	// about one by one; after that one warning says that the rest are not.
	maxWarned = 16
)

// Resource limits of prlimit64.
const (
	rlimitStack  = 3
	rlimitNofile = 7
	rlimNlimits  = 16
	rlimInfinity = ^uint64(0)
)

// linux is the state of the Linux user-mode personality.
type linux struct {
	brkStart, brk uint64 // program break: [brkStart, brk) is the heap
	mmapLow       uint64 // lowest mapped address; mappings grow down from the stack
	mmapTop       uint64
	maps          []mapping // anonymous mappings, sorted by address
	packed        bool      // no room above large mappings (roomFor): the replay of a trace older than logfmt.RoomVersion
	files         map[int]*guestFile
	cloexec       map[int]bool // descriptors with FD_CLOEXEC set
	root          *os.Root     // files the guest may read; nil for none
	sysroot       *sysroot     // the target's libraries; nil for none
	interpBase    uint64       // where the interpreter is loaded (AT_BASE), 0 for none
	more          mapping      // record: the bytes of a file mapping still to record (recordMore)
	grown         mapping      // the pages an mremap added to a mapping of a file (growFile)
	warned        map[uint64]bool
	warnedMany    bool
	warnedOOM     bool
	warnedNoFS    bool // the guest was told once that no --fs was given
	warnedHandler bool // a SIGPIPE handler the monitor cannot run was reported

	// Signals are not delivered to handlers; the actions and the mask are
	// kept so that rt_sigaction and rt_sigprocmask answer as Linux would,
	// and so that SIGPIPE's default action can end the guest (raise).
	sigact     [65][sigactionSize]byte
	sigmask    uint64
	sigpending [2]uint64              // signals raised while blocked, the thread's own and the process's (pendThread, pendProcess), acted on when unblocked
	umask      uint32                 // the file mode creation mask: kept and reported (umask); no file is created
	cwd        string                 // the working directory, a clean absolute guest path ("/": the root of --fs)
	killedBy   int                    // the signal whose default action ended the guest, or 0
	rlimit     [rlimNlimits][2]uint64 // soft and hard limits reported by prlimit64
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

// mapping is a range of mapped guest memory [lo, hi), with room bytes
// above it that other mappings avoid while they fit elsewhere (roomFor).
// file marks a mapping of a file's bytes: of src's from offset off at lo
// (src is nil for the dynamic linker, which the monitor loads), which
// merges only with the mapping of the bytes of src before or after those
// (insertMap); an mremap that grows it reads the file's next bytes
// (growFile).
type mapping struct {
	lo, hi, room uint64
	file         bool
	src          *guestFile
	off          uint64
}

// part returns the mapping of [lo, hi) (lo >= mp.lo) that mp's pages
// would be: the same file, from the offset of lo's byte, and no room.
func (mp mapping) part(lo, hi uint64) mapping {
	p := mapping{lo: lo, hi: hi, file: mp.file, src: mp.src}
	if mp.file {
		p.off = mp.off + (lo - mp.lo)
	}
	return p
}

// String shows a mapping as [lo, hi), its room and whether it maps a file.
func (mp mapping) String() string {
	s := fmt.Sprintf("[%#x, %#x)", mp.lo, mp.hi)
	if mp.room != 0 {
		s += fmt.Sprintf(" room %#x", mp.room)
	}
	if mp.file {
		s += fmt.Sprintf(" file@%#x", mp.off)
	}
	return s
}

type guestFile struct {
	f     *os.File // nil for the standard streams and replayed files
	r     io.Reader
	w     io.Writer
	name  string
	isDir bool   // a directory below --fs or the sysroot, usable as openat's dirfd
	rel   string // its path below the --fs root or the sysroot
	sys   bool   // opened from the sysroot
	// oflags are the status flags F_GETFL reports: the access mode, and
	// O_PATH. dups counts the other descriptors that share the file
	// (dup): the host file is closed with the last.
	oflags uint64
	dups   int
	// fi is the file as it was opened, and closed is set once its host
	// file is closed: a mapping of it then opens it again by rel, if it
	// is still the same file (mappedFile).
	fi     os.FileInfo
	closed bool

	// A directory's listing (getdents64): entries read from the host
	// but not yet returned, the offset of the next, and whether "." and
	// ".." and then the host's entries are done.
	dirents  []dirent
	dirOff   uint64
	dotsDone bool
	dirDone  bool
	in       int // how r is read: ioUnknown, ioDirect or ioPoll
	out      int // how w is written: ioUnknown, ioDirect or ioPoll
}

// linuxStack is the stack of a Linux program in size bytes of memory:
// the top eighth, at most 8 MiB.
func linuxStack(size uint64) uint64 { return min(uint64(8<<20), size/8) &^ (PageSize - 1) }

// linuxMem is the least memory, from base, that holds a Linux program
// whose segments end at end and leaves room below its stack for its heap
// (setupLinux) and for extra bytes more (its interpreter, loadInterp).
func linuxMem(base, end, extra uint64) uint64 {
	span := pageUp(end) - base
	for s := span + extra + PageSize; ; s += PageSize {
		if top := s - linuxStack(s); top > span && top-span >= extra {
			return s
		}
	}
}

// memHint rounds a memory size that --mem must reach up to whole MiB
// above 1 MiB, as a hint gives it.
func memHint(n uint64) uint64 {
	if n > 1<<20 {
		return (n + 1<<20 - 1) &^ (1<<20 - 1)
	}
	return n
}

func (m *Machine) setupLinux() error {
	h := m.Hart
	h.Priv = csr.PrivU
	h.UserTrapsExit = true
	// The monitor, as the kernel, lets user mode read every counter and seed.
	h.CSR.Set(csr.Mcounteren, 7)
	h.CSR.Set(csr.Mseccfg, csr.MseccfgUSEED)
	// Under Linux, which has S-mode, wfi in U-mode is an illegal
	// instruction (privileged specification, 3.1.6.5): mstatus.TW says so.
	// Linux starts a process with the FP unit usable: FS Initial.
	h.CSR.Set(csr.Mstatus, h.CSR.Get(csr.Mstatus)|csr.MstatusTW|csr.FSInitial)

	mem := &h.Mem
	stackSize := linuxStack(mem.Size())
	l := &linux{
		brkStart: pageUp(m.Prog.High()),
		mmapTop:  mem.End() - stackSize,
		files:    map[int]*guestFile{},
		cloexec:  map[int]bool{},
		warned:   map[uint64]bool{},
		umask:    0o022, // the common default, the same on every host: a replay sees what the recording saw
		cwd:      "/",
		packed:   m.rep != nil && m.rep.r.Version() < logfmt.RoomVersion,
	}
	for i := range l.rlimit {
		l.rlimit[i] = [2]uint64{rlimInfinity, rlimInfinity}
	}
	l.rlimit[rlimitStack][0] = stackSize
	l.rlimit[rlimitNofile] = [2]uint64{maxFiles, maxFiles}
	l.brk, l.mmapLow = l.brkStart, l.mmapTop
	if l.brkStart >= l.mmapTop {
		return fmt.Errorf("program ends at %#x, leaving no room for heap and stack below %#x (raise --mem to %s at least): %w",
			l.brkStart, mem.End(), sizeString(memHint(linuxMem(mem.Base, m.Prog.High(), 0))), ErrLayout)
	}
	l.files[0] = &guestFile{r: m.cfg.Stdin, name: "stdin"}
	l.files[1] = &guestFile{w: m.cfg.Stdout, name: "stdout", oflags: oWronly}
	l.files[2] = &guestFile{w: m.cfg.Stderr, name: "stderr", oflags: oWronly}
	if m.cfg.FSRoot != "" {
		r, err := os.OpenRoot(m.cfg.FSRoot)
		if err != nil {
			return fmt.Errorf("file system root: %w", err)
		}
		l.root = r
	}
	m.linux = l
	if m.cfg.Sysroot != "" {
		s, err := openSysroot(m.cfg.Sysroot)
		if err != nil {
			return fmt.Errorf("sysroot: %w", err)
		}
		l.sysroot = s
	}
	if m.Prog.Interp != "" {
		entry, base, err := m.loadInterp()
		if err != nil {
			return err
		}
		l.interpBase = base
		h.PC = entry
	}
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
	if top-sp > maxArgBytes {
		return 0, fmt.Errorf("arguments and environment take %d bytes, more than 1 MiB", top-sp)
	}
	// AT_HWCAP has the bit of each single-letter extension of misa that
	// Linux reports (I, M, A, F, D, C), as riscv64 Linux and qemu-riscv64
	// give it; the vector begins and ends as qemu-riscv64's does.
	const letters = 1<<('I'-'A') | 1<<('M'-'A') | 1<<('A'-'A') | 1<<('F'-'A') | 1<<('D'-'A') | 1<<('C'-'A')
	hwcap := m.Hart.CSR.Get(csr.Misa) & letters
	aux := [][2]uint64{
		{atPhdr, m.Prog.Phdr}, {atPhent, m.Prog.Phent}, {atPhnum, m.Prog.Phnum},
		{atPagesz, PageSize}, {atBase, m.linux.interpBase}, {atFlags, 0}, {atEntry, m.Prog.Entry},
		{atUID, 0}, {atEUID, 0}, {atGID, 0}, {atEGID, 0}, {atHwcap, hwcap},
		{atClktck, 100}, {atRandom, randAddr}, {atSecure, 0}, {atExecfn, execfn}, {atNull, 0},
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

// isErrno reports whether r, a system call's result, is an error: -4095
// to -1, as Linux returns them.
func isErrno(r uint64) bool { return int64(r) < 0 && int64(r) >= -4095 }

// recordedSyscalls are the system calls whose results come from the host:
// record mode writes their results and the guest memory they fill into
// the trace, and replay answers them from it without running them. The
// writes (write, writev) are recorded only when the host wrote short or
// failed (beginWrite, endWrite): a write that succeeds in full is
// deterministic.
var recordedSyscalls = map[uint64]bool{
	sysRead: true, sysReadv: true, sysPread64: true, sysOpenat: true, sysLseek: true, sysFstat: true,
	sysGetdents64: true, sysNewfstatat: true, sysFaccessat: true, sysFaccessat2: true, sysReadlinkat: true, sysIoctl: true,
	sysClockGettime: true, sysGettimeofday: true, sysGetrandom: true, sysSysinfo: true, sysTimes: true, sysGetrusage: true,
	sysChdir: true, sysFchdir: true, sysGetcwd: true,
}

// ErrUnsupported: the guest made a system call that the monitor cannot
// carry out faithfully (threads, processes, signal handlers): the run
// stops rather than give the guest a wrong answer.
var ErrUnsupported = errors.New("unsupported system call")

// recorded reports whether the system call nr, with the flags of an mmap
// in a3, is one whose results come from the host (recordedSyscalls): an
// mmap of a file is, for the file's bytes.
func recorded(nr, a3 uint64) bool {
	return recordedSyscalls[nr] || nr == sysMmap && fileMapping(a3)
}

// syscall handles the ecall at the hart's pc and resumes after it.
func (m *Machine) syscall() error {
	h := m.Hart
	x := &h.X
	nr, a0, a1, a2, a3, a4, a5 := x[17], x[10], x[11], x[12], x[13], x[14], x[15]
	l := m.linux
	recorded := recorded(nr, a3)
	if m.rep != nil && recorded {
		var before func(uint64) error
		if nr == sysMmap {
			before = func(r uint64) error { return m.replayMap(a0, a1, a3, a4, a5, r) }
		}
		r, err := m.rep.syscall(m, nr, before)
		if err != nil {
			return err
		}
		switch {
		case nr == sysOpenat && int64(r) >= 0 && int64(r) < 1<<20:
			// The file is not opened again: the trace answers its reads.
			l.files[int(r)] = &guestFile{name: "(replayed)", oflags: a2 & (oAccMode | oPath)}
			l.cloexec[int(r)] = a2&oCloexec != 0
		case nr == sysMmap:
			if err := m.rep.replayMore(m, r, pageUp(a1)); err != nil {
				return err
			}
		}
		x[10] = r
		h.PC += 4
		return nil
	}
	if m.rec != nil && recorded {
		m.rec.capture, m.rec.captured = true, nil
	}
	isWrite := nr == sysWrite || nr == sysWritev
	if isWrite {
		if err := m.beginWrite(nr); err != nil {
			return err
		}
	}
	var r uint64
	switch nr {
	case sysRead:
		r = m.sysRead(a0, a1, a2)
	case sysWrite:
		r = m.sysWrite(a0, a1, a2)
	case sysReadv, sysWritev:
		r = m.sysVector(nr == sysWritev, a0, a1, a2)
	case sysOpenat:
		r = m.sysOpenat(int32(a0), a1, a2)
	case sysClose:
		r = m.sysClose(a0)
	case sysDup:
		r = m.sysDup(a0)
	case sysDup3:
		r = m.sysDup3(a0, a1, a2)
	case sysFcntl:
		r = m.sysFcntl(a0, a1, a2)
	case sysLseek:
		r = m.sysLseek(a0, int64(a1), a2)
	case sysFstat:
		r = m.sysFstat(a0, a1)
	case sysPread64:
		r = m.sysPread(a0, a1, a2, a3)
	case sysGetdents64:
		r = m.sysGetdents64(a0, a1, a2)
	case sysNewfstatat:
		r = m.sysNewfstatat(int32(a0), a1, a2, a3)
	case sysFaccessat:
		r = m.sysFaccessat(int32(a0), a1, a2, 0)
	case sysFaccessat2:
		r = m.sysFaccessat(int32(a0), a1, a2, a3)
	case sysReadlinkat:
		r = m.sysReadlinkat(int32(a0), a1, a2, a3)
	case sysIoctl:
		r = m.sysIoctl(a0, a1, a2)
	case sysMadvise:
		r = m.sysMadvise(a0, a1, a2)
	case sysKill, sysTkill, sysTgkill:
		var err error
		if r, err = m.sysKill(nr, a0, a1, a2); err != nil {
			return err
		}
	case sysFutex:
		var err error
		if r, err = m.sysFutex(a0, int32(a1), uint32(a2), a3, a5); err != nil {
			return err
		}
	case sysRseq:
		r = errno(eNOSYS) // glibc runs without restartable sequences
	case sysClone, sysClone3, sysExecve, sysExecveat:
		if r = m.checkProcessCall(nr, a0, a1); r == 0 {
			return fmt.Errorf("%w: %s (%d) at pc %#x: the monitor runs one thread of one process", ErrUnsupported, SyscallName(nr), nr, h.PC)
		}
	case sysExit, sysExitGroup:
		m.exit(int(a0 & 0xff))
	case sysBrk:
		r = m.sysBrk(a0)
	case sysMmap:
		r = m.sysMmap(a0, a1, a2, a3, a4, a5)
	case sysMunmap:
		r = m.sysMunmap(a0, a1)
	case sysMremap:
		if r = m.sysMremap(a0, a1, a2, a3, a4); m.hostErr != nil {
			return m.hostErr
		}
	case sysMprotect:
		r = m.sysMprotect(a0, a1, a2)
	case sysClockGettime:
		r = m.sysClockGettime(int32(a0), a1)
	case sysGettimeofday:
		r = m.sysGettimeofday(a0, a1)
	case sysClockGetres:
		r = m.sysClockGetres(int32(a0), a1)
	case sysTimes:
		r = m.sysTimes(a0)
	case sysGetrusage:
		r = m.sysGetrusage(int32(a0), a1)
	case sysGetrandom:
		r = m.sysGetrandom(a0, a1, a2)
	case sysUname:
		r = m.sysUname(a0)
	case sysSysinfo:
		r = m.sysSysinfo(a0)
	case sysGetcwd:
		r = m.sysGetcwd(a0, a1)
	case sysChdir:
		r = m.sysChdir(-1, a0)
	case sysFchdir:
		r = m.sysChdir(int64(uint32(a0)), 0)
	case sysNanosleep:
		r = m.sysNanosleep(a0)
	case sysClockNanosleep:
		r = m.sysClockNanosleep(int32(a0), a2)
	case sysSigaction:
		r = m.sysSigaction(int32(a0), a1, a2, a3)
	case sysSigprocmask:
		r = m.sysSigprocmask(uint32(a0), a1, a2, a3)
		if err := m.deliverPending(); err != nil {
			return err
		}
	case sysSigpending:
		r = m.sysSigpending(a0, a1)
	case sysUmask:
		r = uint64(l.umask)
		l.umask = uint32(a0) & 0o777
	case sysPrlimit64:
		r = m.sysPrlimit(int32(a0), uint32(a1), a2, a3)
	case sysRiscvFlushIcache:
		// riscv_flush_icache(start, end, flags), what GCC's
		// __builtin___clear_cache calls: a store into code is seen
		// by the next instruction already (both engines), so there
		// is nothing to flush. Linux refuses flags other than
		// SYS_RISCV_FLUSH_ICACHE_LOCAL (1) and checks no range.
		r = 0
		if a2&^1 != 0 {
			r = errno(eINVAL)
		}
	case sysSetRobustList:
		r = 0
		if a1 != robustListHeadSize {
			r = errno(eINVAL)
		}
	case sysSetTidAddress, sysGetpid, sysGettid:
		r = guestPID
	case sysGetppid, sysGetuid, sysGeteuid, sysGetgid, sysGetegid, sysSchedYield:
		r = 0
	default:
		m.unsupported(nr)
		r = errno(eNOSYS)
	}
	if m.rec != nil && recorded {
		m.rec.capture = false
		ev := logfmt.Event{Kind: logfmt.KindSyscall, Instret: h.Instret(), PC: h.PC, Value: r, Nr: nr, Writes: m.rec.captured, Regs: logfmt.RegsHash(&h.X)}
		m.rec.captured = nil
		if err := m.rec.add(m, ev); err != nil {
			return err
		}
		if err := m.recordMore(); err != nil {
			return err
		}
	}
	if g := l.grown; g.lo < g.hi {
		// An mremap grew a mapping of a file by the file's bytes:
		// recorded as input events, replayed from them.
		l.grown = mapping{}
		switch {
		case m.rec != nil:
			if err := m.recordMore(); err != nil {
				return err
			}
		case m.rep != nil:
			// g is set only when the call succeeded.
			if err := m.rep.replayPieces(m, g.lo, g.lo, g.hi, false,
				fmt.Sprintf("an mremap that grew a mapping of a file at %#x", r)); err != nil {
				return err
			}
		}
	}
	if isWrite {
		var err error
		if r, err = m.endWrite(nr, r); err != nil {
			return err
		}
	}
	x[10] = r
	h.PC += 4
	return nil
}

// unsupported warns about an unsupported system call, once per number for
// the first maxWarned numbers and then once for all the others, so that a
// guest calling every number cannot flood the log or grow the monitor.
func (m *Machine) unsupported(nr uint64) {
	l := m.linux
	switch {
	case l.warned[nr]:
	case len(l.warned) < maxWarned:
		l.warned[nr] = true
		m.log.Warn("unsupported system call, returning -ENOSYS", zap.Uint64("nr", nr), zap.String("call", SyscallName(nr)), zap.String("pc", fmt.Sprintf("%#x", m.Hart.PC)))
	case !l.warnedMany:
		l.warnedMany = true
		m.log.Warn(fmt.Sprintf("more than %d unsupported system call numbers: no more warnings", maxWarned), zap.Uint64("nr", nr), zap.String("pc", fmt.Sprintf("%#x", m.Hart.PC)))
	}
}

// guest returns guest memory [addr, addr+n) for the monitor to read, or
// false if any of it is outside. A zero-length range is valid at any user
// address: Linux accesses nothing there.
func (m *Machine) guest(addr, n uint64) ([]byte, bool) {
	if n == 0 {
		return nil, addr < userEnd
	}
	return m.Hart.Mem.Slice(addr, n)
}

// zeroGuest clears guest memory [addr, addr+n) (inside memory), giving
// whole pages back to the host, and the hart forgets any instructions it
// decoded there.
func (m *Machine) zeroGuest(addr, n uint64) {
	m.Hart.Invalidate(addr, n)
	m.Hart.Mem.Zero(addr, n)
	m.monitorWrote(addr, n)
}

// guestWrite returns guest memory [addr, addr+n) for the monitor to write:
// the hart forgets any instructions it decoded there.
func (m *Machine) guestWrite(addr, n uint64) ([]byte, bool) {
	b, ok := m.guest(addr, n)
	if ok && n > 0 {
		m.Hart.Invalidate(addr, n)
		m.monitorWrote(addr, n)
	}
	return b, ok
}

// guestFill returns guest memory [addr, addr+n) for a read to fill with a
// count of bytes not known yet: decoded code there is marked stale, but
// the LR/SC reservation is left to noteWrite, which breaks it for the
// bytes the read returned, as a replay writes exactly those again.
func (m *Machine) guestFill(addr, n uint64) ([]byte, bool) {
	b, ok := m.guest(addr, n)
	if ok && n > 0 {
		m.Hart.InvalidateCode(addr, n)
	}
	return b, ok
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
		m.zeroGuest(addr, l.brk-addr)
	}
	l.brk = addr
	return l.brk
}

// sysMprotect accepts any protection of guest memory (the monitor does not
// enforce page protections) after Linux's checks of its arguments.
func (m *Machine) sysMprotect(addr, length, prot uint64) uint64 {
	const protValid, protGrowsDown, protGrowsUp = 0xf, 0x01000000, 0x02000000
	grows := prot & (protGrowsDown | protGrowsUp)
	if grows == protGrowsDown|protGrowsUp || addr%PageSize != 0 {
		return errno(eINVAL)
	}
	if length == 0 {
		return 0
	}
	n := pageUp(length)
	if n < length || addr+n <= addr {
		return errno(eNOMEM)
	}
	if prot&^(protValid|grows) != 0 {
		return errno(eINVAL)
	}
	if !m.Hart.Mem.Contains(addr, n) {
		return errno(eNOMEM) // not mapped
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
	clockTAI            = 11
)

var processStart = time.Now()

// sysClockGettime reads a clock. Negative ids are Linux's CPU clocks of a
// process or thread (~pid << 3 | which, bit 2 for a thread): those of the
// guest itself (pid 0 or its own) read as its process time.
func (m *Machine) sysClockGettime(clk int32, tp uint64) uint64 {
	if !validClock(clk) {
		return errno(eINVAL)
	}
	t := time.Since(processStart)
	if clk == clockRealtime || clk == clockRealtimeCoarse || clk == clockTAI {
		t = time.Duration(time.Now().UnixNano())
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

func (m *Machine) sysGetrandom(buf, n, flags uint64) uint64 {
	const grndNonblock, grndRandom, grndInsecure = 1, 2, 4
	if flags&^(grndNonblock|grndRandom|grndInsecure) != 0 || flags&(grndRandom|grndInsecure) == grndRandom|grndInsecure {
		return errno(eINVAL)
	}
	if _, ok := m.guest(buf, n); !ok {
		return errno(eFAULT)
	}
	n = min(n, maxInput)
	b, _ := m.guestWrite(buf, n)
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

// sysSysinfo describes the guest's machine: its memory is guest memory
// (free: what neither the heap nor the mappings hold), no swap, one
// process, no load, and the time since the run started as uptime (from
// the host clock: recorded).
func (m *Machine) sysSysinfo(buf uint64) uint64 {
	const size = 112 // struct sysinfo of a 64-bit Linux
	b, ok := m.guestWrite(buf, size)
	if !ok {
		return errno(eFAULT)
	}
	total := m.Hart.Mem.Size()
	used := m.memoryInUse()
	var st [size]byte
	binary.LittleEndian.PutUint64(st[0:], uint64(time.Since(processStart)/time.Second)+1) // uptime
	binary.LittleEndian.PutUint64(st[32:], total)                                         // totalram
	binary.LittleEndian.PutUint64(st[40:], total-min(used, total))                        // freeram
	binary.LittleEndian.PutUint16(st[80:], 1)                                             // procs
	binary.LittleEndian.PutUint32(st[104:], 1)                                            // mem_unit
	copy(b, st[:])
	m.noteWrite(buf, size)
	return 0
}

// sysGetcwd writes the guest's working directory ("/" at start: the root
// of --fs; see sysChdir) and returns its length with the NUL, as the
// Linux system call does (the C library's getcwd returns the buffer).
func (m *Machine) sysGetcwd(buf, size uint64) uint64 {
	cwd := m.linux.cwd + "\x00"
	if len(cwd) > maxPath {
		return errno(eNAMETOOLONG)
	}
	if size < uint64(len(cwd)) {
		return errno(eRANGE)
	}
	b, ok := m.guestWrite(buf, uint64(len(cwd)))
	if !ok {
		return errno(eFAULT)
	}
	copy(b, cwd)
	m.noteWrite(buf, uint64(len(cwd)))
	return uint64(len(cwd))
}

// sysClockNanosleep is clock_nanosleep: as nanosleep, on the clocks Linux
// sleeps on (a relative or, with TIMER_ABSTIME, an absolute time: either
// way it returns at once). Linux's errors for the others: EINVAL for the
// thread's CPU clock and clocks it does not know, EOPNOTSUPP for those it
// cannot sleep on.
func (m *Machine) sysClockNanosleep(clk int32, req uint64) uint64 {
	switch {
	case clk == clockRealtime || clk == clockMonotonic || clk == clockProcessCPU || clk == clockBoottime || clk == clockTAI:
	case clk == clockMonotonicRaw || clk == clockRealtimeCoarse || clk == clockMonoCoarse:
		return errno(eOPNOTSUPP)
	case clk&4 == 0 && guestCPUClock(clk):
		// The process's CPU clock, as glibc names it (not a thread's).
	default:
		return errno(eINVAL)
	}
	return m.sysNanosleep(req)
}

// sysNanosleep checks the request and returns at once: the guest's time
// is the host's, and nothing else runs while it would sleep.
func (m *Machine) sysNanosleep(req uint64) uint64 {
	b, ok := m.guest(req, 16)
	if !ok {
		return errno(eFAULT)
	}
	sec, nsec := int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
	if sec < 0 || nsec < 0 || nsec >= int64(time.Second) {
		return errno(eINVAL)
	}
	return 0
}

// Signals.
const (
	sigsetSize         = 8  // sizeof(sigset_t) of the kernel
	sigactionSize      = 24 // struct sigaction of riscv64: handler, flags, mask
	sigKILL            = 9
	sigSTOP            = 19
	robustListHeadSize = 24
	unblockable        = 1<<(sigKILL-1) | 1<<(sigSTOP-1)
)

// sysSigaction keeps the actions the guest sets and returns the old ones;
// no handler is ever run (raise).
func (m *Machine) sysSigaction(sig int32, act, oact, setsize uint64) uint64 {
	l := m.linux
	if setsize != sigsetSize {
		return errno(eINVAL)
	}
	var na []byte
	if act != 0 {
		b, ok := m.guest(act, sigactionSize)
		if !ok {
			return errno(eFAULT)
		}
		na = b
	}
	if sig < 1 || sig > 64 || na != nil && (sig == sigKILL || sig == sigSTOP) {
		return errno(eINVAL)
	}
	old := l.sigact[sig]
	if na != nil {
		copy(l.sigact[sig][:], na)
		mask := l.sigact[sig][16:]
		binary.LittleEndian.PutUint64(mask, binary.LittleEndian.Uint64(mask)&^unblockable)
		// A pending signal now ignored is discarded (POSIX, and Linux).
		bit := uint64(1) << (sig - 1)
		if h := binary.LittleEndian.Uint64(na); h == sigIGN || h == sigDFL && defaultIgnored&bit != 0 {
			l.sigpending[pendThread] &^= bit
			l.sigpending[pendProcess] &^= bit
		}
	}
	if oact != 0 {
		b, ok := m.guestWrite(oact, sigactionSize)
		if !ok {
			return errno(eFAULT)
		}
		copy(b, old[:])
	}
	return 0
}

// sysSigprocmask keeps the signal mask; the caller then acts on the
// pending signals it unblocked (deliverPending).
func (m *Machine) sysSigprocmask(how uint32, set, oset, setsize uint64) uint64 {
	const sigBlock, sigUnblock, sigSetmask = 0, 1, 2
	l := m.linux
	if setsize != sigsetSize {
		return errno(eINVAL)
	}
	old := l.sigmask
	if set != 0 {
		b, ok := m.guest(set, sigsetSize)
		if !ok {
			return errno(eFAULT)
		}
		s := binary.LittleEndian.Uint64(b) &^ unblockable
		switch how {
		case sigBlock:
			l.sigmask |= s
		case sigUnblock:
			l.sigmask &^= s
		case sigSetmask:
			l.sigmask = s
		default:
			return errno(eINVAL)
		}
	}
	if oset != 0 {
		b, ok := m.guestWrite(oset, sigsetSize)
		if !ok {
			return errno(eFAULT)
		}
		binary.LittleEndian.PutUint64(b, old)
	}
	return 0
}

// sysPrlimit reports and sets the guest's resource limits. Only
// RLIMIT_NOFILE is enforced (by openat); the others are reported as set.
func (m *Machine) sysPrlimit(pid int32, resource uint32, newLim, oldLim uint64) uint64 {
	l := m.linux
	var nl [2]uint64
	if newLim != 0 {
		b, ok := m.guest(newLim, 16)
		if !ok {
			return errno(eFAULT)
		}
		nl = [2]uint64{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
	}
	if pid != 0 && pid != guestPID {
		return errno(eSRCH)
	}
	if resource >= rlimNlimits {
		return errno(eINVAL)
	}
	old := l.rlimit[resource]
	if newLim != 0 {
		if nl[0] > nl[1] {
			return errno(eINVAL)
		}
		if resource == rlimitNofile && nl[1] > maxFiles {
			return errno(ePERM)
		}
		l.rlimit[resource] = nl
	}
	if oldLim != 0 {
		b, ok := m.guestWrite(oldLim, 16)
		if !ok {
			return errno(eFAULT)
		}
		binary.LittleEndian.PutUint64(b, old[0])
		binary.LittleEndian.PutUint64(b[8:], old[1])
	}
	return 0
}
