package jit

import (
	"errors"
	"testing"
)

func TestSelfCheck(t *testing.T) {
	err := SelfCheck()
	if errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
}
