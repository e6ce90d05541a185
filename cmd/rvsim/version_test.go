package main

import (
	"runtime/debug"
	"testing"
)

// TestBuildVersion checks what --version prints from the build's
// information: the commit (shortened), its time and whether the tree had
// changes, when the build recorded them; Version alone otherwise.
func TestBuildVersion(t *testing.T) {
	set := func(kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{}
		for i := 0; i < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	for _, c := range []struct {
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{nil, false, Version},
		{set(), true, Version},
		{set("vcs", "git", "vcs.modified", "true"), true, Version},
		{set("vcs.revision", "a99842d1288d7c6667236e8d4612104566bb51f2", "vcs.time", "2026-11-28T10:45:00Z", "vcs.modified", "false"), true,
			Version + " (commit a99842d1288d of 2026-11-28T10:45:00Z)"},
		{set("vcs.revision", "a99842d1288d7c6667236e8d4612104566bb51f2", "vcs.modified", "true"), true,
			Version + " (commit a99842d1288d, with uncommitted changes)"},
		{set("vcs.revision", "abc"), true, Version + " (commit abc)"},
	} {
		if got := buildVersion(c.bi, c.ok); got != c.want {
			t.Errorf("buildVersion(%v, %v) = %q, want %q", c.bi, c.ok, got, c.want)
		}
	}
}
