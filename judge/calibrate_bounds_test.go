package judge

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestExampleValidation pins each labelled-file mistake to the message a
// person fixing the file reads, and each well-formed line to its kind: a
// wrong kind asks the judge another question than the human answered.
func TestExampleValidation(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		wantKind Kind
		wantErr  []string // every one must be named; none when empty
	}{
		{name: "rubric", line: `{"input": "q", "output": "a", "pass": false}`, wantKind: KindRubric},
		{name: "pair", line: `{"input": "q", "output_1": "a", "output_2": "b", "pass": true}`, wantKind: KindPair},
		{name: "preference for the first", line: `{"input": "q", "output_1": "a", "output_2": "b", "label": 1}`, wantKind: KindPreference},
		{name: "preference for the second", line: `{"input": "q", "output_1": "a", "output_2": "b", "label": 2}`, wantKind: KindPreference},
		{name: "no input", line: `{"output": "a", "pass": true}`, wantErr: []string{`"input" (or "instruction") is required`}},
		{name: "rubric without its answer", line: `{"input": "q", "pass": true}`, wantErr: []string{`one of "output" or "output_1" and "output_2" is required`}},
		{name: "rubric with a label", line: `{"input": "q", "output": "a", "pass": true, "label": 1}`, wantErr: []string{`"label" belongs to pairs`}},
		{name: "pair with a single output too", line: `{"input": "q", "output": "a", "output_1": "a", "output_2": "b", "pass": true}`,
			wantErr: []string{`"output" and "output_1"/"output_2" are exclusive`}},
		{name: "preference with output_1 only", line: `{"input": "q", "output_1": "a", "label": 1}`, wantErr: []string{`a pair needs both "output_1" and "output_2"`}},
		{name: "pair with output_2 only", line: `{"input": "q", "output_2": "b", "pass": true}`, wantErr: []string{`a pair needs both "output_1" and "output_2"`}},
		{name: "pair with a rubric", line: `{"input": "q", "output_1": "a", "output_2": "b", "pass": true, "rubric": "r"}`,
			wantErr: []string{`"rubric" and "reference" apply only to a single "output"`}},
		{name: "pair with a reference", line: `{"input": "q", "output_1": "a", "output_2": "b", "label": 2, "reference": "r"}`,
			wantErr: []string{`"rubric" and "reference" apply only to a single "output"`}},
		{name: "pair with label and pass", line: `{"input": "q", "output_1": "a", "output_2": "b", "label": 1, "pass": true}`,
			wantErr: []string{`a pair has "label" (which is better) or "pass" (equivalent), not both`}},
		{name: "pair with neither", line: `{"input": "q", "output_1": "a", "output_2": "b"}`,
			wantErr: []string{`a pair needs "label" (1 or 2: which is better) or "pass" (equivalent?)`}},
		{name: "label out of range", line: `{"input": "q", "output_1": "a", "output_2": "b", "label": 3}`, wantErr: []string{`"label" is 3; want 1 or 2`}},
		{name: "negative label", line: `{"input": "q", "output_1": "a", "output_2": "b", "label": -1}`, wantErr: []string{`"label" is -1; want 1 or 2`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadExamples(strings.NewReader(tc.line))
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("LoadExamples(%s) error = %v; want none", tc.line, err)
				}
				if k := got[0].Kind(); k != tc.wantKind {
					t.Errorf("LoadExamples(%s) kind = %s; want %s", tc.line, k, tc.wantKind)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadExamples(%s) = %+v; want an error", tc.line, got)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadExamples(%s) error = %v; want it to say %q", tc.line, err, w)
				}
			}
			// Only the problems the line has: a correct field blamed sends
			// the fixer the wrong way.
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tc.wantErr) {
				t.Errorf("LoadExamples(%s) error = %v; want exactly %d problem(s)", tc.line, err, len(tc.wantErr))
			}
		})
	}
}

// TestCalibrateNamesEveryBadExample: a labelled set with several mistakes
// gets all of them named by their position, counted from 1 as a person counts
// the examples, before any judge call is paid for.
func TestCalibrateNamesEveryBadExample(t *testing.T) {
	yes := true
	good := Example{Input: "q", Output: "a", Pass: &yes}
	t.Run("invalid examples", func(t *testing.T) {
		_, err := Calibrate(context.Background(), &Heuristic{}, []Example{
			good, {Input: "q", Output: "a"}, good, {Input: "q", Output1: "a", Output2: "b", Label: 3},
		})
		if err == nil {
			t.Fatal("Calibrate() error = nil; want examples 2 and 4 named")
		}
		for _, w := range []string{"example 2: ", "example 4: "} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Calibrate() error = %v; want it to name %q", err, w)
			}
		}
		for _, n := range []string{"example 1:", "example 3:"} {
			if strings.Contains(err.Error(), n) {
				t.Errorf("Calibrate() error = %v; want no blame on the good %s", err, n)
			}
		}
	})
	t.Run("preferences for a judge that cannot rank", func(t *testing.T) {
		j := struct{ Judge }{&Heuristic{}} // hides Prefer
		pref := Example{Input: "q", Output1: "a", Output2: "b", Label: 1}
		_, err := Calibrate(context.Background(), j, []Example{good, pref, good, pref})
		if err == nil {
			t.Fatal("Calibrate() error = nil; want examples 2 and 4 named")
		}
		msg := err.Error()
		if !strings.Contains(msg, "example 2: the judge cannot rank") || !strings.Contains(msg, "example 4: the judge cannot rank") ||
			strings.Contains(msg, "example 1:") || strings.Contains(msg, "example 3:") {
			t.Errorf("Calibrate() error = %v; want examples 2 and 4 (the preferences) named, and only them", err)
		}
	})
}

// TestCalibrateRowsPerJudge: each judge's row says whether it is the
// heuristic, and counts the canary of a rubric example that comes after
// pairs (which have no canary).
func TestCalibrateRowsPerJudge(t *testing.T) {
	yes := true
	examples := []Example{
		{Input: "pair", Output1: "a", Output2: "b", Pass: &yes},
		{Input: "rubric", Output: "a", Pass: &yes},
	}
	j := &scriptedJudge{verdicts: map[string]Verdict{
		"pair": {Judge: "x/model", Pass: true, Score: 1},
		// The scripted judge answers the canary as the example: a pass.
		"rubric": {Judge: HeuristicName, Heuristic: true, Pass: true, Score: 1},
	}}
	rep, err := Calibrate(context.Background(), j, examples)
	if err != nil {
		t.Fatalf("Calibrate() error = %v", err)
	}
	if len(rep.Judges) != 2 {
		t.Fatalf("Report.Judges = %+v; want a row for the heuristic and one for x/model", rep.Judges)
	}
	h, m := rep.Judges[0], rep.Judges[1]
	if h.Judge != HeuristicName || !h.Heuristic || h.CanaryJudged != 1 || h.CanaryPassed != 1 {
		t.Errorf("heuristic row = %+v; want heuristic, 1 canary judged and passed", h)
	}
	if m.Judge != "x/model" || m.Heuristic || m.CanaryJudged != 0 {
		t.Errorf("model row = %+v; want x/model, not heuristic, no canary", m)
	}
	if rep.Total.CanaryJudged != 1 || rep.Total.CanaryPassed != 1 || !rep.Total.Heuristic {
		t.Errorf("Total = %+v; want 1 canary judged and passed, and marked heuristic", rep.Total)
	}
}

// MinIntervalLabels labels are enough for kappa's interval, one fewer is not.
func TestCalibrateKappaIntervalFromTheMinimum(t *testing.T) {
	yes, no := true, false
	for _, n := range []int{MinIntervalLabels - 1, MinIntervalLabels} {
		var examples []Example
		j := &scriptedJudge{verdicts: map[string]Verdict{}}
		for i := range n {
			e := Example{Input: fmt.Sprint("e", i), Output: "o", Pass: &no}
			if i%2 == 0 {
				e.Pass = &yes
			}
			examples = append(examples, e)
			j.verdicts[e.Input] = Verdict{Judge: "x/j", Pass: i%2 == 0 || i == 1}
		}
		rep, err := Calibrate(context.Background(), j, examples)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rep.Total.KappaLow != nil, n >= MinIntervalLabels; got != want {
			t.Errorf("%d labels: kappa interval %t; want %t", n, got, want)
		}
	}
}

// A panel that fails a canary while one of its members passes it: that
// member is compromised even though the panel outvoted it, so the canary
// counts as passed; a canary every member failed does not.
func TestCalibrateCanaryPassedByOneVote(t *testing.T) {
	yes := true
	vote := func(member string, pass, inconsistent bool) Vote {
		return Vote{Member: member, Verdict: Verdict{Judge: member, Pass: pass, Inconsistent: inconsistent}}
	}
	examples := []Example{{Input: "outvoted", Output: "a", Pass: &yes}, {Input: "unanimous", Output: "a", Pass: &yes}}
	j := &scriptedJudge{verdicts: map[string]Verdict{
		// The scripted judge answers the canary as the example.
		"outvoted":  {Judge: "panel", Votes: []Vote{vote("x/lax", true, false), vote("y/strict", false, false), vote("z/strict", false, false)}},
		"unanimous": {Judge: "panel", Votes: []Vote{vote("x/lax", false, false), vote("y/strict", false, false), vote("z/flip", true, true)}},
	}}
	rep, err := Calibrate(context.Background(), j, examples)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.CanaryJudged != 2 || rep.Total.CanaryPassed != 1 {
		t.Errorf("canaries judged, passed = %d, %d; want 2, 1 (the outvoted member's pass)", rep.Total.CanaryJudged, rep.Total.CanaryPassed)
	}
}
