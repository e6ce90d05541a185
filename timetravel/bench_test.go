package timetravel

import (
	"debug/elf"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rvsim/rvsim/gdbstub"
)

// BenchmarkReverse measures reverse execution on a replay of
// programs/bin/debug_long.elf with RVSIM_BENCH_ROUNDS rounds (default
// 2,350,000: about 10^9 instructions), the session at the end of the run:
// the straight replay's time (Machine.Run), continue to the end under the
// session (checkpoints taken on the way), reverse-stepi (the first from the
// end, then ten more), reverse-continue to the breakpoint on eighth(), last
// hit an eighth of the run back, and the checkpoint memory. Run it with
// go test ./timetravel -run XXX -bench Reverse -benchtime 1x.
func BenchmarkReverse(b *testing.B) {
	rounds := "2350000"
	if v := os.Getenv("RVSIM_BENCH_ROUNDS"); v != "" {
		rounds = v
	}
	r := record(b, "debug_long", []string{rounds}, 0)
	f, err := elf.Open(filepath.Join("..", "programs", "bin", "debug_long.elf"))
	if err != nil {
		b.Fatal(err)
	}
	syms, err := f.Symbols()
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	var eighth uint64
	for _, s := range syms {
		if s.Name == "eighth" {
			eighth = s.Value
		}
	}
	if eighth == 0 {
		b.Fatal("no symbol eighth in debug_long.elf")
	}

	m := r.replay(b)
	t0 := time.Now()
	if _, err := m.Run(); err != nil {
		b.Fatal(err)
	}
	straight := time.Since(t0)

	for i := 0; i < b.N; i++ {
		s, m := r.session(b, 0)
		t0 = time.Now()
		st := s.Resume(gdbstub.Continue)
		cont := time.Since(t0)
		if st.Reason != gdbstub.StopExited {
			b.Fatalf("continue: %+v", st)
		}
		end := s.Icount()
		t0 = time.Now()
		if st := s.Resume(gdbstub.ReverseStep); st.Reason != gdbstub.StopSignal || s.Icount() != end-1 {
			b.Fatalf("reverse-stepi: %+v at %d", st, s.Icount())
		}
		rsi := time.Since(t0)
		t0 = time.Now()
		for k := 0; k < 10; k++ {
			s.Resume(gdbstub.ReverseStep)
		}
		rsi10 := time.Since(t0) / 10
		if err := s.InsertBreak(gdbstub.BreakSoftware, eighth, 2); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		st = s.Resume(gdbstub.ReverseContinue)
		rc := time.Since(t0)
		if st.Reason != gdbstub.StopBreakpoint || m.Hart.PC != eighth {
			b.Fatalf("reverse-continue: %+v at pc %#x", st, m.Hart.PC)
		}
		back := float64(end-s.Icount()) / float64(end)
		b.ReportMetric(float64(end), "insns")
		b.ReportMetric(straight.Seconds(), "straight-replay-s")
		b.ReportMetric(cont.Seconds(), "session-continue-s")
		b.ReportMetric(rsi.Seconds(), "reverse-stepi-first-s")
		b.ReportMetric(rsi10.Seconds(), "reverse-stepi-next-s")
		b.ReportMetric(rc.Seconds(), "reverse-continue-s")
		b.ReportMetric(rc.Seconds()/straight.Seconds(), "rc/straight")
		b.ReportMetric(back, "hit-fraction-back")
		b.ReportMetric(float64(m.CheckpointBytes())/(1<<20), "checkpoint-MiB")
		b.ReportMetric(float64(len(s.Checkpoints())), "checkpoints")
		b.Logf("%s rounds: %d instructions; straight replay %v, continue under the session %v, reverse-stepi %v then %v each, reverse-continue %v to a hit %.3f of the run back (%.2f of the straight replay); %d checkpoints, %.1f MiB",
			rounds, end, straight, cont, rsi, rsi10, rc, back, rc.Seconds()/straight.Seconds(), len(s.Checkpoints()), float64(m.CheckpointBytes())/(1<<20))
	}
}
