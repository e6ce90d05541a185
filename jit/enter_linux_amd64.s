#include "textflag.h"
#include "go_asm.h"

// func enter(code uintptr, c *ctx)
//
// enter runs translated code at code until it returns. The code keeps the
// hart's integer registers at R15, guest memory at R14, the context at R13
// and the instruction budget left in R12 (ctx's first four words), and
// the code table (ctx's codeTab) in BP, which is saved and restored; it
// writes the budget back before it returns. It makes no call and uses no
// stack but the return address. R14 is Go's g register: it is saved and
// restored, as is the zero in X15. The code runs with MXCSR = c.mxIn
// (exception flags clear, every exception masked, rounding as frm says),
// and enter stores MXCSR in c.mxcsr after it, so that Go can accrue the
// flags the code's F and D instructions raised; Go's MXCSR is restored.
TEXT ·enter(SB), 0, $32-16
	MOVQ R14, saved-8(SP)
	MOVQ BP, savedbp-24(SP)
	STMXCSR mxcsr-12(SP)
	MOVQ code+0(FP), AX
	MOVQ c+8(FP), R13
	LDMXCSR ctx_mxIn(R13)
	MOVQ 0(R13), R15
	MOVQ 8(R13), R14
	MOVQ 16(R13), R12
	MOVQ ctx_codeTab(R13), BP
	CALL AX
	STMXCSR ctx_mxcsr(R13)
	LDMXCSR mxcsr-12(SP)
	MOVQ saved-8(SP), R14
	MOVQ savedbp-24(SP), BP
	XORPS X15, X15
	RET
