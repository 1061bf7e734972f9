package cmd

import (
	"strings"
	"testing"
)

// TestEvalBaseKeepsTheJudge: under --base a pull request cannot pick its
// own judge: swapping the judge category for a weaker one, changing the
// judge category's models or their order, or changing a panel exits 2
// naming the keys, unless --allow-judge-changes; changes to categories the
// judge does not use, and a stricter min_agree, pass.
func TestEvalBaseKeepsTheJudge(t *testing.T) {
	cfg := gateSuite["llmfall.yaml"]
	panelCfg := strings.Replace(cfg, "judge: { category: smart,", "judge: { panel: [smart, fast], min_agree: 2,", 1)
	tests := []struct {
		name       string
		base       string
		config     string
		extra      []string
		wantCode   int
		wantStderr string
	}{
		{"a weaker judge category", cfg, strings.Replace(cfg, "category: smart", "category: fast", 1), nil, ExitUsage,
			"changes the judge whose verdicts gate it: judge.category (smart → fast)\nhint: these come from the base branch's llmfall.yaml; after reviewing the change, pass --allow-judge-changes"},
		{"a weaker model in the judge category", cfg, strings.Replace(cfg, "smart: { openai: gpt-4.1,", "smart: { openai: gpt-4.1-nano,", 1), nil, ExitUsage,
			"changes the judge whose verdicts gate it: categories.smart.openai (gpt-4.1 → gpt-4.1-nano)\n"},
		{"the judge's order", cfg, strings.Replace(cfg, "smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5 }",
			"smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5, order: [anthropic, openai] }", 1), nil, ExitUsage,
			"categories.smart.order"},
		{"the global order the judge follows", cfg, strings.Replace(cfg, "order: [openai, anthropic]", "order: [anthropic, openai]", 1), nil, ExitUsage,
			"changes the judge whose verdicts gate it: order\n"},
		{"a single judge becomes a panel", cfg, panelCfg, nil, ExitUsage, "judge.panel (smart → [smart, fast])"},
		{"a panel member swapped", panelCfg, strings.Replace(panelCfg, "panel: [smart, fast]", "panel: [fast, openai/gpt-4.1-nano]", 1), nil, ExitUsage,
			"judge.panel ([smart, fast] → [fast, openai/gpt-4.1-nano])"},
		{"a panel member's model", panelCfg, strings.Replace(panelCfg, "anthropic: claude-3-5-haiku-latest", "anthropic: claude-3-haiku", 1), nil, ExitUsage,
			"categories.fast.anthropic (claude-3-5-haiku-latest → claude-3-haiku)"},
		{"allowed after review", cfg, strings.Replace(cfg, "category: smart", "category: fast", 1), []string{"--allow-judge-changes"}, ExitOK, ""},
		{"a category the judge does not use", cfg, strings.Replace(cfg, "claude-3-5-haiku-latest", "claude-3-haiku", 1), nil, ExitOK, ""},
		{"provider and judge changes are named together", cfg,
			strings.Replace(strings.Replace(cfg, "category: smart", "category: fast", 1), "openai:    { type: openai }", `openai:    { type: openai, base_url: "https://collector.example/v1" }`, 1),
			nil, ExitUsage, "providers.openai.base_url\n--base HEAD~1: llmfall.yaml changes the judge whose verdicts gate it: judge.category (smart → fast)\nhint: these come from the base branch's llmfall.yaml; after reviewing the change, pass --allow-provider-changes and --allow-judge-changes"},
		{"one flag does not allow the other change", cfg, strings.Replace(cfg, "category: smart", "category: fast", 1), []string{"--allow-provider-changes"}, ExitUsage,
			"judge.category (smart → fast)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range gateSuite {
				files[k] = v
			}
			files["llmfall.yaml"] = tc.base
			repo := newGitRepo(t, files)
			repo.commit("the pull request", map[string]string{"llmfall.yaml": tc.config})
			args := append([]string{"eval", "prompts", "--offline", "--no-progress", "--base", "HEAD~1"}, tc.extra...)
			code, out, errs := llmfallIn(t, args...)
			if code != tc.wantCode || !strings.Contains(errs, tc.wantStderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q in stderr (stdout:\n%s)", code, errs, tc.wantCode, tc.wantStderr, out)
			}
		})
	}
}

// Of the same panel, a pull request may ask for more agreeing judges, not
// fewer.
func TestEvalBaseFloorsMinAgree(t *testing.T) {
	cfg := strings.Replace(gateSuite["llmfall.yaml"], "judge: { category: smart,", "judge: { panel: [smart, fast], min_agree: 2,", 1)
	files := map[string]string{}
	for k, v := range gateSuite {
		files[k] = v
	}
	files["llmfall.yaml"] = cfg
	repo := newGitRepo(t, files)
	// The prompt changes too, so that its case runs and the report shows.
	repo.commit("the pull request", map[string]string{"llmfall.yaml": strings.Replace(cfg, "min_agree: 2", "min_agree: 1", 1),
		"prompts/greet.yaml": strings.Replace(gateSuite["prompts/greet.yaml"], "says hi", "says hello", 1)})
	code, out, errs := llmfallIn(t, "eval", "prompts", "--offline", "--no-progress", "--base", "HEAD~1")
	if code != ExitOK || !strings.Contains(out, "judge.min_agree 1 is looser than the trusted 2: ignored") {
		t.Errorf("exit %d; want the looser min_agree listed as ignored\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}
