package httpapi

import (
	"errors"
	"testing"
)

func TestOnOwnStack(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	v, err := OnOwnStack(func() (int, error) { return 42, boom })
	if v != 42 || !errors.Is(err, boom) {
		t.Errorf("OnOwnStack = %d, %v; want 42, boom", v, err)
	}
}
