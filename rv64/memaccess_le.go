//go:build amd64 || arm64 || riscv64 || ppc64le || loong64 || mips64le || 386 || arm || mipsle || wasm

package rv64

import "unsafe"

// Guest memory accesses on a little-endian host. The caller has already
// checked that [o, o+size) lies inside mem, which the hot loop does once
// per access against the memory size; these skip Go's second check.

func ld8(mem []byte, o uint64) uint8 {
	return *(*uint8)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), o))
}
func ld16(mem []byte, o uint64) uint16 {
	return *(*uint16)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), o))
}
func ld32(mem []byte, o uint64) uint32 {
	return *(*uint32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), o))
}
func ld64(mem []byte, o uint64) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), o))
}
func st8(mem []byte, o uint64, v uint8) {
	*(*uint8)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), o)) = v
}
func st16(mem []byte, o uint64, v uint16) {
	*(*uint16)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), o)) = v
}
func st32(mem []byte, o uint64, v uint32) {
	*(*uint32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), o)) = v
}
func st64(mem []byte, o uint64, v uint64) {
	*(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(mem)), o)) = v
}
