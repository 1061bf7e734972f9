package shared

// SetAfterRead runs f in each resync between its reads and their apply.
// Set it before Run.
func SetAfterRead(s *Store, f func()) { s.afterRead = f }
