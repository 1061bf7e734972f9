package simulate

import (
	"testing"

	"go.uber.org/goleak"
)

// Hung links and hedged races start goroutines inside the engine; every one
// must be gone when a run returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
