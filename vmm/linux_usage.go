package vmm

// The system calls that report time in other forms than clock_gettime:
// clock_getres, times and getrusage. The guest's CPU time is its run's
// time so far, as its CPU clocks read (sysClockGettime): the monitor runs
// it on one thread, and nothing else of the host counts. times and
// getrusage read the host's clock, so they are recorded
// (recordedSyscalls); clock_getres answers constants.

import (
	"encoding/binary"
	"time"
)

const (
	userHZ                                   = 100                  // clock ticks a second of times (USER_HZ)
	coarseRes                                = 4 * time.Millisecond // the coarse clocks' resolution: a tick of Debian's kernels (HZ=250)
	rusageSize                               = 2*16 + 14*8          // struct rusage: two timevals and fourteen longs
	rusageSelf, rusageChildren, rusageThread = 0, -1, 1
	cpuClockSched                            = 2 // the low bits of a CPU clock id: profiling 0, virtual 1, scheduler 2
)

// validClock reports whether clk names a clock the guest can read: those
// sysClockGettime answers.
func validClock(clk int32) bool {
	switch {
	case clk == clockRealtime || clk == clockTAI:
		return true
	case clk >= clockMonotonic && clk <= clockBoottime:
		return true
	case clk&3 != 3 && guestCPUClock(clk):
		return true
	}
	return false
}

// guestCPUClock reports whether clk is one of Linux's CPU clock ids
// (negative: ~pid << 3 | which, bit 2 for a thread) of the guest itself
// (pid 0 or its own).
func guestCPUClock(clk int32) bool {
	return clk < 0 && (^(clk>>3) == 0 || ^(clk>>3) == guestPID)
}

// sysClockGetres is clock_getres: a nanosecond for every clock but the
// coarse ones and the profiling and virtual CPU clocks, which advance a
// tick at a time; res may be NULL.
func (m *Machine) sysClockGetres(clk int32, res uint64) uint64 {
	if !validClock(clk) {
		return errno(eINVAL)
	}
	if res == 0 {
		return 0
	}
	b, ok := m.guestWrite(res, 16)
	if !ok {
		return errno(eFAULT)
	}
	r := time.Nanosecond
	if clk == clockRealtimeCoarse || clk == clockMonoCoarse || clk < 0 && clk&3 != cpuClockSched {
		r = coarseRes // and the profiling and virtual CPU clocks, which count ticks
	}
	binary.LittleEndian.PutUint64(b, 0)
	binary.LittleEndian.PutUint64(b[8:], uint64(r))
	m.noteWrite(res, 16)
	return 0
}

// sysTimes is times: the guest's CPU time in clock ticks, all of it user
// time (its children's none), in buf if not NULL, and the ticks since a
// second before the run began.
func (m *Machine) sysTimes(buf uint64) uint64 {
	t := time.Since(processStart)
	ticks := uint64(t / (time.Second / userHZ))
	if buf != 0 {
		b, ok := m.guestWrite(buf, 32)
		if !ok {
			return errno(eFAULT)
		}
		clear(b)
		binary.LittleEndian.PutUint64(b, ticks) // tms_utime
		m.noteWrite(buf, 32)
	}
	return ticks + userHZ
}

// sysGetrusage is getrusage: for the process (or its one thread) its CPU
// time, as user time, and the memory it has in use, as its largest
// resident size; for its children, which it never has, zeros.
func (m *Machine) sysGetrusage(who int32, buf uint64) uint64 {
	if who != rusageSelf && who != rusageChildren && who != rusageThread {
		return errno(eINVAL)
	}
	b, ok := m.guestWrite(buf, rusageSize)
	if !ok {
		return errno(eFAULT)
	}
	clear(b)
	if who != rusageChildren {
		t := time.Since(processStart)
		binary.LittleEndian.PutUint64(b, uint64(t/time.Second))                      // ru_utime.tv_sec
		binary.LittleEndian.PutUint64(b[8:], uint64(t%time.Second/time.Microsecond)) // ru_utime.tv_usec
		binary.LittleEndian.PutUint64(b[32:], m.memoryInUse()/1024)                  // ru_maxrss, KiB
	}
	m.noteWrite(buf, rusageSize)
	return 0
}

// memoryInUse is the guest memory the program has: its segments and heap
// up to the break, and its mappings.
func (m *Machine) memoryInUse() uint64 {
	l := m.linux
	used := l.brk - m.Hart.Mem.Base
	for _, mp := range l.maps {
		used += mp.hi - mp.lo
	}
	return used
}
