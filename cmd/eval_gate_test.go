package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// gitRepo is a git repository in a temporary directory, made the working
// directory, that works on a fresh CI machine: no system or global config,
// an author from the environment.
type gitRepo struct {
	t   *testing.T
	dir string
}

func newGitRepo(t *testing.T, files map[string]string) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	// An empty global config of its own: not /dev/null, which a -race
	// build as root can turn into a regular file.
	global := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(global, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": global,
		"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
		"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
	} {
		t.Setenv(k, v)
	}
	r := &gitRepo{t: t, dir: t.TempDir()}
	t.Chdir(r.dir)
	r.git("init", "-q", "-b", "main")
	r.commit("base", files)
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir, "-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// write changes files in the work tree without committing.
func (r *gitRepo) write(files map[string]string) {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *gitRepo) commit(msg string, files map[string]string) {
	r.t.Helper()
	r.write(files)
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
}

// gateConfig is a config whose fast chain is openai then anthropic.
func gateConfig(secondModel string, judgeThreshold float64) string {
	return fmt.Sprintf(`providers:
  openai:    { type: openai }
  anthropic: { type: anthropic }
order: [openai, anthropic]
categories:
  fast:  { openai: gpt-4.1-mini, anthropic: %s }
  smart: { openai: gpt-4.1, anthropic: claude-sonnet-4-5 }
judge: { category: smart, threshold: %v }
eval:  { chain_depth: 2, min_pass_rate: 0 }
`, secondModel, judgeThreshold)
}

// gateSuite has a prompt checked against a schema file and a judged one.
var gateSuite = map[string]string{
	"llmfall.yaml":               gateConfig("claude-3-5-haiku-latest", 0.7),
	"prompts/order.yaml":         "name: order\ncategory: fast\nprompt: \"order {{.id}}\"\ntests:\n  - name: t\n    vars: {id: 7}\n    assert: [{type: json-schema, value: schemas/order.json}]\n",
	"prompts/schemas/order.json": `{"type": "object"}`,
	"prompts/greet.yaml":         "name: greet\ncategory: fast\nprompt: hi\ntests:\n  - name: t\n    assert: [{type: judge, rubric: says hi}]\n",
}

// llmfallIn runs llmfall with args in the working directory.
func llmfallIn(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return llmfallWithEnv(t, nil, args...)
}

func llmfallWithEnv(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	f := newFactory(testIO(strings.NewReader(""), &out, &errb), envOf(env))
	code = executeArgs(context.Background(), f, args)
	return code, out.String(), errb.String()
}

type gateResult struct {
	Prompt      string `json:"prompt"`
	Position    int    `json:"position"`
	Model       string `json:"model"`
	Fingerprint string `json:"fingerprint"`
	Reason      string `json:"reason"`
}

// ranAndWhy reads a results file as "prompt@position model" → reason.
func ranAndWhy(t *testing.T, path string) map[string]string {
	t.Helper()
	var doc struct{ Results []gateResult }
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no results written: %v", err)
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range doc.Results {
		if len(r.Fingerprint) != 64 {
			t.Errorf("%s@%d: fingerprint %q; want sha256 hex", r.Prompt, r.Position, r.Fingerprint)
		}
		out[fmt.Sprintf("%s@%d %s", r.Prompt, r.Position, r.Model)] = r.Reason
	}
	return out
}

// TestEvalChangedSinceSeesEveryInput is the attack of issue 9 item 1: a
// pull request that changes only llmfall.yaml or only a schema file must
// re-run exactly the cases it affects, and a baseline must not stand in
// for them.
func TestEvalChangedSinceSeesEveryInput(t *testing.T) {
	tests := []struct {
		name   string
		change map[string]string
		want   map[string]string // cases that run → why
	}{
		{"model of link 1", map[string]string{"llmfall.yaml": gateConfig("claude-3-7-sonnet-latest", 0.7)}, map[string]string{
			"order@1 claude-3-7-sonnet-latest": "link changed", "greet@1 claude-3-7-sonnet-latest": "link changed",
		}},
		{"schema file only", map[string]string{"prompts/schemas/order.json": `{"type": "object", "required": ["id"]}`}, map[string]string{
			"order@0 gpt-4.1-mini": "assertions changed", "order@1 claude-3-5-haiku-latest": "assertions changed",
		}},
		{"judge threshold", map[string]string{"llmfall.yaml": gateConfig("claude-3-5-haiku-latest", 0.95)}, map[string]string{
			"greet@0 gpt-4.1-mini": "judge changed", "greet@1 claude-3-5-haiku-latest": "judge changed",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := newGitRepo(t, gateSuite)
			baseline := filepath.Join(t.TempDir(), "baseline.json")
			if code, out, errs := llmfallIn(t, "eval", "prompts", "--offline", "--no-progress", "-o", baseline); code != ExitOK {
				t.Fatalf("base run: exit %d\n%s%s", code, out, errs)
			}
			repo.commit("the pull request", tc.change)

			// --changed-since alone: only the affected cases run.
			results := filepath.Join(t.TempDir(), "results.json")
			code, out, errs := llmfallIn(t, "eval", "prompts", "--offline", "--no-progress", "--changed-since", "HEAD~1", "-o", results)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			if diff := cmp.Diff(tc.want, ranAndWhy(t, results)); diff != "" {
				t.Errorf("--changed-since: cases run and why (-want +got):\n%s\nstdout:\n%s\nstderr:\n%s", diff, out, errs)
			}

			// With the baseline too: the affected cases run, every other
			// is carried, and no carried result names an old model.
			code, out, errs = llmfallIn(t, "eval", "prompts", "--offline", "--no-progress", "--changed-since", "HEAD~1", "--baseline", baseline, "-o", results)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			got := ranAndWhy(t, results)
			if len(got) != 4 {
				t.Errorf("--baseline: %d results; want all 4: %v", len(got), got)
			}
			for k, why := range tc.want {
				if got[k] != why {
					t.Errorf("--baseline: %s: reason %q; want %q (results: %v)", k, got[k], why, got)
				}
			}
			for k, why := range got {
				if _, ran := tc.want[k]; !ran && why != "unchanged since the baseline" {
					t.Errorf("--baseline: %s: reason %q; want it carried", k, why)
				}
			}

			// --dry-run says the same, case by case.
			_, out, _ = llmfallIn(t, "eval", "prompts", "--offline", "--dry-run", "--changed-since", "HEAD~1")
			for k, why := range tc.want {
				prompt, _, _ := strings.Cut(k, "@")
				if !strings.Contains(out, prompt+"/t @ ") || !strings.Contains(out, ": "+why) {
					t.Errorf("--dry-run does not say that %s runs because %s:\n%s", k, why, out)
				}
			}
		})
	}
}

// TestEvalBaseKeepsProviderSettings is issue 9 item 3: with --base, a pull
// request cannot send a provider's requests (and its key) elsewhere.
func TestEvalBaseKeepsProviderSettings(t *testing.T) {
	redirected := strings.Replace(gateSuite["llmfall.yaml"], "openai:    { type: openai }",
		`openai:    { type: openai, base_url: "https://collector.example/v1", headers: { X-Trace: "1" } }`, 1)
	added := strings.Replace(gateSuite["llmfall.yaml"], "order: [openai, anthropic]",
		"  mine:      { type: openai, base_url: \"https://collector.example/v1\", api_key_env: ANTHROPIC_API_KEY }\norder: [openai, anthropic]", 1)
	tests := []struct {
		name       string
		config     string
		extra      []string
		wantCode   int
		wantStderr string
	}{
		{"base_url and headers", redirected, nil, ExitUsage,
			"changes provider settings that decide where requests and keys go: providers.openai.base_url, providers.openai.headers\nhint: "},
		{"key of another provider", strings.Replace(gateSuite["llmfall.yaml"], "anthropic: { type: anthropic }", "anthropic: { type: anthropic, api_key_env: OPENAI_API_KEY }", 1), nil, ExitUsage,
			"providers.anthropic.api_key_env"},
		{"type", strings.Replace(gateSuite["llmfall.yaml"], "anthropic: { type: anthropic }", "anthropic: { type: gemini }", 1), nil, ExitUsage,
			"providers.anthropic.type, providers.anthropic.api_key_env"},
		{"a new provider", added, nil, ExitUsage, "providers.mine (not in the base)"},
		{"allowed", redirected, []string{"--allow-provider-changes"}, ExitOK, ""},
		{"other settings may change", strings.Replace(gateSuite["llmfall.yaml"], "min_pass_rate: 0", "min_pass_rate: 0.5", 1), nil, ExitOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := newGitRepo(t, gateSuite)
			repo.commit("the pull request", map[string]string{"llmfall.yaml": tc.config})
			args := append([]string{"eval", "prompts", "--offline", "--no-progress", "--base", "HEAD~1"}, tc.extra...)
			code, out, errs := llmfallIn(t, args...)
			if code != tc.wantCode || !strings.Contains(errs, tc.wantStderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q in stderr (stdout:\n%s)", code, errs, tc.wantCode, tc.wantStderr, out)
			}
		})
	}

	t.Run("base is the default for --changed-since", func(t *testing.T) {
		repo := newGitRepo(t, gateSuite)
		repo.commit("the pull request", map[string]string{"prompts/schemas/order.json": `{"type": "array"}`})
		results := filepath.Join(t.TempDir(), "results.json")
		code, out, errs := llmfallIn(t, "eval", "prompts", "--offline", "--no-progress", "--base", "HEAD~1", "-o", results)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s%s", code, out, errs)
		}
		want := map[string]string{"order@0 gpt-4.1-mini": "assertions changed", "order@1 claude-3-5-haiku-latest": "assertions changed"}
		if diff := cmp.Diff(want, ranAndWhy(t, results)); diff != "" {
			t.Errorf("cases run (-want +got):\n%s", diff)
		}
	})
}

// TestEvalSimProviderIsSimulated: a provider of type sim is a simulation
// whatever it is called, and every report says so.
func TestEvalSimProviderIsSimulated(t *testing.T) {
	cfg := `providers:
  openai:    { type: sim }
  anthropic: { type: sim }
order: [openai, anthropic]
categories:
  fast: { openai: gpt-4.1-mini, anthropic: claude-3-5-haiku-latest }
eval: { min_pass_rate: 0 }
`
	newGitRepo(t, map[string]string{"llmfall.yaml": cfg, "prompts/order.yaml": gateSuite["prompts/order.yaml"], "prompts/schemas/order.json": `{}`})
	dir := t.TempDir()
	results, md := filepath.Join(dir, "results.json"), filepath.Join(dir, "report.md")
	code, out, errs := llmfallIn(t, "eval", "prompts", "--no-progress", "-o", results, "--markdown", md)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "offline: simulated providers") {
		t.Errorf("terminal report does not say it is simulated:\n%s", out)
	}
	if got := string(mustRead(t, md)); !strings.Contains(got, "simulated providers") {
		t.Errorf("Markdown report does not say it is simulated:\n%s", got)
	}
	var doc struct {
		Summary struct {
			Offline bool `json:"offline"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(mustRead(t, results), &doc); err != nil || !doc.Summary.Offline {
		t.Errorf("results summary.offline = %v (%v); want true", doc.Summary.Offline, err)
	}
}

// TestEvalThresholdsAreFloors is issue 9 item 4 end to end: neither a
// prompt file nor, under --base, llmfall.yaml can lower the gate. The
// order prompt fails on every link offline (sim answers are not JSON).
func TestEvalThresholdsAreFloors(t *testing.T) {
	strict := maps.Clone(gateSuite)
	strict["llmfall.yaml"] = strings.Replace(gateSuite["llmfall.yaml"], "min_pass_rate: 0", "min_pass_rate: 1", 1)
	lowered := strings.Replace(gateSuite["prompts/order.yaml"], "tests:", "min_pass_rate: 0\ntests:", 1)
	tests := []struct {
		name   string
		change map[string]string
		want   string
	}{
		{"prompt file", map[string]string{"prompts/order.yaml": lowered}, "threshold override: order: min_pass_rate 0% is below the floor 100%: ignored"},
		{"llmfall.yaml", map[string]string{"llmfall.yaml": gateSuite["llmfall.yaml"]}, "threshold override: llmfall.yaml: min_pass_rate 0% is below the floor 100%: ignored"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := newGitRepo(t, strict)
			repo.commit("the pull request", tc.change)
			results := filepath.Join(t.TempDir(), "results.json")
			code, out, errs := llmfallIn(t, "eval", "prompts", "--offline", "--no-progress", "--base", "HEAD~1", "--changed-since=", "--filter", "^order/", "-o", results)
			if code != ExitFailed {
				t.Errorf("exit %d; want %d (gate failed)\n%s%s", code, ExitFailed, out, errs)
			}
			if !strings.Contains(out, tc.want) || !strings.Contains(out, "gate: FAILED") {
				t.Errorf("stdout lacks %q:\n%s", tc.want, out)
			}
			var doc struct {
				Summary struct {
					Gate struct {
						Overrides []struct {
							Rule    string `json:"rule"`
							Ignored bool   `json:"ignored"`
						} `json:"overrides"`
					} `json:"gate"`
				} `json:"summary"`
			}
			if err := json.Unmarshal(mustRead(t, results), &doc); err != nil || len(doc.Summary.Gate.Overrides) != 1 || !doc.Summary.Gate.Overrides[0].Ignored {
				t.Errorf("summary.gate.overrides = %+v (%v); want the one ignored override", doc.Summary.Gate.Overrides, err)
			}
		})
	}
}

// TestRefsAreVerified is issue 9 item 8: a ref is a commit, verified before
// anything else, and never an option to git.
func TestRefsAreVerified(t *testing.T) {
	repo := newGitRepo(t, gateSuite)
	written := filepath.Join(t.TempDir(), "written-by-git")
	blob := repo.git("rev-parse", "HEAD:llmfall.yaml")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"option as --changed-since", []string{"--changed-since=--output=" + written}, `may not be empty or start with "-"`},
		{"option as --base", []string{"--base=--output=" + written}, `may not be empty or start with "-"`},
		{"unknown ref", []string{"--changed-since", "no-such-branch"}, `ref "no-such-branch" does not name a commit`},
		{"a blob, not a commit", []string{"--base", blob}, "does not name a commit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := llmfallIn(t, append([]string{"eval", "prompts", "--offline", "--no-progress"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q (stdout:\n%s)", code, errs, ExitUsage, tc.want, out)
			}
			if _, err := os.Stat(written); err == nil {
				t.Errorf("git wrote %s: the ref reached git as an option", written)
			}
		})
	}
}

// TestParamsOutOfRange: temperature, top_p and max_tokens are checked the
// same way for every provider, in prompt files and in run's flags.
func TestParamsOutOfRange(t *testing.T) {
	prompt := func(params string) string {
		return "name: p\ncategory: fast\nprompt: hi\nparams: { " + params + " }\ntests:\n  - assert: [{type: contains, value: hi}]\n"
	}
	tests := []struct {
		name string
		args []string
		file string
		want string
	}{
		{"prompt temperature", []string{"eval", "prompts", "--offline"}, prompt("temperature: 3"), "prompts/p.yaml:4: temperature 3 is out of range (want 0 to 2)"},
		{"prompt top_p", []string{"eval", "prompts", "--offline"}, prompt("top_p: 1.5"), "prompts/p.yaml:4: top_p 1.5 is out of range (want 0 to 1)"},
		{"prompt max_tokens", []string{"eval", "prompts", "--offline"}, prompt("max_tokens: 0"), "prompts/p.yaml:4: max_tokens 0 is out of range"},
		{"run temperature", []string{"run", "--offline", "--temperature", "-1", "hi"}, "", "temperature -1 is out of range (want 0 to 2)"},
		{"run max_tokens", []string{"run", "--offline", "--max-tokens", "-5", "hi"}, "", "max_tokens -5 is out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"llmfall.yaml": gateSuite["llmfall.yaml"]}
			if tc.file != "" {
				files["prompts/p.yaml"] = tc.file
			}
			newGitRepo(t, files)
			code, out, errs := llmfallIn(t, tc.args...)
			if code != ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q (stdout:\n%s)", code, errs, ExitUsage, tc.want, out)
			}
		})
	}
}

// TestKeysCheckedBeforeAnyCall: run and judge calibrate refuse, as eval
// does, to send requests no key authenticates.
func TestKeysCheckedBeforeAnyCall(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, `{"error": {"message": "no key", "type": "invalid_request_error"}}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	cfg := fmt.Sprintf(`providers:
  openai: { type: openai, base_url: %q, api_key_env: TEST_OPENAI_KEY }
categories:
  fast:  { openai: gpt-4.1-mini }
  smart: { openai: gpt-4.1 }
judge: { category: smart, different_provider: false }
`, srv.URL+"/v1")
	newGitRepo(t, map[string]string{"llmfall.yaml": cfg, "set.jsonl": calibrationSet})
	for _, args := range [][]string{{"run", "hi"}, {"judge", "calibrate", "set.jsonl"}} {
		t.Run(args[0], func(t *testing.T) {
			code, out, errs := llmfallIn(t, args...)
			want := `provider "openai" needs an API key: TEST_OPENAI_KEY is not set`
			if code != ExitUsage || !strings.Contains(errs, want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q (stdout:\n%s)", code, errs, ExitUsage, want, out)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("the provider got %d requests without a key; want none", n)
			}
		})
	}
}

// TestEvalBaseFloorsTheJudgeAndDepth: under --base, a pull request's
// llmfall.yaml cannot evaluate fewer links or judge more leniently.
func TestEvalBaseFloorsTheJudgeAndDepth(t *testing.T) {
	strict := maps.Clone(gateSuite)
	strict["llmfall.yaml"] = strings.Replace(gateSuite["llmfall.yaml"], "chain_depth: 2", "chain_depth: 2, repeat: 2", 1)
	repo := newGitRepo(t, strict)
	loose := strings.Replace(gateConfig("claude-3-5-haiku-latest", 0), "chain_depth: 2", "chain_depth: 1", 1)
	loose = strings.Replace(loose, "judge: { category: smart,", "judge: { category: smart, different_provider: false,", 1)
	repo.commit("the pull request", map[string]string{"llmfall.yaml": loose})
	results := filepath.Join(t.TempDir(), "results.json")
	code, out, errs := llmfallIn(t, "eval", "prompts", "--offline", "--no-progress", "--base", "HEAD~1", "--changed-since=", "-o", results)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{
		"threshold override: llmfall.yaml: judge.threshold 0 is looser than the trusted 0.7: ignored",
		"threshold override: llmfall.yaml: chain_depth 1 is looser than the trusted 2: ignored",
		"threshold override: llmfall.yaml: judge.different_provider false is looser than the trusted true: ignored",
		"threshold override: llmfall.yaml: repeat 1 is looser than the trusted 2: ignored",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	var doc struct{ Results []gateResult }
	if err := json.Unmarshal(mustRead(t, results), &doc); err != nil || len(doc.Results) != 8 {
		t.Errorf("%d cases ran (%v); want 8: both links of both prompts, twice", len(doc.Results), err)
	}
}

// TestEvalChecksTheJudgesKeys: eval checks the keys of the judge's chain
// too, not only of the links it measures.
func TestEvalChecksTheJudgesKeys(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"c1","object":"chat.completion","model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}}`)
	}))
	defer srv.Close()
	cfg := fmt.Sprintf(`providers:
  openai: { type: openai, base_url: %[1]q, api_key_env: TEST_OPENAI_KEY }
  grader: { type: openai, base_url: %[1]q, api_key_env: TEST_GRADER_KEY }
order: [openai, grader]
categories:
  fast:  { openai: gpt-4.1-mini }
  smart: { grader: gpt-4.1 }
judge: { category: smart }
`, srv.URL+"/v1")
	newGitRepo(t, map[string]string{"llmfall.yaml": cfg, "prompts/greet.yaml": gateSuite["prompts/greet.yaml"]})
	code, out, errs := llmfallWithEnv(t, map[string]string{"TEST_OPENAI_KEY": "sk-test"}, "eval", "prompts", "--no-progress", "--no-cache")
	want := `provider "grader" needs an API key: TEST_GRADER_KEY is not set`
	if code != ExitUsage || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q (stdout:\n%s)", code, errs, ExitUsage, want, out)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests were sent; want none before the keys are checked", n)
	}
}
