package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/llmfall/llmfall/provider"
)

// FingerprintVersion changes whenever what a fingerprint covers, or how a
// case is graded, changes: results fingerprinted by another version are
// never reused.
const FingerprintVersion = 1

// Inputs are the parts of the configuration that decide cases' outcomes
// besides the suite itself. The command fills them from llmfall.yaml.
type Inputs struct {
	// Links describe each provider by name: what answers a request.
	Links map[string]LinkIdentity
	// Judge is who grades judge and consistent assertions.
	Judge JudgeIdentity
	// Prices decide cost assertions: a case with one changes when its
	// model's price does.
	Prices Prices
}

// LinkIdentity is what decides a provider's answers besides the request.
// It never holds a key; which variable the key comes from does not change
// answers and is left out.
type LinkIdentity struct {
	Name    string            `json:"name"`
	Type    string            `json:"type"`
	BaseURL string            `json:"base_url"`
	Headers map[string]string `json:"headers,omitempty"`
	// Settings is anything else that shapes the answers, e.g. a sim's
	// latency and faults.
	Settings string `json:"settings,omitempty"`
}

// JudgeIdentity is the judge as configured: its chain, its threshold,
// whether it skips the candidate's provider (a panel always does); or the
// offline heuristic.
type JudgeIdentity struct {
	Heuristic         bool        `json:"heuristic,omitempty"`
	Chain             []JudgeLink `json:"chain,omitempty"`
	Threshold         float64     `json:"threshold"`
	DifferentProvider bool        `json:"different_provider"`
	// Panel, for a judge panel, is each member's chain (Chain is then
	// empty), and MinAgree the votes a pass needs.
	Panel    [][]JudgeLink `json:"panel,omitempty"`
	MinAgree int           `json:"min_agree,omitempty"`
}

// JudgeLink is one link of the judge's chain.
type JudgeLink struct {
	Model string       `json:"model"`
	Link  LinkIdentity `json:"link"`
}

// ID names the judge in cache keys and fingerprints, so that a verdict is
// reused only by the same judge. A panel skips the candidate's provider
// whatever DifferentProvider says (judge.Panel), so for a panel it counts
// as set: turning the setting off changes nothing a panel does, and must
// neither run its judged cases again as "judge changed" nor miss the cache.
// Set, the default, it hashes as it always did.
func (j JudgeIdentity) ID() string {
	if len(j.Panel) > 0 {
		j.DifferentProvider = true
	}
	return hashOf(j)
}

// CaseKey names a case across runs and revisions: a fingerprint is
// compared with the one of the same key.
type CaseKey struct {
	Prompt   string
	Test     string
	Position int
	Repeat   int
}

// String is "prompt/test@position#repeat".
func (k CaseKey) String() string { return string(k.append(nil)) }

// append appends k's String to b.
func (k CaseKey) append(b []byte) []byte {
	b = append(b, k.Prompt...)
	b = append(b, '/')
	b = append(b, k.Test...)
	b = append(b, '@')
	b = strconv.AppendInt(b, int64(k.Position), 10)
	b = append(b, '#')
	return strconv.AppendInt(b, int64(k.Repeat), 10)
}

// Key is the case's CaseKey.
func (c *Case) Key() CaseKey {
	return CaseKey{Prompt: c.Prompt.Name, Test: c.Test.Name, Position: c.Position, Repeat: c.Repeat}
}

// Key is the result's CaseKey.
func (r *Result) Key() CaseKey {
	return CaseKey{Prompt: r.Prompt, Test: r.Test, Position: r.Position, Repeat: r.Repeat}
}

// Fingerprint parts, indexes into Parts in the order reasons name them.
const (
	partVersion = iota
	partPrompt
	partParams
	partLink
	partAssertions
	partJudge
	partPrimary
	numParts
)

// partNames name the parts in results (Result.Inputs).
var partNames = [numParts]string{"version", "prompt", "params", "link", "assertions", "judge", "primary"}

// partReasons say why a case runs when a part changed.
var partReasons = [numParts]string{
	partVersion:    "result format changed",
	partPrompt:     "prompt changed",
	partParams:     "params changed",
	partLink:       "link changed",
	partAssertions: "assertions changed",
	partJudge:      "judge changed",
	partPrimary:    "primary link changed",
}

// Fingerprint is a stable hash of every input that decides a case's
// outcome: Sum over all of them, Parts per kind of input, so that a
// change can be named.
type Fingerprint struct {
	Sum   Digest
	Parts Parts
}

// Digest is a SHA-256 sum. A plan holds one per case: 32 bytes in the
// case, where its hex would be a string of 64 more on the heap.
type Digest [sha256.Size]byte

// String is d in hex, as results carry it (Result.Fingerprint).
func (d Digest) String() string { return hex.EncodeToString(d[:]) }

// parseDigest reads a Digest from its hex; the zero Digest, which no
// fingerprint has, when s is not one.
func parseDigest(s string) Digest {
	var d Digest
	if len(s) != hex.EncodedLen(len(d)) {
		return Digest{}
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return Digest{}
	}
	return d
}

// Parts are the hashes of a fingerprint's inputs by kind, "" for a kind
// that does not apply. An array, not a map: a plan holds one per case, and
// the strings are shared with the other cases of the same test or link.
type Parts [numParts]string

// Map is p as results carry it (Result.Inputs): by name, without the
// kinds that do not apply.
func (p Parts) Map() map[string]string {
	m := make(map[string]string, numParts)
	for i, h := range p {
		if h != "" {
			m[partNames[i]] = h
		}
	}
	return m
}

// partsOf reads Parts back from Result.Inputs.
func partsOf(m map[string]string) Parts {
	var p Parts
	for i, name := range partNames {
		p[i] = m[name]
	}
	return p
}

// fingerprinter computes the fingerprints of a plan's cases. The parts
// that many cases share (a test's across links and repeats, a link's across
// tests, the judge's) are hashed once.
type fingerprinter struct {
	in      Inputs
	version string
	judge   string
	links   map[provider.Target]string
	params  map[*Prompt]string
	tests   map[*Test]testHashes
	// asserts interns the assertions' hashes: the cases of tests with
	// the same checks (their file's defaults, say) share one string.
	asserts map[string]string
}

// testHashes are the hashes of what a test decides for every link.
type testHashes struct {
	prompt, asserts    string
	judged, consistent bool // has a judge assertion; a consistent one
	priced             bool // has a cost assertion
}

func newFingerprinter(in Inputs) *fingerprinter {
	return &fingerprinter{
		in:      in,
		version: hashOf(struct{ Fingerprint, Results int }{FingerprintVersion, ResultsVersion}),
		judge:   in.Judge.ID(),
		links:   map[provider.Target]string{},
		params:  map[*Prompt]string{},
		tests:   map[*Test]testHashes{},
		asserts: map[string]string{},
	}
}

func (f *fingerprinter) link(t provider.Target) string {
	h, ok := f.links[t]
	if !ok {
		h = hashOf(struct {
			Link  LinkIdentity
			Model string
		}{f.in.Links[t.Provider], t.Model})
		f.links[t] = h
	}
	return h
}

func (f *fingerprinter) test(t *Test) testHashes {
	if h, ok := f.tests[t]; ok {
		return h
	}
	type assertion struct {
		Type, Value, Rubric, Reference, Schema string
		Negate                                 bool
		Values                                 []string
		Threshold, Weight                      float64
		Min, Max                               *int
		// Arguments are a tool-call check's; left out when unset, so
		// that other assertions hash as they did before it existed.
		Arguments string `json:",omitempty"`
	}
	var h testHashes
	asserts := make([]assertion, len(t.Asserts))
	for i, a := range t.Asserts {
		asserts[i] = assertion{a.Type, a.Value, a.Rubric, a.Reference, a.schemaSource, a.Negate, a.Values, a.Threshold, a.Weight, a.Min, a.Max, a.argsSource}
		h.judged = h.judged || a.Type == TypeJudge
		h.consistent = h.consistent || a.Type == TypeConsistent
		h.priced = h.priced || a.Type == TypeCost
	}
	h.asserts = hashOf(struct {
		Threshold *float64
		Asserts   []assertion
	}{t.Threshold, asserts})
	if same, ok := f.asserts[h.asserts]; ok {
		h.asserts = same
	} else {
		f.asserts[h.asserts] = h.asserts
	}
	// Messages (a history, images with their bytes) is nil for a test
	// that is one plain user message, and then left out.
	// Vars is their JSON, which encodes as the map did; vars that did not
	// encode hash as hashOf hashed them.
	if t.varsErr != "" {
		h.prompt = hashUnencodable(t.varsErr)
	} else {
		h.prompt = hashOf(struct {
			System   string             `json:"system"`
			User     string             `json:"user"`
			Vars     json.RawMessage    `json:"vars"`
			Messages []provider.Message `json:"messages,omitempty"`
		}{t.System, t.User, t.Vars, t.Messages})
	}
	f.tests[t] = h
	return h
}

// fingerprint computes c's fingerprint. primary is the case the consistent
// assertions of c compare with (nil when c is the primary).
func (f *fingerprinter) fingerprint(c *Case, primary *Case) Fingerprint {
	th := f.test(c.Test)
	pp, ok := f.params[c.Prompt]
	if !ok {
		pp = hashOf(c.Prompt.Params)
		f.params[c.Prompt] = pp
	}
	parts := Parts{
		partVersion:    f.version,
		partPrompt:     th.prompt,
		partParams:     pp,
		partLink:       f.link(c.Target),
		partAssertions: th.asserts,
	}
	if th.priced {
		// A cost check's verdict follows the model's price.
		var price *Price
		if pr, ok := f.in.Prices.Lookup(c.Target.Model); ok {
			price = &pr
		}
		parts[partAssertions] = hashOf(struct {
			Asserts string
			Price   *Price
		}{th.asserts, price})
	}
	// A primary's consistent assertion passes without asking anyone.
	if th.judged || th.consistent && primary != nil {
		parts[partJudge] = f.judge
	}
	if th.consistent && primary != nil {
		parts[partPrimary] = hashOf(struct {
			Position int
			Link     string
		}{primary.Position, f.link(primary.Target)})
	}
	return Fingerprint{Sum: parts.sum(), Parts: parts}
}

// sum is the hash of the parts that apply: hashOf of the string of their
// "name=hash\n" lines, built in a buffer on the stack (a plan sums every
// case). hashOf JSON-encodes the string: quotes around it, each newline
// escaped; names and hex hashes need no other escape.
func (p *Parts) sum() Digest {
	var arr [640]byte // the 7 parts' lines fit
	b := append(arr[:0], '"')
	for i, part := range p {
		if part != "" {
			b = append(b, partNames[i]...)
			b = append(b, '=')
			b = append(b, part...)
			b = append(b, `\n`...)
		}
	}
	return sha256.Sum256(append(b, '"'))
}

// hashOf is the hex SHA-256 of v's JSON encoding: maps encode with sorted
// keys, so equal values hash equal.
func hashOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Vars from YAML may not encode (a mapping with keys that are not
		// strings); its error text still hashes deterministically.
		return hashUnencodable(err.Error())
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// hashUnencodable is hashOf of a value that JSON does not encode, err.
func hashUnencodable(err string) string {
	h := sha256.Sum256([]byte("unencodable: " + err))
	return hex.EncodeToString(h[:])
}

// changes lists, in a fixed order, the reasons why got differs from base.
func changes(base, got Fingerprint) string {
	var out []string
	for i := range numParts {
		if base.Parts[i] != got.Parts[i] {
			out = append(out, partReasons[i])
		}
	}
	if len(out) == 0 && base.Sum != got.Sum {
		return "inputs changed"
	}
	return strings.Join(out, ", ")
}
