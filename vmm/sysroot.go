package vmm

// The sysroot: the directory holding the target's libraries (Debian's
// /usr/riscv64-linux-gnu), where the interpreter of a dynamic program and
// the libraries it opens are found, as with qemu-riscv64's -L.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// DefaultSysroot is the sysroot used when none is given, if it exists:
// where Debian's gcc-riscv64-linux-gnu installs the target's libraries.
const DefaultSysroot = "/usr/riscv64-linux-gnu"

// ErrNoInterpreter: a dynamic program's interpreter cannot be found.
var ErrNoInterpreter = errors.New("program interpreter not found")

// libDirs are the guest paths that are looked up in the sysroot: the
// directories where the dynamic linker looks for libraries and its own
// configuration files. Nothing else of the sysroot (nor of the host) is
// reachable through it, even when the sysroot is "/".
var libDirs = []string{"/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"}

// libFiles are single files of the dynamic linker looked up in the sysroot.
var libFiles = []string{"/etc/ld.so.cache", "/etc/ld.so.preload"}

// isLibPath reports whether the clean absolute guest path p is a library
// path: one of libDirs or below one, or one of libFiles.
func isLibPath(p string) bool {
	for _, d := range libDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	for _, f := range libFiles {
		if p == f {
			return true
		}
	}
	return false
}

// maxSymlinks is how many symbolic links one lookup follows (Linux's
// MAXSYMLINKS) before it fails with ELOOP.
const maxSymlinks = 40

// sysroot resolves guest library paths inside a host directory.
type sysroot struct {
	dir  string
	root *os.Root
}

// openSysroot opens dir as the sysroot.
func openSysroot(dir string) (*sysroot, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &sysroot{dir: dir, root: r}, nil
}

func (s *sysroot) close() {
	if s != nil && s.root != nil {
		s.root.Close()
		s.root = nil
	}
}

// resolve looks the clean absolute guest path p up inside the sysroot, as
// if the sysroot were "/": each symbolic link is read and followed inside
// it (an absolute target starts again at the sysroot, ".." stops at it),
// so no link leads out of it. It returns the path, free of links, that p
// names below the sysroot ("." for the sysroot itself), or a Linux errno.
// The path found must be a library path too: a link from /lib to /etc
// does not make /etc reachable.
func (s *sysroot) resolve(p string) (string, int) {
	rel, e := resolveIn(s.root, p)
	if e != 0 {
		return "", e
	}
	if !isLibPath(guestPath(rel)) {
		return "", eNOENT
	}
	return rel, 0
}

// guestPath is the absolute guest path of rel, a path below a root that
// stands for "/" ("." for the root itself).
func guestPath(rel string) string {
	if rel == "." {
		return "/"
	}
	return "/" + rel
}

// resolveIn follows the guest path p (absolute, or relative to the root)
// below root, every symbolic link included (walk), and returns the path,
// free of links, of the file it names ("." for the root itself), or a
// Linux errno: ENOENT if there is none.
func resolveIn(root *os.Root, p string) (string, int) {
	rel, found, e := walk(root, p, true)
	switch {
	case e != 0:
		return "", e
	case !found:
		return "", eNOENT
	}
	return rel, 0
}

// walk looks the guest path p up below root as Linux walks a path in a
// chroot: component by component from root (p is absolute, or relative to
// root alike); ".." goes to the parent found so far (and stops at root), a
// symbolic link is followed where it is met (an absolute target starts
// again at root), and each component before the last must be a
// directory. The last component is followed if it is a link when follow
// is set or p ends in "/" (which also makes it a directory). It returns
// the path below root, free of links but for a last component not
// followed, and whether that last component exists (one that does not is
// no error: the call that uses the path says what to make of it), or a
// Linux errno (ENOENT, ENOTDIR, ELOOP after maxSymlinks links, or what
// looking failed with).
func walk(root *os.Root, p string, follow bool) (rel string, found bool, e int) {
	var cur []string
	todo := strings.Split(strings.TrimPrefix(p, "/"), "/")
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			continue
		}
		isLast, dirOnly := true, false
		for _, t := range todo {
			if t != "" {
				isLast = false
				break
			}
			dirOnly = true // a trailing "/"
		}
		next := append(cur[:len(cur):len(cur)], c)
		here := strings.Join(next, "/")
		fi, err := root.Lstat(here)
		if err != nil {
			if isLast && errors.Is(err, fs.ErrNotExist) {
				return here, false, 0
			}
			return "", false, rootErrno(err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 && (!isLast || follow || dirOnly) {
			if links++; links > maxSymlinks {
				return "", false, eLOOP
			}
			target, err := root.Readlink(here)
			if err != nil {
				return "", false, rootErrno(err)
			}
			if strings.HasPrefix(target, "/") {
				cur = nil
			}
			todo = append(strings.Split(target, "/"), todo...)
			continue
		}
		if (!isLast || dirOnly) && !fi.IsDir() {
			return "", false, eNOTDIR
		}
		cur = next
	}
	if len(cur) == 0 {
		return ".", true, 0
	}
	return strings.Join(cur, "/"), true, 0
}

// MaxInterpSize is the largest interpreter a dynamic program may name
// (glibc's ld.so is about 200 KB): it is read whole, recorded in the
// trace, and reassembled from it by a replay, which so never holds more.
const MaxInterpSize = 32 << 20

// readInterp reads the interpreter a dynamic program names from the
// sysroot, resolved as the guest's own opens are.
func (s *sysroot) readInterp(interp string) ([]byte, error) {
	p := path.Clean("/" + interp)
	if !strings.HasPrefix(interp, "/") || !isLibPath(p) {
		return nil, fmt.Errorf("interpreter %s is not an absolute path below %s: %w", interp, strings.Join(libDirs, ", "), ErrNoInterpreter)
	}
	rel, e := s.resolve(p)
	if e != 0 {
		return nil, fmt.Errorf("interpreter %s not found in the sysroot %s (%s): give the target's sysroot, the directory holding %s, with -L DIR, --sysroot DIR or RVSIM_LD_PREFIX: %w",
			interp, s.dir, errnoName(e), strings.TrimPrefix(p, "/"), ErrNoInterpreter)
	}
	// Opened without waiting: a FIFO in the sysroot must not block the
	// monitor (before it can see that it is not a regular file).
	f, err := s.root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("interpreter %s in the sysroot %s: %w", interp, s.dir, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("interpreter %s in the sysroot %s: %w", interp, s.dir, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("interpreter %s in the sysroot %s is not a regular file: %w", interp, s.dir, ErrNoInterpreter)
	}
	if fi.Size() > MaxInterpSize {
		return nil, fmt.Errorf("interpreter %s in the sysroot %s: %d bytes, more than the limit of %d: %w", interp, s.dir, fi.Size(), MaxInterpSize, ErrTooLarge)
	}
	return readAll(f, int(fi.Size())+1, MaxInterpSize)
}

// errnoName names a Linux errno for messages.
func errnoName(e int) string {
	switch e {
	case eNOENT:
		return "no such file"
	case eNOTDIR:
		return "a path component is not a directory"
	case eLOOP:
		return "too many symbolic links"
	case eACCES:
		return "permission denied"
	}
	return fmt.Sprintf("errno %d", e)
}
