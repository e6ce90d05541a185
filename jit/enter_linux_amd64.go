//go:build amd64

package jit

// enter runs translated code (enter_amd64.s).
//
//go:noescape
func enter(code uintptr, c *ctx)
