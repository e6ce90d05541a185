// Package rv64 is the rvsim hart: instruction decode (Insn), execution of
// RV64IM with Zicsr, Zifencei, Zicntr and the Zkr seed CSR, guest physical
// memory, privilege (M and U) and synchronous traps.
//
// The hot loop is Hart.Run: it executes until a budget of instructions is
// spent or something needs the monitor, and returns that as an Exit value.
// The hart never calls the monitor; the monitor (package vmm) switches on
// the exit kind, as a KVM run loop switches on the exit reason.
package rv64
