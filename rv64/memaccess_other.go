//go:build !(amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le || 386 || arm || mipsle || wasm)

package rv64

// Guest memory accesses on any other host, through encoding/binary.

func ld8(mem []byte, o uint64) uint8      { return mem[o] }
func ld16(mem []byte, o uint64) uint16    { return le.Uint16(mem[o:]) }
func ld32(mem []byte, o uint64) uint32    { return le.Uint32(mem[o:]) }
func ld64(mem []byte, o uint64) uint64    { return le.Uint64(mem[o:]) }
func st8(mem []byte, o uint64, v uint8)   { mem[o] = v }
func st16(mem []byte, o uint64, v uint16) { le.PutUint16(mem[o:], v) }
func st32(mem []byte, o uint64, v uint32) { le.PutUint32(mem[o:], v) }
func st64(mem []byte, o uint64, v uint64) { le.PutUint64(mem[o:], v) }
