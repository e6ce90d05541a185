package vmm

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// makeSysroot builds a sysroot in a temporary directory: a library, a
// directory of libraries, the files the dynamic linker reads, and links
// that try to lead out of it. It returns the sysroot and a host file
// outside it that holds a secret.
func makeSysroot(t *testing.T) (root, secret string) {
	t.Helper()
	top := t.TempDir()
	root = filepath.Join(top, "sysroot")
	secret = filepath.Join(top, "secret")
	write := func(name, data string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	write("lib/riscv64-linux-gnu/libc.so.6", "libc")
	write("usr/lib/riscv64-linux-gnu/libm.so.6", "libm")
	write("etc/ld.so.cache", "cache")
	write("etc/passwd", "sysroot passwd")                         // in the sysroot, but not a library path
	write("usr/include/stdio.h", "header")                        // likewise
	link("riscv64-linux-gnu/libc.so.6", "lib/libc.so.6")          // relative, inside
	link("/usr/lib/riscv64-linux-gnu/libm.so.6", "lib/libm.so.6") // absolute: inside the sysroot
	link("/etc/passwd", "lib/passwd")                             // to a non-library path
	link("../../../../../../../../etc/passwd", "lib/up")          // up and out
	link(secret, "lib/secret")                                    // to a host file by its host path
	link("../etc", "lib/etc")                                     // a directory outside the library paths
	link("loop2", "lib/loop1")                                    // a loop
	link("loop1", "lib/loop2")
	if err := os.WriteFile(secret, []byte("host secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, secret
}

// TestSysrootResolve: library paths resolve inside the sysroot, links
// included, and nothing leads out of it or out of its library paths.
func TestSysrootResolve(t *testing.T) {
	root, _ := makeSysroot(t)
	s, err := openSysroot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	for _, c := range []struct {
		path string
		rel  string
		e    int
	}{
		{"/lib/riscv64-linux-gnu/libc.so.6", "lib/riscv64-linux-gnu/libc.so.6", 0},
		{"/lib/libc.so.6", "lib/riscv64-linux-gnu/libc.so.6", 0},
		{"/lib/libm.so.6", "usr/lib/riscv64-linux-gnu/libm.so.6", 0},
		{"/lib/riscv64-linux-gnu/../libc.so.6", "lib/riscv64-linux-gnu/libc.so.6", 0},
		{"/etc/ld.so.cache", "etc/ld.so.cache", 0},
		{"/lib", "lib", 0},
		{"/lib/passwd", "", eNOENT},     // etc/passwd is not a library path
		{"/lib/up", "", eNOENT},         // ".." stops at the sysroot: etc/passwd again
		{"/lib/secret", "", eNOENT},     // the host path, looked up inside the sysroot
		{"/lib/etc/passwd", "", eNOENT}, // through a directory link
		{"/lib/loop1", "", eLOOP},
		{"/lib/nothing", "", eNOENT},
		{"/lib/riscv64-linux-gnu/libc.so.6/x", "", eNOTDIR},
	} {
		rel, e := s.resolve(c.path)
		if rel != c.rel || e != c.e {
			t.Errorf("resolve(%q) = %q, errno %d; want %q, errno %d", c.path, rel, e, c.rel, c.e)
		}
	}
}

// sysrootMachine is hello.elf with the sysroot root and, if fs is not
// empty, --fs fs.
func sysrootMachine(t *testing.T, root, fs string) *Machine {
	t.Helper()
	prog, err := Parse(helloELF, readELF(t, helloELF))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(prog, Config{MemSize: 16 << 20, Sysroot: root, FSRoot: fs, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// readGuestFile reads what the guest reads from descriptor fd.
func readGuestFile(t *testing.T, m *Machine, fd uint64) string {
	t.Helper()
	buf := m.linux.brkStart + 2*PageSize
	n := m.sysRead(fd, buf, 256)
	if int64(n) < 0 {
		t.Fatalf("read: errno %d", -int64(n))
	}
	b, _ := m.guest(buf, n)
	return string(b)
}

// TestGuestOpensInSysroot: the guest's opens of library paths find the
// sysroot's files, read-only; escapes by links and ".." find nothing; other
// paths are below --fs, as before.
func TestGuestOpensInSysroot(t *testing.T) {
	root, _ := makeSysroot(t)
	fs := t.TempDir()
	if err := os.WriteFile(filepath.Join(fs, "data.txt"), []byte("fs data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(fs, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fs, "etc", "passwd"), []byte("fs passwd"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, withFS := range []bool{false, true} {
		dir := ""
		if withFS {
			dir = fs
		}
		m := sysrootMachine(t, root, dir)
		for _, c := range []struct {
			path         string
			noFS, withFS string // what the file reads, "" for ENOENT
		}{
			{"/lib/libc.so.6", "libc", "libc"},
			{"/usr/lib/riscv64-linux-gnu/libm.so.6", "libm", "libm"},
			{"/etc/ld.so.cache", "cache", "cache"},
			{"/lib/passwd", "", ""},
			{"/lib/up", "", ""},
			{"/lib/secret", "", ""},
			{"/lib/../../../etc/passwd", "", "fs passwd"}, // /etc/passwd: below --fs, never the sysroot's
			{"/usr/include/stdio.h", "", ""},
			{"/data.txt", "", "fs data"},
		} {
			want := c.noFS
			if withFS {
				want = c.withFS
			}
			fd := openPath(t, m, c.path)
			switch {
			case want == "" && fd != errno(eNOENT):
				t.Errorf("--fs %v: open %q = %d, want ENOENT", withFS, c.path, int64(fd))
			case want != "" && int64(fd) < 0:
				t.Errorf("--fs %v: open %q: errno %d, want %q", withFS, c.path, -int64(fd), want)
			case want != "":
				if got := readGuestFile(t, m, fd); got != want {
					t.Errorf("--fs %v: %q reads %q, want %q", withFS, c.path, got, want)
				}
				m.sysClose(fd)
			}
		}
		// Read-only: an open for writing is refused, and nothing changes.
		addr := m.linux.brkStart + PageSize
		b, _ := m.guestWrite(addr, 32)
		copy(b, "/lib/libc.so.6\x00")
		if r := m.sysOpenat(atFDCWD, addr, 2 /* O_RDWR */); r != errno(eACCES) {
			t.Errorf("open for writing: %d, want EACCES", int64(r))
		}
	}
}

// TestGuestStatInSysroot: newfstatat and faccessat see what openat sees,
// and two libraries have two inode numbers (the dynamic linker tells
// libraries apart by them).
func TestGuestStatInSysroot(t *testing.T) {
	root, _ := makeSysroot(t)
	m := sysrootMachine(t, root, "")
	addr, buf := m.linux.brkStart+PageSize, m.linux.brkStart+3*PageSize
	stat := func(p string) (uint64, uint64, uint32) {
		b, _ := m.guestWrite(addr, uint64(len(p)+1))
		copy(b, p+"\x00")
		r := m.sysNewfstatat(atFDCWD, addr, buf, 0)
		st, _ := m.guest(buf, 128)
		return r, binary.LittleEndian.Uint64(st[8:]), binary.LittleEndian.Uint32(st[16:])
	}
	r1, ino1, mode1 := stat("/lib/libc.so.6")
	r2, ino2, _ := stat("/lib/libm.so.6")
	r3, ino3, _ := stat("/lib/riscv64-linux-gnu/libc.so.6")
	if r1 != 0 || r2 != 0 || r3 != 0 {
		t.Fatalf("newfstatat: %d %d %d", int64(r1), int64(r2), int64(r3))
	}
	if mode1&0o170000 != 0o100000 || ino1 == ino2 || ino1 != ino3 {
		t.Errorf("mode %o, inodes %#x %#x %#x: want a regular file, libc and libm apart, libc by its link the same", mode1, ino1, ino2, ino3)
	}
	if r, _, mode := stat("/lib/riscv64-linux-gnu"); r != 0 || mode&0o170000 != 0o040000 {
		t.Errorf("directory: %d mode %o", int64(r), mode)
	}
	if r, _, _ := stat("/lib/passwd"); r != errno(eNOENT) {
		t.Errorf("a link out of the library paths: %d, want ENOENT", int64(r))
	}
	// The descriptor's fstat (AT_EMPTY_PATH) agrees with the path's.
	fd := openPath(t, m, "/lib/libc.so.6")
	if r := m.sysNewfstatat(int32(fd), addr+100, buf, atEmptyPath); r != 0 {
		t.Fatalf("fstat by AT_EMPTY_PATH: %d", int64(r))
	}
	st, _ := m.guest(buf, 128)
	if got := binary.LittleEndian.Uint64(st[8:]); got != ino1 {
		t.Errorf("fstat inode %#x, stat %#x", got, ino1)
	}
	b, _ := m.guestWrite(addr, 32)
	copy(b, "/etc/ld.so.preload\x00")
	if r := m.sysFaccessat(atFDCWD, addr, 4, 0); r != errno(eNOENT) {
		t.Errorf("faccessat of a missing file: %d, want ENOENT", int64(r))
	}
	copy(b, "/etc/ld.so.cache\x00")
	if r := m.sysFaccessat(atFDCWD, addr, 4, 0); r != 0 {
		t.Errorf("faccessat R_OK: %d, want 0", int64(r))
	}
	if r := m.sysFaccessat(atFDCWD, addr, 2, 0); r != errno(eACCES) {
		t.Errorf("faccessat W_OK: %d, want EACCES", int64(r))
	}
}

// TestReadlinkProcSelfExe: /proc/self/exe is the program's absolute path.
func TestReadlinkProcSelfExe(t *testing.T) {
	m := sysrootMachine(t, "", "")
	addr, buf := m.linux.brkStart+PageSize, m.linux.brkStart+3*PageSize
	b, _ := m.guestWrite(addr, 32)
	copy(b, "/proc/self/exe\x00")
	want, err := filepath.Abs(helloELF)
	if err != nil {
		t.Fatal(err)
	}
	r := m.sysReadlinkat(atFDCWD, addr, buf, 4096)
	got, _ := m.guest(buf, r)
	if int64(r) < 0 || string(got) != want {
		t.Errorf("readlinkat /proc/self/exe = %d %q, want %q", int64(r), got, want)
	}
	if r := m.sysReadlinkat(atFDCWD, addr, buf, 4); r != 4 {
		t.Errorf("readlinkat into 4 bytes: %d, want 4 (truncated, as Linux)", int64(r))
	}
	if r := m.sysReadlinkat(atFDCWD, addr, buf, 0); r != errno(eINVAL) {
		t.Errorf("readlinkat into 0 bytes: %d, want EINVAL", int64(r))
	}
}

// TestMmapFile: a private mapping of a file holds its bytes and zeros to
// the end of the page; MAP_FIXED over it replaces that part; munmap gives
// zeros back.
func TestMmapFile(t *testing.T) {
	fs := t.TempDir()
	data := []byte(strings.Repeat("0123456789abcdef", 700)) // 11200 bytes: 2 pages and a part
	if err := os.WriteFile(filepath.Join(fs, "f"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	m := sysrootMachine(t, "", fs)
	fd := openPath(t, m, "/f")
	const private, fixed = 0x02, mapFixed
	a := m.sysMmap(0, 4*PageSize, 1, private, fd, 0)
	if int64(a) < 0 || a%PageSize != 0 {
		t.Fatalf("mmap of the file: %d", int64(a))
	}
	got, _ := m.guest(a, 4*PageSize)
	if string(got[:len(data)]) != string(data) || strings.Trim(string(got[len(data):]), "\x00") != "" {
		t.Fatalf("the mapping does not hold the file's bytes then zeros")
	}
	// The second page again, from offset 0: what ld.so does with a
	// library's data segment.
	if r := m.sysMmap(a+PageSize, PageSize, 3, private|fixed, fd, 0); r != a+PageSize {
		t.Fatalf("MAP_FIXED: %#x, want %#x", r, a+PageSize)
	}
	got, _ = m.guest(a, 4*PageSize)
	if string(got[PageSize:2*PageSize]) != string(data[:PageSize]) || string(got[:PageSize]) != string(data[:PageSize]) ||
		string(got[2*PageSize:len(data)]) != string(data[2*PageSize:]) {
		t.Errorf("MAP_FIXED did not replace exactly its page")
	}
	// Anonymous MAP_FIXED over the file's part: zeros.
	if r := m.sysMmap(a+2*PageSize, 2*PageSize, 3, private|fixed|mapAnonymous, ^uint64(0), 0); r != a+2*PageSize {
		t.Fatalf("anonymous MAP_FIXED: %#x", r)
	}
	got, _ = m.guest(a, 4*PageSize)
	if strings.Trim(string(got[2*PageSize:]), "\x00") != "" {
		t.Errorf("anonymous MAP_FIXED left the file's bytes")
	}
	if r := m.sysMmap(a, PageSize, 3, private|mapFixedNoreplace|mapAnonymous, ^uint64(0), 0); r != errno(eEXIST) {
		t.Errorf("MAP_FIXED_NOREPLACE over a mapping: %d, want EEXIST", int64(r))
	}
	// The file's first page, its page mapped again from offset 0 and
	// the anonymous two pages stay apart, as Linux's areas do.
	f := m.file(fd)
	if want := []mapping{{lo: a, hi: a + PageSize, file: true, src: f}, {lo: a + PageSize, hi: a + 2*PageSize, file: true, src: f},
		{lo: a + 2*PageSize, hi: a + 4*PageSize}}; !slices.Equal(m.linux.maps, want) {
		t.Errorf("mappings %v, want %v", m.linux.maps, want)
	}
	// Outside the mmap area: refused.
	if r := m.sysMmap(m.Prog.Low(), PageSize, 3, private|fixed|mapAnonymous, ^uint64(0), 0); r != errno(eNOMEM) {
		t.Errorf("MAP_FIXED over the program: %d, want ENOMEM", int64(r))
	}
	// A standard stream cannot be mapped; one not open for reading is
	// refused first.
	if r := m.sysMmap(0, PageSize, 1, private, 0, 0); r != errno(eNODEV) {
		t.Errorf("mmap of stdin: %d, want ENODEV", int64(r))
	}
	if r := m.sysMmap(0, PageSize, 1, private, 1, 0); r != errno(eACCES) {
		t.Errorf("mmap of stdout: %d, want EACCES", int64(r))
	}
	if r := m.sysMunmap(a, 4*PageSize); r != 0 {
		t.Fatal(r)
	}
	got, _ = m.guest(a, 4*PageSize)
	if strings.Trim(string(got), "\x00") != "" {
		t.Errorf("munmap left bytes")
	}
}

// TestMremap: shrinking gives the tail back; growing stays in place when
// the memory after the mapping is free and moves the bytes (MAYMOVE) when
// it is not; MREMAP_FIXED moves to the address given; DONTUNMAP keeps the
// old range mapped, cleared; a range that is not one mapping is EFAULT.
func TestMremap(t *testing.T) {
	m := sysrootMachine(t, "", "")
	const private, mayMove, fixed, dontUnmap = 0x02, 1, 2, 4
	anon := func(n uint64) uint64 {
		a := m.sysMmap(0, n, 3, private|mapAnonymous, ^uint64(0), 0)
		if int64(a) < 0 {
			t.Fatalf("mmap: %d", int64(a))
		}
		return a
	}
	fill := func(a, n uint64, c byte) {
		b, _ := m.guestWrite(a, n)
		for i := range b {
			b[i] = c
		}
	}
	holds := func(a, n uint64, c byte) bool {
		b, _ := m.guest(a, n)
		for _, x := range b {
			if x != c {
				return false
			}
		}
		return true
	}
	a := anon(4 * PageSize)
	fill(a, 4*PageSize, 'a')
	if r := m.sysMremap(a, 4*PageSize, 2*PageSize, 0, 0); r != a || !holds(a+2*PageSize, 2*PageSize, 0) || !holds(a, 2*PageSize, 'a') {
		t.Fatalf("shrink: %#x", r)
	}
	// The freed tail is free: growing back stays in place.
	if r := m.sysMremap(a, 2*PageSize, 4*PageSize, 0, 0); r != a || !m.mapped(a+3*PageSize, a+4*PageSize) {
		t.Fatalf("grow in place: %#x, want %#x", r, a)
	}
	// A mapping right after it: growing needs MAYMOVE.
	b := anon(PageSize) // below a: mappings go down
	fill(b, PageSize, 'b')
	if r := m.sysMremap(b, PageSize, 2*PageSize, 0, 0); r != errno(eNOMEM) {
		t.Fatalf("grow into a mapping without MAYMOVE: %d, want ENOMEM", int64(r))
	}
	nb := m.sysMremap(b, PageSize, 3*PageSize, mayMove, 0)
	if int64(nb) < 0 || nb == b || !holds(nb, PageSize, 'b') || !holds(nb+PageSize, 2*PageSize, 0) || m.mapped(b, b+PageSize) || !holds(b, PageSize, 0) {
		t.Fatalf("move: %#x (from %#x)", nb, b)
	}
	dst := nb - 8*PageSize
	if r := m.sysMremap(nb, 3*PageSize, 3*PageSize, mayMove|fixed|dontUnmap, dst); r != dst || !holds(dst, PageSize, 'b') ||
		!m.mapped(nb, nb+3*PageSize) || !holds(nb, 3*PageSize, 0) {
		t.Fatalf("MREMAP_FIXED|MREMAP_DONTUNMAP: %#x, want %#x", r, dst)
	}
	if r := m.sysMremap(dst-16*PageSize, PageSize, 2*PageSize, mayMove, 0); r != errno(eFAULT) {
		t.Errorf("mremap of unmapped memory: %d, want EFAULT", int64(r))
	}
	if r := m.sysMremap(a, 0, PageSize, mayMove, 0); r != errno(eINVAL) {
		t.Errorf("old size 0: %d, want EINVAL", int64(r))
	}
	if r := m.sysMremap(a, PageSize, PageSize, fixed, dst); r != errno(eINVAL) {
		t.Errorf("MREMAP_FIXED without MAYMOVE: %d, want EINVAL", int64(r))
	}
}

// TestDupSharesFile: a duplicated descriptor shares the open file: closing
// one leaves the other readable, at the same position; dup2 onto an open
// descriptor closes it first.
func TestDupSharesFile(t *testing.T) {
	fs := t.TempDir()
	if err := os.WriteFile(filepath.Join(fs, "f"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fs, "g"), []byte("other"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := sysrootMachine(t, "", fs)
	buf := m.linux.brkStart + 2*PageSize
	fd := openPath(t, m, "/f")
	if r := m.sysRead(fd, buf, 3); r != 3 {
		t.Fatalf("read: %d", int64(r))
	}
	d := m.sysDup(fd)
	if int64(d) < 0 || d == fd {
		t.Fatalf("dup: %d", int64(d))
	}
	m.sysClose(fd)
	if got := readGuestFile(t, m, d); got != "3456789" {
		t.Errorf("the duplicate reads %q after the original's close, want the rest of the file", got)
	}
	g := openPath(t, m, "/g")
	if r := m.sysDup3(d, g, 0); r != g {
		t.Fatalf("dup2 onto an open descriptor: %d", int64(r))
	}
	if r := m.sysLseek(g, 0, 0); r != 0 {
		t.Fatalf("lseek: %d", int64(r))
	}
	if got := readGuestFile(t, m, d); got != "0123456789" {
		t.Errorf("after dup2 and a rewind through the other descriptor, %q, want the first file again", got)
	}
	if r := m.sysFcntl(g, 1030 /* F_DUPFD_CLOEXEC */, 20); r != 20 || m.sysFcntl(20, 1 /* F_GETFD */, 0) != 1 {
		t.Errorf("F_DUPFD_CLOEXEC from 20: %d, FD_CLOEXEC %d", int64(r), int64(m.sysFcntl(20, 1, 0)))
	}
	for _, c := range []uint64{g, d, 20} {
		if r := m.sysClose(c); r != 0 {
			t.Errorf("close %d: %d", c, int64(r))
		}
	}
	if len(m.linux.files) != 3 {
		t.Errorf("%d descriptors open, want the 3 standard streams", len(m.linux.files))
	}
}
