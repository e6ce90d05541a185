package vmm

import (
	"syscall"
	"unsafe"
)

// residentPages reports, one byte per host page of mem, whether the page
// has ever been touched (mincore(2)). A page never touched reads as zero,
// so the digest can skip it without faulting it in: guest memory is large
// and mostly untouched.
func residentPages(mem []byte) (vec []byte, pageSize int) {
	pageSize = syscall.Getpagesize()
	if len(mem) == 0 || uintptr(unsafe.Pointer(&mem[0]))%uintptr(pageSize) != 0 {
		return nil, pageSize
	}
	vec = make([]byte, (len(mem)+pageSize-1)/pageSize)
	_, _, errno := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		return nil, pageSize
	}
	return vec, pageSize
}
