package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Cache keeps answers and judge verdicts on disk, addressed by a hash of
// everything that determines them, so that re-running an unchanged suite
// makes no calls. Entries are written atomically; a damaged entry reads as
// a miss. It is safe for concurrent use.
type Cache struct {
	dir string
}

// DefaultCacheDir is llmfall/eval under the user's cache directory.
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory: %w", err)
	}
	return filepath.Join(base, "llmfall", "eval"), nil
}

// OpenCache uses dir, creating it if needed.
func OpenCache(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("opening the cache: %w", err)
	}
	return &Cache{dir: dir}, nil
}

// cacheKey hashes the canonical JSON of parts. Struct fields marshal in
// declaration order and map keys sorted, so equal requests hash equally.
func cacheKey(parts ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range parts {
		// Encoding values we built ourselves cannot fail.
		_ = enc.Encode(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Cache) path(key string) string {
	return filepath.Join(c.dir, key[:2], key+".json")
}

// get reads an entry into v; false on a miss or a damaged entry.
func (c *Cache) get(key string, v any) bool {
	if c == nil {
		return false
	}
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// put stores v. Failing to cache is not worth failing the run for, so the
// caller may ignore the error.
func (c *Cache) put(key string, v any) error {
	if c == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("caching: %w", err)
	}
	p := c.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("caching: %w", err)
	}
	return writeAtomic(p, b)
}
