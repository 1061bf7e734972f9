package config

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/llmfall/llmfall/internal/redisurl"
	"github.com/llmfall/llmfall/provider"
)

// The keys valid at each place, in the order messages list them.
var (
	topKeys = []string{"providers", "order", "categories", "timeouts", "fallback", "judge", "eval", "pricing", "serve", "state"}
	// categoryKeys are a category's settings; every other key of a category
	// names a provider, so no provider may be called one of these.
	categoryKeys = []string{"order", "timeouts", "hedge_after", "stream_buffer"}
)

var (
	nameRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`) })
	envNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })
)

// config decodes the top-level mapping. Sections that refer to others
// (categories to providers, judge to categories) are decoded after them;
// the order of messages comes from sorting by line.
func (d *decoder) config(root *yaml.Node) *Config {
	cfg := &Config{Pricing: make(map[string]Price)}
	root = deref(root)
	if root.Kind != yaml.MappingNode {
		d.fail(root, "", "the top level must be a mapping of settings (providers, categories, ...), got %s", describe(root))
		return cfg
	}
	entries, _ := d.entries(root, "")
	top := make(map[string]pair)
	for _, p := range entries {
		if !slices.Contains(topKeys, p.key) {
			d.unknownKey(p, "", topKeys)
			continue
		}
		top[p.key] = p
	}

	known := d.providers(cfg, top)
	var names []string
	for _, p := range cfg.Providers {
		names = append(names, p.Name)
	}
	// Whether a category can reach the order is only worth checking
	// against an order the user wrote and got right.
	checkReach := false
	if p, ok := top["order"]; ok {
		cfg.Order, checkReach = d.order(p, "the file order", func(n *yaml.Node, name string) bool {
			return d.defined(n, p.path, name, known, names)
		})
	} else {
		cfg.Order = names
	}
	if p, ok := top["timeouts"]; ok {
		d.object(p.val, p.path, d.timeoutFields(&cfg.Timeouts))
	}
	catsOK := d.categories(cfg, top, known, names)
	for i := range cfg.Categories {
		if checkReach {
			d.reachable(cfg.Categories[i], cfg.Order)
		}
	}
	if p, ok := top["fallback"]; ok {
		f := &cfg.Fallback
		d.object(p.val, p.path, []field{
			{key: "retries", decode: d.integer(&f.Retries, 0)},
			{key: "retry_backoff", decode: d.duration(&f.RetryBackoff, positive)},
			{key: "retry_after_max_wait", decode: d.duration(&f.RetryAfterMaxWait, nonNegative)},
			{key: "on_content_filter", decode: d.boolean(&f.OnContentFilter)},
			{key: "breaker_failures", decode: d.integer(&f.BreakerFailures, 1)},
			{key: "breaker_cooldown", decode: d.duration(&f.BreakerCooldown, positive)},
			{key: "breaker_min_cooldown", decode: d.duration(&f.BreakerMinCooldown, positive)},
		})
	}
	d.judge(cfg, top, catsOK)
	if p, ok := top["eval"]; ok {
		e := &cfg.Eval
		d.object(p.val, p.path, []field{
			{key: "chain_depth", decode: d.integer(&e.ChainDepth, 1)},
			{key: "concurrency", decode: d.integer(&e.Concurrency, 1)},
			{key: "min_pass_rate", decode: d.fraction(&e.MinPassRate)},
			{key: "max_regression", decode: d.fraction(&e.MaxRegression)},
			{key: "repeat", decode: d.integer(&e.Repeat, 1)},
			{key: "retries", decode: d.integer(&e.Retries, 0)},
			{key: "max_prompt_bytes", decode: d.integer(&e.MaxPromptBytes, 1)},
			{key: "gate", decode: d.oneOf(&e.Gate, "rate", "paired")},
			{key: "alpha", decode: d.fraction(&e.Alpha)},
		})
	}
	if p, ok := top["pricing"]; ok {
		d.pricing(cfg.Pricing, p)
	}
	if p, ok := top["serve"]; ok {
		d.serve(&cfg.Serve, p)
	}
	if p, ok := top["state"]; ok {
		d.state(&cfg.State, p)
	}
	return cfg
}

func (d *decoder) state(st *State, p pair) {
	d.object(p.val, p.path, []field{
		{key: "redis", decode: func(p pair) {
			s, ok := d.str(p.val, p.path, "a Redis URL")
			if !ok {
				return
			}
			// Neither the URL nor go-redis's words about it are quoted
			// back unredacted: it may carry a password.
			if _, err := redisurl.Parse(s); err != nil {
				d.fail(deref(p.val), p.path, "%s is not a Redis URL go-redis can use: %v (e.g. redis://127.0.0.1:6379/0, rediss://:PASSWORD@cache.internal:6380, unix:///run/redis.sock)",
					redisurl.Redact(s), err)
				return
			}
			st.Redis = s
		}},
		{key: "key_prefix", decode: func(p pair) {
			s, ok := d.str(p.val, p.path, "a key prefix")
			if !ok {
				return
			}
			if !nameRE().MatchString(s) {
				d.fail(deref(p.val), p.path, "must be letters, digits, '_', '.' or '-' (e.g. llmfall-prod), got %s", quote(s))
				return
			}
			st.KeyPrefix = s
		}},
	})
}

func (d *decoder) serve(sv *Serve, p pair) {
	envName := func(dst *string) func(pair) {
		return func(p pair) {
			if s, ok := d.envName(deref(p.val), p.path); ok {
				*dst = s
			}
		}
	}
	d.object(p.val, p.path, []field{
		{key: "keys_env", decode: envName(&sv.KeysEnv)},
		{key: "admin_keys_env", decode: envName(&sv.AdminKeysEnv)},
		{key: "max_body_bytes", decode: d.integer(&sv.MaxBodyBytes, 1)},
		{key: "max_concurrent", decode: d.integer(&sv.MaxConcurrent, 1)},
		{key: "drain", decode: d.duration(&sv.Drain, positive)},
	})
}

func (d *decoder) timeoutFields(t *Timeouts) []field {
	return []field{
		{key: "attempt", decode: d.duration(&t.Attempt, positive)},
		{key: "first_token", decode: d.duration(&t.FirstToken, positive)},
		{key: "idle", decode: d.duration(&t.Idle, positive)},
		{key: "total", decode: d.duration(&t.Total, positive)},
	}
}

// providers decodes the providers section and returns the set of names
// defined, or nil when the section is missing or unusable, in which case
// references to providers are not checked (every one would fail).
func (d *decoder) providers(cfg *Config, top map[string]pair) map[string]bool {
	p, ok := top["providers"]
	if !ok {
		d.fail(nil, "", "no providers defined (add e.g. providers: {openai: {type: openai}})")
		return nil
	}
	entries, ok := d.entries(p.val, p.path)
	if !ok {
		return nil
	}
	if len(entries) == 0 {
		d.fail(p.kn, p.path, "no providers defined (add e.g. openai: {type: openai})")
		return nil
	}
	known := make(map[string]bool)
	for _, e := range entries {
		known[e.key] = true
		cfg.Providers = append(cfg.Providers, d.provider(e))
	}
	return known
}

func (d *decoder) provider(e pair) Provider {
	pr := Provider{Name: e.key, Line: e.kn.Line}
	switch {
	case slices.Contains(categoryKeys, e.key):
		d.fail(e.kn, "providers", "%s is reserved for category settings; give the provider another name", quote(e.key))
	case !nameRE().MatchString(e.key):
		d.fail(e.kn, "providers", "name %s may hold only letters, digits, '-', '_' and '.', and must start with a letter or digit", quote(e.key))
	}
	entries, ok := d.entries(e.val, e.path)
	if !ok {
		return pr
	}
	var typ provider.Type
	names := d.types.Names()
	if i := slices.IndexFunc(entries, func(p pair) bool { return p.key == "type" }); i < 0 {
		d.fail(e.kn, e.path, "missing type (one of %s)", strings.Join(names, ", "))
	} else if name, ok := d.str(entries[i].val, entries[i].path, "a provider type"); ok {
		if t, ok := d.types.Lookup(name); ok {
			typ, pr.Type = t, name
		} else {
			d.fail(deref(entries[i].val), entries[i].path, "unknown provider type %s%s", quote(name), hintAll(name, names, "valid types"))
		}
	}
	pr.APIKeyEnv = slices.Clone(typ.KeyEnv)

	fields := []field{
		{key: "type", decode: func(pair) {}}, // decoded above: the other keys depend on it
		{key: "base_url", decode: d.baseURL(&pr, typ)},
		{key: "api_key_env", decode: d.keyEnv(&pr)},
		{key: "headers", decode: d.headers(&pr)},
		{key: "concurrency", decode: d.integer(&pr.Concurrency, 0)},
		{key: "rpm", decode: d.integer(&pr.RPM, 0)},
		{key: "text_only", decode: d.textOnly(&pr)},
	}
	s := &pr.Sim
	simFields := []field{
		{key: "latency", decode: d.duration(&s.Latency, nonNegative)},
		{key: "first_token", decode: d.duration(&s.FirstToken, nonNegative)},
		{key: "tokens_per_second", decode: d.number(&s.TokensPerSecond)},
		{key: "error_rate", decode: d.fraction(&s.ErrorRate)},
		{key: "hang_rate", decode: d.fraction(&s.HangRate)},
		{key: "error_classes", decode: d.errorClasses(&s.ErrorClasses)},
		{key: "seed", decode: d.integer64(&s.Seed)},
	}
	// With no valid type, which keys are allowed is unknown: accept the sim
	// keys rather than pile a second message on the type's.
	if !typ.Simulated && pr.Type != "" {
		for i := range simFields {
			simFields[i].hidden = true
			simFields[i].decode = func(p pair) {
				d.fail(p.kn, p.path, "only valid for type %s (this provider is type %s)", d.simulatedTypes(), pr.Type)
			}
		}
	}
	d.fields(entries, e.path, append(fields, simFields...))
	return pr
}

// textOnly decodes the models of a provider that take no images.
func (d *decoder) textOnly(pr *Provider) func(pair) {
	return func(p pair) {
		items, _ := d.names(p.val, p.path, "model names", "a model name", "[llama3.1:8b]")
		for _, n := range items {
			pr.TextOnly = append(pr.TextOnly, n.Value)
		}
	}
}

// simulatedTypes names the types that take the simulation keys.
func (d *decoder) simulatedTypes() string {
	var names []string
	for _, t := range d.types {
		if t.Simulated {
			names = append(names, t.Name)
		}
	}
	return strings.Join(names, " or ")
}

func (d *decoder) baseURL(pr *Provider, typ provider.Type) func(pair) {
	return func(p pair) {
		s, ok := d.scalar(p.val, p.path, "a URL")
		if !ok || s.Value == "" { // "" keeps the adapter's default
			return
		}
		// The URL is never quoted back: it may carry credentials.
		u, err := url.Parse(s.Value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.fail(s, p.path, "must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:11434/v1")
			return
		}
		if u.RawQuery != "" || u.Fragment != "" {
			d.fail(s, p.path, "must not have a query or fragment: the adapter appends its own path")
			return
		}
		if typ.CheckBaseURL != nil {
			if err := typ.CheckBaseURL(u); err != nil {
				d.fail(s, p.path, "%s", err.Error())
				return
			}
		}
		// Adapters append paths to it; a trailing slash would double up.
		pr.BaseURL = strings.TrimRight(s.Value, "/")
	}
}

func (d *decoder) keyEnv(pr *Provider) func(pair) {
	return func(p pair) {
		n := deref(p.val)
		var items []*yaml.Node
		switch {
		case isNull(n) || (n.Kind == yaml.ScalarNode && n.Value == ""):
			pr.APIKeyEnv = nil // a local server that needs no key
			return
		case n.Kind == yaml.ScalarNode:
			items = []*yaml.Node{n}
		case n.Kind == yaml.SequenceNode:
			items = n.Content
		default:
			d.fail(n, p.path, `must name an environment variable, a list of them, or "" for none, got %s`, describe(n))
			return
		}
		envs := []string{}
		for _, item := range items {
			if s, ok := d.envName(deref(item), p.path); ok {
				envs = append(envs, s)
			}
		}
		pr.APIKeyEnv = envs
	}
}

// envName checks one api_key_env entry. Its value is never quoted back: a
// common mistake is to paste the key itself here.
func (d *decoder) envName(n *yaml.Node, path string) (string, bool) {
	switch {
	case n.Kind != yaml.ScalarNode || isNull(n):
		d.fail(n, path, "must name an environment variable, got %s", describe(n))
	case provider.Redact(n.Value) != n.Value:
		d.fail(n, path, "looks like an API key itself: put the key in an environment variable and name the variable here (e.g. OPENAI_API_KEY)")
	case !envNameRE().MatchString(n.Value):
		d.fail(n, path, "must name an environment variable (letters, digits and '_', e.g. OPENAI_API_KEY), not hold the key")
	default:
		return n.Value, true
	}
	return "", false
}

func (d *decoder) headers(pr *Provider) func(pair) {
	return func(p pair) {
		entries, _ := d.entries(p.val, p.path)
		seen := make(map[string]string)
		for _, h := range entries {
			if !validHeaderName(h.key) {
				d.fail(h.kn, p.path, "%s is not a valid header name", quote(h.key))
				continue
			}
			canon := http.CanonicalHeaderKey(h.key)
			if first, dup := seen[canon]; dup {
				d.fail(h.kn, p.path, "header %s is also defined as %s (header names ignore case)", quote(h.key), quote(first))
				continue
			}
			seen[canon] = h.key
			// Values are never quoted back: they often hold credentials.
			n := deref(h.val)
			if n.Kind != yaml.ScalarNode || isNull(n) {
				d.fail(n, h.path, "must be a header value, got %s", kindOf(n))
				continue
			}
			if !validHeaderValue(n.Value) {
				d.fail(n, h.path, "a header value must be one line without control characters")
				continue
			}
			if pr.Headers == nil {
				pr.Headers = make(map[string]string)
			}
			pr.Headers[h.key] = n.Value
		}
	}
}

// kindOf is describe without the value.
func kindOf(n *yaml.Node) string {
	if n = deref(n); !isNull(n) && n.Kind == yaml.ScalarNode {
		return "a value"
	}
	return describe(n)
}

// validHeaderName reports whether s is an HTTP token (RFC 9110 section 5.6.2).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether net/http sends s as a header value: no
// control character but a tab (RFC 9110 section 5.5). Any other would
// fail every call to the provider with "invalid header field value".
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

func (d *decoder) errorClasses(dst *[]provider.Class) func(pair) {
	valid := make([]string, len(provider.Classes))
	for i, c := range provider.Classes {
		valid[i] = string(c)
	}
	return func(p pair) {
		items, _ := d.names(p.val, p.path, "error classes", "an error class", "[server, rate_limited]")
		var out []provider.Class
		for _, n := range items {
			if !slices.Contains(valid, n.Value) {
				d.fail(n, p.path, "unknown error class %s%s", quote(n.Value), hintAll(n.Value, valid, "valid classes"))
				continue
			}
			out = append(out, provider.Class(n.Value))
		}
		*dst = out
	}
}

// order decodes a list of provider names: each checked by valid, none twice.
// dflt says what removing the list would mean.
func (d *decoder) order(p pair, dflt string, valid func(n *yaml.Node, name string) bool) ([]string, bool) {
	items, ok := d.names(p.val, p.path, "provider names", "a provider name", "[openai, anthropic]")
	if ok && len(items) == 0 {
		d.fail(deref(p.val), p.path, "is empty (list provider names, or remove it to use %s)", dflt)
		return nil, false
	}
	var out []string
	for _, n := range items {
		switch {
		case slices.Contains(out, n.Value):
			d.fail(n, p.path, "%s is listed twice", quote(n.Value))
			ok = false
		case !valid(n, n.Value):
			ok = false
		default:
			out = append(out, n.Value)
		}
	}
	return out, ok
}

// defined reports whether name is a defined provider, saying so when not.
func (d *decoder) defined(n *yaml.Node, path, name string, known map[string]bool, names []string) bool {
	if known == nil || known[name] {
		return true
	}
	d.fail(n, path, "%s is not a defined provider%s", quote(name), hint(name, names, "defined providers"))
	return false
}

func (d *decoder) categories(cfg *Config, top map[string]pair, known map[string]bool, names []string) bool {
	p, ok := top["categories"]
	if !ok {
		d.fail(nil, "", "no categories defined (add e.g. categories: {fast: {%s: MODEL}})", firstOr(names, "openai"))
		return false
	}
	entries, ok := d.entries(p.val, p.path)
	if !ok {
		return false
	}
	if len(entries) == 0 {
		d.fail(p.kn, p.path, "no categories defined (add e.g. fast: {%s: MODEL})", firstOr(names, "openai"))
		return false
	}
	for _, e := range entries {
		cfg.Categories = append(cfg.Categories, d.category(e, known, names))
	}
	return true
}

func firstOr(names []string, dflt string) string {
	if len(names) > 0 {
		return names[0]
	}
	return dflt
}

func (d *decoder) category(e pair, known map[string]bool, names []string) Category {
	cat := Category{Name: e.key, Line: e.kn.Line, Models: make(map[string]string)}
	switch {
	case strings.TrimSpace(e.key) == "":
		d.fail(e.kn, "categories", "a category name must not be empty")
	case strings.Contains(e.key, "/"):
		// The gateway, the judge and the panel all take "provider/model"
		// where a category goes: such a name would be read as a link.
		d.fail(e.kn, "categories", `name %s must not hold "/": a request, judge.category or judge.panel reads a name with "/" as provider/model`, quote(e.key))
	}
	entries, ok := d.entries(e.val, e.path)
	if !ok {
		return cat
	}
	var orderEntry *pair
	listed := 0 // entries meant as providers, valid or not
	for _, p := range entries {
		switch p.key {
		case "order":
			orderEntry = &p
		case "timeouts":
			d.object(p.val, p.path, d.timeoutFields(&cat.Timeouts))
		case "hedge_after":
			d.duration(&cat.HedgeAfter, nonNegative)(p)
		case "stream_buffer":
			d.streamBuffer(&cat.StreamBuffer)(p)
		default:
			listed++
			d.model(&cat, p, known, names)
		}
	}
	if listed == 0 {
		d.fail(e.kn, e.path, "no models (map providers to models, e.g. %s: MODEL)", firstOr(names, "openai"))
	}
	if orderEntry != nil {
		cat.Order, _ = d.order(*orderEntry, "the global order", func(n *yaml.Node, name string) bool {
			if !d.defined(n, orderEntry.path, name, known, names) {
				return false
			}
			if _, ok := cat.Models[name]; !ok && listed == len(cat.Providers) {
				d.fail(n, orderEntry.path, "%s has no model in category %s (add one or drop it from the order)", quote(name), quote(cat.Name))
				return false
			}
			return true
		})
		if cat.Order == nil {
			// Mark the order as given even though it failed, so the
			// category is not also checked against the global order.
			cat.Order = []string{}
		}
	}
	return cat
}

// model decodes one provider: model entry of a category.
func (d *decoder) model(cat *Category, p pair, known map[string]bool, names []string) {
	if known != nil && !known[p.key] {
		// A near miss of a category setting reads better as a key typo.
		if s, ok := suggest(p.key, append(slices.Clone(names), categoryKeys...)); ok && slices.Contains(categoryKeys, s) {
			d.fail(p.kn, join("categories", cat.Name), "unknown key %s (did you mean %q?)", quote(p.key), s)
			return
		}
		d.fail(p.kn, join("categories", cat.Name), "%s is not a defined provider%s", quote(p.key), hint(p.key, names, "defined providers"))
		return
	}
	model, ok := d.str(p.val, p.path, "a model name")
	if !ok {
		return
	}
	cat.Models[p.key] = model
	cat.Providers = append(cat.Providers, p.key)
}

// reachable reports a category none of whose providers is in the global
// order it uses: almost always a provider left out of order by mistake.
func (d *decoder) reachable(cat Category, order []string) {
	if cat.Order != nil || len(cat.Providers) == 0 || len(order) == 0 {
		return
	}
	for _, p := range cat.Providers {
		if slices.Contains(order, p) {
			return
		}
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: cat.Line, Msg: "categories." + cat.Name +
		": none of its providers (" + strings.Join(cat.Providers, ", ") + ") is in the order [" +
		strings.Join(order, ", ") + "]; add one to order or give the category its own order"})
}

func (d *decoder) judge(cfg *Config, top map[string]pair, catsOK bool) {
	j := &cfg.Judge
	var catNode *yaml.Node
	var panelNode, minAgree *pair
	if p, ok := top["judge"]; ok {
		d.object(p.val, p.path, []field{
			{key: "category", decode: func(p pair) {
				if s, ok := d.str(p.val, p.path, "a category name"); ok {
					j.Category, catNode = s, deref(p.val)
				}
			}},
			{key: "different_provider", decode: d.boolean(&j.DifferentProvider)},
			{key: "threshold", decode: d.fraction(&j.Threshold)},
			{key: "panel", decode: func(p pair) { panelNode = &p }},
			{key: "min_agree", decode: func(p pair) { minAgree = &p; d.integer(&j.MinAgree, 1)(p) }},
			{key: "canaries", decode: d.integer(&j.Canaries, 0)},
			{key: "canary_policy", decode: d.oneOf(&j.CanaryPolicy, "fail", "warn")},
		})
	}
	switch {
	case panelNode != nil:
		d.panel(cfg, *panelNode)
	case minAgree != nil:
		// It counts a panel's votes; a single judge would ignore it.
		d.fail(minAgree.kn, minAgree.path, "applies to a judge panel; remove it or add a panel, e.g. panel: [smart, fast]")
	}
	var cats []string
	for _, c := range cfg.Categories {
		cats = append(cats, c.Name)
	}
	switch {
	case catNode != nil && catsOK && !slices.Contains(cats, j.Category):
		d.fail(catNode, "judge.category", "%s is not a defined category%s", quote(j.Category), hint(j.Category, cats, "categories"))
	case catNode != nil:
	case slices.Contains(cats, "smart"):
		j.Category = "smart"
	case len(cats) > 0:
		j.Category = cats[0]
	}
}

func (d *decoder) pricing(prices map[string]Price, p pair) {
	entries, _ := d.entries(p.val, p.path)
	for _, e := range entries {
		if strings.TrimSpace(e.key) == "" {
			d.fail(e.kn, p.path, "a model name must not be empty")
			continue
		}
		var price Price
		var in, out bool
		d.object(e.val, e.path, []field{
			{key: "input", decode: func(p pair) { in = true; d.number(&price.Input)(p) }},
			{key: "output", decode: func(p pair) { out = true; d.number(&price.Output)(p) }},
		})
		switch {
		case !in && !out:
			d.fail(e.kn, e.path, "missing input and output (USD per 1M tokens, e.g. {input: 0.4, output: 1.6})")
		case !in:
			d.fail(e.kn, e.path, "missing input (USD per 1M tokens)")
		case !out:
			d.fail(e.kn, e.path, "missing output (USD per 1M tokens)")
		default:
			prices[e.key] = price
		}
	}
}

// panel decodes judge.panel: categories or "provider/model" judges, at
// least two, each once, and min_agree no more than there are judges.
func (d *decoder) panel(cfg *Config, p pair) {
	j := &cfg.Judge
	items, ok := d.names(p.val, p.path, "judges", "a category or provider/model", "[smart, fast]")
	if !ok {
		return
	}
	cats := make([]string, len(cfg.Categories))
	for i, c := range cfg.Categories {
		cats[i] = c.Name
	}
	var provs []string
	for _, pr := range cfg.Providers {
		provs = append(provs, pr.Name)
	}
	for _, n := range items {
		name := n.Value
		switch prov, model, explicit := strings.Cut(name, "/"); {
		case slices.Contains(j.Panel, name):
			d.fail(n, p.path, "%s is listed twice", quote(name))
			continue
		case explicit && !slices.Contains(provs, prov):
			d.fail(n, p.path, "%s: %s is not a defined provider%s", quote(name), quote(prov), hint(prov, provs, "defined providers"))
			continue
		case explicit && strings.TrimSpace(model) == "":
			d.fail(n, p.path, "%s: want provider/model, e.g. %s/MODEL", quote(name), prov)
			continue
		case !explicit && !slices.Contains(cats, name):
			d.fail(n, p.path, "%s is neither a category nor provider/model%s", quote(name), hint(name, cats, "categories"))
			continue
		}
		j.Panel = append(j.Panel, name)
	}
	if len(items) < 2 {
		d.fail(deref(p.val), p.path, "a panel needs at least two judges, e.g. [smart, fast] (for one judge use judge.category)")
	}
	if j.MinAgree > len(items) {
		d.fail(deref(p.val), "judge.min_agree", "is %d but the panel has %d judges", j.MinAgree, len(items))
	}
}

// oneOf decodes a string that must be one of values.
func (d *decoder) oneOf(dst *string, values ...string) func(pair) {
	want := strings.Join(values, " or ")
	return func(p pair) {
		s, ok := d.str(p.val, p.path, want)
		if !ok {
			return
		}
		if !slices.Contains(values, s) {
			d.fail(deref(p.val), p.path, "%s is not %s", quote(s), want)
			return
		}
		*dst = s
	}
}

// streamBuffer reads stream_buffer: whole, a number of chunks, or a
// duration.
func (d *decoder) streamBuffer(dst *StreamBuffer) func(pair) {
	return func(p pair) {
		s, ok := d.scalar(p.val, p.path, "whole, a number of chunks or a duration such as 2s")
		if !ok {
			return
		}
		if s.Value == "whole" {
			*dst = StreamBuffer{Whole: true}
			return
		}
		if n, err := strconv.Atoi(s.Value); err == nil {
			if n < 1 {
				d.fail(s, p.path, "must be at least 1 chunk, got %d (leave it out to stream at once)", n)
				return
			}
			*dst = StreamBuffer{Chunks: n}
			return
		}
		v, err := time.ParseDuration(s.Value)
		if err != nil || v <= 0 {
			d.fail(s, p.path, "%s is not whole, a number of chunks or a positive duration (e.g. whole, 20, 2s)", quote(s.Value))
			return
		}
		*dst = StreamBuffer{For: v}
	}
}
