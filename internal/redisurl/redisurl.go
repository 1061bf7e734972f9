// Package redisurl reads the Redis URL of llmfall.yaml's state.redis
// (redis://, rediss:// or unix://, as go-redis parses them) and hides the
// password in it: config validates the file with it and serve/shared dials
// with it, and neither shows a password in a message, a log line, a metric
// or /readyz.
package redisurl

import (
	"errors"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
)

// hidden replaces a password wherever a URL is shown.
const hidden = "xxxxx"

// Parse returns the client options the URL describes. Its errors never
// contain the URL's password.
func Parse(raw string) (*redis.Options, error) {
	if u, err := url.Parse(raw); err == nil && u.Opaque != "" {
		// "redis:host" or "redis::password@host": go-redis reads the
		// missing host as localhost:6379 and drops the rest.
		return nil, errors.New("not a URL (its scheme must be followed by //, as in redis://:PASSWORD@HOST:PORT/DB)")
	}
	opts, err := redis.ParseURL(raw)
	if err == nil {
		return opts, nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// url.Error quotes the whole URL, and its escape and host errors
		// quote pieces of it: say what is wrong without them.
		return nil, errors.New("not a URL (check its scheme, host, port and %-escapes; a password with special characters must be %-escaped)")
	}
	msg := strings.TrimPrefix(err.Error(), "redis: ")
	if pw := password(raw); pw != "" {
		msg = strings.ReplaceAll(msg, pw, hidden)
	}
	return nil, errors.New(msg)
}

// Redact returns the URL with its password replaced by xxxxx, and a user
// name given without a password too (it may be a misplaced password). A URL
// that does not parse, or whose scheme has no "//" after it (its host and
// password are then one opaque string), is shown by its scheme at most.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		scheme, _, ok := strings.Cut(raw, "://")
		if !ok || strings.ContainsAny(scheme, "@:/") {
			return "(an unparseable URL)"
		}
		return scheme + "://(unparseable)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), hidden)
		} else {
			u.User = url.User(hidden)
		}
	}
	// Query parameters go-redis knows are settings, not secrets, but an
	// unknown one could be anything: show their names only.
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if !known[k] {
				q.Set(k, hidden)
			}
		}
		u.RawQuery = q.Encode()
	}
	out := u.String()
	if pw := password(raw); pw != "" {
		out = strings.ReplaceAll(out, pw, hidden)
	}
	return out
}

// known are the query parameters go-redis's ParseURL takes, none secret.
var known = map[string]bool{
	"db": true, "protocol": true, "client_name": true, "max_retries": true,
	"min_retry_backoff": true, "max_retry_backoff": true, "dial_timeout": true,
	"read_timeout": true, "write_timeout": true, "pool_fifo": true, "pool_size": true,
	"pool_timeout": true, "min_idle_conns": true, "max_idle_conns": true,
	"max_active_conns": true, "max_concurrent_dials": true, "conn_max_idle_time": true,
	"idle_timeout": true, "conn_max_lifetime": true, "max_conn_age": true,
	"conn_max_lifetime_jitter": true, "skip_verify": true,
	"pipeline_pool_size": true, "pipeline_read_buffer_size": true, "pipeline_write_buffer_size": true,
}

// password is the URL's password where it is worth looking for elsewhere in
// a message (a path, a query): hiding every "a" of a one-letter password
// would garble the message and protect nothing.
func password(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	if len(pw) < 4 {
		return ""
	}
	return pw
}
