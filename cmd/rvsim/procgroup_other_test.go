//go:build !unix

package main

import "os/exec"

// killGroupOnCancel leaves cmd's Cancel as it is, a kill of cmd's process
// alone: this system has no process groups to kill.
func killGroupOnCancel(cmd *exec.Cmd) {}
