package eval

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
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
// whether it skips the candidate's provider; or the offline heuristic.
type JudgeIdentity struct {
	Heuristic         bool        `json:"heuristic,omitempty"`
	Chain             []JudgeLink `json:"chain,omitempty"`
	Threshold         float64     `json:"threshold"`
	DifferentProvider bool        `json:"different_provider"`
}

// JudgeLink is one link of the judge's chain.
type JudgeLink struct {
	Model string       `json:"model"`
	Link  LinkIdentity `json:"link"`
}

// ID names the judge in cache keys, so that a verdict is reused only by
// the same judge.
func (j JudgeIdentity) ID() string { return hashOf(j) }

// CaseKey names a case across runs and revisions: a fingerprint is
// compared with the one of the same key.
type CaseKey struct {
	Prompt   string
	Test     string
	Position int
	Repeat   int
}

func (k CaseKey) String() string {
	return fmt.Sprintf("%s/%s@%d#%d", k.Prompt, k.Test, k.Position, k.Repeat)
}

// Key is the case's CaseKey.
func (c *Case) Key() CaseKey {
	return CaseKey{Prompt: c.Prompt.Name, Test: c.Test.Name, Position: c.Position, Repeat: c.Repeat}
}

// Key is the result's CaseKey.
func (r *Result) Key() CaseKey {
	return CaseKey{Prompt: r.Prompt, Test: r.Test, Position: r.Position, Repeat: r.Repeat}
}

// Fingerprint parts, in the order reasons name them.
const (
	partVersion    = "version"
	partPrompt     = "prompt"
	partParams     = "params"
	partLink       = "link"
	partAssertions = "assertions"
	partJudge      = "judge"
	partPrimary    = "primary"
)

var partOrder = []string{partVersion, partPrompt, partParams, partLink, partAssertions, partJudge, partPrimary}

// partReasons say why a case runs when a part changed.
var partReasons = map[string]string{
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
	Sum   string
	Parts map[string]string
}

// fingerprint computes c's fingerprint under in. primary is the case the
// consistent assertions of c compare with (nil when c is the primary).
func fingerprint(c *Case, primary *Case, in Inputs) Fingerprint {
	parts := map[string]string{
		partVersion: hashOf(struct{ Fingerprint, Results int }{FingerprintVersion, ResultsVersion}),
		partPrompt: hashOf(struct {
			System string         `json:"system"`
			User   string         `json:"user"`
			Vars   map[string]any `json:"vars"`
		}{c.Test.System, c.Test.User, c.Test.Vars}),
		partParams: hashOf(c.Prompt.Params),
		partLink: hashOf(struct {
			Link  LinkIdentity
			Model string
		}{in.Links[c.Target.Provider], c.Target.Model}),
	}
	type assertion struct {
		Type, Value, Rubric, Reference, Schema string
		Negate                                 bool
		Values                                 []string
		Threshold, Weight                      float64
		Min, Max                               *int
	}
	asserts := make([]assertion, len(c.Test.Asserts))
	judged, consistent, priced := false, false, false
	for i, a := range c.Test.Asserts {
		priced = priced || a.Type == TypeCost
		asserts[i] = assertion{a.Type, a.Value, a.Rubric, a.Reference, a.schemaSource, a.Negate, a.Values, a.Threshold, a.Weight, a.Min, a.Max}
		// A primary's consistent assertion passes without asking anyone.
		judged = judged || a.Type == TypeJudge || a.Type == TypeConsistent && primary != nil
		consistent = consistent || a.Type == TypeConsistent
	}
	var price *Price
	if priced {
		if pr, ok := in.Prices.Lookup(c.Target.Model); ok {
			price = &pr
		}
	}
	parts[partAssertions] = hashOf(struct {
		Threshold *float64
		Asserts   []assertion
		Price     *Price `json:",omitempty"`
	}{c.Test.Threshold, asserts, price})
	if judged {
		parts[partJudge] = in.Judge.ID()
	}
	if consistent && primary != nil {
		parts[partPrimary] = hashOf(struct {
			Position int
			Link     string
		}{primary.Position, hashOf(struct {
			Link  LinkIdentity
			Model string
		}{in.Links[primary.Target.Provider], primary.Target.Model})})
	}
	var sum strings.Builder
	for _, name := range slices.Sorted(maps.Keys(parts)) {
		fmt.Fprintf(&sum, "%s=%s\n", name, parts[name])
	}
	return Fingerprint{Sum: hashOf(sum.String()), Parts: parts}
}

// hashOf is the hex SHA-256 of v's JSON encoding: maps encode with sorted
// keys, so equal values hash equal.
func hashOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Vars come from YAML and JSON and always encode; should one not,
		// its error text still hashes deterministically.
		b = []byte("unencodable: " + err.Error())
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// changes lists, in a fixed order, the reasons why got differs from base.
func changes(base, got Fingerprint) string {
	var out []string
	for _, name := range partOrder {
		if base.Parts[name] != got.Parts[name] {
			out = append(out, partReasons[name])
		}
	}
	if len(out) == 0 && base.Sum != got.Sum {
		return "inputs changed"
	}
	return strings.Join(out, ", ")
}
