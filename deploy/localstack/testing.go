package localstack

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// RunTests starts one moto for a test binary, stores it in *stack, runs the
// tests and stops moto. If moto cannot start, *stack stays nil: under CI=true
// that is a failure (exit 1), elsewhere the tests that need moto skip.
func RunTests(m *testing.M, stack **Moto) int {
	moto, err := Start(context.Background())
	if err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "FAIL: integration tests need moto under CI=true:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "moto unavailable, integration tests will skip:", err)
		return m.Run()
	}
	*stack = moto
	defer moto.Stop()
	return m.Run()
}

// Need skips t when moto is not running (never under CI=true: RunTests fails
// first) and otherwise resets moto's state for t.
func Need(t testing.TB, m *Moto) *Moto {
	t.Helper()
	if m == nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("moto is required under CI=true")
		}
		t.Skip("moto server not available")
	}
	if err := m.Reset(); err != nil {
		t.Fatal(err)
	}
	return m
}
