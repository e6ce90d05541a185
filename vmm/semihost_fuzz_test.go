package vmm

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSemihost makes one semihosting call with fuzzed operation, a1 and
// parameter block (its four words and a string at semiBuf), with --fs on a
// directory holding one file: the monitor never fails or panics but at an
// operation that does not exist (ErrSemihostOp), the hart resumes after
// the call, and an operation whose parameter block lies outside guest
// memory gets -1.
func FuzzSemihost(f *testing.F) {
	for _, op := range []uint64{semiOpen, semiClose, semiWriteC, semiWrite0, semiWrite, semiRead, semiReadC, semiIsError,
		semiIsTTY, semiSeek, semiFlen, semiTmpnam, semiRemove, semiRename, semiClock, semiTime, semiSystem, semiErrno,
		semiGetCmdline, semiHeapInfo, semiExit, semiExitExtended, semiElapsed, semiTickFreq, 0x99} {
		f.Add(op, uint64(semiBlock), uint64(semiBuf), uint64(1), uint64(4), uint64(semiBuf+64), []byte("f.txt"))
	}
	f.Add(uint64(semiOpen), uint64(semiBlock), uint64(semiBuf), uint64(0), uint64(3), uint64(0), []byte(":tt"))
	f.Add(uint64(semiWrite0), uint64(0x20007ffc), uint64(0), uint64(0), uint64(0), uint64(0), []byte("abc"))
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("fuzzed file"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, op, a1, w0, w1, w2, w3 uint64, str []byte) {
		s := newSemiMachine(t, "stdin bytes", dir)
		if len(str) > 256 {
			str = str[:256]
		}
		s.put(semiBuf, str)
		var blk [32]byte
		binary.LittleEndian.PutUint64(blk[:], w0)
		binary.LittleEndian.PutUint64(blk[8:], w1)
		binary.LittleEndian.PutUint64(blk[16:], w2)
		binary.LittleEndian.PutUint64(blk[24:], w3)
		s.put(semiBlock, blk[:])
		h := s.m.Hart
		h.X[10], h.X[11] = op, a1
		pc := h.PC
		err := s.m.semihostCall()
		if _, known := semiNames[op&0xffffffff]; !known {
			if !errors.Is(err, ErrSemihostOp) {
				t.Fatalf("operation %#x: %v, want ErrSemihostOp", op, err)
			}
			return
		}
		if err != nil || h.PC != pc+4 {
			t.Fatalf("%s: %v, pc %#x after the call at %#x", SemihostName(op), err, h.PC, pc)
		}
		r := h.X[10]
		op &= 0xffffffff
		blockOps := map[uint64]bool{semiOpen: true, semiClose: true, semiIsError: true, semiIsTTY: true, semiSeek: true,
			semiFlen: true, semiGetCmdline: true, semiHeapInfo: true, semiExit: true, semiExitExtended: true, semiElapsed: true}
		if _, in := s.m.Hart.Mem.Slice(a1, 1); !in && blockOps[op] && r != semiFailed {
			t.Fatalf("%s with a1 %#x outside memory returned %#x", SemihostName(op), a1, r)
		}
	})
}
