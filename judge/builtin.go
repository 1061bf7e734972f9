package judge

import (
	"bytes"
	_ "embed"
	"fmt"
)

// builtinSet is the labelled set shipped in the binary; calibration/README.md
// says what it holds and where it comes from.
//
//go:embed calibration/calibration.jsonl
var builtinSet []byte

// BuiltinName names the built-in set in messages.
const BuiltinName = "the built-in calibration set"

// BuiltinExamples returns the human-labelled set that ships with llmfall: 32
// examples (rubric items, some of them traps for a judge, pairwise
// equivalence and preference items), enough for a quick look at how far a
// judge can be trusted before gating CI on it, not a benchmark.
func BuiltinExamples() ([]Example, error) {
	ex, err := LoadExamples(bytes.NewReader(builtinSet))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", BuiltinName, err)
	}
	return ex, nil
}
