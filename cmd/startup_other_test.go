//go:build !unix

package cmd

import "os"

// minorFaults is not counted where there is no getrusage.
func minorFaults(*os.ProcessState) int64 { return 0 }
