//go:build unix

package cmd

import (
	"os"
	"syscall"
)

// minorFaults is how many minor page faults the finished process took.
func minorFaults(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return int64(ru.Minflt)
	}
	return 0
}
