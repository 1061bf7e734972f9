package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmfall/llmfall/judge"
	"github.com/llmfall/llmfall/provider"
)

func TestNewCmdJudgeArgs(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		want     judgeOptions
		wantCode int // exit code when the arguments are rejected
	}{
		{"file", []string{"judge", "calibrate", "set.jsonl"}, judgeOptions{File: "set.jsonl"}, 0},
		{"json", []string{"judge", "calibrate", "--json", "set.jsonl"}, judgeOptions{File: "set.jsonl", JSON: true}, 0},
		{"no file: the built-in set", []string{"judge", "calibrate"}, judgeOptions{}, 0},
		{"two files", []string{"judge", "calibrate", "a", "b"}, judgeOptions{}, ExitUsage},
		{"unknown flag", []string{"judge", "calibrate", "--csv", "a"}, judgeOptions{}, ExitUsage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			f := newFactory(testIO(strings.NewReader(""), &out, &errb), testEnv)
			var got *judgeOptions
			root := newCmdRoot(f)
			for _, c := range root.Commands() {
				if c.Name() == "judge" { // swap the registered command for one that captures options
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newCmdJudge(f, func(_ context.Context, o *judgeOptions) error {
				got = o
				return nil
			}))
			root.SetArgs(tc.args)
			root.SetOut(&out)
			root.SetErr(&errb)
			err := root.Execute()
			if tc.wantCode != 0 {
				if code, _ := classify(usageIfUnran(f, err)); code != tc.wantCode {
					t.Errorf("exit code = %d (err %v); want %d", code, err, tc.wantCode)
				}
				return
			}
			if err != nil || got == nil {
				t.Fatalf("Execute() error = %v, options %v; want options", err, got)
			}
			if got.File != tc.want.File || got.JSON != tc.want.JSON {
				t.Errorf("options File, JSON = %q, %t; want %q, %t", got.File, got.JSON, tc.want.File, tc.want.JSON)
			}
		})
	}
}

// usageIfUnran mirrors executeArgs: an error before any command ran is usage.
func usageIfUnran(f *factory, err error) error {
	if err != nil && !f.ran {
		var ee *exitError
		if !errors.As(err, &ee) {
			return usageErr(err, "")
		}
	}
	return err
}

const calibrationSet = `{"input": "Summarise: order 1182 arrived broken, I want my money back.", "output": "Order 1182 arrived broken; the customer wants their money back.", "rubric": "Mentions the order number", "pass": true}
{"input": "Summarise: order 1182 arrived broken, I want my money back.", "output": "We sell garden furniture.", "rubric": "Mentions the order number", "pass": false}
{"input": "Summarise: order 1182 arrived broken, I want my money back.", "output_1": "Order 1182 is broken; refund wanted.", "output_2": "The customer wants money back for broken order 1182.", "pass": true}
{"input": "Capital of Australia?", "output_1": "Canberra, the capital of Australia.", "output_2": "Kangaroos are marsupials.", "label": 1}
`

func writeSet(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "set.jsonl")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func calibrateWith(t *testing.T, j judge.Judge, file string, asJSON bool) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &out, &errb), testEnv)
	opts := &judgeOptions{IO: f.IO, File: file, JSON: asJSON, Judge: func() (judge.Judge, error) { return j, nil }}
	err := runJudgeCalibrate(context.Background(), opts)
	if errb.Len() > 0 {
		t.Errorf("stderr = %q; want nothing", errb.String())
	}
	return out.String(), err
}

func TestJudgeCalibrateTable(t *testing.T) {
	got, err := calibrateWith(t, &judge.Heuristic{}, writeSet(t, calibrationSet), false)
	if err != nil {
		t.Fatalf("runJudgeCalibrate() error = %v", err)
	}
	want := `heuristic: the offline judge measures word overlap, not quality; calibrate a model judge before gating on it
4 examples: 2 rubric, 1 pairwise, 1 preference
┌───────────┬────────┬──────────┬───────┬────────────┬─────────────────┬────────┬─────────┐
│ JUDGE     │ JUDGED │ ACCURACY │ KAPPA │ FLIP RATE  │ CANARIES PASSED │ ERRORS │ COST    │
├───────────┼────────┼──────────┼───────┼────────────┼─────────────────┼────────┼─────────┤
│ heuristic │      4 │   100.0% │  1.00 │ 0.0% (0/2) │             0/2 │      0 │ $0.0000 │
└───────────┴────────┴──────────┴───────┴────────────┴─────────────────┴────────┴─────────┘
kappa: agreement with the humans beyond chance (1 perfect, 0 chance), with its 95% interval; flip rate: pair verdicts that changed when the answers swapped places; canaries: known-bad answers to the rubric examples, of which a judge should pass none
4 labels are too few for an interval of kappa; label at least 10
`
	if got != want {
		t.Errorf("stdout =\n%s\nwant\n%s", got, want)
	}
}

// TestJudgeCalibrateBuiltin runs calibrate with no file: the labelled set
// built into the binary, so a user needs no copy of the source tree.
func TestJudgeCalibrateBuiltin(t *testing.T) {
	got, err := calibrateWith(t, &judge.Heuristic{}, "", false)
	if err != nil {
		t.Fatalf("runJudgeCalibrate() error = %v", err)
	}
	if want := "32 examples: 16 rubric, 8 pairwise, 8 preference\n"; !strings.Contains(got, want) {
		t.Errorf("stdout =\n%s\nwant it to contain %q", got, want)
	}
	if strings.Contains(got, "testdata") {
		t.Errorf("stdout = %q; want no path into the source tree", got)
	}
}

// failingJudge is a model judge whose every call fails, as with a bad key.
type failingJudge struct{}

func (failingJudge) Rubric(context.Context, judge.RubricInput) (judge.Verdict, error) {
	return judge.Verdict{}, &judge.Error{Attempts: []judge.Attempt{{Judge: "openai/gpt-4.1", Err: &provider.Error{Provider: "openai", Class: provider.ClassAuth, Status: 401}}}}
}

func (failingJudge) Consistent(ctx context.Context, in judge.PairInput) (judge.Verdict, error) {
	return failingJudge{}.Rubric(ctx, judge.RubricInput{})
}

func (failingJudge) Prefer(ctx context.Context, in judge.PreferInput) (judge.Preference, error) {
	_, err := failingJudge{}.Rubric(ctx, judge.RubricInput{})
	return judge.Preference{}, err
}

func TestJudgeCalibrateErrors(t *testing.T) {
	t.Run("bad file is a usage error", func(t *testing.T) {
		_, err := calibrateWith(t, &judge.Heuristic{}, writeSet(t, `{"input": "q", "output": "a"}`), false)
		if code, hint := classify(err); code != ExitUsage || hint == "" {
			t.Errorf("exit code, hint = %d, %q; want %d and a hint", code, hint, ExitUsage)
		}
	})
	t.Run("missing file is a usage error", func(t *testing.T) {
		_, err := calibrateWith(t, &judge.Heuristic{}, filepath.Join(t.TempDir(), "none.jsonl"), false)
		if code, _ := classify(err); code != ExitUsage {
			t.Errorf("exit code = %d; want %d", code, ExitUsage)
		}
	})
	t.Run("no verdict at all is a provider failure", func(t *testing.T) {
		out, err := calibrateWith(t, failingJudge{}, writeSet(t, calibrationSet), false)
		if code, _ := classify(err); code != ExitProviders {
			t.Errorf("exit code = %d (err %v); want %d", code, err, ExitProviders)
		}
		if !strings.Contains(out, "openai/gpt-4.1") {
			t.Errorf("stdout lacks the failing judge's row:\n%s", out)
		}
	})
}

func TestJudgeCalibrateJSON(t *testing.T) {
	got, err := calibrateWith(t, &judge.Heuristic{}, writeSet(t, calibrationSet), true)
	if err != nil {
		t.Fatalf("runJudgeCalibrate() error = %v", err)
	}
	var rep struct {
		Examples int `json:"examples"`
		Judges   []struct {
			Judge     string   `json:"judge"`
			Heuristic bool     `json:"heuristic"`
			Accuracy  float64  `json:"accuracy"`
			Kappa     *float64 `json:"kappa"`
			FlipRate  float64  `json:"flip_rate"`
			Errors    int      `json:"errors"`
			CostUSD   float64  `json:"cost_usd"`
		} `json:"judges"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(got), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, got)
	}
	if rep.Examples != 4 || len(rep.Results) != 4 || len(rep.Judges) != 1 || rep.Judges[0].Judge != "heuristic" || !rep.Judges[0].Heuristic {
		t.Errorf("report = %+v; want 4 examples judged by the labelled heuristic", rep)
	}
}
