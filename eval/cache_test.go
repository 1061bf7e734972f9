package eval

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// The cache answers a re-run only with what the same request to the same
// configured link (or the same judge) produced: a changed endpoint, judge,
// prompt or repeat asks again, never reuses another configuration's answer.
func TestCacheNeverServesAnotherConfigurationsAnswer(t *testing.T) {
	type setup struct {
		identity, judgeID, prompt string
		repeat                    int
	}
	base := setup{identity: "a@https://api.example/v1", judgeID: "judge-1", prompt: "ticket", repeat: 1}
	tests := []struct {
		name                 string
		change               func(*setup)
		wantCalls, wantJudge int32
	}{
		{"nothing changed", func(*setup) {}, 0, 0},
		{"the link's endpoint", func(s *setup) { s.identity = "a@https://proxy.example/v1" }, 2, 0},
		{"the judge", func(s *setup) { s.judgeID = "judge-2" }, 0, 2},
		{"the rubric", func(s *setup) { s.prompt = "tickets" }, 0, 2},
		// Each repeat is its own generation; the same answer to the same
		// rubric is the same verdict.
		{"a second repeat", func(s *setup) { s.repeat = 2 }, 2, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cache, err := OpenCache(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			run := func(s setup) (int32, int32) {
				suite := suiteOf(t, 2, `{type: judge, rubric: "mentions `+s.prompt+`"}`)
				ps, fs := fakes(echo)
				j := &fakeJudge{}
				_, err := Run(context.Background(), mustPlan(t, suite, PlanOptions{Depth: 1, Repeat: s.repeat}), RunOptions{
					Providers: ps, Judge: j, Cache: cache, JudgeID: s.judgeID, Retries: -1,
					Identity: func(string) string { return s.identity }})
				if err != nil {
					t.Fatal(err)
				}
				return fs["a"].calls.Load(), j.rubricCalls.Load()
			}
			run(base)
			next := base
			tc.change(&next)
			calls, judged := run(next)
			if calls != tc.wantCalls || judged != tc.wantJudge {
				t.Errorf("second run: %d provider calls, %d judge calls; want %d, %d", calls, judged, tc.wantCalls, tc.wantJudge)
			}
		})
	}
}

// A damaged or half-written cache entry is a miss, never a result.
func TestCacheDamagedEntryIsAMiss(t *testing.T) {
	dir := t.TempDir()
	c, err := OpenCache(filepath.Join(dir, "new", "cache"))
	if err != nil {
		t.Fatal(err)
	}
	key := cacheKey("generation", "a", "request", 0)
	if err := c.put(key, cachedAnswer{Text: "stored"}); err != nil {
		t.Fatal(err)
	}
	var a cachedAnswer
	if !c.get(key, &a) || a.Text != "stored" {
		t.Fatalf("get() = %+v; want the stored answer", a)
	}
	if err := os.WriteFile(c.path(key), []byte(`{"text": "trunc`), 0o644); err != nil {
		t.Fatal(err)
	}
	a = cachedAnswer{}
	if c.get(key, &a) {
		t.Errorf("get() of a damaged entry = hit %+v; want a miss", a)
	}
	var none *Cache
	if none.get(key, &a) || none.put(key, a) != nil {
		t.Error("a nil cache must miss and accept puts")
	}
}

// Without a home directory there is no default cache directory to use, and
// DefaultCacheDir says so instead of caching in the working directory.
func TestDefaultCacheDirWithoutAHome(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("os.UserCacheDir reads XDG_CACHE_HOME and HOME on Linux only")
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if dir, err := DefaultCacheDir(); err == nil {
		t.Errorf("DefaultCacheDir() = %q; want an error", dir)
	}
	t.Setenv("XDG_CACHE_HOME", "/var/cache/ci")
	if dir, err := DefaultCacheDir(); err != nil || dir != "/var/cache/ci/llmfall/eval" {
		t.Errorf("DefaultCacheDir() = %q, %v; want /var/cache/ci/llmfall/eval", dir, err)
	}
}
