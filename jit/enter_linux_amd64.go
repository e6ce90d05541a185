//go:build linux && amd64

package jit

// enter runs translated code (enter_linux_amd64.s).
//
//go:noescape
func enter(code uintptr, c *ctx)
