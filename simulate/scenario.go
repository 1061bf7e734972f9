package simulate

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/llmfall/llmfall/internal/yamlerr"
	"github.com/llmfall/llmfall/provider"
)

// Scenario is what the links of a chain do over a stretch of simulated
// time. Links it does not mention stay healthy (DefaultProfile).
type Scenario struct {
	Name        string
	Description string
	// Duration is how much simulated time the run covers.
	Duration time.Duration
	// RPS is the request rate the scenario was written for; 0 leaves it to
	// the caller (DefaultRPS).
	RPS   float64
	Links []Timeline
}

// Timeline is one link's behaviour: a healthy profile, and windows of
// simulated time in which another applies. Where windows overlap, the one
// listed last wins.
type Timeline struct {
	// Link is the 1-based position in the chain; 0 when Provider names
	// the link instead.
	Link     int
	Provider string
	Healthy  Profile
	Windows  []Window
	line     int
}

// Window is a stretch [From, To) of simulated time from the start of the run.
type Window struct {
	From, To time.Duration
	// Profile is the timeline's healthy profile with the window's fields
	// laid over it.
	Profile Profile
}

// Profile is how a link behaves at one moment. Each call draws once: below
// Hang it hangs, in the next ErrorRate it fails fast with a class drawn from
// Errors, otherwise it answers with a first token after a latency drawn
// from Latency.
type Profile struct {
	ErrorRate float64
	// Errors weighs the error classes drawn; nil means server errors only.
	Errors map[provider.Class]float64
	// Latency is the time to first token, log-normal with these quantiles.
	Latency Latency
	// ErrorLatency is how long a failing call takes to say so.
	ErrorLatency time.Duration
	// Hang is the share of calls that accept the connection and never
	// answer until the engine gives up on them.
	Hang float64
	// RetryAfter is the wait a rate_limited error asks for; 0 asks none.
	RetryAfter time.Duration
	// Chunks is how many chunks an answer streams (0 means 1), ChunkGap
	// the time between them: a slow but live link takes Latency to its
	// first token and (Chunks-1)×ChunkGap more to finish.
	Chunks   int
	ChunkGap time.Duration
	// Break is the share of answers whose connection is cut halfway
	// through the stream, after their first token; Stall the share that
	// stop sending halfway until the engine's idle timeout gives up.
	Break, Stall float64
}

// Latency gives the median and 95th percentile of a log-normal distribution.
type Latency struct {
	P50 time.Duration `json:"p50"`
	P95 time.Duration `json:"p95"`
}

// DefaultProfile is a healthy link: no errors, a first token after 700 ms
// typically and 2 s at the 95th percentile, errors (when a window adds
// them) after 200 ms.
var DefaultProfile = Profile{
	Latency:      Latency{P50: 700 * time.Millisecond, P95: 2 * time.Second},
	ErrorLatency: 200 * time.Millisecond,
}

//go:embed scenarios/*.yaml
var builtinFS embed.FS

// Builtins lists the names of the built-in scenarios.
func Builtins() []string {
	entries, _ := builtinFS.ReadDir("scenarios")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Builtin returns the built-in scenario of that name.
func Builtin(name string) (*Scenario, error) {
	path := "scenarios/" + name + ".yaml"
	data, err := builtinFS.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("unknown scenario %q (built in: %s)", name, strings.Join(Builtins(), ", "))
	}
	return Parse(path, data)
}

// Open returns the scenario a command line names: a file when arg has a
// YAML extension or a path separator, otherwise a built-in scenario.
func Open(arg string) (*Scenario, error) {
	ext := filepath.Ext(arg)
	if ext == ".yaml" || ext == ".yml" || strings.ContainsRune(arg, os.PathSeparator) {
		return Load(arg)
	}
	return Builtin(arg)
}

// Load reads and parses a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Parse(path, data)
}

type rawScenario struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Duration    time.Duration `yaml:"duration"`
	RPS         float64       `yaml:"rps"`
	Links       []rawLink     `yaml:"links"`
}

type rawLink struct {
	Link       int    `yaml:"link"`
	Provider   string `yaml:"provider"`
	rawProfile `yaml:",inline"`
	Windows    []rawWindow `yaml:"windows"`
}

type rawWindow struct {
	From       time.Duration `yaml:"from"`
	To         time.Duration `yaml:"to"`
	rawProfile `yaml:",inline"`
}

// rawProfile has pointers so that a window overrides only what it sets.
type rawProfile struct {
	ErrorRate    *float64           `yaml:"error_rate"`
	Errors       map[string]float64 `yaml:"errors"`
	Latency      *Latency           `yaml:"latency"`
	ErrorLatency *time.Duration     `yaml:"error_latency"`
	Hang         *float64           `yaml:"hang"`
	RetryAfter   *time.Duration     `yaml:"retry_after"`
	Chunks       *int               `yaml:"chunks"`
	ChunkGap     *time.Duration     `yaml:"chunk_gap"`
	Break        *float64           `yaml:"break"`
	Stall        *float64           `yaml:"stall"`
}

// typeErrorLine finds the "line N: " of a yaml.TypeError's messages, the
// line of the node it is about.
var typeErrorLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^line (\d+): (.*)$`) })

// Parse decodes a scenario strictly (unknown keys are errors) and reports
// every problem as "file:line: message", joined.
func Parse(file string, data []byte) (*Scenario, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, data, err)
	}
	var raw rawScenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		return nil, yamlError(file, data, err)
	}
	v := validator{file: file, root: &root}
	sc := v.scenario(&raw)
	if err := errors.Join(v.errs...); err != nil {
		return nil, err
	}
	return sc, nil
}

// yamlError rewrites yaml.v3's errors as "file:N: msg": a parse error at
// the line yamlerr places it, a type error's at their nodes' lines.
func yamlError(file string, data []byte, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		line, msg := yamlerr.Locate(data, err)
		return lineError(file, line, msg)
	}
	errs := make([]error, 0, len(te.Errors))
	for _, l := range te.Errors {
		if m := typeErrorLine().FindStringSubmatch(l); m != nil {
			line, _ := strconv.Atoi(m[1])
			errs = append(errs, lineError(file, line, m[2]))
			continue
		}
		errs = append(errs, lineError(file, 0, l))
	}
	return errors.Join(errs...)
}

// lineError is "file:line: msg", or "file: msg" for line 0.
func lineError(file string, line int, msg string) error {
	if line > 0 {
		return fmt.Errorf("%s:%d: %s", file, line, msg)
	}
	return fmt.Errorf("%s: %s", file, msg)
}

type validator struct {
	file string
	root *yaml.Node
	errs []error
}

func (v *validator) fail(line int, format string, args ...any) {
	v.errs = append(v.errs, lineError(v.file, line, fmt.Sprintf(format, args...)))
}

// line is the line of the node at a path of mapping keys and sequence
// indexes, or of the nearest ancestor that exists.
func (v *validator) line(path ...any) int {
	n := v.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, step := range path {
		next := child(n, step)
		if next == nil {
			break
		}
		n = next
	}
	return n.Line
}

func child(n *yaml.Node, step any) *yaml.Node {
	switch s := step.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == s {
				return n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && s < len(n.Content) {
			return n.Content[s]
		}
	}
	return nil
}

func (v *validator) scenario(raw *rawScenario) *Scenario {
	sc := &Scenario{Name: raw.Name, Description: raw.Description, Duration: raw.Duration, RPS: raw.RPS}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(filepath.Base(v.file), filepath.Ext(v.file))
	}
	if raw.Duration <= 0 {
		v.fail(v.line("duration"), "duration: must be positive, e.g. 24h")
	}
	if raw.RPS < 0 || math.IsNaN(raw.RPS) {
		v.fail(v.line("rps"), "rps: must not be negative")
	}
	seen := map[string]int{}
	for i, rl := range raw.Links {
		line := v.line("links", i)
		tl := Timeline{Link: rl.Link, Provider: rl.Provider, line: line}
		key := rl.Provider
		switch {
		case rl.Link != 0 && rl.Provider != "":
			v.fail(line, "links[%d]: give link or provider, not both", i)
		case rl.Link == 0 && rl.Provider == "":
			v.fail(line, "links[%d]: needs link (chain position, from 1) or provider (a name from llmfall.yaml)", i)
		case rl.Link < 0:
			v.fail(v.line("links", i, "link"), "links[%d]: link: positions start at 1", i)
		case rl.Link > 0:
			key = "#" + strconv.Itoa(rl.Link)
		}
		if prev, ok := seen[key]; ok && key != "" {
			v.fail(line, "links[%d]: the same link as links[%d]", i, prev)
		}
		seen[key] = i
		where := fmt.Sprintf("links[%d]", i)
		tl.Healthy = v.profile(DefaultProfile, &rl.rawProfile, where, "links", i)
		for j, rw := range rl.Windows {
			wwhere := fmt.Sprintf("%s.windows[%d]", where, j)
			wline := v.line("links", i, "windows", j)
			if rw.From < 0 || rw.To <= rw.From {
				v.fail(wline, "%s: needs 0 <= from < to, got from %s to %s", wwhere, rw.From, rw.To)
			}
			if raw.Duration > 0 && rw.From >= raw.Duration {
				v.fail(wline, "%s: starts at %s, after the scenario's %s", wwhere, rw.From, raw.Duration)
			}
			p := v.profile(tl.Healthy, &rw.rawProfile, wwhere, "links", i, "windows", j)
			tl.Windows = append(tl.Windows, Window{From: rw.From, To: rw.To, Profile: p})
		}
		sc.Links = append(sc.Links, tl)
	}
	return sc
}

// profile lays r over base and checks the result.
func (v *validator) profile(base Profile, r *rawProfile, where string, path ...any) Profile {
	p := base
	at := func(key string) int { return v.line(append(slices.Clone(path), key)...) }
	rate := func(key string, dst *float64, src *float64) {
		if src == nil {
			return
		}
		if *src < 0 || *src > 1 || math.IsNaN(*src) {
			v.fail(at(key), "%s: %s: must be between 0 and 1, got %v", where, key, *src)
		}
		*dst = *src
	}
	rate("error_rate", &p.ErrorRate, r.ErrorRate)
	rate("hang", &p.Hang, r.Hang)
	if p.Hang+p.ErrorRate > 1+1e-9 {
		v.fail(at("error_rate"), "%s: hang + error_rate is %v, more than 1", where, p.Hang+p.ErrorRate)
	}
	if r.Errors != nil {
		p.Errors = make(map[provider.Class]float64, len(r.Errors))
		for _, name := range sortedNames(r.Errors) {
			c := provider.Class(name)
			w := r.Errors[name]
			if !slices.Contains(provider.Classes, c) || c == provider.ClassCancelled {
				v.fail(at("errors"), "%s: errors: unknown class %q (one of %s)", where, name, classList())
				continue
			}
			if w <= 0 || math.IsNaN(w) || math.IsInf(w, 0) {
				v.fail(at("errors"), "%s: errors: %s: weight must be positive, got %v", where, name, w)
				continue
			}
			p.Errors[c] = w
		}
	}
	if r.Latency != nil {
		l := *r.Latency
		if l.P50 <= 0 || l.P95 < l.P50 {
			v.fail(at("latency"), "%s: latency: needs 0 < p50 <= p95, got p50 %s p95 %s", where, l.P50, l.P95)
		}
		p.Latency = l
	}
	dur := func(key string, dst *time.Duration, src *time.Duration) {
		if src == nil {
			return
		}
		if *src < 0 {
			v.fail(at(key), "%s: %s: must not be negative, got %s", where, key, *src)
		}
		*dst = *src
	}
	dur("error_latency", &p.ErrorLatency, r.ErrorLatency)
	dur("retry_after", &p.RetryAfter, r.RetryAfter)
	dur("chunk_gap", &p.ChunkGap, r.ChunkGap)
	rate("break", &p.Break, r.Break)
	rate("stall", &p.Stall, r.Stall)
	if p.Break+p.Stall > 1+1e-9 {
		v.fail(at("break"), "%s: break + stall is %v, more than 1", where, p.Break+p.Stall)
	}
	if r.Chunks != nil {
		if *r.Chunks < 1 {
			v.fail(at("chunks"), "%s: chunks: must be at least 1, got %d", where, *r.Chunks)
		}
		p.Chunks = *r.Chunks
	}
	return p
}

func sortedNames(m map[string]float64) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func classList() string {
	names := make([]string, 0, len(provider.Classes))
	for _, c := range provider.Classes {
		if c != provider.ClassCancelled {
			names = append(names, string(c))
		}
	}
	return strings.Join(names, ", ")
}
