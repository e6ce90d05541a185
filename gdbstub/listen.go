package gdbstub

import (
	"fmt"
	"net"
	"strings"
)

// Listen listens for gdb on addr: "HOST:PORT" as given, and ":PORT" or a
// bare "PORT" on the loopback address 127.0.0.1, so that a debugger is not
// reachable from other machines unless a host is named. Port 0 picks a free
// port (the listener's Addr tells which). Errors name the address.
func Listen(addr string) (net.Listener, error) {
	full, err := listenAddr(addr)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", full)
	if err != nil {
		return nil, fmt.Errorf("gdbstub: listen on %s: %w", full, err)
	}
	return l, nil
}

// listenAddr is the address Listen listens on.
func listenAddr(addr string) (string, error) {
	a := strings.TrimSpace(addr)
	if a == "" {
		return "", fmt.Errorf("gdbstub: listen on %q: no port given", addr)
	}
	if !strings.Contains(a, ":") {
		a = ":" + a
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return "", fmt.Errorf("gdbstub: listen on %q: %w", addr, err)
	}
	if port == "" {
		return "", fmt.Errorf("gdbstub: listen on %q: no port given", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
