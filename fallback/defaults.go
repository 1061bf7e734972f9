package fallback

import "time"

// Recommended settings for the Config fields whose zero value turns a
// feature off (no timeout, a retry at once). The engine never applies them
// itself: a library caller gets exactly what it asks for. They are what
// llmfall.yaml gets when it leaves a setting out (setup applies them), and
// their one home.
const (
	DefaultAttemptTimeout    = 60 * time.Second  // Timeouts.Attempt
	DefaultFirstTokenTimeout = 15 * time.Second  // Timeouts.FirstToken
	DefaultIdleTimeout       = 30 * time.Second  // Timeouts.Idle
	DefaultTotalTimeout      = 120 * time.Second // Timeouts.Total
	DefaultRetryBackoff      = 250 * time.Millisecond
)
