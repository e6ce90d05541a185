// Command rvsim runs, records and replays RISC-V RV64 programs.
//
// See README.md for the commands and flags, and docs/architecture.md for how
// the simulator is built.
package main

import (
	"os"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
