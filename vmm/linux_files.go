package vmm

// The Linux system calls on files and descriptors: read, write, readv,
// writev, openat, close, lseek and fstat.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// file returns the open file of descriptor fd, or nil. Every Linux system
// call takes a descriptor as an unsigned int: the upper 32 bits of the
// register do not count.
func (m *Machine) file(fd uint64) *guestFile {
	return m.linux.files[int(uint32(fd))]
}

func (m *Machine) sysRead(fd, buf, n uint64) uint64 {
	f := m.file(fd)
	if f == nil || f.r == nil {
		return errno(eBADF)
	}
	// The whole buffer must be guest memory, as under qemu-riscv64 (and
	// Linux's access_ok for lengths beyond the address space), before the
	// read is cut to what one call returns.
	if _, ok := m.guest(buf, n); !ok {
		return errno(eFAULT)
	}
	n = min(n, maxInput)
	b, _ := m.guestFill(buf, n)
	got, err := m.hostRead(f, b)
	if got == 0 && err != nil && !errors.Is(err, io.EOF) {
		return errno(hostErrno(err))
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

func (m *Machine) sysWrite(fd, buf, n uint64) uint64 {
	f := m.file(fd)
	if f == nil || f.w == nil {
		return errno(eBADF)
	}
	b, ok := m.guest(buf, n)
	if !ok {
		return errno(eFAULT)
	}
	w, err := m.output(&f.out, f.w, f.name, b[:min(n, maxIO)])
	if err != nil && w == 0 {
		return errno(hostErrno(err))
	}
	return uint64(w)
}

// sysVector is readv and writev. A readv returns at most maxInput bytes in
// all, as one read does: a shorter result is legal, and the bytes read are
// one recorded event, which must stay small however many vectors ask for
// how much.
func (m *Machine) sysVector(write bool, fd, iov, cnt uint64) uint64 {
	f := m.file(fd)
	if f == nil {
		return errno(eBADF)
	}
	if cnt > maxIovcnt {
		return errno(eINVAL)
	}
	vec, ok := m.guest(iov, 16*cnt)
	if !ok {
		return errno(eFAULT)
	}
	for i := uint64(0); i < cnt; i++ {
		if int64(binary.LittleEndian.Uint64(vec[16*i+8:])) < 0 {
			return errno(eINVAL) // a length that is negative as ssize_t
		}
	}
	if write && f.w == nil || !write && f.r == nil {
		return errno(eBADF)
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
			if total >= maxInput {
				break
			}
			if _, ok := m.guest(base, n); !ok {
				r = errno(eFAULT) // the whole vector must be guest memory, as for read
			} else {
				n = min(n, maxInput-total)
				r = m.sysRead(fd, base, n)
			}
		}
		if int64(r) < 0 {
			if total > 0 {
				return total
			}
			return r
		}
		total += r
		if r < n || total >= maxIO {
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

// Flags of openat.
const (
	oAccMode   = 3
	oWronly    = 1
	oCreat     = 0o100
	oTrunc     = 0o1000
	oDirectory = 0o200000
	oNofollow  = 0o400000
	oPath      = 0o10000000
	oCloexec   = 0o2000000
	oTmpfile   = 0o20000000
)

// sysOpenat opens a file read-only: a library path (isLibPath) from the
// sysroot when it is found there, anything else, and a library path not in
// the sysroot, below --fs. Paths are resolved inside the sysroot or the
// root as if it were "/": an absolute path starts there, and ".." stops
// there (lookup). Only regular files and directories open: a FIFO or a
// device below the root could block the monitor or act on the host. The
// path is looked at first, to leave other files unopened, but what counts
// is the type of the file opened (fstat): the open itself is
// non-blocking, so a FIFO swapped in after the first look cannot hold the
// monitor in open(2), and it is refused.
func (m *Machine) sysOpenat(dirfd int32, pathAddr, flags uint64) uint64 {
	p, e := m.cString(pathAddr)
	if e != 0 {
		return e
	}
	l := m.linux
	if p == "" {
		return errno(eNOENT)
	}
	if _, _, e := m.dirOf(dirfd, p); e != 0 {
		return errno(e)
	}
	fd := 0
	for l.files[fd] != nil {
		fd++
	}
	if uint64(fd) >= l.rlimit[rlimitNofile][0] {
		return errno(eMFILE)
	}
	follow := flags&oNofollow == 0
	hp, le := m.lookup(dirfd, p, follow)
	if le != 0 {
		return errno(le)
	}
	if flags&oAccMode != 0 || flags&(oCreat|oTrunc|oTmpfile) != 0 {
		return errno(eACCES) // read-only access
	}
	fi, err := hp.stat(follow)
	if err != nil {
		return errno(rootErrno(err))
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		// O_NOFOLLOW, and the last component is a link: it is not
		// opened (the host's open would follow it).
		if flags&oDirectory != 0 {
			return errno(eNOTDIR)
		}
		return errno(eLOOP)
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		return errno(eACCES)
	}
	if flags&oDirectory != 0 && !fi.IsDir() {
		return errno(eNOTDIR)
	}
	// O_NONBLOCK: opening a FIFO never waits for a writer; O_NOCTTY: a
	// terminal never becomes the monitor's. Neither changes how a regular
	// file or a directory, the only files kept, is read, so O_NONBLOCK
	// stays set.
	f, err := hp.root.OpenFile(hp.rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return errno(rootErrno(err))
	}
	ofi, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return errno(hostErrno(err))
	case !ofi.Mode().IsRegular() && !ofi.IsDir():
		f.Close() // a FIFO or a device swapped in after the first look
		return errno(eACCES)
	case flags&oDirectory != 0 && !ofi.IsDir():
		f.Close()
		return errno(eNOTDIR)
	}
	gf := &guestFile{f: f, r: f, name: p, isDir: ofi.IsDir(), rel: hp.rel, sys: hp.sys, oflags: flags & oPath, fi: ofi}
	if flags&oPath != 0 {
		gf.r = nil // a descriptor only to name the file: no reads
	}
	l.files[fd] = gf
	l.cloexec[fd] = flags&oCloexec != 0
	return uint64(fd)
}

// hostFile returns the host file behind f: the file opened, or the
// standard stream's when it is an *os.File or a HostFiler; nil for a
// stream that is neither (a buffer in tests, the empty input of a replay).
func (f *guestFile) hostFile() *os.File {
	if f.f != nil {
		return f.f
	}
	var s any = f.w
	if f.r != nil {
		s = f.r
	}
	if h, ok := s.(HostFiler); ok {
		return h.HostFile()
	}
	hf, _ := s.(*os.File)
	return hf
}

// HostFiler is a standard stream (Config.Stdin, Stdout, Stderr) that
// stands for a host file while it reads or writes in a way of its own: a
// guest's fstat and lseek on it are the file's. Implement SyscallConn as
// well, so that the monitor polls the file and passes terminal ioctls to
// it.
type HostFiler interface {
	HostFile() *os.File
}

// seekableDevice reports whether f is a character device other than a
// terminal (/dev/null, /dev/zero): Linux seeks those (to 0), where a
// terminal, a pipe or a socket is ESPIPE.
func seekableDevice(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	var buf [termiosLen]byte
	return hostIoctl(f, tcgets, buf[:]) != nil
}

// isRegular reports whether f is a regular file (a standard stream
// redirected from or to one).
func isRegular(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}

func (m *Machine) sysClose(fd uint64) uint64 {
	f := m.file(fd)
	if f == nil {
		return errno(eBADF)
	}
	if f.dups > 0 {
		f.dups-- // another descriptor still holds the file
	} else if f.f != nil {
		f.f.Close()
		f.closed = true // a mapping of it opens it again to grow (mappedFile)
	}
	delete(m.linux.files, int(uint32(fd)))
	delete(m.linux.cloexec, int(uint32(fd)))
	return 0
}

// dupTo makes descriptor fd (free) share f.
func (m *Machine) dupTo(f *guestFile, fd int, cloexec bool) uint64 {
	f.dups++
	m.linux.files[fd] = f
	m.linux.cloexec[fd] = cloexec
	return uint64(fd)
}

// freeFD returns the lowest free descriptor from lo, or -1 if it would
// reach RLIMIT_NOFILE.
func (m *Machine) freeFD(lo uint64) int {
	l := m.linux
	for fd := lo; fd < l.rlimit[rlimitNofile][0]; fd++ {
		if l.files[int(fd)] == nil {
			return int(fd)
		}
	}
	return -1
}

func (m *Machine) sysDup(old uint64) uint64 {
	f := m.file(old)
	if f == nil {
		return errno(eBADF)
	}
	fd := m.freeFD(0)
	if fd < 0 {
		return errno(eMFILE)
	}
	return m.dupTo(f, fd, false)
}

// sysDup3 is dup2 and dup3: newfd, closed first if open, shares oldfd's
// file.
func (m *Machine) sysDup3(old, newfd, flags uint64) uint64 {
	if uint32(flags)&^oCloexec != 0 {
		return errno(eINVAL)
	}
	old, newfd = uint64(uint32(old)), uint64(uint32(newfd))
	if old == newfd {
		return errno(eINVAL)
	}
	if newfd >= m.linux.rlimit[rlimitNofile][0] {
		return errno(eBADF)
	}
	f := m.file(old)
	if f == nil {
		return errno(eBADF)
	}
	if m.file(newfd) != nil {
		m.sysClose(newfd)
	}
	return m.dupTo(f, int(newfd), flags&oCloexec != 0)
}

// sysFcntl: duplication, the close-on-exec flag (kept, though nothing is
// ever executed) and the status flags (F_SETFL accepts O_APPEND,
// O_NONBLOCK and the like, which change nothing for the files the guest
// can open; F_GETFL gives the access mode).
func (m *Machine) sysFcntl(fd, cmd, arg uint64) uint64 {
	const fDupfd, fGetfd, fSetfd, fGetfl, fSetfl, fDupfdCloexec, fdCloexec = 0, 1, 2, 3, 4, 1030, 1
	f := m.file(fd)
	if f == nil {
		return errno(eBADF)
	}
	l := m.linux
	fd = uint64(uint32(fd))
	switch uint32(cmd) {
	case fDupfd, fDupfdCloexec:
		if arg >= l.rlimit[rlimitNofile][0] {
			return errno(eINVAL)
		}
		nfd := m.freeFD(arg)
		if nfd < 0 {
			return errno(eMFILE)
		}
		return m.dupTo(f, nfd, uint32(cmd) == fDupfdCloexec)
	case fGetfd:
		if l.cloexec[int(fd)] {
			return fdCloexec
		}
		return 0
	case fSetfd:
		l.cloexec[int(fd)] = arg&fdCloexec != 0
		return 0
	case fGetfl:
		return f.oflags
	case fSetfl:
		if f.oflags&oPath != 0 {
			return errno(eBADF)
		}
		return 0
	}
	return errno(eINVAL)
}

func (m *Machine) sysLseek(fd uint64, off int64, whence uint64) uint64 {
	f := m.file(fd)
	if f == nil {
		return errno(eBADF)
	}
	const seekMax = 4 // SEEK_HOLE
	if uint32(whence) > seekMax {
		return errno(eINVAL)
	}
	hf := f.hostFile()
	if hf == nil || f.f == nil && !isRegular(hf) && !seekableDevice(hf) {
		return errno(eSPIPE) // a stream that is a pipe, terminal or socket, or no host file
	}
	if f.isDir {
		// Only a rewind is kept: Go's directory reading restarts then.
		if off != 0 || whence != 0 {
			return errno(eINVAL)
		}
		f.dirents, f.dirOff, f.dirDone, f.dotsDone = nil, 0, false, false
	}
	n, err := hf.Seek(off, int(uint32(whence)))
	if err != nil {
		return errno(hostErrno(err))
	}
	return uint64(n)
}

// sysFstat writes a struct stat of riscv64 Linux (statStruct).
func (m *Machine) sysFstat(fd, buf uint64) uint64 {
	f := m.file(fd)
	if f == nil {
		return errno(eBADF)
	}
	if _, ok := m.guest(buf, 128); !ok {
		return errno(eFAULT)
	}
	var fi os.FileInfo
	id := f.rel
	if hf := f.hostFile(); hf != nil {
		var err error
		if fi, err = hf.Stat(); err != nil {
			return errno(hostErrno(err))
		}
		if f.f == nil {
			id = fmt.Sprintf("(stream %d)", uint32(fd))
		}
	}
	st := statStruct(fi, id, f.sys, fd)
	return m.putStat(buf, &st)
}

// sysPread64 reads from an offset of a file, leaving its position alone.
func (m *Machine) sysPread(fd, buf, n, off uint64) uint64 {
	if int64(off) < 0 {
		return errno(eINVAL)
	}
	f := m.file(fd)
	if f == nil || f.r == nil {
		return errno(eBADF)
	}
	if f.f == nil {
		return errno(eSPIPE)
	}
	if f.isDir {
		return errno(eISDIR)
	}
	if _, ok := m.guest(buf, n); !ok {
		return errno(eFAULT)
	}
	n = min(n, maxInput)
	b, _ := m.guestFill(buf, n)
	got, err := f.f.ReadAt(b, int64(off))
	if got == 0 && err != nil && !errors.Is(err, io.EOF) {
		return errno(hostErrno(err))
	}
	m.noteWrite(buf, uint64(got))
	return uint64(got)
}

// Terminal requests of ioctl.
const (
	tcgets     = 0x5401
	tiocgwinsz = 0x5413
	termiosLen = 36 // struct termios of the kernel: four flags, c_line, 19 c_cc
	winsizeLen = 8
)

// sysIoctl answers the terminal queries C libraries make of the standard
// streams (TCGETS, which isatty is, and TIOCGWINSZ) from the host stream
// when it is a terminal, so that a guest's output to a terminal is line
// buffered as under Linux; every other descriptor and request gets ENOTTY
// (the guest cannot change the host terminal's settings). The answer comes
// from the host, so it is recorded.
func (m *Machine) sysIoctl(fd, req, arg uint64) uint64 {
	f := m.file(fd)
	if f == nil {
		return errno(eBADF)
	}
	var n uint64
	switch uint32(req) {
	case tcgets:
		n = termiosLen
	case tiocgwinsz:
		n = winsizeLen
	default:
		return errno(eNOTTY)
	}
	var s any = f.w
	if f.r != nil {
		s = f.r
	}
	rc, ok := s.(rawConner)
	if f.f != nil || !ok {
		return errno(eNOTTY) // a file below --fs or the sysroot, or a stream that is no host file
	}
	var buf [termiosLen]byte
	if err := hostIoctl(rc, uint64(uint32(req)), buf[:]); err != nil {
		return errno(hostErrno(err))
	}
	b, ok := m.guestWrite(arg, n)
	if !ok {
		return errno(eFAULT)
	}
	copy(b, buf[:n])
	m.noteWrite(arg, n)
	return 0
}

// sysGetdents64 reads a directory's entries as struct linux_dirent64
// records (inode, offset, record length, type, name; 8-byte aligned),
// "." and ".." first, as many as fit in the buffer: EINVAL if not even
// one does, 0 at the end.
func (m *Machine) sysGetdents64(fd, buf, n uint64) uint64 {
	f := m.file(fd)
	if f == nil || f.r == nil && f.w == nil {
		return errno(eBADF) // none, or an O_PATH descriptor; any other that is no directory is ENOTDIR
	}
	if !f.isDir || f.f == nil {
		return errno(eNOTDIR)
	}
	if _, ok := m.guest(buf, n); !ok {
		return errno(eFAULT)
	}
	n = min(n, maxInput)
	out := make([]byte, 0, min(n, 64<<10))
	for {
		if len(f.dirents) == 0 && !f.dirDone {
			if err := f.readDir(); err != nil {
				if len(out) == 0 {
					return errno(hostErrno(err))
				}
				break
			}
		}
		if len(f.dirents) == 0 {
			break
		}
		e := f.dirents[0]
		rec := (19 + len(e.name) + 1 + 7) &^ 7
		if uint64(len(out)+rec) > n {
			if len(out) == 0 {
				return errno(eINVAL)
			}
			break
		}
		f.dirOff++
		h := fnv.New64a()
		h.Write([]byte(path.Join(f.rel, e.name)))
		var hdr [19]byte
		binary.LittleEndian.PutUint64(hdr[0:], h.Sum64()>>1|1)
		binary.LittleEndian.PutUint64(hdr[8:], f.dirOff)
		binary.LittleEndian.PutUint16(hdr[16:], uint16(rec))
		hdr[18] = e.typ
		out = append(out, hdr[:]...)
		out = append(out, e.name...)
		out = append(out, make([]byte, rec-19-len(e.name))...)
		f.dirents = f.dirents[1:]
	}
	b, _ := m.guestWrite(buf, uint64(len(out)))
	copy(b, out)
	m.noteWrite(buf, uint64(len(out)))
	return uint64(len(out))
}

// dirent is a directory entry waiting to be returned by getdents64.
type dirent struct {
	name string
	typ  byte // d_type
}

// readDir reads the next directory entries of f: "." and ".." first.
func (f *guestFile) readDir() error {
	const dtFIFO, dtCHR, dtDIR, dtBLK, dtREG, dtLNK, dtSOCK = 1, 2, 4, 6, 8, 10, 12
	if f.dirOff == 0 && !f.dotsDone {
		f.dotsDone = true
		f.dirents = append(f.dirents, dirent{".", dtDIR}, dirent{"..", dtDIR})
		return nil
	}
	ents, err := f.f.ReadDir(256)
	if err == io.EOF || err == nil && len(ents) == 0 {
		f.dirDone = true
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		var t byte
		switch m := e.Type(); {
		case m.IsDir():
			t = dtDIR
		case m.IsRegular():
			t = dtREG
		case m&os.ModeSymlink != 0:
			t = dtLNK
		case m&os.ModeNamedPipe != 0:
			t = dtFIFO
		case m&os.ModeSocket != 0:
			t = dtSOCK
		case m&os.ModeCharDevice != 0:
			t = dtCHR
		case m&os.ModeDevice != 0:
			t = dtBLK
		}
		f.dirents = append(f.dirents, dirent{e.Name(), t})
	}
	return nil
}
