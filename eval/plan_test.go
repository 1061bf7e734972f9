package eval

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/fallback"
)

func caseNames(p *Plan) []string {
	var out []string
	for _, c := range p.Cases {
		mark := ""
		if c.Primary {
			mark = "*"
		}
		out = append(out, c.Name()+"@"+c.Target.Provider+mark)
	}
	return out
}

func TestNewPlan(t *testing.T) {
	s := suiteOf(t, 2, `{type: contains, value: "ticket"}`)
	tests := []struct {
		name string
		opts PlanOptions
		want []string
	}{
		{"default depth", PlanOptions{}, []string{"p/t0@a*", "p/t0@b", "p/t1@a*", "p/t1@b"}},
		{"depth 1", PlanOptions{Depth: 1}, []string{"p/t0@a*", "p/t1@a*"}},
		{"depth past the chain", PlanOptions{Depth: 9}, []string{"p/t0@a*", "p/t0@b", "p/t0@c", "p/t1@a*", "p/t1@b", "p/t1@c"}},
		{"named providers", PlanOptions{Providers: []string{"c", "b"}}, []string{"p/t0@b*", "p/t0@c", "p/t1@b*", "p/t1@c"}},
		{"filter", PlanOptions{Filter: regexp.MustCompile(`/t1$`)}, []string{"p/t1@a*", "p/t1@b"}},
		{"repeat", PlanOptions{Depth: 1, Repeat: 2}, []string{"p/t0@a*", "p/t0@a*", "p/t1@a*", "p/t1@a*"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, s, tc.opts)
			if diff := cmp.Diff(tc.want, caseNames(p)); diff != "" {
				t.Errorf("cases (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("positions are chain positions", func(t *testing.T) {
		p := mustPlan(t, s, PlanOptions{Providers: []string{"c"}})
		if c := p.Cases[0]; c.Position != 2 || c.Target.Model != "gemini-2.5-flash" {
			t.Errorf("case = %+v; want position 2 on gemini-2.5-flash", c)
		}
	})
	t.Run("unknown provider", func(t *testing.T) {
		_, err := NewPlan(s, PlanOptions{Chain: chains(threeLinks), Providers: []string{"d"}})
		if want := `provider "d" is in none of the planned chains`; err == nil || err.Error() != want {
			t.Errorf("NewPlan error = %v; want %q", err, want)
		}
	})
	t.Run("unknown category", func(t *testing.T) {
		_, err := NewPlan(s, PlanOptions{Chain: chains(map[string][]fallback.Target{})})
		if err == nil {
			t.Error("NewPlan succeeded; want an error for a category without a chain")
		}
	})
}

func TestEstimate(t *testing.T) {
	s := suiteOf(t, 2, `{type: judge, rubric: "ok"}`, `{type: consistent}`)
	p := mustPlan(t, s, PlanOptions{})
	e := p.Estimate(EstimateOptions{Prices: Prices(nil).WithDefaults()})
	if diff := cmp.Diff(map[string]int{"a": 2, "b": 2}, e.Calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	// 4 rubric calls, and a pair call for each fallback link.
	if e.JudgeCalls != 6 {
		t.Errorf("judge calls = %d; want 6", e.JudgeCalls)
	}
	if e.CostUSD <= 0 || e.OutputTokens < 4*DefaultOutputTokens {
		t.Errorf("estimate = %+v; want a positive cost and at least the answers' tokens", e)
	}
}

func TestPricesLookup(t *testing.T) {
	p := Prices{"my-model": {Input: 1, Output: 2}}.WithDefaults()
	tests := []struct {
		model string
		want  Price
		ok    bool
	}{
		{"my-model", Price{Input: 1, Output: 2}, true},
		{"gpt-4.1-mini-2025-04-14", DefaultPrices["gpt-4.1-mini"], true},
		{"gpt-4.1-2025-04-14", DefaultPrices["gpt-4.1"], true},
		{"claude-3-5-haiku-latest", DefaultPrices["claude-3-5-haiku"], true},
		{"llama3", Price{}, false},
	}
	for _, tc := range tests {
		got, ok := p.Lookup(tc.model)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Lookup(%q) = %v, %v; want %v, %v", tc.model, got, ok, tc.want, tc.ok)
		}
	}
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestPlanChangedSince(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	prompt := func(name string) string {
		return "name: " + name + "\ncategory: fast\nprompt: \"hi {{.x}}\"\ntests:\n  - vars: {x: a}\n    assert: [{type: contains, value: hi}]\n  - file: cases/" + name + ".jsonl\n"
	}
	cases := `{"vars": {"x": "b"}, "assert": [{"type": "contains", "value": "hi"}]}` + "\n"
	writeFiles(t, dir, map[string]string{
		"prompts/one.yaml": prompt("one"), "prompts/cases/one.jsonl": cases,
		"prompts/two.yaml": prompt("two"), "prompts/cases/two.jsonl": cases,
		"prompts/three.yaml": prompt("three"), "prompts/cases/three.jsonl": cases,
	})
	gitRun(t, dir, "init", "-q")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-q", "-m", "base")
	// one: its case file changes in a commit; two: untouched; three:
	// edited in the work tree; four: new and untracked.
	writeFiles(t, dir, map[string]string{"prompts/cases/one.jsonl": cases + cases})
	gitRun(t, dir, "commit", "-q", "-am", "more cases")
	writeFiles(t, dir, map[string]string{
		"prompts/three.yaml": prompt("three") + "description: edited\n",
		"prompts/four.yaml":  prompt("four"), "prompts/cases/four.jsonl": cases,
	})
	changed, err := ChangedFiles(context.Background(), filepath.Join(dir, "prompts"), "HEAD~1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSuite([]string{filepath.Join(dir, "prompts")}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	baseline := &Results{Version: 1, Results: []Result{{Prompt: "two", Test: "test-1", Provider: "a", Model: "gpt-4.1-mini", Pass: true}}}
	p := mustPlan(t, s, PlanOptions{Depth: 1, Changed: changed, Baseline: baseline})
	var got []string
	for _, pr := range p.Prompts {
		got = append(got, pr.Name)
	}
	if diff := cmp.Diff([]string{"four", "one", "three"}, got); diff != "" {
		t.Errorf("planned prompts (-want +got):\n%s", diff)
	}
	if len(p.Carried) != 1 || p.Carried[0].Prompt != "two" || !p.Carried[0].Carried {
		t.Errorf("carried = %+v; want the baseline's result for two", p.Carried)
	}

	t.Run("bad ref", func(t *testing.T) {
		if _, err := ChangedFiles(context.Background(), dir, "no-such-ref"); err == nil {
			t.Error("ChangedFiles succeeded; want an error for an unknown ref")
		}
	})
	t.Run("not a repository", func(t *testing.T) {
		if _, err := ChangedFiles(context.Background(), t.TempDir(), "HEAD"); err == nil {
			t.Error("ChangedFiles succeeded outside a repository")
		}
	})
}
