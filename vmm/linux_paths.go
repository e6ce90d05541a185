package vmm

// Guest paths: where they lead (the sysroot for library paths, --fs for the
// rest), and the system calls on paths besides openat: newfstatat,
// faccessat, faccessat2 and readlinkat.

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Flags of the *at system calls.
const (
	atSymlinkNofollow = 0x100
	atEaccess         = 0x200
	atNoAutomount     = 0x800
	atEmptyPath       = 0x1000
	atStatxSyncType   = 0x6000
)

// hostPath is where a guest path leads: rel below the sysroot (sys) or
// the --fs root.
type hostPath struct {
	root *os.Root
	rel  string
	sys  bool
}

// stat describes the file at hp, or, unless follow is set, the symbolic
// link there itself.
func (hp hostPath) stat(follow bool) (fs.FileInfo, error) {
	if follow {
		return hp.root.Stat(hp.rel)
	}
	return hp.root.Lstat(hp.rel)
}

// dirOf returns the directory a relative path p is looked up in: dirfd's
// (its path below its root, and whether that root is the sysroot), the
// guest's working directory for AT_FDCWD (below "/", where the lookup
// decides between the sysroot and --fs), or "" for an absolute path.
func (m *Machine) dirOf(dirfd int32, p string) (dir string, sys bool, e int) {
	if strings.HasPrefix(p, "/") {
		return "", false, 0
	}
	if dirfd == atFDCWD {
		return strings.TrimPrefix(m.linux.cwd, "/"), false, 0
	}
	d := m.file(uint64(uint32(dirfd)))
	if dirfd < 0 || d == nil {
		return "", false, eBADF
	}
	if !d.isDir {
		return "", false, eNOTDIR
	}
	return d.rel, d.sys, 0
}

// lookup says where the guest path p, relative to dirfd, leads. A library
// path (isLibPath) is looked for in the sysroot first; a path below a
// directory opened from the sysroot stays in it; anything else, and a
// library path that the sysroot does not hold, is below --fs, where it is
// walked as Linux walks a path in a chroot (walk), but for "..", which is
// taken on the text of the path first: the path returned has no symbolic
// links, but for its last component if follow is not set.
func (m *Machine) lookup(dirfd int32, p string, follow bool) (hostPath, int) {
	l := m.linux
	dir, sys, e := m.dirOf(dirfd, p)
	if e != 0 {
		return hostPath{}, e
	}
	abs := path.Clean("/" + dir + "/" + p)
	lib := isLibPath(abs)
	if l.sysroot != nil && (sys || lib) {
		rel, e := l.sysroot.resolve(abs)
		if e == 0 {
			return hostPath{root: l.sysroot.root, rel: rel, sys: true}, 0
		}
		if sys || l.root == nil {
			return hostPath{}, e
		}
	}
	if l.root == nil {
		if !l.warnedNoFS && !lib {
			l.warnedNoFS = true
			m.log.Warn(fmt.Sprintf("the guest opened %q but no --fs directory was given: it sees no files", p))
		}
		return hostPath{}, eNOENT // no directory was granted: the guest sees no files
	}
	// ".." is taken on the path's text, as for the choice between the
	// sysroot and --fs, which share "/"; the links met are followed.
	q := abs
	if strings.HasSuffix(p, "/") && abs != "/" {
		q += "/" // a directory
	}
	rel, _, e := walk(l.root, q, follow)
	if e != 0 {
		return hostPath{}, e
	}
	return hostPath{root: l.root, rel: rel}, 0
}

// statStruct is the struct stat of riscv64 Linux (asm-generic, 128 bytes)
// of a file the guest sees (fi nil for a standard stream that is no host
// file: a character device). The inode
// number of a file is a hash of its path below its root, so that the
// dynamic linker, which tells libraries apart by device and inode, sees
// two files as two and a file opened twice as one.
func statStruct(fi fs.FileInfo, id string, sys bool, fd uint64) [128]byte {
	var st [128]byte
	put32 := func(off int, v uint32) { binary.LittleEndian.PutUint32(st[off:], v) }
	put64 := func(off int, v uint64) { binary.LittleEndian.PutUint64(st[off:], v) }
	const sIFIFO, sIFCHR, sIFDIR, sIFBLK, sIFREG, sIFLNK, sIFSOCK = 0o010000, 0o020000, 0o040000, 0o060000, 0o100000, 0o120000, 0o140000
	put32(20, 1)        // st_nlink
	put32(56, PageSize) // st_blksize
	if fi == nil {
		put64(8, uint64(uint32(fd))+1) // st_ino
		put32(16, sIFCHR|0o620)
		return st
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	put64(8, h.Sum64()>>1|1) // st_ino, never 0
	dev := uint64(1)         // st_dev: the --fs root is one device, the sysroot another
	if sys {
		dev = 2
	}
	put64(0, dev)
	mode := uint32(fi.Mode().Perm())
	switch t := fi.Mode().Type(); {
	case t&fs.ModeDir != 0:
		mode |= sIFDIR
	case t&fs.ModeSymlink != 0:
		mode |= sIFLNK
	case t&fs.ModeNamedPipe != 0:
		mode |= sIFIFO
	case t&fs.ModeSocket != 0:
		mode |= sIFSOCK
	case t&fs.ModeCharDevice != 0:
		mode |= sIFCHR
	case t&fs.ModeDevice != 0:
		mode |= sIFBLK
	default:
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
	return st
}

// putStat writes st to guest memory at buf.
func (m *Machine) putStat(buf uint64, st *[128]byte) uint64 {
	b, ok := m.guestWrite(buf, 128)
	if !ok {
		return errno(eFAULT)
	}
	copy(b, st[:])
	m.noteWrite(buf, 128)
	return 0
}

// sysNewfstatat is stat, lstat and fstat (AT_EMPTY_PATH with an empty
// path) in one. With AT_SYMLINK_NOFOLLOW (lstat) a symbolic link below
// --fs is described itself, as Linux does; the sysroot's links are
// followed (its paths are resolved through them).
func (m *Machine) sysNewfstatat(dirfd int32, pathAddr, buf, flags uint64) uint64 {
	if flags&^(atSymlinkNofollow|atNoAutomount|atEmptyPath|atStatxSyncType) != 0 {
		return errno(eINVAL)
	}
	p, e := m.cString(pathAddr)
	if e != 0 {
		return e
	}
	if p == "" && flags&atEmptyPath != 0 {
		if dirfd == atFDCWD {
			p = "."
		} else {
			return m.sysFstat(uint64(uint32(dirfd)), buf)
		}
	}
	if p == "" {
		return errno(eNOENT)
	}
	follow := flags&atSymlinkNofollow == 0
	hp, le := m.lookup(dirfd, p, follow)
	if le != 0 {
		return errno(le)
	}
	fi, err := hp.stat(follow)
	if err != nil {
		return errno(rootErrno(err))
	}
	st := statStruct(fi, hp.rel, hp.sys, 0)
	return m.putStat(buf, &st)
}

// sysFaccessat checks that a file exists and may be accessed as mode
// asks: files are read-only to the guest (W_OK is EACCES, as openat for
// writing is), X_OK needs an execute bit.
func (m *Machine) sysFaccessat(dirfd int32, pathAddr, mode, flags uint64) uint64 {
	const rOK, wOK, xOK = 4, 2, 1
	if mode&^(rOK|wOK|xOK) != 0 || flags&^(atEaccess|atSymlinkNofollow|atEmptyPath) != 0 {
		return errno(eINVAL)
	}
	p, e := m.cString(pathAddr)
	if e != 0 {
		return e
	}
	if p == "" {
		return errno(eNOENT)
	}
	follow := flags&atSymlinkNofollow == 0
	hp, le := m.lookup(dirfd, p, follow)
	if le != 0 {
		return errno(le)
	}
	fi, err := hp.stat(follow)
	switch {
	case err != nil:
		return errno(rootErrno(err))
	case mode&wOK != 0:
		return errno(eACCES)
	case mode&xOK != 0 && fi.Mode().Perm()&0o111 == 0:
		return errno(eACCES)
	}
	return 0
}

// procSelfExe is the link to the running program.
const procSelfExe = "/proc/self/exe"

// sysReadlinkat answers /proc/self/exe with the program's absolute path,
// as Linux and qemu-riscv64 do, and a symbolic link below --fs with its
// target, as the host holds it (a link out of --fs is read, but leads
// nowhere when followed). Any other path that exists is not a link
// (EINVAL).
func (m *Machine) sysReadlinkat(dirfd int32, pathAddr, buf, size uint64) uint64 {
	if int32(size) <= 0 {
		return errno(eINVAL)
	}
	p, e := m.cString(pathAddr)
	if e != 0 {
		return e
	}
	var target string
	if path.Clean(p) == procSelfExe && strings.HasPrefix(p, "/") {
		target = absPath(m.Prog.Path)
		if target == "" {
			target = m.Prog.Path
		}
	} else {
		if p == "" {
			return errno(eNOENT)
		}
		hp, le := m.lookup(dirfd, p, false)
		if le != 0 {
			return errno(le)
		}
		fi, err := hp.root.Lstat(hp.rel)
		if err != nil {
			return errno(rootErrno(err))
		}
		if fi.Mode().Type()&fs.ModeSymlink == 0 {
			return errno(eINVAL)
		}
		if target, err = hp.root.Readlink(hp.rel); err != nil {
			return errno(rootErrno(err))
		}
	}
	n := min(uint64(len(target)), uint64(uint32(size)))
	b, ok := m.guestWrite(buf, n)
	if !ok {
		return errno(eFAULT)
	}
	copy(b, target)
	m.noteWrite(buf, n)
	return n
}

// sysChdir is chdir (fd < 0, path at pathAddr) and fchdir (a directory
// descriptor): the guest's working directory becomes the directory named,
// with every symbolic link in its path resolved, as getcwd then reports
// it. Relative paths are looked up from it. Both calls are recorded, and
// so is getcwd: a replay needs no directory.
func (m *Machine) sysChdir(fd int64, pathAddr uint64) uint64 {
	var hp hostPath
	if fd >= 0 {
		d := m.file(uint64(fd))
		switch {
		case d == nil:
			return errno(eBADF)
		case !d.isDir:
			return errno(eNOTDIR)
		}
		root := m.linux.root
		if d.sys {
			root = m.linux.sysroot.root
		}
		hp = hostPath{root: root, rel: d.rel, sys: d.sys}
	} else {
		p, e := m.cString(pathAddr)
		if e != 0 {
			return e
		}
		if p == "" {
			return errno(eNOENT)
		}
		var le int
		if hp, le = m.lookup(atFDCWD, p, true); le != 0 {
			return errno(le)
		}
	}
	rel := hp.rel // free of links: lookup followed them, and so did the open of a directory descriptor
	fi, err := hp.root.Stat(rel)
	switch {
	case err != nil:
		return errno(rootErrno(err))
	case !fi.IsDir():
		return errno(eNOTDIR)
	}
	m.linux.cwd = guestPath(rel)
	return 0
}
