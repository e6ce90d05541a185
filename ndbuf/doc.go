// Package ndbuf is the Xndrr record/replay unit of an rvsim hart: the
// in-memory entry format, the buffer in monitor memory described by the
// ndbase/ndsize/ndhead/ndtail CSRs, and the full and empty conditions that
// raise causes 24 and 25 to the monitor.
//
// The hart calls Full and Record (record mode), or Empty, Peek,
// Entry.Matches and Advance (replay mode), on the CSR path only, when it
// reads cycle, time or seed with ndmode set; the monitor calls Drain and
// Fill when it handles the full and empty exits, and Peek to describe a
// divergence. Nothing here runs per instruction.
//
// Kind numbers all the non-deterministic events of a trace: the three the
// unit records and the two the monitor records itself (system calls and
// other input); the trace format (logfmt) uses the same type.
package ndbuf
