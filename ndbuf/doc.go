// Package ndbuf is the Xndrr record/replay unit of an rvsim hart: the
// in-memory entry format, the buffer in monitor memory described by the
// ndbase/ndsize/ndhead/ndtail CSRs, and the full and empty conditions that
// raise causes 24 and 25 to the monitor.
//
// The hart calls Record and Take on the CSR path only, when it reads cycle,
// time or seed with ndmode set; the monitor calls Drain and Fill when it
// handles the full and empty exits. Nothing here runs per instruction.
package ndbuf
