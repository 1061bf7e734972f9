//go:build !linux

package redistest

import "os/exec"

// start starts cmd. Only Linux can tie a child's life to its parent's
// (start_linux.go): elsewhere a test binary killed before its Cleanup
// leaves its private redis-server running.
func start(cmd *exec.Cmd) (release func(), err error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {}, nil
}
