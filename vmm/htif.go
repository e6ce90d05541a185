package vmm

import (
	"encoding/binary"
	"fmt"
)

// HTIF (host-target interface) as Spike and the RISC-V test suites use it:
// the guest writes a command to tohost, the host answers in fromhost.
const (
	htifSysWrite = 64 // the write system call of the proxy-kernel protocol
)

// htif handles a store that touched tohost. It fails only when the trace
// cannot take the result of a write.
func (m *Machine) htif() error {
	th, _ := m.guestWrite(m.Prog.ToHost, 8)
	v := binary.LittleEndian.Uint64(th)
	if v == 0 {
		return nil // not a command (a partial store, or clearing)
	}
	device, cmd, payload := v>>56, v>>48&0xff, v&(1<<48-1)
	if device == 0 && cmd == 0 && payload&1 == 1 { // exit; a console character may be odd
		m.exit(int(payload >> 1 & 0xff))
		return nil
	}
	reply := uint64(0)
	switch {
	case device == 0 && cmd == 0:
		if err := m.htifSyscall(payload); err != nil {
			return err
		}
		reply = 1
	case device == 1 && cmd == 1: // console putchar: the guest sees no result
		m.output(&m.htifOut[0], m.cfg.Stdout, "stdout", []byte{byte(payload)})
		reply = device<<56 | cmd<<48
	}
	clear(th)
	if m.Prog.HasFromHost {
		fh, _ := m.guestWrite(m.Prog.FromHost, 8)
		binary.LittleEndian.PutUint64(fh, reply)
	}
	return nil
}

// htifSyscall runs the proxy-kernel system call whose 8 arguments are at
// addr: magic_mem[0] is the number, the result goes back to magic_mem[0].
// A write's result is host input as for Linux programs (writes.go).
func (m *Machine) htifSyscall(addr uint64) error {
	args, ok := m.guestWrite(addr, 64)
	if !ok {
		// Nowhere to put a result: the guest sees fromhost set and its
		// block unchanged. One warning a run, however often it tries.
		if !m.warnedHTIF {
			m.warnedHTIF = true
			m.log.Warn(fmt.Sprintf("HTIF system call block at %#x is outside guest memory: ignored", addr))
		}
		return nil
	}
	a := func(i int) uint64 { return binary.LittleEndian.Uint64(args[8*i:]) }
	r := errno(eNOSYS)
	if a(0) == htifSysWrite {
		r = errno(eBADF)
		if fd := a(1); fd == 1 || fd == 2 {
			if b, ok := m.guest(a(2), a(3)); ok {
				w, name := m.cfg.Stdout, "stdout"
				if fd == 2 {
					w, name = m.cfg.Stderr, "stderr"
				}
				if err := m.beginWrite(htifSysWrite); err != nil {
					return err
				}
				n, err := m.output(&m.htifOut[fd-1], w, name, b)
				r = uint64(n)
				if err != nil && n == 0 {
					r = errno(hostErrno(err))
				}
				if r, err = m.endWrite(htifSysWrite, r); err != nil {
					return err
				}
			} else {
				r = errno(eFAULT)
			}
		}
	}
	binary.LittleEndian.PutUint64(args, r)
	return nil
}
