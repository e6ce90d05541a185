// Package jit is the native-code engine: it translates the hart's RISC-V
// code, block by block, into amd64 machine code and runs it, without cgo.
// It owns the code cache, the translator, the chaining of blocks and the
// exits back to Go. It runs on linux/amd64; elsewhere New fails with
// ErrUnsupported and the interpreter runs.
//
// The interpreter (rv64.Hart.Run) stays the reference: Engine.Run has
// exactly its contract, and whatever the engine does not translate it
// hands to the interpreter for those instructions, so every
// architectural result, trap, exit and instruction count is the
// interpreter's.
//
// # Blocks
//
// A block is the code from a pc to the first jump or backward branch
// (included), the end of its page, 200 instructions, or the first
// instruction the engine does not translate (F and D arithmetic in the
// static rounding mode to nearest with ties away, CSRs other than the
// recorded counters and fflags, ECALL, EBREAK, MRET, WFI, illegal
// words): the block then ends by returning to Go, which has the
// interpreter run that instruction and those like it that follow. A
// forward conditional branch does not end a block: taken, it jumps to the
// target's block; not taken, the block goes on, and the guest registers
// it has loaded into host registers stay there (a backward branch most
// often closes a loop and is taken, so it ends the block). The
// instructions come from rv64.Hart.DecodeAt, the interpreter's own
// decoder, so both engines see the same operations. A jump into the
// middle of a block starts a block of its own.
//
// Code that runs once costs more to translate than to interpret: the
// first two times Go finds no translation at a pc, the interpreter runs a
// burst of at least 256 instructions from there, and the third time the
// block is translated. A burst ends at the first block boundary after its
// count (rv64.Hart.RunBurst: a jump's target or a page's start), so it
// ends where blocks start, and the interpreter runs it at full speed (a
// budget with an exact end has the blocks near it find where it ends).
// Once 4,096 pcs have been counted so, the code has no hot spot soon
// found (thousands of functions, each run a few times), and bursts are of
// 4,096 instructions. Native code that keeps leaving after a few
// instructions (a store into a page that holds code, which the
// interpreter must make) has the interpreter run a burst of 65,536
// instructions instead.
//
// # Registers
//
// enter (enter_linux_amd64.s) pins the hart's integer registers at R15,
// guest memory at R14, the context (ctx) at R13, the instructions left in
// the budget in R12 and the hart's code table in RBP. Within a block,
// guest registers live in seven host registers (RBX, RSI, RDI, R8-R11),
// loaded when first read and written back when the block leaves, least
// recently used first when they run out; RAX, RCX and RDX are scratch.
// x0 is a host register zeroed, not loaded. A conditional branch in the
// middle of a block writes them back only when taken, in the cold code on
// its way to the target: not taken, the block goes on with them in host
// registers.
//
// An operation computes into its destination's host register: at once
// when the destination is its first source; when it is the second, with
// the sources swapped for add, xor, or, and and mul, as rd = rs1 - rd
// (neg, add) for sub; else after a move of the first source. x0 is not
// fetched where a shorter form needs no register for it: li (addi rd,
// x0, imm) is a move of the immediate, neg (sub rd, x0, rs2) a move and
// a negation, and a branch that compares with x0 tests the other
// register. sext.w (addiw rd, rs1, 0) is one sign-extending move. A
// table lookup computed into the register it then loads (slli x, y, s;
// add x, b, x; l* x, imm(x), or without the slli) is one x86 load from
// [b + y<<s + imm] (fuse_linux_amd64.go): x's values in between are never
// read, and an address outside memory has the interpreter run the two or
// three instructions from the first.
//
// A block that jumps or branches back to its own start (a loop) is
// translated twice: once to learn which guest registers it uses, and
// again with them loaded after the budget check at its start: all of
// them if there are seven at most; else the four it names most (x0
// aside), the others sharing the other three host registers as in any
// block. The registers loaded stay in host registers from one time round
// to the next, where other blocks load them again each time: those the
// loop writes count as changed from its start on, so that every way out
// of it (a branch out, a side exit, a budget that runs out, the jump back
// not taken) writes them back, and the jump back does not. It writes back
// the others, takes the first part's budget (returning to Go at the
// loop's start when it runs out) and goes on past the loads. The code the
// jump back goes to starts at a multiple of 32 bytes (the block starts as
// many bytes later as that takes): where a loop fell in the host's fetch
// blocks changed its speed by up to 8%.
//
// # Exactness
//
// A block subtracts its length from the budget on entry and returns to Go
// if that leaves less than nothing; the interpreter then runs what is
// left, so a budget ends at the exact instruction. A block with forward
// branches inside does so for each part (up to and including a branch, or
// the rest of the block) as the part starts, so that a branch taken in the
// middle leaves with the budget right. Every load and store checks its
// address against memory inline; outside it, and for a store into a page
// with decoded or translated code (the hart's code table) or into the
// watch range (tohost, the LR/SC reservation, watchpoints), a side exit
// writes back the registers, gives back the budget of the instructions not
// run and has the interpreter run the instruction, which takes the trap or
// marks the code stale. A store looks up the code table entries of the
// pages it touches (one if its address is known to be aligned, else its
// first and last byte's). In a block translated while every page with code
// lies within 16 MiB (rv64.Hart.CodeHull: a static program's code), it
// first compares its address with that hull, kept in the context, and only
// a store near code looks into the table, in the cold code; a dynamic
// program's code spans its libraries too, near the top of memory, and the
// hull holds the heap, so its stores look into the table at once. An AMO
// (amo_linux_amd64.go) is a load, the operation and a store with a store's
// checks, and a misaligned address a side exit too. LR and SC keep the
// reservation in the engine's context while native code runs, which the
// engine copies from the hart before and hands back after: an LR widens
// the watch range to hold the stores that may touch it, as the hart does,
// and an SC narrows it back (in code translated while the range had no
// other part, no tohost, a few stores of constants). The watch range is
// most often empty, and only an LR changes it in native code (an AMO or
// store into it takes a side exit): the stores of a block translated while
// it is empty and without an LR do not check it, and the block starts
// instead with a check that it still is; if not, the block is translated
// again, its stores checking it. Before it runs native code again the
// engine asks the hart what code was written (rv64.Hart.CodeWritten),
// compares the guest code of the blocks there with what they were
// translated from and drops those that changed. Divisions check for zero
// and overflow as the M extension defines them; shifts mask their count as
// RISC-V does, which x86 does too.
//
// # Chaining
//
// A block's jumps to other blocks are direct jumps, patched to the
// target's code once it is translated and back to a stub when the target
// is dropped; the stub returns to Go with the target's pc, and Go
// translates it. An indirect jump (JALR) looks its target up in a table
// of 65,536 entries (indexed by pc bits 16:1: a return to any of
// thousands of call sites stays in native code) and returns to Go on a
// miss, which fills the entry. The table's pages are handed back to the
// kernel when the cache is emptied, so a program that jumps to a few
// targets touches a few of its pages. Code is written through a
// second, writable mapping of the code's memory file, so no page is ever
// writable and executable at once, and writing or patching costs no
// system call (without a memory file, pages are made writable for the
// write and executable after it). A full cache (32 MiB) is emptied.
//
// # Floating point
//
// The F and D instructions run on SSE, and the fused multiply-adds on
// FMA3 where the host has it (fp_linux_amd64.go): loads, stores, moves,
// sign injections, comparisons, minimum and maximum, arithmetic and
// square roots, conversions between the two precisions and from and to
// integers, FCLASS (from the bits), in each rounding mode x86 has (to
// nearest even, towards zero, down and up: MXCSR rounds as frm says
// while the code runs, and is switched around an instruction with
// another static mode); conversions to integers also to nearest with
// ties away (with SSE4.1's rounds), those from integers in it for the
// values they hold exactly; CSR instructions on fflags
// (fflags_linux_amd64.go). Arithmetic in that mode, static or frm's, is
// the interpreter's. The f registers stay in the hart's state; each
// instruction loads its operands and stores its result. SSE's results
// and exception flags are those of IEEE 754 that package softfloat
// computes for the interpreter; what x86
// does otherwise is a side exit to the interpreter, taken before the
// result is written (a single operand not NaN-boxed, a conversion to an
// unsigned integer out of range, a NaN result of a fused multiply-add
// with a NaN addend), but for other NaN results, which the code replaces
// with RISC-V's canonical NaN, FMIN and FMAX of a NaN, which give the
// other operand, and conversions to a signed integer out of range, which
// saturate.
// A block checks once, at its first F or D instruction, that mstatus.FS
// is Dirty and, if it rounds as frm says, that frm is one of x86's modes.
// The flags accrue in MXCSR, which enter clears before the code runs, and
// Go adds them to fflags when it returns; a CSR instruction on fflags
// reads the CSR file's flags with MXCSR's, and a write clears MXCSR's.
//
// # Record and replay
//
// Reads of cycle, mcycle, time and seed run inline (nd_linux_amd64.go):
// in record mode they append their entry at ndtail, in replay mode they
// take and check the entry at ndhead, and a full or empty buffer or an
// entry that does not match is a side exit to the interpreter, which
// exits with cause 24 or 25 or reports the divergence. The values come
// from the time-stamp counter through the CSR file's csr.Clock (the
// interpreter's reads use the same arithmetic), and seed from RDRAND.
package jit
