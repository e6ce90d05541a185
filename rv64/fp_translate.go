package rv64

// The F and D extensions as a translating engine sees them (translate.go):
// their loads and stores are operations of their own, and every other F or
// D instruction is OperFP, with Decoded.FP saying which.

// Operations of the F and D extensions. For OperFP, Decoded.FP is the
// operation, Insn's funct3 its rounding mode (rm) and Insn's bits 31-27
// its third source (rs3) where it has one; Rd, Rs1 and Rs2 name f or x
// registers as the operation defines.
const (
	OperFLW = Operation(opFLW) // FLW: Imm is the offset
	OperFLD = Operation(opFLD) // FLD
	OperFSW = Operation(opFSW) // FSW: Rs2 is the f register stored
	OperFSD = Operation(opFSD) // FSD
	OperFP  = Operation(opFP)  // every other F or D instruction
)

// FPOp is an F or D operation of OperFP.
type FPOp uint8

// The F and D operations, one per mnemonic.
const (
	FAddS   = FPOp(fADDS)
	FSubS   = FPOp(fSUBS)
	FMulS   = FPOp(fMULS)
	FDivS   = FPOp(fDIVS)
	FSqrtS  = FPOp(fSQRTS)
	FMaddS  = FPOp(fMADDS)
	FMsubS  = FPOp(fMSUBS)
	FNmsubS = FPOp(fNMSUBS)
	FNmaddS = FPOp(fNMADDS)
	FCvtWS  = FPOp(fCVTWS)
	FCvtWUS = FPOp(fCVTWUS)
	FCvtLS  = FPOp(fCVTLS)
	FCvtLUS = FPOp(fCVTLUS)
	FCvtSW  = FPOp(fCVTSW)
	FCvtSWU = FPOp(fCVTSWU)
	FCvtSL  = FPOp(fCVTSL)
	FCvtSLU = FPOp(fCVTSLU)
	FAddD   = FPOp(fADDD)
	FSubD   = FPOp(fSUBD)
	FMulD   = FPOp(fMULD)
	FDivD   = FPOp(fDIVD)
	FSqrtD  = FPOp(fSQRTD)
	FMaddD  = FPOp(fMADDD)
	FMsubD  = FPOp(fMSUBD)
	FNmsubD = FPOp(fNMSUBD)
	FNmaddD = FPOp(fNMADDD)
	FCvtWD  = FPOp(fCVTWD)
	FCvtWUD = FPOp(fCVTWUD)
	FCvtLD  = FPOp(fCVTLD)
	FCvtLUD = FPOp(fCVTLUD)
	FCvtDW  = FPOp(fCVTDW)
	FCvtDWU = FPOp(fCVTDWU)
	FCvtDL  = FPOp(fCVTDL)
	FCvtDLU = FPOp(fCVTDLU)
	FCvtSD  = FPOp(fCVTSD)
	FCvtDS  = FPOp(fCVTDS)
	FSgnjS  = FPOp(fSGNJS)
	FSgnjnS = FPOp(fSGNJNS)
	FSgnjxS = FPOp(fSGNJXS)
	FMinS   = FPOp(fMINS)
	FMaxS   = FPOp(fMAXS)
	FEqS    = FPOp(fEQS)
	FLtS    = FPOp(fLTS)
	FLeS    = FPOp(fLES)
	FClassS = FPOp(fCLASSS)
	FMvXW   = FPOp(fMVXW)
	FMvWX   = FPOp(fMVWX)
	FSgnjD  = FPOp(fSGNJD)
	FSgnjnD = FPOp(fSGNJND)
	FSgnjxD = FPOp(fSGNJXD)
	FMinD   = FPOp(fMIND)
	FMaxD   = FPOp(fMAXD)
	FEqD    = FPOp(fEQD)
	FLtD    = FPOp(fLTD)
	FLeD    = FPOp(fLED)
	FClassD = FPOp(fCLASSD)
	FMvXD   = FPOp(fMVXD)
	FMvDX   = FPOp(fMVDX)
	FPNoRM  = FPOp(fpNoRM) // the operations from FPNoRM on have no rounding mode
)
