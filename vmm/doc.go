// Package vmm is the rvsim monitor. It loads a static RISC-V ELF, builds the
// machine (guest memory, a hart, the Linux initial stack or the bare-metal
// tohost channel), owns the run loop, and handles every exit the hart
// returns: Linux system calls for user-mode programs, the HTIF tohost
// protocol for bare-metal programs, and faults the guest does not handle.
package vmm
