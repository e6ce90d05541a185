package rv64

// The A extension as a translating engine sees it (translate.go): an
// operation each, Rd, Rs1 (the address) and Rs2 (the source) as the
// instruction names them, Imm 0. An engine that runs LR and SC keeps the
// reservation in its own state while its code runs, and hands it back
// with SetReservation; FixedWatch tells it what else the watch range
// holds.
const (
	OperLRW      = Operation(opLRW)
	OperLRD      = Operation(opLRD)
	OperSCW      = Operation(opSCW)
	OperSCD      = Operation(opSCD)
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
