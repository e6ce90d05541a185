// Package gdbstub speaks gdb's remote serial protocol (gdb manual, "Remote
// Protocol") for one RISC-V hart, so that gdb-multiarch can debug a program
// running in rvsim, forwards and, on a replay, backwards.
//
// It owns the protocol only and imports nothing of rvsim: the machine it
// debugs is a Target (registers, memory, breakpoints and watchpoints,
// resuming forwards or backwards, monitor commands), which package
// timetravel provides.
//
// The package's parts:
//
//   - packet.go: framing ($data#cc), checksums, + and - acknowledgements,
//     escaping (}x for # $ } *), run-length encoding (decoded from gdb,
//     used for hex replies), 0x03 interrupts between packets, and a packet
//     size limit that longer input cannot exceed (it is answered with -);
//   - server.go and inbox.go: Serve, the session and the queries
//     (qSupported, qXfer:features:read, qRcmd, threads, k, D; see Serve),
//     and the reading goroutine, which turns Ctrl-C or a lost connection
//     during Resume into Target.Interrupt; resume.go: s/c, vCont, bs/bc,
//     Z0-Z4/z0-z4 and the stop replies (? repeats the last); regmem.go:
//     g/G, p/P, m/M/X;
//   - target.go: Target and the types it uses;
//   - tdesc.go: the target description XML (riscv:rv64 with the cpu, fpu
//     and csr features), whose register numbers are RegPC and friends.
//
// Listen opens the TCP listener; an address without a host is loopback.
package gdbstub
