// Command bench measures rvsim against qemu-riscv64 on the benchmark
// programs, side by side in one run, and prints a table whose format stays
// stable so that results can be compared across commits.
//
//	go run ./scripts/bench [-runs 5] [-rvsim PATH] [-quick] [-engines interp,jit] [PROGRAM[:ARGS]...]
//
// For every program it runs, alternating and after one warm-up round,
// `rvsim run`, `rvsim record` and `rvsim replay` on each engine
// (--engine), and `qemu-riscv64`, and reports, one row per engine, the
// median wall time of each, rvsim's MIPS (from its own instruction
// count), the ratio of rvsim's MIPS to qemu's, the record and replay
// overhead against run on that engine (each recording writes a new trace
// file, not over the last round's), the cost of one recorded event,
// the jit's translation time and code size, and the peak resident memory
// of each rvsim mode. A last line gives the start-up time: the median
// wall time of a trivial program (hello) on each engine, on the default
// engine, and under qemu. It builds nothing: it uses
// programs/bin and the rvsim binary given (default: builds one with go
// build into a temporary directory, which is the only thing it builds).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rvsim/rvsim/internal/rusage"
)

// defaultPrograms are the CPU-heavy programs and the record/replay
// overhead program, with arguments that run each for about a second.
var defaultPrograms = []string{
	"bench:450", "sort:400000", "crc:300", "matmul:120", "nbody:500000", "interp:8000000", "strings:60000",
	"glibc_libm_static:300000", "glibc_lockfree_static:6000000", "flat:2000", "ndloop:3000000",
}

var quickPrograms = []string{"bench:2", "ndloop:20000"}

type sample struct {
	wall time.Duration
	rss  int64 // KiB
}

// modes are one engine's measurements of one program.
type modes struct {
	run, rec, rep        []sample
	runOut               string
	runErr               string
	recordErr, replayErr string
	events               uint64
	codeBytes            uint64        // jit: bytes of native code (--stats)
	xlate                time.Duration // jit: translation time (--stats)
}

type result struct {
	name, args string
	instret    uint64
	eng        map[string]*modes
	qemu       []sample
	qemuOut    string
}

func main() {
	runs := flag.Int("runs", 5, "measured runs of each mode (after one warm-up)")
	bin := flag.String("rvsim", "", "rvsim binary (default: go build ./cmd/rvsim)")
	quick := flag.Bool("quick", false, "a smoke run: small inputs, one measured run")
	engineList := flag.String("engines", "interp,jit", "rvsim engines to measure (--engine), comma-separated: one row each")
	flag.Parse()
	progs := flag.Args()
	if len(progs) == 0 {
		progs = defaultPrograms
		if *quick {
			progs = quickPrograms
		}
	}
	if *quick {
		*runs = 1
	}
	engines := strings.Split(*engineList, ",")
	for _, e := range engines {
		if e != "interp" && e != "jit" {
			fail(fmt.Errorf("-engines %q: want interp and/or jit, comma-separated", *engineList))
		}
	}
	root, err := repoRoot()
	if err != nil {
		fail(err)
	}
	tmp, err := os.MkdirTemp("", "rvsim-bench")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	if *bin == "" {
		*bin = filepath.Join(tmp, "rvsim")
		build := exec.Command("go", "build", "-o", *bin, "./cmd/rvsim")
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			fail(fmt.Errorf("go build: %v\n%s", err, out))
		}
	}
	qemu, err := exec.LookPath("qemu-riscv64")
	if err != nil {
		fail(fmt.Errorf("qemu-riscv64 not found (Debian package qemu-user)"))
	}
	fmt.Printf("# rvsim benchmark, %s, %d CPUs, %s/%s, %d runs, %s\n", time.Now().UTC().Format("2006-01-02 15:04"), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, *runs, cpuModel())
	var results []result
	for _, p := range progs {
		name, args, _ := strings.Cut(p, ":")
		elf := filepath.Join(root, "programs", "bin", name+".elf")
		argv := strings.Fields(args)
		r := result{name: name, args: args, eng: map[string]*modes{}}
		for _, e := range engines {
			r.eng[e] = &modes{}
		}
		for i := 0; i <= *runs; i++ { // round 0 is the warm-up
			for _, e := range engines {
				if n := measureEngine(*bin, e, elf, argv, filepath.Join(tmp, name+"-"+e+".zst"), r.eng[e], i > 0); n > 0 {
					r.instret = n
				}
			}
			sq, qout, _ := measure(qemu, append([]string{elf}, argv...))
			r.qemuOut = qout
			if i > 0 {
				r.qemu = append(r.qemu, sq)
			}
		}
		results = append(results, r)
	}
	print(results, engines)
	startup(*bin, qemu, filepath.Join(root, "programs", "bin", "hello.elf"), engines, max(2**runs+1, 3))
}

// measureEngine runs, records and replays elf once on engine e, keeping
// the samples if keep (after the warm-up), and returns the instruction
// count the run reported.
func measureEngine(bin, e, elf string, argv []string, trace string, m *modes, keep bool) uint64 {
	s, out, errOut := measure(bin, append([]string{"run", "--stats", "--engine", e, elf}, argv...))
	n := statNumber(errOut, "instructions")
	if n == 0 {
		m.runErr = lastLine(errOut)
	}
	m.runOut = out
	if js := jitStatRE.FindStringSubmatch(errOut); js != nil {
		m.codeBytes, _ = strconv.ParseUint(js[1], 10, 64)
		sec, _ := strconv.ParseFloat(js[2], 64)
		m.xlate = time.Duration(sec * float64(time.Second))
	}
	// Each recording writes a new file, as a user's new trace is: the
	// last round's trace is removed first, untimed. Recording over an
	// existing trace makes the file system truncate it, which on ext4
	// costs 0.5-1 ms at the open and the close (the close then starts
	// writing the new data back).
	if err := os.Remove(trace); err != nil && !os.IsNotExist(err) {
		fail(err)
	}
	sr, _, errRec := measure(bin, append([]string{"record", "--engine", e, "-o", trace, elf}, argv...))
	if _, ins, err := measure(bin, []string{"inspect", "--json", trace}); !strings.Contains(ins, "total_events") {
		m.recordErr = lastLine(errRec + err)
	} else {
		m.events = jsonNumber(ins, "total_events")
	}
	sp, _, errRep := measure(bin, []string{"replay", "--engine", e, elf, trace})
	if !strings.Contains(errRep, "replay identical") {
		m.replayErr = lastLine(errRep)
	}
	if keep {
		m.run, m.rec, m.rep = append(m.run, s), append(m.rec, sr), append(m.rep, sp)
	}
	return n
}

// jitStatRE finds the jit's code bytes and translation time in --stats.
var jitStatRE = regexp.MustCompile(`rvsim: stats: jit blocks \d+, code bytes (\d+), translation time ([0-9.]+)s`)

func print(rs []result, engines []string) {
	w := len("program") // the program column: as wide as the longest name
	for _, r := range rs {
		w = max(w, len(r.name))
	}
	fmt.Printf("%-*s %-9s %-6s %13s %9s %9s %9s %9s %8s %8s %7s %7s %7s %9s %8s %8s %8s %8s %8s\n",
		w, "program", "args", "engine", "instructions", "run_s", "rec_s", "rep_s", "qemu_s", "run_mips", "qemu_mips", "ratio", "rec/run", "rep/run", "ns/event", "xlate_ms", "code_kb", "rss_run", "rss_rec", "rss_rep")
	for _, r := range rs {
		q := median(r.qemu)
		mips := func(d time.Duration) float64 { return float64(r.instret) / d.Seconds() / 1e6 }
		for _, e := range engines {
			m := r.eng[e]
			if m.runErr != "" {
				fmt.Printf("%-*s %-9s %-6s #   run failed: %s\n", w, r.name, r.args, e, m.runErr)
				continue
			}
			run, rec, rep := median(m.run), median(m.rec), median(m.rep)
			perEvent := "-"
			if m.events >= 1000 { // a per-event figure needs events to spread over
				perEvent = fmt.Sprintf("%.1f", float64(rec.wall-run.wall)/float64(m.events))
			}
			xlate, code := "-", "-"
			if e == "jit" {
				xlate, code = fmt.Sprintf("%.2f", m.xlate.Seconds()*1000), fmt.Sprint(m.codeBytes/1024)
			}
			fmt.Printf("%-*s %-9s %-6s %13d %9.3f %9.3f %9.3f %9.3f %8.0f %8.0f %7.3f %7.3f %7.3f %9s %8s %8s %7dM %7dM %7dM\n",
				w, r.name, r.args, e, r.instret, run.wall.Seconds(), rec.wall.Seconds(), rep.wall.Seconds(), q.wall.Seconds(),
				mips(run.wall), mips(q.wall), mips(run.wall)/mips(q.wall), rec.wall.Seconds()/run.wall.Seconds(),
				rep.wall.Seconds()/run.wall.Seconds(), perEvent, xlate, code, maxRSS(m.run)/1024, maxRSS(m.rec)/1024, maxRSS(m.rep)/1024)
			if m.runOut != r.qemuOut && m.events <= 1 { // programs that read cycle or time differ by design
				fmt.Printf("#   %s: rvsim (%s) and qemu-riscv64 printed different output\n", r.name, e)
			}
			if m.recordErr != "" || m.replayErr != "" {
				fmt.Printf("#   %s (%s): record: %s replay: %s\n", r.name, e, m.recordErr, m.replayErr)
			}
		}
	}
}

// startup measures the start-up cost: the median wall time of n runs of
// a trivial program (hello) on each engine, on the default engine (no
// --engine: jit once its self-check passes, which a program this short
// ends before), and under qemu-riscv64.
func startup(bin, qemu, hello string, engines []string, n int) {
	walls := map[string][]sample{}
	for i := 0; i < n; i++ {
		for _, e := range engines {
			s, _, _ := measure(bin, []string{"run", "--engine", e, hello})
			walls[e] = append(walls[e], s)
		}
		s, _, _ := measure(bin, []string{"run", hello})
		walls["default"] = append(walls["default"], s)
		s, _, _ = measure(qemu, []string{hello})
		walls["qemu"] = append(walls["qemu"], s)
	}
	parts := []string{}
	for _, e := range append(engines, "default", "qemu") {
		parts = append(parts, fmt.Sprintf("%s %.2f ms", e, median(walls[e]).wall.Seconds()*1000))
	}
	fmt.Printf("# start-up (hello, median wall of %d runs): %s\n", n, strings.Join(parts, ", "))
}

// measure runs a command and returns its wall time and peak RSS.
func measure(name string, args []string) (sample, string, string) {
	cmd := exec.Command(name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil && cmd.ProcessState == nil {
		fail(err)
	}
	return sample{wall, rusage.PeakRSS(cmd.ProcessState)}, out.String(), errb.String()
}

func median(s []sample) sample {
	c := append([]sample(nil), s...)
	sort.Slice(c, func(i, j int) bool { return c[i].wall < c[j].wall })
	return c[len(c)/2]
}

func maxRSS(s []sample) int64 {
	var m int64
	for _, x := range s {
		m = max(m, x.rss)
	}
	return m
}

var statRE = map[string]*regexp.Regexp{}

// statNumber finds "rvsim: stats: KEY N" in stderr.
func statNumber(stderr, key string) uint64 {
	re, ok := statRE[key]
	if !ok {
		re = regexp.MustCompile(`rvsim: stats: ` + key + ` (\d+)`)
		statRE[key] = re
	}
	m := re.FindStringSubmatch(stderr)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	return n
}

// jsonNumber finds "KEY": N in a JSON text.
func jsonNumber(js, key string) uint64 {
	m := regexp.MustCompile(`"` + key + `": (\d+)`).FindStringSubmatch(js)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	return n
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			_, v, _ := strings.Cut(l, ":")
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the rvsim repository")
		}
		dir = parent
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
