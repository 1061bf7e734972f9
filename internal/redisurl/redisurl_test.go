package redisurl

import (
	"strings"
	"testing"
)

const secret = "s3cr%3Et-pw" // %-escaped: the password is s3cr>t-pw

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		url, network, addr string
		db                 int
		password           string
		tls                bool
	}{
		{url: "redis://127.0.0.1:6390/2", network: "tcp", addr: "127.0.0.1:6390", db: 2},
		{url: "redis://:" + secret + "@cache:6379", network: "tcp", addr: "cache:6379", password: "s3cr>t-pw"},
		{url: "rediss://cache", network: "tcp", addr: "cache:6379", tls: true},
		{url: "unix:///run/redis.sock?db=3", network: "unix", addr: "/run/redis.sock", db: 3},
	} {
		t.Run(tc.url, func(t *testing.T) {
			o, err := Parse(tc.url)
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if o.Network != tc.network || o.Addr != tc.addr || o.DB != tc.db || o.Password != tc.password || (o.TLSConfig != nil) != tc.tls {
				t.Errorf("Parse() = %s %s db %d password %q tls %v; want %s %s db %d password %q tls %v",
					o.Network, o.Addr, o.DB, o.Password, o.TLSConfig != nil, tc.network, tc.addr, tc.db, tc.password, tc.tls)
			}
		})
	}
}

// No error and no redacted form shows the password, whatever is wrong.
func TestPasswordNeverShown(t *testing.T) {
	for _, tc := range []struct{ url, redacted, err string }{
		{url: "redis://:" + secret + "@cache:6379/0", redacted: "redis://:xxxxx@cache:6379/0"},
		{url: "redis://admin:" + secret + "@cache/1?dial_timeout=1s", redacted: "redis://admin:xxxxx@cache/1?dial_timeout=1s"},
		{url: "redis://s3cr3t-pw@cache", redacted: "redis://xxxxx@cache"},
		{url: "redis://:a@cache", redacted: "redis://:xxxxx@cache"},
		{url: "redis://:s3cr3t-pw@cache?token=s3cr3t-pw", redacted: "redis://:xxxxx@cache?token=xxxxx", err: "unexpected option: token"},
		{url: "redis://cache/0?token=t0ken-value&dial_timeout=1s", redacted: "redis://cache/0?dial_timeout=1s&token=xxxxx", err: "unexpected option: token"},
		{url: "http://:s3cr3t-pw@cache", redacted: "http://:xxxxx@cache", err: "invalid URL scheme: http"},
		{url: "redis://:s3cr3t-pw@cache/a/b", redacted: "redis://:xxxxx@cache/a/b", err: "invalid URL path: /a/b"},
		{url: "redis://:s3cr3t-pw@cache/s3cr3t-pw", redacted: "redis://:xxxxx@cache/xxxxx", err: `invalid database number: "xxxxx"`},
		{url: "redis://:s3cr%zzt-pw@cache", redacted: "redis://(unparseable)", err: "not a URL"},
		{url: "redis://:s3cr3t-pw@cache:port", redacted: "redis://(unparseable)", err: "not a URL"},
		// A password pasted where the URL goes: nothing of it is shown.
		{url: "s3cr%zzt-pw", redacted: "(an unparseable URL)", err: "not a URL"},
		// Without its "//" a URL's host and password are one opaque
		// string, which go-redis took for localhost:6379.
		{url: "redis:s3cr%zzt-pw@cache", redacted: "(an unparseable URL)", err: "not a URL"},
		{url: "redis::s3cr3t-pw@cache:6379/0", redacted: "(an unparseable URL)", err: "not a URL"},
		// Four characters are worth hiding wherever they appear.
		{url: "redis://:s3cr@cache/s3cr", redacted: "redis://:xxxxx@cache/xxxxx", err: `invalid database number: "xxxxx"`},
	} {
		t.Run(tc.redacted, func(t *testing.T) {
			if got := Redact(tc.url); got != tc.redacted {
				t.Errorf("Redact() = %q; want %q", got, tc.redacted)
			}
			_, err := Parse(tc.url)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("Parse() error = %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("Parse() error = %v; want one containing %q", err, tc.err)
			case err != nil && (strings.Contains(err.Error(), "s3cr") || strings.Contains(err.Error(), "zzt")):
				t.Errorf("Parse() error %q shows the password", err)
			}
		})
	}
}
