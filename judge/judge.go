// Package judge grades model outputs with an LLM (or, offline, a heuristic):
// against a rubric and optional reference, or pairwise for consistency with
// the primary link's answer. It calls the providers it is handed and knows
// nothing of suites, caches or reports.
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
