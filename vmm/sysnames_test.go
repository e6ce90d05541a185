package vmm

import (
	"bytes"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSyscallNameMonitorNumbers checks the names of the system calls the
// monitor serves against the numbers it serves them by (linux.go).
func TestSyscallNameMonitorNumbers(t *testing.T) {
	for _, c := range []struct {
		nr   uint64
		name string
	}{
		{sysGetcwd, "getcwd"}, {sysIoctl, "ioctl"}, {sysOpenat, "openat"}, {sysClose, "close"},
		{sysLseek, "lseek"}, {sysRead, "read"}, {sysWrite, "write"}, {sysReadv, "readv"},
		{sysWritev, "writev"}, {sysFstat, "fstat"}, {sysExit, "exit"}, {sysExitGroup, "exit_group"},
		{sysSetTidAddress, "set_tid_address"}, {sysSetRobustList, "set_robust_list"},
		{sysNanosleep, "nanosleep"}, {sysClockGettime, "clock_gettime"}, {sysSchedYield, "sched_yield"},
		{sysSigaction, "rt_sigaction"}, {sysSigprocmask, "rt_sigprocmask"}, {sysUname, "uname"},
		{sysGettimeofday, "gettimeofday"}, {sysGetpid, "getpid"}, {sysGetppid, "getppid"},
		{sysGetuid, "getuid"}, {sysGeteuid, "geteuid"}, {sysGetgid, "getgid"}, {sysGetegid, "getegid"},
		{sysGettid, "gettid"}, {sysBrk, "brk"}, {sysMunmap, "munmap"}, {sysMmap, "mmap"},
		{sysMprotect, "mprotect"}, {sysPrlimit64, "prlimit64"}, {sysGetrandom, "getrandom"},
		// Numbers the monitor does not serve, at the edges of the table.
		{0, "io_setup"}, {259, "riscv_flush_icache"}, {435, "clone3"}, {469, "file_setattr"},
		// Holes and numbers past the end.
		{38, "syscall_38"}, {244, "syscall_244"}, {300, "syscall_300"}, {470, "syscall_470"},
		{1 << 63, "syscall_9223372036854775808"},
	} {
		if got := SyscallName(c.nr); got != c.name {
			t.Errorf("SyscallName(%d) = %q, want %q", c.nr, got, c.name)
		}
	}
}

// TestSyscallNameHeader compares the whole table with the riscv64 kernel
// headers as the cross compiler's preprocessor reads them: every number
// the header defines has its name, and the table holds no number the
// header lacks except those of kernels newer than the header's.
func TestSyscallNameHeader(t *testing.T) {
	cc, err := exec.LookPath("riscv64-linux-gnu-gcc")
	if err != nil {
		t.Skip("riscv64-linux-gnu-gcc is not installed: no header to compare with")
	}
	defs, err := exec.Command(cc, "-dM", "-E", "-x", "c", "/dev/null", "-include", "asm/unistd.h").Output()
	if err != nil {
		t.Fatalf("%s -dM -E: %v", cc, err)
	}
	var src strings.Builder
	src.WriteString("#include <asm/unistd.h>\n")
	for _, m := range regexp.MustCompile(`(?m)^#define __NR_(\w+) `).FindAllStringSubmatch(string(defs), -1) {
		if m[1] != "syscalls" && m[1] != "arch_specific_syscall" && !strings.HasPrefix(m[1], "3264_") {
			src.WriteString("NR " + m[1] + " __NR_" + m[1] + "\n")
		}
	}
	cmd := exec.Command(cc, "-E", "-P", "-x", "c", "-")
	cmd.Stdin = strings.NewReader(src.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s -E: %v", cc, err)
	}
	header := map[uint64]string{}
	var top uint64
	for _, line := range bytes.Split(out, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) < 3 || f[0] != "NR" {
			continue
		}
		expr := strings.Join(f[2:], "")
		nr, err := strconv.ParseUint(expr, 10, 64)
		if err != nil {
			// (244 + 15) and the like.
			parts := strings.Split(strings.Trim(expr, "()"), "+")
			if len(parts) != 2 {
				t.Fatalf("__NR_%s is %q", f[1], expr)
			}
			a, err1 := strconv.ParseUint(parts[0], 10, 64)
			b, err2 := strconv.ParseUint(parts[1], 10, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("__NR_%s is %q", f[1], expr)
			}
			nr = a + b
		}
		header[nr] = f[1]
		top = max(top, nr)
	}
	if len(header) < 300 {
		t.Fatalf("the header defines only %d system calls", len(header))
	}
	for nr, name := range header {
		if got := SyscallName(nr); got != name {
			t.Errorf("SyscallName(%d) = %q, the header says %q", nr, got, name)
		}
	}
	// The riscv-specific calls (244 + n) are numbered beside the generic
	// table; the generic ones go up in order.
	for nr, name := range syscallNames {
		if name == "" || header[uint64(nr)] != "" {
			continue
		}
		if nr <= int(top) && nr != 258 { // riscv_hwprobe, Linux 6.4
			t.Errorf("the table names %d %q, the header (up to %d) does not", nr, name, top)
		}
	}
	t.Logf("%d numbers from the header, up to %d; the table goes to %d", len(header), top, len(syscallNames)-1)
}
