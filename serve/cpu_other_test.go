//go:build !unix

package serve_test

import "time"

// cpuTime is not measured here; the benchmarks then report 0.
func cpuTime() time.Duration { return 0 }

func syscalls() (reads, writes int64) { return 0, 0 }
