package shared

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/llmfall/llmfall/clock"
)

// RedisLogQuiet is how long RedisLog keeps quiet about a kind of line it
// has just written.
const RedisLogQuiet = time.Minute

// RedisLog is a logger for go-redis (its Logging interface) that writes to
// a gateway's log. go-redis logs each failed dial, every time the store
// reconnects while Redis is down: RedisLog drops those, as every one also
// fails an exchange of the store's, whose state (Config.Log, /readyz, the
// metrics) says it once. Any other line is written, but of the lines made
// from one format no more than one per RedisLogQuiet, the next one saying
// how many were left out.
type RedisLog struct {
	log   func(string)
	clock clock.Clock

	mu    sync.Mutex
	kinds map[string]*redisLogKind // by format
}

type redisLogKind struct {
	last    time.Time
	skipped int
}

// NewRedisLog returns a RedisLog writing lines to log, its quiet periods
// timed on clk (nil: the wall clock).
func NewRedisLog(log func(string), clk clock.Clock) *RedisLog {
	if clk == nil {
		clk = clock.Real()
	}
	return &RedisLog{log: log, clock: clk, kinds: make(map[string]*redisLogKind)}
}

// Printf is go-redis's Logging.Printf.
func (l *RedisLog) Printf(_ context.Context, format string, v ...any) {
	if strings.Contains(format, "failed to dial") {
		return
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.kinds[format]
	if k == nil {
		k = &redisLogKind{}
		l.kinds[format] = k
	} else if now.Sub(k.last) < RedisLogQuiet {
		k.skipped++
		return
	}
	line := strings.TrimSpace(strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
	if k.skipped > 0 {
		line += " (and " + strconv.Itoa(k.skipped) + " more like it)"
	}
	k.last, k.skipped = now, 0
	l.log("redis: " + line)
}

// LogRedis makes log the process's go-redis logger, through a RedisLog on
// the wall clock. go-redis has one logger per process (redis.SetLogger),
// which writes to stderr unless told otherwise: call it once, from the
// program, not from a library.
func LogRedis(log func(string)) {
	redis.SetLogger(NewRedisLog(log, nil))
}
