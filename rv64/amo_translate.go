package rv64

// The A extension's AMOs as a translating engine sees them (translate.go):
// an operation each, Rd, Rs1 (the address) and Rs2 (the source) as the
// instruction names them, Imm 0. LR and SC stay OperOther: the interpreter
// keeps the reservation.
const (
	OperAMOSWAPW = Operation(opAMOSWAPW)
	OperAMOADDW  = Operation(opAMOADDW)
	OperAMOXORW  = Operation(opAMOXORW)
	OperAMOANDW  = Operation(opAMOANDW)
	OperAMOORW   = Operation(opAMOORW)
	OperAMOMINW  = Operation(opAMOMINW)
	OperAMOMAXW  = Operation(opAMOMAXW)
	OperAMOMINUW = Operation(opAMOMINUW)
	OperAMOMAXUW = Operation(opAMOMAXUW)
	OperAMOSWAPD = Operation(opAMOSWAPD)
	OperAMOADDD  = Operation(opAMOADDD)
	OperAMOXORD  = Operation(opAMOXORD)
	OperAMOANDD  = Operation(opAMOANDD)
	OperAMOORD   = Operation(opAMOORD)
	OperAMOMIND  = Operation(opAMOMIND)
	OperAMOMAXD  = Operation(opAMOMAXD)
	OperAMOMINUD = Operation(opAMOMINUD)
	OperAMOMAXUD = Operation(opAMOMAXUD)
)
