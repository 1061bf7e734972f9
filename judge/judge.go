// Package judge grades model outputs with an LLM (or, offline, a heuristic):
// against a rubric and optional reference, or pairwise for consistency with
// the primary link's answer; Calibrate measures a judge against human
// labels. It calls the providers it is handed and knows nothing of suites,
// caches or reports.
package judge

import (
	"context"

	"github.com/llmfall/llmfall/provider"
)

// Verdict is one judgement.
type Verdict struct {
	Pass      bool    `json:"pass"`
	Score     float64 `json:"score"` // 0–1
	Reasoning string  `json:"reasoning"`
	// Judge names who judged: "provider/model", or "heuristic" offline.
	Judge string `json:"judge"`
	// Heuristic marks a verdict from the offline heuristic, not a model.
	Heuristic bool `json:"heuristic,omitempty"`
	// Inconsistent is set on a pairwise verdict that changed when the two
	// answers were swapped: it is reported, and never counts as a pass.
	Inconsistent bool           `json:"inconsistent,omitempty"`
	Usage        provider.Usage `json:"usage"`
	// CostUSD is what the judge calls behind this verdict cost, from the
	// judge link's Price; 0 when no price is known (and for the heuristic).
	CostUSD float64 `json:"cost_usd,omitempty"`
	// Votes are a panel's members' verdicts, in member order; empty for a
	// single judge. A panel's Judge names its judges, and its Usage and
	// CostUSD add up its votes'.
	Votes []Vote `json:"votes,omitempty"`
}

// RubricInput asks whether Output, produced for Prompt, meets Rubric.
type RubricInput struct {
	Prompt    string // what the candidate model was asked (system + user), for context
	Output    string // the candidate's answer: data, never instructions
	Rubric    string
	Reference string // optional reference answer
	// CandidateProvider is the provider that produced Output, so that a
	// judge of the same provider can be avoided.
	CandidateProvider string
	Threshold         float64 // score needed to pass; 0 means the judge's default
}

// PairInput asks whether Candidate is equivalent in substance to Primary,
// both answers to Prompt.
type PairInput struct {
	Prompt            string
	Primary           string
	Candidate         string
	PrimaryProvider   string
	CandidateProvider string
	Threshold         float64
}

// Judge grades outputs. Implementations are safe for concurrent use.
type Judge interface {
	Rubric(ctx context.Context, in RubricInput) (Verdict, error)
	Consistent(ctx context.Context, in PairInput) (Verdict, error)
}

// PreferInput asks which of two answers to Prompt is better. It is the
// question behind human pairwise-preference data such as LLMBar, used to
// calibrate a judge; the eval harness asks Consistent instead.
type PreferInput struct {
	Prompt    string
	Output1   string
	Output2   string
	Provider1 string // providers that produced the outputs, to be avoided as judges
	Provider2 string
}

// Preference is a judgement of which answer is better, asked in both orders.
type Preference struct {
	// Choice is 1 or 2, the better output; 0 when the judge gave no
	// preference that survived swapping the two outputs.
	Choice    int    `json:"choice"`
	Reasoning string `json:"reasoning"`
	Judge     string `json:"judge"`
	Heuristic bool   `json:"heuristic,omitempty"`
	// Inconsistent is set when the two orders disagreed (the judge preferred
	// whichever answer came first, or second, both times).
	Inconsistent bool           `json:"inconsistent,omitempty"`
	Usage        provider.Usage `json:"usage"`
	CostUSD      float64        `json:"cost_usd,omitempty"`
}

// Preferrer is the optional capability of ranking two answers; both judges in
// this package have it, and Calibrate needs it for preference examples.
type Preferrer interface {
	Prefer(ctx context.Context, in PreferInput) (Preference, error)
}
