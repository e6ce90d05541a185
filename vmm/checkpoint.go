package vmm

// Checkpoints of a replay: everything a later execution depends on, so
// that a replay restored to one and run on is in exactly the state of a
// straight replay (the referee of the tests in checkpoint_test.go).
//
// What is saved, field by field (and why the rest is not):
//
// Machine:
//   - Prog, cfg, log: fixed for the machine's life (setupReplay settles
//     Prog before the first instruction). Not saved.
//   - Hart: its rv64.State (registers, pc, privilege, CSRs with the ND
//     unit's pointers, the ND buffer's live entries, the LR/SC reservation, a tohost
//     exit pending behind a watchpoint stop) and guest memory as a page
//     version (package checkpoint); the decode cache is not state but a
//     cache, made consistent on Restore for the pages written.
//     Breakpoints and watchpoints are the debugger's, not the run's: they
//     stay as they are across a Restore.
//   - linux, semi: deep copies (below).
//   - rec: a recording is never checkpointed (Checkpoint refuses).
//   - rep: its position in the trace (below).
//   - stats: Exits (copied map), TraceBytes, Segments, Digest; events
//     (the per-kind counts): they end up in the Result and the footer
//     comparison.
//   - replayCap, hasCap: how far the replay may run; saved.
//   - exited, status: saved (a checkpoint at the end restores the end).
//   - warnedHTIF, warnedOutput: only keep a warning from repeating in the
//     log; a restored run that meets the same problem need not warn
//     again. Not saved.
//   - wr: the write in progress; none is between exits, where checkpoints
//     are taken, but it is saved (a value) so that nothing depends on it.
//   - htifOut: how the host's stdout and stderr are written (poll or not),
//     a property of the host streams, not of the run. Not saved.
//   - stop: a request from another goroutine. Not saved.
//   - calls: part of Icount; saved.
//   - dbg: the debugger's own state. started and ls (time and progress
//     bookkeeping) are not saved; ended is saved (the StopEnd of a
//     checkpoint at the end); store and fixed hold the checkpoints
//     themselves; outHigh and quietBelow must outlive a Restore (they
//     are what keeps output from being written twice). Not saved.
//     watchHit is cleared: it never outlives the Advance that set it.
//
// linux (deep copy: a restored run changes the live one):
//   - brkStart, brk, mmapLow, mmapTop, maps, packed, interpBase, sigact,
//     sigmask, sigpending, umask, cwd, killedBy, rlimit: guest-visible;
//     saved (maps copied).
//   - files, cloexec: saved, copied; a *guestFile shared by dup'ed
//     descriptors stays shared in the copy. A replay opens no host file
//     (the trace answers reads), so a guestFile's host reader and writer
//     are the machine's standard streams, shared.
//   - more: a file mapping's bytes still to record: recording only, but
//     saved (a value).
//   - root, sysroot: host directories, fixed, unused by a replay. Not
//     saved.
//   - warned, warnedMany, warnedOOM, warnedNoFS, warnedHandler: only keep
//     warnings from repeating. Not saved.
//
// semihost (deep copy): files (each semiFile copied; one whose stream is
// a console stream points to the copy's stdio), stdio, errno, killedBy:
// saved. root (a host directory) and start (the host time SYS_CLOCK counts
// from, which a replay takes from the trace) are fixed: not saved;
// warnedNoFS only keeps a warning from repeating: not saved.
//
// replayer: the position of the segment in hand (the logfmt.Pos it was
// read from, whether events remain in it, its length) and the reader's
// position after it, i, last, took, eof, footer, err: saved. seg itself
// shares the reader's buffers: Restore reads that segment again. scratch
// is a buffer reused within ndEmpty. r is the machine's reader.

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"unsafe"

	"github.com/rvsim/rvsim/checkpoint"
	"github.com/rvsim/rvsim/csr"
	"github.com/rvsim/rvsim/logfmt"
	"github.com/rvsim/rvsim/ndbuf"
	"github.com/rvsim/rvsim/rv64"
)

// ErrNotReplaying is returned, wrapped, by Checkpoint for a machine that
// does not replay a trace: re-running a plain run from a checkpoint would
// ask the host again for what it read.
var ErrNotReplaying = errors.New("checkpoints need a replay")

// Checkpoint is the state of a replaying machine at one instruction count,
// which Restore puts back.
type Checkpoint struct {
	m      *Machine // nil once released
	icount uint64
	hart   rv64.State // its ND holds only the live entries, from ndHead
	ndHead uint64
	mem    checkpoint.Version
	bytes  uint64 // what Bytes counts for it besides its pages

	calls     uint64
	exited    bool
	status    int
	stats     Stats
	events    [256]uint64
	wr        writeCall
	replayCap uint64
	hasCap    bool
	ended     *Stop

	linux *linux
	semi  *semihost
	rep   repState
}

// repState is a replayer's position.
type repState struct {
	at        repPos
	i         int
	last      uint64
	took, eof bool
	footer    logfmt.Footer
	err       error
}

// repPos is where a replayer reads: the segment in hand and the reader's
// position after it.
type repPos struct {
	seg    logfmt.Pos // where the segment in hand was read from
	hasSeg bool       // events remain in it
	segLen int
	cur    logfmt.Pos // the reader's position
}

// Icount returns the instruction count (Machine.Icount) of the checkpoint.
func (c *Checkpoint) Icount() uint64 { return c.icount }

// Bytes returns the memory the checkpoint's own state holds (registers,
// CSRs, the monitor's state), without guest memory pages: those are shared
// between checkpoints, a page held for as long as one kept checkpoint
// needs it. Machine.CheckpointBytes counts both: it is the figure to cap.
func (c *Checkpoint) Bytes() uint64 { return c.bytes }

func (p *replayer) where() repPos {
	return repPos{seg: p.segPos, hasSeg: p.i < len(p.seg), segLen: len(p.seg), cur: p.r.Pos()}
}

// reload reads the segment of at again into p.seg and puts the reader
// where at says. p.i is the caller's.
func (p *replayer) reload(at repPos) error {
	p.seg = nil
	if at.hasSeg {
		if err := p.r.Seek(at.seg); err != nil {
			return err
		}
		evs, err := p.r.Next()
		if err != nil {
			return fmt.Errorf("reading segment %d again: %w", at.seg.Segment(), err)
		}
		if len(evs) != at.segLen {
			return fmt.Errorf("reading segment %d again: %d events, %d the first time", at.seg.Segment(), len(evs), at.segLen)
		}
		p.seg, p.segPos = evs, at.seg
	}
	return p.r.Seek(at.cur)
}

// Checkpoint saves the machine's state (between Advance calls): the hart,
// its CSRs and ND unit, the monitor's state, the position in the trace,
// and guest memory as a page version that shares unchanged pages with the
// other checkpoints. It needs a replay of a seekable trace: else an error
// wrapping ErrNotReplaying or logfmt.ErrNotSeekable.
func (m *Machine) Checkpoint() (*Checkpoint, error) {
	p := m.rep
	if p == nil {
		return nil, fmt.Errorf("checkpoint at instruction %d: %w", m.Icount(), ErrNotReplaying)
	}
	if !p.r.Seekable() {
		return nil, fmt.Errorf("checkpoint at instruction %d: trace %q: %w", m.Icount(), m.cfg.TraceName, logfmt.ErrNotSeekable)
	}
	d := &m.dbg
	if d.store == nil {
		h := m.Hart
		d.store = checkpoint.New(h.Mem.Data, h.Mem.Written)
		// Pages restored to zeros go back to the host, as munmap's do.
		d.store.SetZero(func(off, n uint64) { h.Mem.Zero(h.Mem.Base+off, n) })
	}
	c := &Checkpoint{m: m, icount: m.Icount(), calls: m.calls,
		exited: m.exited, status: m.status, events: m.events, wr: m.wr,
		replayCap: m.replayCap, hasCap: m.hasCap, ended: d.ended}
	m.Hart.Save(&c.hart)
	c.hart.ND, c.ndHead = liveND(m.Hart, c.hart.ND)
	c.stats = cloneStats(m.stats)
	if m.linux != nil {
		c.linux = m.linux.clone()
	}
	if m.semi != nil {
		c.semi = m.semi.clone()
	}
	c.rep = repState{at: p.where(), i: p.i, last: p.last, took: p.took, eof: p.eof, footer: p.footer, err: p.err}
	c.mem = d.store.Take()
	c.bytes = c.size()
	d.fixed += c.bytes
	return c, nil
}

// liveND returns the entries of the ND buffer copy nd that the unit may
// still read, [ndhead, ndtail), and ndhead. The others are dead: replay
// reads only those, and a refill writes from the start (a recording, which
// drains the same range, is never checkpointed). A full buffer copy would
// cost 24 bytes an entry in every checkpoint (98 KiB for the default
// buffer) where this costs what is pending.
func liveND(h *rv64.Hart, nd []byte) ([]byte, uint64) {
	if h.ND == nil {
		return nil, 0
	}
	head, tail := h.CSR.Raw(csr.Ndhead), h.CSR.Raw(csr.Ndtail)
	lo, hi := head*ndbuf.EntrySize, tail*ndbuf.EntrySize
	if head > tail || hi > uint64(len(nd)) {
		return nd, 0 // not a state the unit makes: keep it all
	}
	return slices.Clone(nd[lo:hi]), head
}

// size estimates the bytes a checkpoint holds besides its pages.
func (c *Checkpoint) size() uint64 {
	n := uint64(unsafe.Sizeof(*c)) + uint64(cap(c.hart.ND)) + uint64(len(c.stats.Exits)+len(c.stats.Events))*48
	if l := c.linux; l != nil {
		n += uint64(unsafe.Sizeof(*l)) + uint64(cap(l.maps))*uint64(unsafe.Sizeof(mapping{})) + uint64(len(l.files))*(uint64(unsafe.Sizeof(guestFile{}))+48) + uint64(len(l.cloexec))*16
	}
	if s := c.semi; s != nil {
		n += uint64(unsafe.Sizeof(*s)) + uint64(len(s.files))*(uint64(unsafe.Sizeof(semiFile{}))+uint64(unsafe.Sizeof(guestFile{}))+48)
	}
	return n
}

// Restore puts the machine back (or forward) in the state of c: the next
// Advance runs from there. The decode cache is made consistent for the
// pages written and the replay reads the trace from c's position. Guest
// output that was already written is not written again when the restored
// run makes it again: only output past the furthest point output had
// reached is. On an error (the trace cannot be read again) the machine
// must be restored to another checkpoint before it runs.
func (m *Machine) Restore(c *Checkpoint) error {
	if c == nil || c.m != m {
		return errors.New("restore: the checkpoint is not one of this machine's, or was released")
	}
	p := m.rep
	d := &m.dbg
	if err := p.reload(c.rep.at); err != nil {
		p.err = err
		return fmt.Errorf("restore to instruction %d: %w", c.icount, err)
	}
	h := m.Hart
	err := d.store.Restore(c.mem, func(off, n uint64) { h.InvalidateCode(h.Mem.Base+off, n) })
	if err != nil {
		return fmt.Errorf("restore to instruction %d: %w", c.icount, err)
	}
	st := c.hart
	st.ND = nil
	h.Restore(&st)
	if h.ND != nil {
		copy(h.ND.Mem[c.ndHead*ndbuf.EntrySize:], c.hart.ND)
	}
	p.i, p.last, p.took, p.eof, p.footer, p.err = c.rep.i, c.rep.last, c.rep.took, c.rep.eof, c.rep.footer, c.rep.err
	if !c.rep.at.hasSeg {
		p.i = 0
	}
	m.calls, m.exited, m.status, m.events, m.wr = c.calls, c.exited, c.status, c.events, c.wr
	m.replayCap, m.hasCap = c.replayCap, c.hasCap
	m.stats = cloneStats(c.stats)
	if c.linux != nil {
		m.linux.restore(c.linux)
	}
	if c.semi != nil {
		m.semi.restore(c.semi)
	}
	d.ended = c.ended
	d.watchHit = false
	d.quietBelow = max(d.quietBelow, d.outHigh)
	return nil
}

// Release drops c, freeing the pages no kept checkpoint needs. Releasing
// twice does nothing; a released checkpoint cannot be restored.
func (m *Machine) Release(c *Checkpoint) {
	if c == nil || c.m != m {
		return
	}
	m.dbg.store.Drop(c.mem)
	m.dbg.fixed -= c.bytes
	c.m = nil
	c.linux, c.semi, c.hart.ND = nil, nil, nil
}

// CheckpointBytes returns the memory held by all kept checkpoints: their
// pages and their other state.
func (m *Machine) CheckpointBytes() uint64 {
	if m.dbg.store == nil {
		return 0
	}
	return m.dbg.store.Bytes() + m.dbg.fixed
}

// cloneStats copies st with maps of its own.
func cloneStats(st Stats) Stats {
	st.Exits = maps.Clone(st.Exits)
	st.Events = maps.Clone(st.Events)
	return st
}

// cloneFile copies the guest file f, keeping a file shared by several
// descriptors shared in the copy; seen maps originals to copies.
func cloneFile(f *guestFile, seen map[*guestFile]*guestFile) *guestFile {
	if f == nil {
		return nil
	}
	if c, ok := seen[f]; ok {
		return c
	}
	c := *f
	c.dirents = slices.Clone(f.dirents)
	seen[f] = &c
	return &c
}

// clone returns a deep copy of l's saved state (see the top of the file).
func (l *linux) clone() *linux {
	c := *l
	c.maps = slices.Clone(l.maps)
	seen := map[*guestFile]*guestFile{}
	c.files = make(map[int]*guestFile, len(l.files))
	for fd, f := range l.files {
		c.files[fd] = cloneFile(f, seen)
	}
	for i := range c.maps {
		c.maps[i].src = cloneFile(c.maps[i].src, seen) // the same file as its descriptors', if any
	}
	c.cloexec = maps.Clone(l.cloexec)
	c.root, c.sysroot, c.warned = nil, nil, nil
	return &c
}

// restore puts the saved state of s (a clone) into l, copying it again so
// that s can be restored again; what is not saved stays l's.
func (l *linux) restore(s *linux) {
	c := s.clone()
	c.root, c.sysroot = l.root, l.sysroot
	c.warned, c.warnedMany, c.warnedOOM, c.warnedNoFS, c.warnedHandler = l.warned, l.warnedMany, l.warnedOOM, l.warnedNoFS, l.warnedHandler
	*l = *c
}

// clone returns a deep copy of s's saved state.
func (s *semihost) clone() *semihost {
	c := *s
	seen := map[*guestFile]*guestFile{}
	for i, g := range s.stdio {
		c.stdio[i] = cloneFile(g, seen)
	}
	c.files = make(map[uint64]*semiFile, len(s.files))
	for h, f := range s.files {
		cf := *f
		cf.g = cloneFile(f.g, seen)
		c.files[h] = &cf
	}
	c.root = nil
	return &c
}

func (s *semihost) restore(saved *semihost) {
	c := saved.clone()
	c.root, c.start, c.warnedNoFS = s.root, s.start, s.warnedNoFS
	*s = *c
}
