package vmm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
)

// dbgRec is a recording of a shipped program, made by the test, and what
// the recording wrote.
type dbgRec struct {
	name     string
	prog     *Program
	path     string // the trace file
	out, err string // the recorded run's stdout and stderr
	footer   logfmt.Footer
}

// dbgProgram names a shipped program and how to record it.
type dbgProgram struct {
	name    string
	elf     string
	args    []string
	stdin   string // a file under programs/, or ""
	nd      uint64
	sysroot string
	mem     uint64
}

var dbgPrograms = []dbgProgram{
	{name: "nondet", elf: "nondet.elf", stdin: "testdata/cat-input.txt", mem: 16 << 20},
	{name: "ndloop-nd3", elf: "ndloop.elf", args: []string{"300"}, nd: 3, mem: 16 << 20},
	{name: "glibc-dynamic", elf: "glibc_nondet_dynamic.elf", stdin: "testdata/cat-input.txt", sysroot: "/usr/riscv64-linux-gnu", mem: 64 << 20},
	{name: "bare-htif", elf: "bare_hello.elf", mem: 1 << 20},
	{name: "bare-fencei", elf: "bare_fencei.elf", mem: 1 << 20}, // rewrites code it has run
	{name: "semihost-clock", elf: "semihost_clock.elf"},
	{name: "semihost-stdin", elf: "semihost_stdin.elf", stdin: "testdata/cat-input.txt"},
}

// dbgProg returns the dbgPrograms entry named name.
func dbgProg(name string) dbgProgram {
	for _, p := range dbgPrograms {
		if p.name == name {
			return p
		}
	}
	panic("no program " + name)
}

// dbgAllowRunErr lets recordDbg record a run that ends in an error (a
// fault).
var dbgAllowRunErr bool

// recordDbg records p into a trace file in a temporary directory.
func recordDbg(t testing.TB, p dbgProgram) dbgRec {
	t.Helper()
	if p.sysroot != "" {
		if _, err := os.Stat(filepath.Join(p.sysroot, "lib")); err != nil {
			t.Skipf("no sysroot at %s: %v", p.sysroot, err)
		}
	}
	prog, err := LoadFile(filepath.Join("..", "programs", "bin", p.elf))
	if err != nil {
		t.Fatal(err)
	}
	stdin := io.Reader(strings.NewReader(""))
	if p.stdin != "" {
		b, err := os.ReadFile(filepath.Join("..", "programs", p.stdin))
		if err != nil {
			t.Fatal(err)
		}
		stdin = bytes.NewReader(b)
	}
	path := filepath.Join(t.TempDir(), p.name+".zst")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out, errOut bytes.Buffer
	m, err := New(prog, Config{MemSize: p.mem, Args: append([]string{prog.Path}, p.args...), Stdin: stdin, Stdout: &out, Stderr: &errOut,
		Record: f, TraceName: path, NDBuffer: p.nd, Sysroot: p.sysroot})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Run(); err != nil && !dbgAllowRunErr {
		t.Fatalf("record %s: %v", p.name, err)
	}
	rec := dbgRec{name: p.name, prog: prog, path: path, out: out.String(), err: errOut.String()}
	r := openTrace(t, rec)
	for {
		if _, err := r.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	rec.footer, _ = r.Footer()
	return rec
}

func openTrace(t testing.TB, rec dbgRec) *logfmt.Reader {
	t.Helper()
	f, err := os.Open(rec.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, err := logfmt.NewReader(f, rec.path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// replayDbg returns a machine replaying rec, writing the guest's output to
// out (io.Discard if nil).
func replayDbg(t testing.TB, rec dbgRec, out io.Writer) *Machine {
	t.Helper()
	if out == nil {
		out = io.Discard
	}
	r := openTrace(t, rec)
	h := r.Header()
	m, err := New(rec.prog, Config{Args: h.Args, Env: h.Env, Replay: r, TraceName: rec.path, Stdout: out, Stderr: out, Stdin: strings.NewReader("")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// sameState compares everything a later execution depends on, as the
// guest and the digest see it: registers, pc, privilege, every CSR, the ND
// unit's buffer, guest memory, the instruction counts and the digest.
func sameState(a, b *Machine) error {
	ha, hb := a.Hart, b.Hart
	switch {
	case a.Icount() != b.Icount():
		return fmt.Errorf("icount %d, referee %d", a.Icount(), b.Icount())
	case ha.PC != hb.PC:
		return fmt.Errorf("pc %#x, referee %#x", ha.PC, hb.PC)
	case ha.X != hb.X:
		return fmt.Errorf("x registers differ:\n%x\n%x", ha.X, hb.X)
	case ha.F != hb.F:
		return fmt.Errorf("f registers differ")
	case ha.Priv != hb.Priv:
		return fmt.Errorf("privilege %d, referee %d", ha.Priv, hb.Priv)
	case ha.Instret() != hb.Instret():
		return fmt.Errorf("instret %d, referee %d", ha.Instret(), hb.Instret())
	case a.events != b.events || a.calls != b.calls || a.exited != b.exited || a.status != b.status:
		return fmt.Errorf("monitor counts differ")
	}
	for n := 0; n < 4096; n++ {
		if x, y := ha.CSR.Raw(uint16(n)), hb.CSR.Raw(uint16(n)); x != y {
			return fmt.Errorf("csr %#x = %#x, referee %#x", n, x, y)
		}
	}
	if ha.ND != nil {
		// The entries the unit may still read; the others are dead.
		lo, hi := ha.CSR.Raw(csr.Ndhead)*ndbuf.EntrySize, ha.CSR.Raw(csr.Ndtail)*ndbuf.EntrySize
		if !bytes.Equal(ha.ND.Mem[lo:hi], hb.ND.Mem[lo:hi]) {
			return fmt.Errorf("ND buffers differ")
		}
	}
	var ranges [][2]uint64
	collect := func(off, n uint64) { ranges = append(ranges, [2]uint64{off, off + n}) }
	ha.Mem.Written(collect)
	hb.Mem.Written(collect)
	for _, r := range ranges {
		if !bytes.Equal(ha.Mem.Data[r[0]:r[1]], hb.Mem.Data[r[0]:r[1]]) {
			for i := r[0]; i < r[1]; i++ {
				if ha.Mem.Data[i] != hb.Mem.Data[i] {
					return fmt.Errorf("memory differs at %#x: %#x, referee %#x", ha.Mem.Base+i, ha.Mem.Data[i], hb.Mem.Data[i])
				}
			}
		}
	}
	if da, db := a.Digest(), b.Digest(); da != db {
		return fmt.Errorf("digest %s, referee %s", da, db)
	}
	return nil
}

// referee is a straight replay of one recording, advanced only forward;
// it is replaced by a fresh one to go back.
type referee struct {
	t   testing.TB
	rec dbgRec
	m   *Machine
}

func (r *referee) at(n uint64) *Machine {
	if r.m == nil || r.m.Icount() > n {
		if r.m != nil {
			r.m.Close()
		}
		r.m = replayDbg(r.t, r.rec, nil)
	}
	if st := r.m.Advance(n); st.Kind != StopLimit && st.Kind != StopEnd {
		r.t.Fatalf("referee: Advance(%d): %v %v", n, st.Kind, st.Err)
	}
	return r.m
}

// endOf returns the Icount at which a straight replay of rec ends, checking
// that the end is the recorded one.
func endOf(t testing.TB, rec dbgRec) uint64 {
	t.Helper()
	var out bytes.Buffer
	m := replayDbg(t, rec, &out)
	st := m.Advance(^uint64(0))
	if st.Kind != StopEnd || st.Err != nil {
		t.Fatalf("%s: Advance to the end: %v %v", rec.name, st.Kind, st.Err)
	}
	if st.Result.Stats.Digest != rec.footer.Digest || st.Result.Instret != rec.footer.Instret {
		t.Fatalf("%s: ended at %d with digest %s, recorded %d, %s", rec.name, st.Result.Instret, st.Result.Stats.Digest, rec.footer.Instret, rec.footer.Digest)
	}
	if out.String() != rec.out+rec.err && out.String() != rec.out && rec.err == "" {
		t.Fatalf("%s: output %q, recorded %q", rec.name, out.String(), rec.out)
	}
	again := m.Advance(^uint64(0))
	if again.Kind != StopEnd || again.Result.Stats.Digest != st.Result.Stats.Digest {
		t.Fatalf("%s: a second Advance after the end: %v", rec.name, again.Kind)
	}
	return m.Icount()
}

// seekRun takes checkpoints at random icounts, restores them in random
// order and advances to random targets, comparing each stop with the
// referee; then it runs to the end. ops drives the choices.
func seekRun(t testing.TB, rec dbgRec, end uint64, rng *rand.Rand, steps int) {
	var out bytes.Buffer
	m := replayDbg(t, rec, &out)
	ref := &referee{t: t, rec: rec}
	var cps []*Checkpoint
	target := func(from uint64) uint64 {
		if rng.Intn(4) == 0 {
			return from + uint64(rng.Intn(3)) // a step or two
		}
		return from + uint64(rng.Int63n(int64(end-from)+1))
	}
	// Checkpoints forward from the start.
	for n := uint64(0); n < end; n = target(n + 1) {
		if st := m.Advance(n); st.Kind != StopLimit {
			t.Fatalf("Advance(%d): %v %v", n, st.Kind, st.Err)
		}
		c, err := m.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		if c.Icount() != n {
			t.Fatalf("checkpoint at %d says %d", n, c.Icount())
		}
		cps = append(cps, c)
		if len(cps) > 12 {
			break
		}
	}
	for i := 0; i < steps; i++ {
		switch op := rng.Intn(8); {
		case op < 5 && len(cps) > 0:
			c := cps[rng.Intn(len(cps))]
			if err := m.Restore(c); err != nil {
				t.Fatalf("Restore(%d): %v", c.Icount(), err)
			}
			if err := sameState(m, ref.at(c.Icount())); err != nil {
				t.Fatalf("%s: restored to %d: %v", rec.name, c.Icount(), err)
			}
		case op < 7:
			n := target(m.Icount())
			st := m.Advance(n)
			switch {
			case st.Kind == StopEnd:
				if st.Err != nil || st.Result.Stats.Digest != rec.footer.Digest {
					t.Fatalf("%s: Advance(%d) ended: %v, digest %s (recorded %s)", rec.name, n, st.Err, st.Result.Stats.Digest, rec.footer.Digest)
				}
			case st.Kind != StopLimit || m.Icount() != n:
				t.Fatalf("%s: Advance(%d): %v at %d: %v", rec.name, n, st.Kind, m.Icount(), st.Err)
			default:
				if err := sameState(m, ref.at(n)); err != nil {
					t.Fatalf("%s: at %d after a restore and Advance: %v", rec.name, n, err)
				}
			}
		case len(cps) > 1 && rng.Intn(2) == 0:
			k := rng.Intn(len(cps))
			m.Release(cps[k])
			if err := m.Restore(cps[k]); err == nil {
				t.Fatal("a released checkpoint was restored")
			}
			cps = slices.Delete(cps, k, k+1)
		default:
			c, err := m.Checkpoint()
			if err != nil {
				t.Fatal(err)
			}
			cps = append(cps, c)
		}
	}
	if len(cps) > 0 {
		if err := m.Restore(cps[rng.Intn(len(cps))]); err != nil {
			t.Fatal(err)
		}
	}
	st := m.Advance(^uint64(0))
	if st.Kind != StopEnd || st.Err != nil || st.Result.Stats.Digest != rec.footer.Digest {
		t.Fatalf("%s: to the end after the seeks: %v %v, digest %s, recorded %s", rec.name, st.Kind, st.Err, st.Result.Stats.Digest, rec.footer.Digest)
	}
	if got, want := out.String(), rec.out+rec.err; got != want && !(rec.err != "" && len(got) == len(want)) {
		t.Fatalf("%s: output after the seeks:\n%q\nrecorded:\n%q", rec.name, got, want)
	}
	for _, c := range cps {
		m.Release(c)
	}
	if b := m.CheckpointBytes(); b != 0 {
		t.Fatalf("%d bytes held with every checkpoint released", b)
	}
}

// TestCheckpointSeek is the fuzz-style test: for each recording, random
// checkpoints, restores and advances, each stop compared with a straight
// replay to the same icount, then the end as recorded, output written once.
func TestCheckpointSeek(t *testing.T) {
	for _, p := range dbgPrograms {
		t.Run(p.name, func(t *testing.T) {
			rec := recordDbg(t, p)
			end := endOf(t, rec)
			t.Logf("%s: %d instructions, events %v", rec.name, end, rec.footer.Events)
			for seed := int64(1); seed <= 6; seed++ {
				seekRun(t, rec, end, rand.New(rand.NewSource(seed)), 40)
			}
		})
	}
}

var fuzzRec struct {
	rec dbgRec
	end uint64
}

// FuzzSeek drives seekRun on a recording of ndloop with a three-entry ND
// buffer from a fuzzed seed.
func FuzzSeek(f *testing.F) {
	f.Add(int64(1), uint8(20))
	f.Add(int64(99), uint8(5))
	rec := recordDbg(f, dbgProg("ndloop-nd3"))
	end := endOf(f, rec)
	f.Fuzz(func(t *testing.T, seed int64, steps uint8) {
		seekRun(t, rec, end, rand.New(rand.NewSource(seed)), int(steps%64))
	})
}

// TestStepOverEcalls steps through a whole replay one Icount at a time:
// at each ecall one step runs the system call (pc past it), and the state
// there is the straight replay's; the end is the recorded one.
func TestStepOverEcalls(t *testing.T) {
	for _, p := range []dbgProgram{dbgProg("nondet"), dbgProg("semihost-clock")} {
		t.Run(p.name, func(t *testing.T) {
			rec := recordDbg(t, p)
			var out bytes.Buffer
			m := replayDbg(t, rec, &out)
			ref := &referee{t: t, rec: rec}
			calls := 0
			for {
				n := m.Icount()
				pc := m.Hart.PC
				w, _ := m.insnAt(pc)
				ecall := w == 0x00000073 || w == 0x00100073 // ecall, or a semihosting ebreak
				st := m.Advance(n + 1)
				if st.Kind == StopEnd {
					if st.Err != nil || st.Result.Stats.Digest != rec.footer.Digest {
						t.Fatalf("end: %v, digest %s, recorded %s", st.Err, st.Result.Stats.Digest, rec.footer.Digest)
					}
					break
				}
				if st.Kind != StopLimit || m.Icount() != n+1 {
					t.Fatalf("Advance(%d): %v at %d", n+1, st.Kind, m.Icount())
				}
				if ecall {
					calls++
					if m.Hart.PC != pc+4 || m.Hart.Instret() != ref.at(n).Hart.Instret() {
						t.Fatalf("step over the call at %#x (icount %d): pc %#x, instret %d", pc, n, m.Hart.PC, m.Hart.Instret())
					}
					if calls%5 == 1 {
						if err := sameState(m, ref.at(n+1)); err != nil {
							t.Fatalf("after the call at icount %d: %v", n, err)
						}
					}
				}
			}
			t.Logf("%d steps, %d calls", m.Icount(), calls)
			if calls == 0 || out.String() != rec.out+rec.err {
				t.Fatalf("%d calls stepped over; output %q, recorded %q", calls, out.String(), rec.out+rec.err)
			}
		})
	}
}

// Advance to the icount of an ecall stops at the ecall, before the call;
// one more runs it; from a checkpoint at the ecall, the same.
func TestAdvanceAroundEcall(t *testing.T) {
	rec := recordDbg(t, dbgProg("nondet"))
	m := replayDbg(t, rec, nil)
	// Find the first system call: step until the pc holds an ecall.
	for {
		if w, _ := m.insnAt(m.Hart.PC); w == 0x73 {
			break
		}
		if st := m.Advance(m.Icount() + 1); st.Kind != StopLimit {
			t.Fatalf("no ecall found: %v", st.Kind)
		}
	}
	n, pc, a7 := m.Icount(), m.Hart.PC, m.Hart.X[17]
	c, err := m.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	fresh := replayDbg(t, rec, nil)
	if st := fresh.Advance(n); st.Kind != StopLimit || fresh.Hart.PC != pc {
		t.Fatalf("a fresh Advance(%d) stops at pc %#x (%v), not at the ecall %#x", n, fresh.Hart.PC, st.Kind, pc)
	}
	if err := sameState(fresh, m); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if st := m.Advance(n + 1); st.Kind != StopLimit || m.Hart.PC != pc+4 || m.Icount() != n+1 {
			t.Fatalf("stepping over system call %d: %v, pc %#x, icount %d", a7, st.Kind, m.Hart.PC, m.Icount())
		}
		if err := m.Restore(c); err != nil {
			t.Fatal(err)
		}
	}
	if st := fresh.Advance(n + 2); st.Kind != StopLimit {
		t.Fatal(st.Kind)
	}
	if st := m.Advance(n + 2); st.Kind != StopLimit {
		t.Fatal(st.Kind)
	}
	if err := sameState(m, fresh); err != nil {
		t.Fatal(err)
	}
}

// A replay of a trace that cannot seek (a pipe) cannot take checkpoints;
// nor can a plain run.
func TestCheckpointNotSeekable(t *testing.T) {
	rec := recordDbg(t, dbgProg("nondet"))
	data, err := os.ReadFile(rec.path)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() { pw.Write(data); pw.Close() }()
	defer pr.Close()
	r, err := logfmt.NewReader(pr, "pipe")
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	m, err := New(rec.prog, Config{Args: h.Args, Env: h.Env, Replay: r, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Checkpoint(); !errors.Is(err, logfmt.ErrNotSeekable) {
		t.Fatalf("Checkpoint of a piped replay: %v, want ErrNotSeekable", err)
	}
	// It still replays to the recorded end.
	if st := m.Advance(^uint64(0)); st.Kind != StopEnd || st.Err != nil || st.Result.Stats.Digest != rec.footer.Digest {
		t.Fatalf("piped replay: %v %v", st.Kind, st.Err)
	}

	plain, err := New(rec.prog, Config{MemSize: 16 << 20, Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := plain.Checkpoint(); !errors.Is(err, ErrNotReplaying) {
		t.Fatalf("Checkpoint of a plain run: %v, want ErrNotReplaying", err)
	}
}

// BenchmarkCheckpoint replays shipped programs, taking 20 checkpoints
// evenly spaced and then restoring them in a random order. It reports the
// time of a Checkpoint and of a Restore (ckpt-ns, restore-ns, each
// averaged), the bytes the first checkpoint holds (first-B), what each
// later one adds (incr-B, averaged) and the guest memory written at the end
// (written-B). Run with -benchtime 1x.
func BenchmarkCheckpoint(b *testing.B) {
	progs := []dbgProgram{
		dbgProg("glibc-dynamic"),
		{name: "matmul", elf: "matmul.elf", mem: 64 << 20},
		{name: "sort", elf: "sort.elf", mem: 64 << 20},
		{name: "alloc", elf: "alloc.elf", mem: 64 << 20},
		{name: "bench", elf: "bench.elf", args: []string{"1"}, mem: 64 << 20},
	}
	for _, p := range progs {
		b.Run(p.name, func(b *testing.B) {
			rec := recordDbg(b, p)
			end := endOf(b, rec)
			const n = 20
			var ckpt, restore time.Duration
			var first, incr, written uint64
			for i := 0; i < b.N; i++ {
				m := replayDbg(b, rec, nil)
				var cps []*Checkpoint
				for k := uint64(0); k < n; k++ {
					if st := m.Advance(end * k / n); st.Kind != StopLimit {
						b.Fatal(st.Kind, st.Err)
					}
					before := m.CheckpointBytes()
					t0 := time.Now()
					c, err := m.Checkpoint()
					ckpt += time.Since(t0)
					if err != nil {
						b.Fatal(err)
					}
					if k == 0 {
						first += m.CheckpointBytes() - before
					} else {
						incr += m.CheckpointBytes() - before
					}
					cps = append(cps, c)
				}
				m.Advance(end - 1)
				m.Hart.Mem.Written(func(off, n uint64) { written += n })
				rng := rand.New(rand.NewSource(int64(i)))
				for _, k := range rng.Perm(n) {
					t0 := time.Now()
					if err := m.Restore(cps[k]); err != nil {
						b.Fatal(err)
					}
					restore += time.Since(t0)
				}
				m.Close()
			}
			N := uint64(b.N)
			b.ReportMetric(float64(ckpt.Nanoseconds())/float64(N*n), "ckpt-ns")
			b.ReportMetric(float64(restore.Nanoseconds())/float64(N*n), "restore-ns")
			b.ReportMetric(float64(first/N), "first-B")
			b.ReportMetric(float64(incr/(N*(n-1))), "incr-B")
			b.ReportMetric(float64(written/N), "written-B")
			b.ReportMetric(float64(end), "icount")
		})
	}
}

// TestRestoreRewrittenCode: bare_fencei rewrites code and runs it again.
// Restored to every instruction count, from the end backwards (with the
// later code decoded), each run to the end is the recorded one: Restore
// makes the hart decode again the code it writes back.
func TestRestoreRewrittenCode(t *testing.T) {
	rec := recordDbg(t, dbgProgram{name: "bare-fencei", elf: "bare_fencei.elf", mem: 1 << 20})
	m := replayDbg(t, rec, nil)
	var cps []*Checkpoint
	for {
		c, err := m.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, c)
		if st := m.Advance(m.Icount() + 1); st.Kind == StopEnd {
			break
		}
	}
	for i := len(cps) - 1; i >= 0; i-- {
		if err := m.Restore(cps[i]); err != nil {
			t.Fatal(err)
		}
		if st := m.Advance(^uint64(0)); st.Kind != StopEnd || st.Err != nil || st.Result.Status != 0 || st.Result.Stats.Digest != rec.footer.Digest {
			t.Fatalf("from instruction %d: %v %v, status %d", cps[i].Icount(), st.Kind, st.Err, st.Result.Status)
		}
	}
	t.Logf("%d checkpoints, %d bytes", len(cps), m.CheckpointBytes())
}

// A trace cut short after its first segment: the replay stops with
// ErrTraceEnd (StopError), and restored to a checkpoint it stops there
// again, in the same state; checkpoints before the cut stay exact.
func TestCheckpointIncompleteTrace(t *testing.T) {
	rec := recordDbg(t, dbgProgram{name: "ndloop-long", elf: "ndloop.elf", args: []string{"10000"}, nd: 3, mem: 16 << 20})
	r := openTrace(t, rec)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	cut := r.Pos().Offset()
	data, err := os.ReadFile(rec.path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) <= cut+100 {
		t.Fatalf("the trace has one segment (%d bytes, the first ends at %d)", len(data), cut)
	}
	rec.path = filepath.Join(t.TempDir(), "cut.zst")
	if err := os.WriteFile(rec.path, data[:cut+100], 0o644); err != nil { // into the second segment
		t.Fatal(err)
	}
	m := replayDbg(t, rec, nil)
	ref := &referee{t: t, rec: rec}
	var cps []*Checkpoint
	for {
		c, err := m.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, c)
		if st := m.Advance(m.Icount() + 5000); st.Kind == StopError {
			if !errors.Is(st.Err, ErrTraceEnd) || !errors.Is(st.Err, logfmt.ErrIncomplete) {
				t.Fatalf("the end of a cut trace: %v", st.Err)
			}
			break
		} else if st.Kind != StopLimit {
			t.Fatalf("Advance: %v %v", st.Kind, st.Err)
		}
	}
	endAt, endErr := m.Icount(), m.Advance(^uint64(0)).Err
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 10; i++ {
		c := cps[rng.Intn(len(cps))]
		if err := m.Restore(c); err != nil {
			t.Fatal(err)
		}
		if err := sameState(m, ref.at(c.Icount())); err != nil {
			t.Fatalf("restored to %d: %v", c.Icount(), err)
		}
		st := m.Advance(^uint64(0))
		if st.Kind != StopError || m.Icount() != endAt || st.Err.Error() != endErr.Error() {
			t.Fatalf("from %d: %v at %d (%v); first time at %d (%v)", c.Icount(), st.Kind, m.Icount(), st.Err, endAt, endErr)
		}
	}
}
