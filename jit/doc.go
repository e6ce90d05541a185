// Package jit is the native-code engine: it translates the hart's RISC-V
// code, block by block, into amd64 machine code in memory it maps itself
// (written, then made executable), and runs it through a small assembly
// trampoline, without cgo. It owns the code cache, the translator, the
// chaining of blocks and the exits back to Go.
//
// The interpreter (rv64.Hart.Run) stays the reference: Engine.Run has
// exactly its contract, and whatever the engine does not translate it
// hands to the interpreter for those instructions, so every
// architectural result, trap, exit and instruction count is the
// interpreter's.
package jit
