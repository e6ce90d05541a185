//go:build unix

package main

import (
	"bufio"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGDBDebugCtrlC: Ctrl-C on the terminal (SIGINT to rvsim debug's
// process group, as a terminal sends it) while gdb continues a long replay
// interrupts the replay through gdb (SIGINT stop in the guest), rvsim
// itself carries on, and gdb can continue to the end: replay identical.
func TestGDBDebugCtrlC(t *testing.T) {
	needGDBMultiarch(t)
	elfPath := absProgramPath(t, "debug_long")
	trace := filepath.Join(t.TempDir(), "long.zst")
	if r := rvsim(t, "", "record", "-o", trace, elfPath, "1000000"); r.status != 0 {
		t.Fatalf("record: %d %s", r.status, r.stderr)
	}
	cmd := exec.Command(rvsimBin, "debug", elfPath, trace, "--", "-nx", "-batch",
		"-ex", `echo @@go\n`, "-ex", "continue", "-ex", `printf "@@stopped %d\n", reached`, "-ex", "continue")
	cmd.Dir = repo
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	var out syncBuffer
	waited := make(chan error, 1)
	go func() { err := cmd.Wait(); pw.Close(); waited <- err }()
	sent := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			out.Write([]byte(sc.Text() + "\n"))
			if sc.Text() == "@@go" && !once {
				once = true
				time.Sleep(100 * time.Millisecond)
				syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
				close(sent)
			}
		}
	}()
	var werr error
	select {
	case werr = <-waited:
	case <-time.After(gdbLimit):
		t.Fatalf("rvsim debug did not end in %v:\n%s", gdbLimit, out.String())
	}
	select {
	case <-sent:
	default:
		t.Fatalf("gdb never started to continue:\n%s", out.String())
	}
	time.Sleep(50 * time.Millisecond) // the scanner's last lines
	o := out.String()
	status, sig, ok := waitStatus(werr)
	if !ok || sig != 0 || status != 0 {
		t.Fatalf("rvsim debug: status %d signal %d (%v), want gdb's 0:\n%s", status, sig, werr, o)
	}
	if !strings.Contains(o, "Program received signal SIGINT") {
		t.Fatalf("Ctrl-C did not interrupt the replay:\n%s", o)
	}
	m := regexp.MustCompile(`@@stopped (\d+)`).FindStringSubmatch(o)
	if m == nil || m[1] == "8" {
		t.Errorf("the replay was not interrupted before its end (reached %v):\n%s", m, o)
	}
	if exitedStatus(t, o) != 0 || !identRE.MatchString(o) {
		t.Errorf("after the interrupt, the replay did not run to its end identical:\n%s", o)
	}
}
