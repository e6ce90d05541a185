package vmm

import (
	"debug/elf"
	"errors"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/rvsim/rvsim/rv64"
)

// ProgressReport is what Config.Progress is given: how far a run is.
type ProgressReport struct {
	Instret    uint64        // instructions retired so far
	Events     uint64        // non-deterministic events recorded or replayed so far
	TraceBytes uint64        // trace bytes written so far (record)
	Elapsed    time.Duration // wall time since the run started
}

// progressEvery is how often the run loop calls Config.Progress (a
// variable for tests).
var progressEvery = time.Second

// progress calls Config.Progress if it is due. It runs in the run loop, so
// that it reads the hart without racing with it.
func (m *Machine) progress(start time.Time, next *time.Time) {
	now := time.Now()
	if now.Before(*next) {
		return
	}
	*next = now.Add(progressEvery)
	var events uint64
	for _, n := range m.eventsNow() {
		events += n
	}
	p := ProgressReport{Instret: m.Hart.Instret(), Events: events, Elapsed: now.Sub(start)}
	if m.rec != nil {
		p.TraceBytes = m.rec.written.Load()
	}
	m.cfg.Progress(p)
}

// mode names the record/replay mode of the run, for the log.
func (m *Machine) mode() string {
	switch {
	case m.rec != nil:
		return "record"
	case m.rep != nil:
		return "replay"
	}
	return "normal"
}

// logLoad logs, at info level, the program loaded and the memory layout.
func (m *Machine) logLoad() {
	if !m.log.Core().Enabled(zap.InfoLevel) {
		return
	}
	p, mem := m.Prog, &m.Hart.Mem
	segs := make([]string, len(p.Segments))
	for i, s := range p.Segments {
		segs[i] = hexRange(s.Vaddr, s.Vaddr+s.Memsz) + " " + permString(s.Flags)
	}
	fields := []zap.Field{
		zap.String("program", p.Path), zap.String("kind", p.Kind.String()),
		zap.String("entry", hexa(p.Entry)), zap.Strings("segments", segs),
		zap.String("memory_base", hexa(mem.Base)), zap.Uint64("memory_size", mem.Size()),
		zap.String("mode", m.mode()),
	}
	if l := m.linux; l != nil {
		fields = append(fields,
			zap.String("heap", hexRange(l.brkStart, l.brk)+" (grows up)"),
			zap.String("mmap", "below "+hexa(l.mmapTop)+" (grows down)"),
			zap.String("stack", hexRange(l.mmapTop, mem.End())),
			zap.String("sp", hexa(m.Hart.X[2])))
	}
	if m.Hart.ND != nil {
		fields = append(fields, zap.String("nd_buffer", hexa(m.ndBase())))
	}
	m.log.Info("loaded", fields...)
}

// logEnd logs, at info level, how the run ended.
func (m *Machine) logEnd(reason string, err error, wall time.Duration) {
	if !m.log.Core().Enabled(zap.InfoLevel) {
		return
	}
	status := m.status
	if fe := (*FaultError)(nil); errors.As(err, &fe) {
		status = fe.Status // the status of a process the fault's signal killed
	}
	fields := []zap.Field{zap.String("mode", m.mode()), zap.String("reason", reason),
		zap.Uint64("instret", m.Hart.Instret()), zap.String("pc", hexa(m.Hart.PC)),
		zap.Int("status", status), zap.Duration("wall", wall)}
	if err != nil {
		fields = append(fields, zap.String("error", err.Error()))
	}
	m.log.Info("run ended", fields...)
}

// logExit logs, at debug level, an exit of the hart to the monitor. The
// caller checks once per run that debug logging is on: ND-full and
// ND-empty exits can number millions.
func (m *Machine) logExit(e rv64.Exit) {
	m.log.Debug("exit to the monitor", zap.String("cause", exitName(e.Kind)), zap.Uint64("code", e.Cause),
		zap.String("pc", hexa(e.PC)), zap.Uint64("instret", m.Hart.Instret()))
}

// exitName names an exit kind for the log.
func exitName(k rv64.ExitKind) string {
	switch k {
	case rv64.ExitBudget:
		return "budget"
	case rv64.ExitEcall:
		return ExitSyscall
	case rv64.ExitHost:
		return ExitHTIF
	case rv64.ExitTrap:
		return "trap"
	case rv64.ExitNDFull:
		return ExitNDFull
	case rv64.ExitNDEmpty:
		return ExitNDEmpty
	case rv64.ExitDiverge:
		return "diverge"
	case rv64.ExitSemihost:
		return ExitSemi
	}
	return "unknown"
}

// permString writes segment permissions as ls does: "r-x".
func permString(f elf.ProgFlag) string {
	b := []byte("---")
	if f&elf.PF_R != 0 {
		b[0] = 'r'
	}
	if f&elf.PF_W != 0 {
		b[1] = 'w'
	}
	if f&elf.PF_X != 0 {
		b[2] = 'x'
	}
	return string(b)
}

func hexa(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }

func hexRange(lo, hi uint64) string { return "[" + hexa(lo) + ", " + hexa(hi) + ")" }
