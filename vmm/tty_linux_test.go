//go:build linux

package vmm

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// openPTY opens a pseudo-terminal pair: the controller and the terminal.
func openPTY(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	var unlock int32
	var n uint32
	const tiocsptlck, tiocgptn = 0x40045431, 0x80045430
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), tiocsptlck, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("TIOCSPTLCK: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), tiocgptn, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("TIOCGPTN: %v", e)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return ptmx, tty
}

// TestIoctlTerminal: TCGETS and TIOCGWINSZ of a standard stream that is a
// host terminal give what the host's own ioctl gives; of a pipe or a
// buffer, ENOTTY; in a recording, the answer is in the trace.
func TestIoctlTerminal(t *testing.T) {
	ptmx, tty := openPTY(t)
	ws := [4]uint16{33, 111, 0, 0}
	const tiocswinsz = 0x5414
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), tiocswinsz, uintptr(unsafe.Pointer(&ws))); e != 0 {
		t.Fatal(e)
	}
	var host [termiosLen]byte
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), tcgets, uintptr(unsafe.Pointer(&host))); e != 0 {
		t.Fatal(e)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	prog, err := Parse(helloELF, readELF(t, helloELF))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(prog, Config{MemSize: 16 << 20, Stdin: pr, Stdout: tty, Stderr: &bytes.Buffer{}, Record: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	defer m.rec.stop()
	buf := m.linux.brkStart + PageSize
	m.rec.capture = true
	if r := m.sysIoctl(1, tcgets, buf); r != 0 {
		t.Fatalf("TCGETS of a terminal: %d", int64(r))
	}
	got, _ := m.guest(buf, termiosLen)
	if !bytes.Equal(got, host[:]) {
		t.Errorf("TCGETS gave %x, the host's ioctl %x", got, host)
	}
	if len(m.rec.captured) != 1 || !bytes.Equal(m.rec.captured[0].Data, host[:]) {
		t.Errorf("the answer was not captured for the trace: %v", m.rec.captured)
	}
	if r := m.sysIoctl(1, tiocgwinsz, buf); r != 0 {
		t.Fatalf("TIOCGWINSZ of a terminal: %d", int64(r))
	}
	got, _ = m.guest(buf, winsizeLen)
	if rows, cols := uint16(got[0])|uint16(got[1])<<8, uint16(got[2])|uint16(got[3])<<8; rows != 33 || cols != 111 {
		t.Errorf("TIOCGWINSZ: %d rows, %d columns; want 33, 111", rows, cols)
	}
	for fd, what := range map[uint64]string{0: "a pipe", 2: "a buffer"} {
		if r := m.sysIoctl(fd, tcgets, buf); r != errno(eNOTTY) {
			t.Errorf("TCGETS of %s: %d, want ENOTTY", what, int64(r))
		}
	}
	if r := m.sysIoctl(1, 0x5402 /* TCSETS */, buf); r != errno(eNOTTY) {
		t.Errorf("TCSETS: %d, want ENOTTY", int64(r))
	}
	if r := m.sysIoctl(7, tcgets, buf); r != errno(eBADF) {
		t.Errorf("TCGETS of a closed descriptor: %d, want EBADF", int64(r))
	}
}
