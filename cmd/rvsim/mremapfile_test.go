package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// mremapFileSource maps the file argv[1] and grows its mappings with
// mremap: moved to three pages, shrunk to one and grown back in place,
// grown past the file's end (the bytes after it read zero; no page wholly
// past it is touched: Linux raises SIGBUS there), and grown after the
// descriptor is closed. It prints a sum of the bytes of each result.
const mremapFileSource = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned long sum(const unsigned char *p, long n)
{
	unsigned long s = 0;
	for (long i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

int main(int argc, char **argv)
{
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	long pg = 4096, size = 3 * 4096 + 1000;
	unsigned char *a = mmap(0, pg, PROT_READ, MAP_PRIVATE, fd, 0);
	unsigned char *b = mmap(0, pg, PROT_READ, MAP_PRIVATE, fd, pg); /* right above a, likely */
	unsigned char *moved = mremap(a, pg, 3 * pg, MREMAP_MAYMOVE);
	printf("moved: %lx\n", sum(moved, 3 * pg));
	unsigned char *c = mmap(0, 4 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
	unsigned char *s = mremap(c, 4 * pg, pg, 0);
	unsigned char *g = mremap(s, pg, 3 * pg, 0);
	printf("in place: %d %lx\n", g == c, sum(g, 3 * pg));
	unsigned char *d = mmap(0, 2 * pg, PROT_READ, MAP_PRIVATE, fd, pg);
	close(fd);
	unsigned char *e = mremap(d, 2 * pg, 3 * pg, MREMAP_MAYMOVE);
	printf("past the end, closed: %lx\n", sum(e, size - pg));
	printf("b: %lx\n", sum(b, pg));
	return 0;
}
`

// TestMremapFileAgainstQemu: an mremap that grows a mapping of a file
// maps the file's next bytes, as under qemu-riscv64 (Linux); a recording
// of it (native-code engine) replays identically on the interpreter, the
// bytes coming from the trace.
func TestMremapFileAgainstQemu(t *testing.T) {
	needGlibcTools(t)
	prog := buildGlibcSource(t, "mremapfile", mremapFileSource, true)
	dir := t.TempDir()
	data := make([]byte, 3*4096+1000)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	if err := os.WriteFile(filepath.Join(dir, "data.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	want := qemuRun(t, "", prog, true, filepath.Join(dir, "data.bin"))
	if want.status != 0 || strings.Count(want.stdout, "\n") != 4 {
		t.Fatalf("qemu-riscv64: status %d, stdout %q", want.status, want.stdout)
	}
	got := rvsim(t, "", "run", "--fs", dir, prog, "/data.bin")
	if got.status != 0 || got.stdout != want.stdout {
		t.Fatalf("rvsim: status %d, stdout %q, stderr %q\nqemu-riscv64: %q", got.status, got.stdout, got.stderr, want.stdout)
	}
	trace := filepath.Join(t.TempDir(), "t.zst")
	rec := rvsim(t, "", "record", "--engine", "jit", "--fs", dir, "-o", trace, prog, "/data.bin")
	if rec.status != 0 || rec.stdout != want.stdout {
		t.Fatalf("record: status %d, stdout %q, stderr %q", rec.status, rec.stdout, rec.stderr)
	}
	// The replay has no --fs: the file's bytes come from the trace.
	rep := rvsim(t, "", "replay", "--engine", "interp", prog, trace)
	if rep.status != 0 || rep.stdout != want.stdout || !replayIdentical.MatchString(rep.stderr) {
		t.Fatalf("replay: status %d, stdout %q, stderr %q", rep.status, rep.stdout, rep.stderr)
	}
	ins := rvsim(t, "", "inspect", "--events", trace)
	if n := len(regexp.MustCompile(`bytes of a file that an mremap added to its mapping`).FindAllString(ins.stdout, -1)); n != 3 {
		t.Errorf("inspect lists %d input events of an mremap, want 3:\n%s", n, ins.stdout)
	}
}
