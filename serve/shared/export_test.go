package shared

import "time"

// SetAfterRead runs f in each resync between its reads and their apply.
// Set it before Run.
func SetAfterRead(s *Store, f func()) { s.afterRead = f }

// Timeouts are the dial, read, write and pool timeouts the store gives
// go-redis.
func Timeouts(s *Store) (dial, read, write, pool time.Duration) {
	return s.opts.DialTimeout, s.opts.ReadTimeout, s.opts.WriteTimeout, s.opts.PoolTimeout
}
