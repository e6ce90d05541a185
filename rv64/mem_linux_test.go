package rv64

import "testing"

// TestMemoryWithoutMemfd: where memfd_create is refused, memory is an
// anonymous reservation; Written then names the whole memory (the digest
// scans it all: slow, exact), and Zero clears.
func TestMemoryWithoutMemfd(t *testing.T) {
	noMemfd = true
	defer func() { noMemfd = false }()
	before := openFDs(t)
	m, err := NewMemory(0x10000, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if m.host.fd != -1 || openFDs(t) != before {
		t.Fatalf("memory has file %d", m.host.fd)
	}
	m.Data[5*4096+7] = 9
	var got [][2]uint64
	m.Written(func(off, n uint64) { got = append(got, [2]uint64{off, n}) })
	if len(got) != 1 || got[0] != [2]uint64{0, 1 << 30} {
		t.Fatalf("Written: %v, want the whole memory", got)
	}
	m.Zero(0x10000, 16*4096)
	if m.Data[5*4096+7] != 0 {
		t.Fatal("Zero did not clear")
	}
	m.Close()
}
