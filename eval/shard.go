package eval

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// Shard is one of Count parts of a plan (Index from 1), so that a big
// suite can run on several machines and the parts be merged (Merge). The
// zero value is the whole plan.
//
// A case's shard follows from its prompt's and test's names only: adding,
// removing or editing other prompts moves no case to another shard, and
// every link and repeat of a test stays in the test's shard, where a
// consistent check finds the primary answer it compares with.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ParseShard parses "I/N", e.g. "2/4".
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err1 != nil || err2 != nil || count < 1 || index < 1 || index > count {
		return Shard{}, fmt.Errorf("shard %q: want I/N with 1 <= I <= N, e.g. 2/4", s)
	}
	return Shard{Index: index, Count: count}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// whole reports whether s is the whole plan.
func (s Shard) whole() bool { return s.Count <= 1 }

// Holds reports whether the cases of test in prompt belong to s.
func (s Shard) Holds(prompt, test string) bool {
	return s.whole() || ShardOf(prompt, test, s.Count) == s.Index
}

// ShardOf is the shard (from 1) of n that holds the cases of test in
// prompt: a hash of the two names, so that it is the same on every machine
// and in every revision where the names are.
func ShardOf(prompt, test string, n int) int {
	if n <= 1 {
		return 1
	}
	h := sha256.Sum256([]byte(prompt + "\x00" + test))
	return int(binary.BigEndian.Uint64(h[:8])%uint64(n)) + 1
}

// suiteHasher computes a plan's Suite identity: a hash over the key and
// fingerprint of every case of the unsharded plan, in plan order. The
// fingerprints cover the configuration that decides answers (links, judge,
// prices), so two shards with the same identity ran the same suite under
// the same configuration.
type suiteHasher struct {
	h   hash.Hash
	buf []byte // reused for each case's line
}

func newSuiteHasher() *suiteHasher { return &suiteHasher{h: sha256.New()} }

// add hashes the line "key\tfingerprint\n" of c.
func (s *suiteHasher) add(c *Case) {
	b := c.Key().append(s.buf[:0])
	b = append(b, '\t')
	b = hex.AppendEncode(b, c.Fingerprint.Sum[:])
	s.buf = append(b, '\n')
	s.h.Write(s.buf)
}

func (s *suiteHasher) sum() string { return hex.EncodeToString(s.h.Sum(nil)) }
