package vmm

// Guest I/O on the host's standard streams: how a write that the host
// refuses or cuts short becomes host input that the trace records and
// replay answers, SIGPIPE, and how a read or write blocked on the host
// gives way to Machine.Stop.

import (
	"encoding/binary"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/rvsim/rvsim/logfmt"
)

// sigPIPE is Linux's SIGPIPE.
const sigPIPE = 13

// Dispositions in the handler field of a struct sigaction.
const (
	sigDFL = 0
	sigIGN = 1
)

// pipeBuf is PIPE_BUF: a write of at most this many bytes to a pipe that
// poll reports writable completes without blocking.
const pipeBuf = 4096

// pollInterval is how often a write waiting for room on the host checks
// whether the machine was asked to stop.
const pollInterval = 50 * time.Millisecond

// errStopped is the host error of a read or write given up on because the
// machine was asked to stop: the guest sees EINTR (or the count written
// before).
var errStopped = fmt.Errorf("abandoned: the run is stopping: %w", syscall.EINTR)

// writeCall is what the monitor knows about the write or writev in
// progress.
type writeCall struct {
	host     bool   // record: the host wrote short or failed, so the result is host input
	replayed bool   // replay: the trace holds this call's result
	result   uint64 // replay: the recorded result
	budget   uint64 // replay: bytes the recorded call wrote that are still to be output
}

// How a guest file's host reader or writer is used.
const (
	ioUnknown = iota
	ioDirect  // a regular file, or no descriptor: read and written as it comes
	ioPoll    // a pipe, terminal or socket: waited on with poll (writes PIPE_BUF at a time)
)

// ioMode returns how s, a guest file's host reader or writer, is used,
// deciding it the first time (mode).
func ioMode(mode *int, s any) int {
	if *mode == ioUnknown {
		*mode = ioDirect
		if rc, ok := s.(rawConner); ok && pollable(rc) {
			*mode = ioPoll
		}
	}
	return *mode
}

// hostRead reads what is available from f's host reader, as read(2) does.
// From a pipe, terminal or socket it first waits with poll until there is
// input, so that Machine.Stop can end the wait: the read is then abandoned
// with errStopped and nothing consumed.
func (m *Machine) hostRead(f *guestFile, b []byte) (int, error) {
	if len(b) > 0 && ioMode(&f.in, f.r) == ioPoll {
		if err := m.await(f.r.(rawConner), waitReadable); err != nil {
			return 0, err
		}
	}
	n, err := readSome(f.r, b)
	if err == nil && n > 0 && n < len(b) && f.in == ioPoll && endlessDevice(f.r.(rawConner)) {
		// A device that always has data (/dev/zero, /dev/urandom)
		// reads short only when a signal to rvsim cut the read: read
		// on, as the guest's read would not have been cut.
		for n < len(b) {
			if ready, werr := waitReadable(f.r.(rawConner), 0); werr != nil || !ready {
				break
			}
			k, rerr := f.r.Read(b[n:])
			n += k
			if rerr != nil || k == 0 {
				break
			}
		}
	}
	return n, err
}

// await waits, with wait (waitReadable or waitWritable), until rc's
// descriptor is ready, checking every pollInterval whether the machine was
// asked to stop: then it gives up with errStopped.
func (m *Machine) await(rc rawConner, wait func(rawConner, time.Duration) (bool, error)) error {
	for {
		ready, err := wait(rc, pollInterval)
		switch {
		case err != nil:
			return err
		case ready:
			return nil
		case m.stop.Load():
			return errStopped
		}
	}
}

// rawConner is an *os.File, whose descriptor the monitor can poll.
type rawConner interface {
	SyscallConn() (syscall.RawConn, error)
}

// beginWrite prepares a write (write or writev, or HTIF's write) of the
// system call numbered nr: in replay, the trace answers it if its next
// event is this call (same number, instruction count and pc), recorded
// because the host wrote short or failed.
func (m *Machine) beginWrite(nr uint64) error {
	wr := &m.wr
	*wr = writeCall{}
	if m.rep == nil || !m.Hart.ND.Empty() {
		return nil
	}
	h := m.Hart
	ev, err := m.rep.peek(m)
	if err != nil || ev == nil || ev.Kind != logfmt.KindSyscall || ev.Nr != nr || ev.Instret != h.Instret() || ev.PC != h.PC {
		return nil
	}
	if err := m.rep.checkRegs(m, *ev); err != nil {
		return err
	}
	wr.replayed, wr.result = true, ev.Value
	if int64(ev.Value) > 0 {
		wr.budget = ev.Value
	}
	m.rep.take(m)
	return nil
}

// endWrite settles the result r of the write that beginWrite prepared: in
// replay the recorded one; in record, a result that the host cut short or
// refused is written to the trace. A Linux write that fails with EPIPE
// raises SIGPIPE.
func (m *Machine) endWrite(nr, r uint64) (uint64, error) {
	wr := &m.wr
	switch {
	case wr.replayed:
		r = wr.result
	case m.rec != nil && wr.host:
		h := m.Hart
		ev := logfmt.Event{Kind: logfmt.KindSyscall, Instret: h.Instret(), PC: h.PC, Value: r, Nr: nr, Regs: logfmt.RegsHash(&h.X)}
		if err := m.rec.add(m, ev); err != nil {
			return r, err
		}
	}
	*wr = writeCall{}
	if r == errno(ePIPE) && m.linux != nil {
		m.raise(sigPIPE)
	}
	return r, nil
}

// output writes b, guest memory, to w, the host stream (name) of a guest
// file whose ioMode is *mode, and returns how many bytes the guest is told
// were written.
func (m *Machine) output(mode *int, w io.Writer, name string, b []byte) (int, error) {
	wr := &m.wr
	if m.rep != nil {
		if wr.replayed {
			// Only what the recorded call wrote is output.
			k := min(uint64(len(b)), wr.budget)
			wr.budget -= k
			b = b[:k]
		}
		m.replayOutput(w, name, b)
		return len(b), nil
	}
	n, err := m.hostWrite(mode, w, b)
	if err != nil || n < len(b) {
		wr.host = true
	}
	return n, err
}

// replayOutput writes what the replayed guest writes. The guest's results
// come from the recording, not from this host stream: if it fails (a
// reader that quit), the replay goes on after one warning. Output that a
// run restored to a checkpoint makes again is not written twice (quiet).
func (m *Machine) replayOutput(w io.Writer, name string, b []byte) {
	if len(b) == 0 || m.quiet() {
		return
	}
	if _, err := w.Write(b); err != nil && !m.warnedOutput {
		m.warnedOutput = true
		m.log.Warn(fmt.Sprintf("replay: writing the guest's %s failed: %v; the replay goes on without its output", name, err))
	}
}

// hostWrite writes b to w, a host stream whose ioMode is *mode. To a pipe,
// terminal or socket it writes PIPE_BUF bytes at a time, each once poll
// says there is room, so that it never blocks where Machine.Stop cannot
// reach it: when the machine is asked to stop while the stream has no
// room, the write is abandoned with what was written so far and
// errStopped.
func (m *Machine) hostWrite(mode *int, w io.Writer, b []byte) (int, error) {
	if ioMode(mode, w) == ioDirect {
		return w.Write(b)
	}
	rc := w.(rawConner)
	done := 0
	for done < len(b) {
		if err := m.await(rc, waitWritable); err != nil {
			return done, err
		}
		n, err := w.Write(b[done:min(len(b), done+pipeBuf)])
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// raise delivers sig, raised by the guest's own action, as Linux would
// with no handler run: the default action of SIGPIPE kills the guest
// (status 128+sig), unless the guest ignores the signal, or blocks it
// (it is then pending until unblocked). A
// handler cannot be run (the monitor delivers no signals): the signal is
// then ignored, with one warning.
func (m *Machine) raise(sig int) {
	l := m.linux
	handler := binary.LittleEndian.Uint64(l.sigact[sig][:8])
	switch {
	case l.sigmask&(1<<(sig-1)) != 0:
		l.sigpending[pendThread] |= 1 << (sig - 1) // acted on when unblocked (deliverPending)
	case handler == sigIGN:
	case handler == sigDFL:
		m.log.Info(fmt.Sprintf("the guest was killed by signal %d (SIGPIPE: a write to a pipe with no reader) at pc %#x", sig, m.Hart.PC))
		l.killedBy = sig
		m.exit(128 + sig)
	case !l.warnedHandler:
		l.warnedHandler = true
		m.log.Warn(fmt.Sprintf("the guest's handler of signal %d at %#x is not run (the monitor delivers no signals): the signal is ignored", sig, handler))
	}
}
