//go:build !linux

package vmm

import "time"

// pollable reports false: without Linux's ppoll, reads and writes go
// straight to the host stream and a blocked one waits for it.
func pollable(rawConner) bool { return false }

// waitWritable is never called where pollable is false.
func waitWritable(rawConner, time.Duration) (bool, error) { return true, nil }

// waitReadable is never called where pollable is false.
func waitReadable(rawConner, time.Duration) (bool, error) { return true, nil }

// endlessDevice reports false: reads are passed on as the host makes them.
func endlessDevice(rawConner) bool { return false }
