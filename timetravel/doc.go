// Package timetravel debugs a vmm.Machine from gdb, forwards and, for a
// replay, backwards.
//
// It owns the checkpoint policy (a checkpoint every Config.Interval
// instructions of a forward run, extra ones where the user stops and
// shortly before the target of a long seek, thinned to Config.CheckpointMem
// keeping a spread and always the one at instruction 0), seeking to an
// instruction count (the nearest checkpoint at or before it, or the
// current position when that is nearer, then forward), reverse execution
// (reverse-stepi is a seek to one instruction back; reverse-continue re-runs
// the intervals between checkpoints from the latest backwards and stops at
// the last breakpoint or watchpoint hit before the current position), read
// and access watchpoints (forward runs single-step while one is set and ask
// the hart which memory each instruction touches), the gdb monitor
// commands, and Session, the gdbstub.Target that ties these to a machine.
//
// Positions are the machine's instruction count (vmm.Machine.Icount):
// instructions retired plus system calls and semihosting calls completed.
// A replay is never changed by a session: register and memory writes are
// refused, and breakpoints and watchpoints only stop the hart.
package timetravel
