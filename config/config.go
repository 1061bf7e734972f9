// Package config loads llmfall.yaml: it finds the file, decodes it strictly,
// fills in defaults and reports every problem with the file and line a user
// has to edit. It only describes providers and categories; building clients,
// reading API keys from the environment and resolving chains are left to the
// commands and the fallback engine.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/llmfall/llmfall/internal/redisurl"
	"github.com/llmfall/llmfall/provider"
)

// FileName is the name Find looks for.
const FileName = "llmfall.yaml"

// ErrNotFound is wrapped by the error Find returns when no directory up to
// the root holds a FileName.
var ErrNotFound = errors.New("config file not found")

// Config is a loaded and validated llmfall.yaml, as the file says it: a
// setting the file leaves out is zero here, and Has tells it from one the
// file sets to zero. Defaults belong to the packages the settings are for
// (fallback, eval, judge), and setup applies them; this package repeats
// none of them.
type Config struct {
	// Path is the file the config came from, as given to Load or Parse.
	Path      string
	Providers []Provider // in file order
	// Order is the global provider order that turns a category into a chain.
	// It defaults to every provider in file order; when given it may list
	// only some providers, and a category's other providers follow it.
	Order []string
	// Categories are in file order; the first is the default category.
	Categories []Category
	Timeouts   Timeouts
	Fallback   Fallback
	Judge      Judge
	Eval       Eval
	// Pricing maps a model name to its price, as the file's pricing section
	// gives it; eval's DefaultPrices fill in the models it leaves out.
	Pricing map[string]Price
	// Serve configures `llmfall serve`, the gateway.
	Serve Serve
	// State is where replicas of the gateway share health.
	State State

	set map[string]bool // the keys the file sets, for Has
}

// Has reports whether the file sets the setting at path, a dotted path such
// as "eval.retries" or "judge.threshold": where zero is a valid value, it
// tells "set to zero" from "left to the default".
func (c *Config) Has(path string) bool { return c.set[path] }

// Provider returns the provider with the given name.
func (c *Config) Provider(name string) (Provider, bool) {
	for _, p := range c.Providers {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

// Category returns the category with the given name.
func (c *Config) Category(name string) (Category, bool) {
	for _, cat := range c.Categories {
		if cat.Name == name {
			return cat, true
		}
	}
	return Category{}, false
}

// Provider is one entry of the providers section.
type Provider struct {
	Name string
	Type string // a provider.Type's Name, from the types Parse was given
	// BaseURL overrides the adapter's default; "" keeps it. OpenAI-style URLs
	// end in /v1, Anthropic and Gemini ones are the host root.
	BaseURL string
	// APIKeyEnv names the environment variables the key is read from, in
	// order. It defaults to the type's provider.Type.KeyEnv;
	// `api_key_env: ""` leaves it empty for servers that need no key.
	APIKeyEnv []string
	Headers   map[string]string // extra request headers; nil when none
	// Concurrency caps calls in flight to this provider; 0 means no cap of its
	// own (eval then uses Eval.Concurrency).
	Concurrency int
	RPM         int // requests per minute; 0 means no limit
	// TextOnly lists this provider's models that take no images: a request
	// with images skips them (text_only in the file).
	TextOnly []string
	// Sim holds the simulation settings of a Simulated type (sim); the keys
	// are an error on any other type.
	Sim  provider.Simulation
	Line int // where the provider is defined, for later messages
}

// APIKey returns the first non-empty value among p.APIKeyEnv and the name of
// the variable it came from, or two empty strings when none is set. getenv is
// os.Getenv in the CLI; Load itself never reads the environment.
func (p Provider) APIKey(getenv func(string) string) (key, envName string) {
	for _, name := range p.APIKeyEnv {
		if v := getenv(name); v != "" {
			return v, name
		}
	}
	return "", ""
}

// Category is a set of models of equal capability, one per provider.
type Category struct {
	Name      string
	Models    map[string]string // provider name → model
	Providers []string          // the providers the category lists, in file order
	// Order is the category's own provider order; nil means Config.Order.
	Order []string
	// Timeouts are the category's own; a zero field inherits
	// Config.Timeouts (the engine merges them field by field).
	Timeouts Timeouts
	// HedgeAfter starts the next link in parallel when the current one has
	// not produced a first token by then; 0 turns hedging off.
	HedgeAfter time.Duration
	// StreamBuffer is the category's commit window for streams
	// (stream_buffer); the zero value streams every token at once.
	StreamBuffer StreamBuffer
	Line         int
}

// StreamBuffer is a commit window: stream_buffer: whole holds a link's
// answer until it finishes, a number holds that many chunks, a duration
// holds what the link streams for that long after its first token. A
// failure inside the window falls back to the next link.
type StreamBuffer struct {
	Whole  bool
	Chunks int
	For    time.Duration
}

// Timeouts bound each attempt and the whole request. Every field is
// positive when set; 0 means unset (fallback.DefaultAttemptTimeout and the
// others apply).
type Timeouts struct {
	Attempt    time.Duration // one call to one link
	FirstToken time.Duration // until a stream's first token
	Idle       time.Duration // between stream tokens
	Total      time.Duration // the whole request across links
}

// Fallback tunes how the engine moves down a chain. A zero field is unset:
// the engine's default (fallback.Config) applies.
type Fallback struct {
	Retries      int           // same-link retries before moving on
	RetryBackoff time.Duration // wait before a same-link retry
	// RetryAfterMaxWait is the longest Retry-After (429/503) waited out on
	// the same link before moving on; unset (0) moves on at once.
	RetryAfterMaxWait time.Duration
	OnContentFilter   bool          // fall back on content_filter
	BreakerFailures   int           // consecutive failures that open a breaker
	BreakerCooldown   time.Duration // how long a breaker stays open
	// BreakerMinCooldown is the first wait before a probe of a link that
	// just failed (the engine's default when unset).
	BreakerMinCooldown time.Duration
}

// Judge chooses the model that grades eval outputs.
type Judge struct {
	// Category defaults to "smart" when such a category exists, else the first.
	Category string
	// DifferentProvider makes the judge skip a link of the candidate's own
	// provider, so no model grades itself; Has("judge.different_provider")
	// tells false from unset (the judge's default).
	DifferentProvider bool
	// Threshold is the score needed to pass, 0..1;
	// Has("judge.threshold") tells 0 from unset (judge.DefaultThreshold).
	Threshold float64
	// Panel, when set, replaces the single judge with a panel: each entry
	// is a category (its chain judges) or an explicit "provider/model".
	Panel []string
	// MinAgree is how many panel judges must pass a verdict; 0 means a
	// majority (judge.Panel's default).
	MinAgree int
	// Canaries is how many known-bad candidates each rubric gets;
	// Has("judge.canaries") tells 0 (none) from unset (eval.DefaultCanaries).
	Canaries int
	// CanaryPolicy is "fail" (a judge that passes a canary fails the gate)
	// or "warn"; "" means eval's default.
	CanaryPolicy string
}

// Eval holds the eval harness settings. A zero field is unset and eval's
// default applies, except where Has tells an explicit zero.
type Eval struct {
	ChainDepth    int     // how many links of each chain to evaluate (eval.DefaultDepth)
	Concurrency   int     // calls in flight in all, judge calls included (eval.DefaultConcurrency)
	MinPassRate   float64 // 0..1 share of cases that must pass; see Has (eval.DefaultMinPassRate)
	MaxRegression float64 // 0..1 pass-rate drop allowed against --baseline
	Repeat        int     // runs of each case (once)
	Retries       int     // retries of a transient error per call; see Has (eval.DefaultRetries)
	// MaxPromptBytes caps each rendered prompt; 0 leaves eval's default.
	MaxPromptBytes int
	// Gate is "rate" (pass rates against minimums and the baseline's rate)
	// or "paired" (case-by-case against --baseline, with a significance
	// test); "" means rate.
	Gate string
	// Alpha is the paired gate's significance level; 0 means eval's default.
	Alpha float64
}

// Serve configures the gateway. A zero field is unset: the gateway's
// default (package serve) applies.
type Serve struct {
	// KeysEnv names the environment variable holding the gateway's client
	// keys, comma-separated; "" leaves the gateway open to anyone who can
	// reach its address (loopback by default).
	KeysEnv string
	// AdminKeysEnv names the variable holding the admin keys (POST
	// /admin/order); "" turns the admin endpoints off.
	AdminKeysEnv  string
	MaxBodyBytes  int           // largest request body
	MaxConcurrent int           // requests served at once
	Drain         time.Duration // how long SIGTERM waits for requests in flight
}

// State says where the replicas of a gateway share their links' health
// (breakers, cool-downs) and the manual order. The zero value keeps each
// replica's state its own.
type State struct {
	// Redis is a redis://, rediss:// or unix:// URL, as go-redis parses
	// it. It may carry a password: show it only through RedisRedacted.
	Redis string
	// KeyPrefix starts the name of every key and channel the replicas
	// use; "" means the gateway's default (serve/shared).
	KeyPrefix string
}

// RedisRedacted is Redis with its password hidden, for messages.
func (s State) RedisRedacted() string { return redisurl.Redact(s.Redis) }

// Price is a model's price in USD per 1M tokens: provider.Price, the one
// price type.
type Price = provider.Price

// Error is one problem with a config file. Parse and Load return every
// problem they find as *Error values joined with errors.Join, sorted by line.
type Error struct {
	File string
	Line int // 0 when the problem is not at one place in the file
	Msg  string
	err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Unwrap returns the I/O error behind a file that could not be read.
func (e *Error) Unwrap() error { return e.err }

// Find returns the path of the FileName in dir or in the nearest parent that
// has one.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", &Error{File: FileName, Msg: fmt.Sprintf("cannot resolve %s: %v", dir, err), err: err}
	}
	for d := abs; ; {
		p := filepath.Join(d, FileName)
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return p, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			// An unreadable directory on the way up is worth knowing about:
			// silently skipping it could pick a different project's file.
			return "", &Error{File: p, Msg: fmt.Sprintf("cannot check for a config file: %v", unwrapPath(err)), err: err}
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return "", &Error{
		File: FileName,
		Msg:  fmt.Sprintf("not found in %s or any parent directory (create %s or pass --config)", abs, FileName),
		err:  ErrNotFound,
	}
}

// Load reads and parses the config file at path; types are the provider
// types its entries may name (registry.Types() in the CLI).
func Load(path string, types provider.Types) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := fmt.Sprintf("cannot read config: %v", unwrapPath(err))
		if errors.Is(err, fs.ErrNotExist) {
			msg += fmt.Sprintf(" (create %s or pass --config with an existing file)", FileName)
		}
		return nil, &Error{File: path, Msg: msg, err: err}
	}
	return Parse(path, data, types)
}

// unwrapPath drops the path from an *fs.PathError, since our Error already
// names the file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse decodes and validates a config file's contents. name identifies the
// file in messages exactly as given; types are the provider types its
// entries may name, whose rules (default key variables, base URLs) apply.
// It never reads the environment.
func Parse(name string, data []byte, types provider.Types) (*Config, error) {
	d := &decoder{file: name, types: types, set: make(map[string]bool)}
	root := d.document(data)
	var cfg *Config
	if root != nil {
		cfg = d.config(root)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	cfg.Path = name
	cfg.set = d.set
	return cfg, nil
}
