package vmm

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rvsim/rvsim/logfmt"
)

// semihostCC builds the picolibc semihosting programs, as
// scripts/build-programs.sh does: with the compiler's default -march
// (rv64imafdc, lp64d, so compressed and floating-point instructions), and
// with semihostIM added for rv64im.
var (
	semihostCC = []string{"riscv64-unknown-elf-gcc", "--specs=picolibc.specs", "--oslib=semihost", "--crt0=semihost",
		"-O2", "-Wall", "-Werror"}
	semihostIM = []string{"-march=rv64im", "-mabi=lp64"}
)

var (
	semiBuildMu sync.Mutex
	semiBuilt   = map[string]string{}
	semiDir     string
)

// semihostBuilds are the two builds of each semihosting program: the
// suffix of its name in programs/bin and its extra flags.
var semihostBuilds = []struct{ suffix string }{{"_rv64im"}, {""}}

// semihostProgram returns the path of the rv64im build of the
// semihosting program name (programs/semihost/name.c).
func semihostProgram(t testing.TB, name string) string { return semihostBuild(t, name, "_rv64im") }

// semihostBuild returns the path of a build of the semihosting program
// name: suffix "_rv64im" or "" (the default -march). It is
// programs/bin/semihost_name<suffix>.elf when that is there, else built
// by the cross compiler into a temporary directory; the test is skipped
// when neither is to be had.
func semihostBuild(t testing.TB, name, suffix string) string {
	t.Helper()
	bin := filepath.Join("..", "programs", "bin", "semihost_"+name+suffix+".elf")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	semiBuildMu.Lock()
	defer semiBuildMu.Unlock()
	if p, ok := semiBuilt[name+suffix]; ok {
		return p
	}
	flags := semihostCC[1:]
	if suffix != "" {
		flags = append(append([]string(nil), flags...), semihostIM...)
	}
	out := buildSemihost(t, name, name+suffix+".elf", flags...)
	semiBuilt[name+suffix] = out
	return out
}

// buildSemihost builds programs/semihost/name.c with semihostCC[0] and
// flags into out in a temporary directory and returns its path; the test
// is skipped when the compiler is not installed.
func buildSemihost(t testing.TB, name, out string, flags ...string) string {
	t.Helper()
	if _, err := exec.LookPath(semihostCC[0]); err != nil {
		t.Skipf("%s is not installed", semihostCC[0])
	}
	if semiDir == "" {
		d, err := os.MkdirTemp("", "rvsim-semihost")
		if err != nil {
			t.Fatal(err)
		}
		semiDir = d
	}
	out = filepath.Join(semiDir, out)
	args := append(append([]string(nil), flags...), "-o", out, filepath.Join("..", "programs", "semihost", name+".c"))
	if b, err := exec.Command(semihostCC[0], args...).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, b)
	}
	return out
}

// semiRun runs the program at path with args (after the program name) and
// stdin, in mode: "" (normal), "record" (trace written to *trace) or
// "replay" (of *trace).
func semiRun(t testing.TB, path string, cfg Config, trace *[]byte, mode string) (Result, string, string, error) {
	t.Helper()
	prog, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut, tr bytes.Buffer
	cfg.Stdout, cfg.Stderr = &out, &errOut
	if cfg.Stdin == nil {
		cfg.Stdin = strings.NewReader("")
	}
	switch mode {
	case "record":
		cfg.Record = &tr
	case "replay":
		r, err := logfmt.NewReader(bytes.NewReader(*trace), "t.zst")
		if err != nil {
			t.Fatal(err)
		}
		h := r.Header()
		cfg.Replay, cfg.Args, cfg.Env, cfg.MemSize, cfg.Stdin, cfg.FSRoot = r, h.Args, h.Env, 0, strings.NewReader(""), ""
	}
	m, err := New(prog, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	res, err := m.Run()
	if mode == "record" {
		*trace = tr.Bytes()
	}
	return res, out.String(), errOut.String(), err
}

// TestSemihostHello runs, records and replays hello: its output is what
// the program's comment says it prints, the status its last argument, and
// the replay reproduces output, status and final digest.
func TestSemihostHello(t *testing.T) {
	for _, b := range semihostBuilds {
		t.Run("hello"+b.suffix, func(t *testing.T) { testSemihostHello(t, semihostBuild(t, "hello", b.suffix)) })
	}
}

func testSemihostHello(t *testing.T, path string) {
	prog, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if prog.Kind != KindSemihost {
		t.Fatalf("kind %v, want semihost", prog.Kind)
	}
	want := "argc 4: program-name " + path + " x 7\n" +
		"int 42 hex 2a neg -17\n" +
		"float 3.25 sci 1.500000e-03\n" +
		"sum 0.1+0.2 = 0.30000000000000004\n" +
		"to stderr\n"
	cfg := Config{Args: []string{path, "x", "7"}}
	var trace []byte
	var digest string
	for _, mode := range []string{"", "record", "replay"} {
		res, out, errOut, err := semiRun(t, path, cfg, &trace, mode)
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if out != want || errOut != "" || res.Status != 7 {
			t.Fatalf("%s: status %d, stdout %q, stderr %q; want 7, %q, \"\"", mode, res.Status, out, errOut, want)
		}
		switch mode {
		case "record":
			digest = res.Stats.Digest
		case "replay":
			if res.Stats.Digest != digest || digest == "" {
				t.Fatalf("replay digest %q, recorded %q", res.Stats.Digest, digest)
			}
		}
	}
	r, err := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	if k := r.Header().Kind; k != "semihost" {
		t.Fatalf("trace header kind %q, want semihost", k)
	}
}

// TestSemihostMemoryFitsPicolibc: picolibc's layout (code at 0x10000000,
// stack at the top of RAM at 0x20008000) does not fit 256 MiB from the
// first address; the memory grows to hold it, and no further.
func TestSemihostMemoryFitsPicolibc(t *testing.T) {
	path := semihostProgram(t, "hello")
	prog, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if prog.Low() != 0x10000000 || prog.RAMTop != 0x20008000 {
		t.Fatalf("low %#x, __stack %#x: not picolibc's default layout", prog.Low(), prog.RAMTop)
	}
	m, err := New(prog, Config{MemSize: 256 << 20, Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got, want := m.Hart.Mem.End(), uint64(0x20008000); got != want {
		t.Fatalf("memory ends at %#x, want %#x", got, want)
	}
	m2, err := New(prog, Config{MemSize: 1 << 30, Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if got := m2.Hart.Mem.Size(); got != 1<<30 {
		t.Fatalf("--mem 1G gave %d bytes", got)
	}
}

// semiMachine is a machine of the hello program, not run, on which tests
// make semihosting calls directly.
type semiMachine struct {
	t        *testing.T
	m        *Machine
	out, err bytes.Buffer
}

// Guest addresses in picolibc's RAM for parameter blocks and buffers.
const (
	semiBlock = 0x20004000
	semiBuf   = 0x20005000
)

func newSemiMachine(t *testing.T, stdin, fsRoot string) *semiMachine {
	path := semihostProgram(t, "hello")
	prog, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &semiMachine{t: t}
	s.m, err = New(prog, Config{Args: []string{"prog", "a", "b"}, Stdin: strings.NewReader(stdin), Stdout: &s.out, Stderr: &s.err, FSRoot: fsRoot})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.m.Close)
	return s
}

// put writes b at guest address addr.
func (s *semiMachine) put(addr uint64, b []byte) {
	dst, ok := s.m.guestWrite(addr, uint64(len(b)))
	if !ok {
		s.t.Fatalf("%#x is outside guest memory", addr)
	}
	copy(dst, b)
}

func (s *semiMachine) get(addr, n uint64) []byte {
	b, ok := s.m.guest(addr, n)
	if !ok {
		s.t.Fatalf("%#x is outside guest memory", addr)
	}
	return append([]byte(nil), b...)
}

// call makes semihosting call op with a1 = arg and returns a0.
func (s *semiMachine) call(op, arg uint64) uint64 {
	s.t.Helper()
	h := s.m.Hart
	h.X[10], h.X[11] = op, arg
	pc := h.PC
	if err := s.m.semihostCall(); err != nil {
		s.t.Fatal(err)
	}
	if h.PC != pc+4 {
		s.t.Fatalf("op %#x: pc %#x after the call, want %#x", op, h.PC, pc+4)
	}
	return h.X[10]
}

// block makes call op with a parameter block of words at semiBlock.
func (s *semiMachine) block(op uint64, words ...uint64) uint64 {
	s.t.Helper()
	b := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	s.put(semiBlock, b)
	return s.call(op, semiBlock)
}

// str puts a NUL-terminated string at addr and returns addr.
func (s *semiMachine) str(addr uint64, v string) uint64 {
	s.put(addr, append([]byte(v), 0))
	return addr
}

// want checks a result, and the errno of a failure.
func (s *semiMachine) want(what string, got, want uint64, errno int) {
	s.t.Helper()
	if got != want {
		s.t.Fatalf("%s returned %#x, want %#x", what, got, want)
	}
	if errno != 0 {
		if e := s.call(semiErrno, 0); e != uint64(errno) {
			s.t.Fatalf("%s: errno %d, want %d", what, e, errno)
		}
	}
}

const semiFailed = ^uint64(0) // -1

// TestSemihostConsole: ":tt" opens stdin (mode r), stdout (w) and stderr
// (a) as handles from 1 up, as qemu numbers them; SYS_WRITE returns the
// bytes not written, SYS_READ the bytes not read; SYS_WRITEC and
// SYS_WRITE0 write to stdout, SYS_READC reads stdin and -1 at its end.
func TestSemihostConsole(t *testing.T) {
	s := newSemiMachine(t, "hello!", "")
	tt := s.str(semiBuf, ":tt")
	in := s.block(semiOpen, tt, 0, 3)
	out := s.block(semiOpen, tt, 4, 3)
	errH := s.block(semiOpen, tt, 8, 3)
	if in != 1 || out != 2 || errH != 3 {
		t.Fatalf("handles %d %d %d, want 1 2 3", in, out, errH)
	}
	s.want("SYS_ISTTY of a stdout that is no terminal", s.block(semiIsTTY, out), 0, eNOTTY)
	s.put(semiBuf+64, []byte("to out"))
	s.want("SYS_WRITE stdout", s.block(semiWrite, out, semiBuf+64, 6), 0, 0)
	s.want("SYS_WRITE stderr", s.block(semiWrite, errH, semiBuf+64, 2), 0, 0)
	s.want("SYS_WRITE stdin", s.block(semiWrite, in, semiBuf+64, 6), 6, eNOTTY) // errno untouched
	s.put(semiBuf+128, []byte{'!'})
	s.call(semiWriteC, semiBuf+128)
	s.call(semiWrite0, s.str(semiBuf+192, " w0\n"))
	if s.out.String() != "to out! w0\n" || s.err.String() != "to" {
		t.Fatalf("stdout %q stderr %q", s.out.String(), s.err.String())
	}
	s.want("SYS_READ", s.block(semiRead, in, semiBuf+256, 4), 0, 0)
	if got := string(s.get(semiBuf+256, 4)); got != "hell" {
		t.Fatalf("read %q", got)
	}
	s.want("SYS_READC", s.call(semiReadC, 0), 'o', 0)
	s.want("SYS_READ short", s.block(semiRead, in, semiBuf+256, 10), 9, 0)
	s.want("SYS_READ at the end", s.block(semiRead, in, semiBuf+256, 10), 10, 0)
	s.want("SYS_READC at the end", s.call(semiReadC, 0), semiFailed, 0)
	s.want("SYS_CLOSE", s.block(semiClose, out), 0, 0)
	s.want("SYS_CLOSE again", s.block(semiClose, out), semiFailed, eBADF)
	s.want("SYS_WRITE closed", s.block(semiWrite, out, semiBuf+64, 6), 6, eBADF) // errno of the failed close
	s.want("SYS_OPEN reuses", s.block(semiOpen, tt, 4, 3), out, 0)
	s.want("SYS_OPEN mode 12", s.block(semiOpen, tt, 12, 3), semiFailed, eINVAL)
}

// TestSemihostFeatures: ":semihosting-features" reads "SHFB" and the
// feature byte (exit extended, stdout and stderr), as qemu's does.
func TestSemihostFeatures(t *testing.T) {
	s := newSemiMachine(t, "", "")
	name := s.str(semiBuf, ":semihosting-features")
	h := s.block(semiOpen, name, 0, 21)
	s.want("SYS_FLEN", s.block(semiFlen, h), 5, 0)
	s.want("SYS_ISTTY", s.block(semiIsTTY, h), 0, eNOTTY)
	s.want("SYS_READ", s.block(semiRead, h, semiBuf+64, 5), 0, 0)
	if got := s.get(semiBuf+64, 5); string(got) != "SHFB\x03" {
		t.Fatalf("features %q", got)
	}
	s.want("SYS_READ at the end", s.block(semiRead, h, semiBuf+64, 5), 5, 0)
	s.want("SYS_SEEK", s.block(semiSeek, h, 4), 0, 0)
	s.want("SYS_READ after seek", s.block(semiRead, h, semiBuf+64, 5), 4, 0)
	s.want("SYS_OPEN for writing", s.block(semiOpen, name, 4, 21), semiFailed, eACCES)
}

// TestSemihostFiles: files open read-only below --fs only; SYS_FLEN,
// SYS_SEEK (absolute) and SYS_READ work on them; writing, removing,
// renaming and temporary names are refused.
func TestSemihostFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newSemiMachine(t, "", dir)
	name := s.str(semiBuf, "/data.txt")
	h := s.block(semiOpen, name, 1, 9)
	if int64(h) <= 0 {
		t.Fatalf("SYS_OPEN returned %d", int64(h))
	}
	s.want("SYS_FLEN", s.block(semiFlen, h), 10, 0)
	s.want("SYS_ISTTY", s.block(semiIsTTY, h), 0, eNOTTY)
	s.want("SYS_SEEK", s.block(semiSeek, h, 4), 0, 0)
	s.want("SYS_READ", s.block(semiRead, h, semiBuf+64, 3), 0, 0)
	if got := s.get(semiBuf+64, 3); string(got) != "456" {
		t.Fatalf("read %q", got)
	}
	s.want("SYS_READ to the end", s.block(semiRead, h, semiBuf+64, 8), 5, 0)
	s.want("SYS_WRITE to a read-only file", s.block(semiWrite, h, semiBuf+64, 3), 3, 0)
	s.want("SYS_OPEN w", s.block(semiOpen, name, 4, 9), semiFailed, eACCES)
	s.want("SYS_OPEN r+", s.block(semiOpen, name, 2, 9), semiFailed, eACCES)
	s.want("SYS_OPEN missing", s.block(semiOpen, s.str(semiBuf+256, "nothing"), 0, 7), semiFailed, eNOENT)
	s.want("SYS_OPEN directory", s.block(semiOpen, s.str(semiBuf+256, "sub"), 0, 3), semiFailed, eISDIR)
	s.want("SYS_OPEN ../", s.block(semiOpen, s.str(semiBuf+256, "../../data.txt"), 0, 14), h+1, 0)
	s.want("SYS_REMOVE", s.block(semiRemove, name, 9), semiFailed, eACCES)
	s.want("SYS_RENAME", s.block(semiRename, name, 9, s.str(semiBuf+256, "x"), 1), semiFailed, eACCES)
	s.want("SYS_TMPNAM", s.block(semiTmpnam, semiBuf+256, 1, 64), semiFailed, eACCES)
	s.want("SYS_CLOSE", s.block(semiClose, h), 0, 0)

	n := newSemiMachine(t, "", "")
	s.want("SYS_OPEN without --fs", n.block(semiOpen, n.str(semiBuf, "/data.txt"), 0, 9), semiFailed, 0)
	n.want("errno", n.call(semiErrno, 0), eNOENT, 0)
	n.want("SYS_REMOVE without --fs", n.block(semiRemove, name, 9), semiFailed, eNOENT)
}

// TestSemihostInfo: the command line (the arguments joined by spaces, as
// qemu-system gives -kernel and -append), heap information, the clocks
// and the operations that only answer.
func TestSemihostInfo(t *testing.T) {
	s := newSemiMachine(t, "", "")
	s.want("SYS_GET_CMDLINE", s.block(semiGetCmdline, semiBuf, 64), 0, 0)
	if got := s.get(semiBuf, 9); string(got) != "prog a b\x00" {
		t.Fatalf("command line %q", got)
	}
	if n := binary.LittleEndian.Uint64(s.get(semiBlock+8, 8)); n != 8 {
		t.Fatalf("command line length %d, want 8", n)
	}
	s.want("SYS_GET_CMDLINE too small", s.block(semiGetCmdline, semiBuf, 8), semiFailed, e2BIG)
	s.want("SYS_HEAPINFO", s.block(semiHeapInfo, semiBuf), 0, 0)
	b := s.get(semiBuf, 32)
	heapBase, heapLimit, stackBase, stackLimit := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]),
		binary.LittleEndian.Uint64(b[16:]), binary.LittleEndian.Uint64(b[24:])
	// picolibc's RAM ends at 0x20008000 (__stack), hello below 0x20001000:
	// the stack takes half the 0x7000 bytes between, rounded down to a page.
	if heapBase != 0x20001000 || stackBase != 0x20008000 || heapLimit != stackLimit || heapLimit != 0x20005000 {
		t.Fatalf("heap [%#x, %#x), stack [%#x, %#x]", heapBase, heapLimit, stackLimit, stackBase)
	}
	s.want("SYS_TICKFREQ", s.call(semiTickFreq, 0), 1_000_000_000, 0)
	before := uint64(time.Now().Unix())
	now := s.call(semiTime, 0)
	if now < before || now > uint64(time.Now().Unix()) {
		t.Fatalf("SYS_TIME %d, host time %d", now, before)
	}
	s.want("SYS_ELAPSED", s.call(semiElapsed, semiBuf), 0, 0)
	t1 := binary.LittleEndian.Uint64(s.get(semiBuf, 8))
	time.Sleep(20 * time.Millisecond)
	s.call(semiElapsed, semiBuf)
	if t2 := binary.LittleEndian.Uint64(s.get(semiBuf, 8)); t2-t1 < uint64(20*time.Millisecond) || t2-t1 > uint64(10*time.Second) {
		t.Fatalf("SYS_ELAPSED went from %d to %d ns over 20 ms", t1, t2)
	}
	if c := s.call(semiClock, 0); c < 2 || c > 1000 {
		t.Fatalf("SYS_CLOCK %d centiseconds after more than 20 ms", c)
	}
	s.want("SYS_ISERROR -1", s.block(semiIsError, semiFailed), 1, 0)
	s.want("SYS_ISERROR 5", s.block(semiIsError, 5), 0, 0)
	s.want("SYS_SYSTEM", s.block(semiSystem, s.str(semiBuf, "true"), 4), semiFailed, eNOSYS)
	// As qemu aborts, the run stops at an operation that does not exist.
	s.m.Hart.X[10], s.m.Hart.X[11] = 0x99, semiBuf
	if err := s.m.semihostCall(); !errors.Is(err, ErrSemihostOp) || !strings.Contains(err.Error(), "0x99") {
		t.Fatalf("operation 0x99: %v", err)
	}
	// The operation is a0's low 32 bits.
	s.want("SYS_TICKFREQ in the low 32 bits", s.call(1<<32|semiTickFreq, 0), 1_000_000_000, 0)
}

// TestSemihostBadBlocks: a parameter block or a pointer in it outside
// guest memory gets the guest an error (-1 and EFAULT; the byte count for
// SYS_READ and SYS_WRITE, which return what was not transferred), never
// a monitor failure.
func TestSemihostBadBlocks(t *testing.T) {
	s := newSemiMachine(t, "input", "")
	for _, op := range []uint64{semiOpen, semiClose, semiWrite, semiRead, semiIsError, semiIsTTY, semiSeek, semiFlen,
		semiTmpnam, semiRemove, semiRename, semiSystem, semiGetCmdline, semiHeapInfo, semiExit, semiExitExtended, semiElapsed,
	} {
		for _, arg := range []uint64{0, semiBlock - 0x20000000 + 0x30000000, ^uint64(0) - 3} {
			s.want(SemihostName(op), s.call(op, arg), semiFailed, eFAULT)
		}
	}
	tt := s.str(semiBuf, ":tt")
	in, out := s.block(semiOpen, tt, 0, 3), s.block(semiOpen, tt, 4, 3)
	s.block(semiClose, 99) // errno EBADF: the failed transfers below leave it so
	s.want("SYS_WRITE from outside", s.block(semiWrite, out, 0x1000, 4), 4, eBADF)
	s.want("SYS_READ into outside", s.block(semiRead, in, 0x1000, 4), 4, eBADF)
	s.want("SYS_READ past the end", s.block(semiRead, in, s.m.Hart.Mem.End()-2, 4), 4, eBADF)
	for _, arg := range []uint64{0, ^uint64(0)} {
		s.want("SYS_WRITEC outside", s.call(semiWriteC, arg), semiNoResult, eBADF)
		s.want("SYS_WRITE0 outside", s.call(semiWrite0, arg), semiNoResult, eBADF)
	}
	s.want("SYS_OPEN path outside", s.block(semiOpen, 0x1000, 0, 3), semiFailed, eFAULT)
	s.want("SYS_GET_CMDLINE outside", s.block(semiGetCmdline, 0x1000, 64), semiFailed, eFAULT)
	s.want("SYS_HEAPINFO outside", s.block(semiHeapInfo, s.m.Hart.Mem.End()-8), semiFailed, eFAULT)
	end := s.m.Hart.Mem.End()
	s.put(end-4, []byte("abcd"))
	s.want("SYS_WRITE0 without NUL", s.call(semiWrite0, end-4), semiNoResult, eFAULT) // errno of SYS_HEAPINFO
	if s.out.Len() != 0 || s.m.exited {
		t.Fatalf("output %q, exited %v", s.out.String(), s.m.exited)
	}
}

// TestSemihostExitStatus: SYS_EXIT and SYS_EXIT_EXTENDED take [reason,
// subcode]: ADP_Stopped_ApplicationExit exits with the subcode (its low
// 8 bits, as a process status), any other reason with 1, as under qemu.
func TestSemihostExitStatus(t *testing.T) {
	for _, c := range []struct {
		op, reason, sub uint64
		status          int
	}{{semiExit, 0x20026, 0, 0}, {semiExit, 0x20026, 3, 3}, {semiExitExtended, 0x20026, 300, 44},
		{semiExit, 0x20023, 5, 1}, {semiExitExtended, 0x20020, 0, 1}} {
		s := newSemiMachine(t, "", "")
		s.block(c.op, c.reason, c.sub)
		if !s.m.exited || s.m.status != c.status {
			t.Fatalf("%s(%#x, %d): exited %v status %d, want %d", SemihostName(c.op), c.reason, c.sub, s.m.exited, s.m.status, c.status)
		}
	}
}

// semiCase is a run of a semihosting program checked in normal, record
// and replay modes.
type semiCase struct {
	name   string
	args   []string
	stdin  string
	fs     string
	want   func(path string) string // the expected stdout; nil: check checks it
	check  func(out string) bool
	status int
}

// checksum is fileio's: sum = sum*31 + byte over the file.
func checksum(b []byte) uint32 {
	var s uint32
	for _, c := range b {
		s = s*31 + uint32(c)
	}
	return s
}

// TestSemihostPrograms runs each program, records it and replays the
// recording without its input: no standard input and no --fs, so that a
// replay which touched the host would fail; the replay prints what the
// recording printed and ends in the recorded state.
func TestSemihostPrograms(t *testing.T) {
	testdata := filepath.Join("..", "programs", "testdata")
	hello, err := os.ReadFile(filepath.Join(testdata, "hello.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []semiCase{
		{name: "fileio", args: []string{"hello.txt"}, fs: testdata, want: func(string) string {
			return fmt.Sprintf("length %d\nat 6: 4 bytes %q\nfirst line: %sread %d bytes, checksum %08x\nopen for writing: -1 errno 13\nopen missing: -1 errno 2\n",
				len(hello), hello[6:10], hello, len(hello), checksum(hello))
		}},
		{name: "fileio", args: []string{"missing.txt"}, fs: testdata, status: 1, want: func(string) string { return "open missing.txt: errno 2\n" }},
		{name: "stdin", stdin: "ab\ncd\nlast", want: func(string) string { return "1: AB\n2: CD\n3: LAST\n3 lines, 10 bytes\n" }},
		{name: "stdin", stdin: "", want: func(string) string { return "0 lines, 0 bytes\n" }},
		{name: "clock", check: func(out string) bool {
			m := regexp.MustCompile(`^time (\d+)\ntickfreq 1000000000\nelapsed (\d+) -> (\d+) ticks\nclock (\d+) cs\nplausible: yes\n$`).FindStringSubmatch(out)
			if m == nil {
				return false
			}
			now, _ := strconv.ParseInt(m[1], 10, 64)
			return now > time.Now().Unix()-86400 && now <= time.Now().Unix()
		}},
		{name: "exitcode", status: 3, want: func(string) string { return "return 3\n" }},
		{name: "exitcode", args: []string{"abort"}, status: 134, want: func(string) string { return "abort\n" }},
		{name: "exitcode", args: []string{"300"}, status: 44, want: func(string) string { return "_exit 300\n" }},
	}
	for _, c := range cases {
		for _, b := range semihostBuilds {
			t.Run(c.name+b.suffix+"_"+strings.Join(c.args, "_"), func(t *testing.T) {
				path := semihostBuild(t, c.name, b.suffix)
				cfg := Config{Args: append([]string{path}, c.args...), Stdin: strings.NewReader(c.stdin), FSRoot: c.fs, MaxInsns: 50_000_000}
				var trace []byte
				var recorded, digest string
				for _, mode := range []string{"", "record", "replay"} {
					if mode != "replay" {
						cfg.Stdin = strings.NewReader(c.stdin)
					}
					res, out, errOut, err := semiRun(t, path, cfg, &trace, mode)
					if err != nil {
						t.Fatalf("%s: %v", mode, err)
					}
					if res.Status != c.status || errOut != "" {
						t.Fatalf("%s: status %d stderr %q, want %d \"\"; stdout %q", mode, res.Status, errOut, c.status, out)
					}
					if c.want != nil && out != c.want(path) {
						t.Fatalf("%s: stdout %q, want %q", mode, out, c.want(path))
					}
					if c.check != nil && !c.check(out) {
						t.Fatalf("%s: stdout %q", mode, out)
					}
					switch mode {
					case "record":
						recorded, digest = out, res.Stats.Digest
					case "replay":
						if out != recorded || res.Stats.Digest != digest {
							t.Fatalf("replay printed %q, digest %s; the recording %q, digest %s", out, res.Stats.Digest, recorded, digest)
						}
					}
				}
			})
		}
	}
}

// TestSemihostStopAt: a replay of stdin stopped with --stop-at (Config.
// MaxInsns) at a semihosting call, and between two, ends in the state of
// a recording stopped at the same count by --max-insns.
func TestSemihostStopAt(t *testing.T) {
	path := semihostProgram(t, "stdin")
	cfg := Config{Args: []string{path}, Stdin: strings.NewReader("one\ntwo\n")}
	var trace []byte
	if _, _, _, err := semiRun(t, path, cfg, &trace, "record"); err != nil {
		t.Fatal(err)
	}
	r, err := logfmt.NewReader(bytes.NewReader(trace), "t.zst")
	if err != nil {
		t.Fatal(err)
	}
	var calls []uint64
	for {
		evs, err := r.Next()
		if err != nil {
			break
		}
		for _, e := range evs {
			if e.Kind == logfmt.KindSyscall {
				calls = append(calls, e.Instret)
			}
		}
	}
	f, _ := r.Footer()
	if len(calls) < 3 {
		t.Fatalf("%d recorded calls: %v", len(calls), calls)
	}
	for _, n := range []uint64{calls[1], calls[1] + 1, (calls[2] + f.Instret) / 2} {
		var limited []byte
		cfg := Config{Args: []string{path}, Stdin: strings.NewReader("one\ntwo\n"), MaxInsns: n}
		rec, _, _, err := semiRun(t, path, cfg, &limited, "record")
		if !errors.Is(err, ErrInsnLimit) {
			t.Fatalf("record to %d: %v", n, err)
		}
		res, _, _, err := semiRun(t, path, Config{MaxInsns: n}, &trace, "replay")
		if !errors.Is(err, ErrStopAt) {
			t.Fatalf("replay to %d: %v", n, err)
		}
		if res.Instret != rec.Instret || res.Stats.Digest != rec.Stats.Digest {
			t.Fatalf("stopped at %d: replay at %d digest %s, recording at %d digest %s", n, res.Instret, res.Stats.Digest, rec.Instret, rec.Stats.Digest)
		}
	}
}

// TestSemihostStuck: built as the user would, without --crt0,
// exitcode's main returns into picolibc's default crt0, which then jumps
// to itself for ever; the run stops with ErrStuck, naming the loop and
// what to do, after the program's output.
func TestSemihostStuck(t *testing.T) {
	for _, march := range [][]string{semihostIM, nil} { // j . and c.j .
		path := func() string {
			semiBuildMu.Lock()
			defer semiBuildMu.Unlock()
			flags := append([]string{"--specs=picolibc.specs", "--oslib=semihost", "-O2"}, march...)
			return buildSemihost(t, "exitcode", fmt.Sprintf("exitcode-crt0-%d.elf", len(march)), flags...)
		}()
		res, out, _, err := semiRun(t, path, Config{MaxInsns: 100_000_000}, nil, "")
		if !errors.Is(err, ErrStuck) || !strings.Contains(err.Error(), "--crt0=semihost") || out != "return 3\n" {
			t.Fatalf("%v: run: %v; stdout %q", march, err, out)
		}
		if res.Instret > 2*chunk {
			t.Fatalf("%v: stopped after %d instructions, more than two chunks", march, res.Instret)
		}
	}
}

// TestSemihostIsTTYTerminal: SYS_ISTTY of the console is 1 when the host
// stream is a terminal (a pseudo-terminal here), as qemu asks isatty.
func TestSemihostIsTTYTerminal(t *testing.T) {
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer pty.Close()
	path := semihostProgram(t, "hello")
	prog, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(prog, Config{Stdin: strings.NewReader(""), Stdout: pty, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s := &semiMachine{t: t, m: m}
	out := s.block(semiOpen, s.str(semiBuf, ":tt"), 4, 3)
	s.want("SYS_ISTTY of a terminal", s.block(semiIsTTY, out), 1, 0)
	in := s.block(semiOpen, s.str(semiBuf, ":tt"), 0, 3)
	s.want("SYS_ISTTY of a string reader", s.block(semiIsTTY, in), 0, eNOTTY)
}

// TestSemihostKinds: the loader tells the program kinds apart from the
// ELF: a Linux program and an HTIF bare-metal one (tohost) are not
// semihosting programs, a picolibc semihosting program is, stripped of
// its symbols too (and then runs in memory reaching past its last
// segment); its .data image is loaded at its load address as well, as
// the ELF's program headers (debug/elf) say.
func TestSemihostKinds(t *testing.T) {
	for name, want := range map[string]Kind{"hello.elf": KindLinux, "bare_hello.elf": KindBare} {
		p, err := LoadFile(filepath.Join("..", "programs", "bin", name))
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind != want {
			t.Errorf("%s: kind %v, want %v", name, p.Kind, want)
		}
	}
	path := semihostProgram(t, "hello")
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prog, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	images := 0
	for _, ph := range f.Progs {
		if ph.Type != elf.PT_LOAD || ph.Paddr == ph.Vaddr || ph.Filesz == 0 {
			continue
		}
		data := make([]byte, ph.Filesz)
		if _, err := ph.ReadAt(data, 0); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range prog.Segments {
			found = found || s.Vaddr == ph.Paddr && bytes.Equal(s.Data, data)
		}
		if !found {
			t.Errorf("no segment at the load address %#x of the segment at %#x", ph.Paddr, ph.Vaddr)
		}
		images++
	}
	if images == 0 {
		t.Fatalf("%s has no segment whose load address differs (picolibc's .data)", path)
	}

	strip, err := exec.LookPath("riscv64-unknown-elf-strip")
	if err != nil {
		t.Skip("riscv64-unknown-elf-strip is not installed")
	}
	stripped := filepath.Join(t.TempDir(), "stripped.elf")
	if b, err := exec.Command(strip, "-o", stripped, path).CombinedOutput(); err != nil {
		t.Fatalf("strip: %v\n%s", err, b)
	}
	sp, err := LoadFile(stripped)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Kind != KindSemihost || sp.RAMTop != 0 {
		t.Fatalf("stripped: kind %v, __stack %#x", sp.Kind, sp.RAMTop)
	}
	res, out, _, err := semiRun(t, stripped, Config{Args: []string{"s", "9"}}, nil, "")
	if err != nil || res.Status != 9 || !strings.HasPrefix(out, "argc 3: program-name s 9\n") {
		t.Fatalf("stripped: %v, status %d, stdout %q", err, res.Status, out)
	}
}

// TestSemihostDivergenceNamesOperation: when a replay of a semihosting
// program meets an operation other than the recorded one, the divergence
// names both as semihosting operations, not as Linux system calls.
func TestSemihostDivergenceNamesOperation(t *testing.T) {
	path := semihostProgram(t, "clock")
	var trace []byte
	cfg := Config{Args: []string{path}, MaxInsns: 50_000_000}
	if _, _, _, err := semiRun(t, path, cfg, &trace, "record"); err != nil {
		t.Fatalf("record: %v", err)
	}
	edited := false
	bad := rewriteTrace(t, trace, func(e *logfmt.Event) {
		if e.Kind == logfmt.KindSyscall && !edited && e.Nr == semiTime {
			e.Nr, edited = semiElapsed, true
		}
	})
	if !edited {
		t.Fatal("the recording of clock has no SYS_TIME event")
	}
	_, _, _, err := semiRun(t, path, Config{}, &bad, "replay")
	if !errors.Is(err, ErrDivergence) {
		t.Fatalf("replay of an edited trace: %v, want a divergence", err)
	}
	for _, want := range []string{"semihosting call 17 (SYS_TIME)", "semihosting call 48 (SYS_ELAPSED)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the divergence %q does not name %q", err, want)
		}
	}
}

// TestGlibcWithSemihostBytesIsLinux: glibc programs that hold the
// semihosting sequence, as a constant in .rodata or as dead code, static
// and dynamic, are Linux programs (their GNU ABI tag, their PT_INTERP or
// ET_DYN say so; .rodata is not code), and print what qemu-riscv64 prints.
func TestGlibcWithSemihostBytesIsLinux(t *testing.T) {
	for _, tool := range []string{"riscv64-linux-gnu-gcc", "qemu-riscv64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	for _, src := range []string{"semiseq_data", "semiseq_code"} {
		for _, link := range []string{"-static", "-pie"} {
			t.Run(src+link, func(t *testing.T) {
				elf := filepath.Join(dir, src+link)
				if b, err := exec.Command("riscv64-linux-gnu-gcc", link, "-O2", "-o", elf, filepath.Join("testdata", src+".c")).CombinedOutput(); err != nil {
					t.Fatalf("riscv64-linux-gnu-gcc: %v\n%s", err, b)
				}
				want, err := exec.Command("qemu-riscv64", "-L", "/usr/riscv64-linux-gnu", elf).Output()
				if err != nil {
					t.Fatalf("qemu-riscv64: %v", err)
				}
				prog, err := LoadFile(elf)
				if err != nil {
					t.Fatal(err)
				}
				if prog.Kind != KindLinux {
					t.Fatalf("kind %s, want linux", prog.Kind)
				}
				var out bytes.Buffer
				m, err := New(prog, Config{Args: []string{elf}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: io.Discard, Sysroot: "/usr/riscv64-linux-gnu"})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if res, err := m.Run(); err != nil || res.Status != 0 || out.String() != string(want) {
					t.Fatalf("status %d, %v; printed %q, qemu-riscv64 printed %q", res.Status, err, out.String(), want)
				}
			})
		}
	}
}
