// Package csr owns the control and status registers of an rvsim hart: their
// numbers and names, the declarative table of which exist and which bits are
// writable, the access rules the RISC-V privileged specification derives from
// the address bits, the counters of Zicntr, the Zkr seed CSR, and the five
// Xndrr CSRs of the record/replay unit, which belong to the monitor, and
// the floating-point CSRs fflags, frm and fcsr with mstatus.FS: FS Off
// makes them illegal, a write makes FS Dirty, and SD reads FS == Dirty.
// The hart asks FPOff before each F or D instruction and reports what one
// did with FPWrote.
//
// The hart (package rv64) calls Access for every CSR instruction; the monitor
// reads and writes registers directly through Get and Set, without the guest
// access rules.
package csr
