package timetravel

import (
	"sort"
	"testing"
)

// FuzzEngine drives the engine over a fake program with a breakpoint and a
// write watchpoint by a random sequence of commands, and checks each stop
// against the brute-force hit list: continue stops at the first hit after
// the position (a breakpoint before the instruction, the watchpoint after
// the store), reverse-continue at the last one before it, steps move by
// one, seeks land exactly; checkpoints stay within the cap with the first
// one kept.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 1, 1, 3, 3, 200, 7})
	f.Add([]byte{4, 4, 4, 1, 3, 3, 3, 0, 0, 2, 2})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 200 {
			ops = ops[:200]
		}
		fm := newFake(int64(len(ops)), 2000)
		e, err := newEngine(fm, true, 64, 30*1000, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.cps.near, e.cps.user = 4, 50
		bp := fm.pcs[777]
		fm.bps[bp] = true
		w := watch{kind: watchWrite, addr: 0x8018, n: 8}
		addWatch(e, fm, w)
		bpHits := refereeHits(fm, map[uint64]bool{bp: true}, nil)
		wHits := refereeHits(fm, nil, []watch{w})
		// Reverse stops: before the instruction of any hit.
		all := refereeHits(fm, map[uint64]bool{bp: true}, []watch{w})
		for i := 0; i < len(ops); i++ {
			now := fm.Icount()
			ended := e.ended != nil
			switch ops[i] % 6 {
			case 0:
				r := e.step()
				if !ended && r.kind != resEnd && fm.Icount() != now+1 {
					t.Fatalf("step from %d: %+v at %d", now, r, fm.Icount())
				}
			case 1:
				r := e.cont()
				if ended {
					break
				}
				// The first breakpoint after now (not at now: it is
				// stepped over), or the first store to the watch at or
				// after now (stopping after it).
				want, kind := fm.T, resEnd
				if k := sort.Search(len(bpHits), func(j int) bool { return bpHits[j] > now }); k < len(bpHits) {
					want, kind = bpHits[k], resBreak
				}
				// A store completes before the breakpoint at the next
				// instruction is looked at.
				if k := sort.Search(len(wHits), func(j int) bool { return wHits[j] >= now }); k < len(wHits) && wHits[k]+1 <= want {
					want, kind = wHits[k]+1, resWatch
				}
				if r.kind != kind || fm.Icount() != want {
					t.Fatalf("continue from %d: %v at %d, want %v at %d", now, r.kind, fm.Icount(), kind, want)
				}
			case 2:
				r := e.reverseStep()
				switch {
				case now == 0 && !ended:
					if r.kind != resBegin || fm.Icount() != 0 {
						t.Fatalf("reverse step at 0: %+v", r)
					}
				case r.kind != resDone || fm.Icount() != now-1:
					t.Fatalf("reverse step from %d: %+v at %d", now, r, fm.Icount())
				}
			case 3:
				r := e.reverseCont()
				k := sort.Search(len(all), func(j int) bool { return all[j] >= now }) - 1
				switch {
				case k < 0:
					if r.kind != resBegin || fm.Icount() != 0 {
						t.Fatalf("reverse continue from %d: %+v at %d, want the start", now, r, fm.Icount())
					}
				case (r.kind != resBreak && r.kind != resWatch) || fm.Icount() != all[k]:
					t.Fatalf("reverse continue from %d: %+v at %d, want %d", now, r, fm.Icount(), all[k])
				}
			default:
				n := uint64(0)
				if i+1 < len(ops) {
					n = uint64(ops[i+1]) * 9 % (fm.T + 1)
					i++
				}
				if err := e.seek(n); err != nil || fm.Icount() != n {
					t.Fatalf("seek %d: %v at %d", n, err, fm.Icount())
				}
			}
			if fm.CheckpointBytes() > 30*1000 || e.cps.list[0].at != 0 {
				t.Fatalf("checkpoints: %d bytes, first at %d", fm.CheckpointBytes(), e.cps.list[0].at)
			}
		}
	})
}
