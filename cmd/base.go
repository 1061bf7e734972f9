package cmd

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/setup"
)

// baseTree is the suite and config of a base revision, extracted into a
// temporary directory.
type baseTree struct {
	dir    string
	config *config.Config // nil when the base has no config file
	paths  []string       // the suite paths that exist at the base, under dir
}

// extractBase extracts the suite paths of rev and loads its config file.
func extractBase(ctx context.Context, rev *eval.Revision, cfg *config.Config, paths []string, so setup.Options) (*baseTree, error) {
	var repoPaths []string
	for _, p := range paths {
		rp, err := rev.RepoPath(p)
		if err != nil {
			return nil, err
		}
		repoPaths = append(repoPaths, rp)
	}
	dir, err := os.MkdirTemp("", "llmfall-base-*")
	if err != nil {
		return nil, err
	}
	t := &baseTree{dir: dir}
	if err := rev.Extract(ctx, repoPaths, dir); err != nil {
		t.remove()
		return nil, err
	}
	for _, rp := range repoPaths {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rp))); err == nil {
			t.paths = append(t.paths, filepath.Join(dir, filepath.FromSlash(rp)))
		}
	}
	if t.config, err = baseConfig(ctx, rev, cfg, so); err != nil {
		t.remove()
		return nil, err
	}
	return t, nil
}

// baseConfig is the config file as it is at rev: nil when the file is not
// there, cfg itself when it lies outside the repository (no pull request
// can change it).
func baseConfig(ctx context.Context, rev *eval.Revision, cfg *config.Config, so setup.Options) (*config.Config, error) {
	repoPath, err := rev.RepoPath(cfg.Path)
	if err != nil {
		return cfg, nil
	}
	if !rev.Exists(ctx, repoPath) {
		return nil, nil
	}
	data, err := rev.ReadFile(ctx, repoPath)
	if err != nil {
		return nil, err
	}
	// Named as in the repository, at the commit, so that messages point
	// at the file a user knows.
	return setup.Parse(repoPath+"@"+shortCommit(rev), data, so)
}

// trustedProviderKeys are the settings of a provider that decide where a
// request, and the key with it, is sent.
var trustedProviderKeys = []string{"type", "base_url", "api_key_env", "headers"}

// providerChanges names, as "providers.NAME.KEY", every trusted setting of
// a provider that head changes from base, and every provider base lacks
// (a nil base has none).
func providerChanges(base, head *config.Config) []string {
	var out []string
	for _, p := range head.Providers {
		var b config.Provider
		ok := false
		if base != nil {
			b, ok = base.Provider(p.Name)
		}
		if !ok {
			out = append(out, fmt.Sprintf("providers.%s (not in the base)", p.Name))
			continue
		}
		differs := map[string]bool{
			"type":        p.Type != b.Type,
			"base_url":    p.BaseURL != b.BaseURL,
			"api_key_env": !slices.Equal(p.APIKeyEnv, b.APIKeyEnv),
			"headers":     !maps.Equal(p.Headers, b.Headers),
		}
		for _, k := range trustedProviderKeys {
			if differs[k] {
				out = append(out, fmt.Sprintf("providers.%s.%s", p.Name, k))
			}
		}
	}
	return out
}

// checkBase loads the trusted base's config and refuses a config whose
// providers differ from it where it matters for keys, or whose judge
// differs from it (see judgeChanges), unless the command line allows it.
func checkBase(ctx context.Context, opts *evalOptions, rev *eval.Revision, cfg *config.Config) (*config.Config, error) {
	base, err := baseConfig(ctx, rev, cfg, opts.Setup())
	if err != nil {
		return nil, usageErr(fmt.Errorf("--base %s: %w", opts.Base, err), "")
	}
	var errs []error
	var flags []string
	if changed := providerChanges(base, cfg); len(changed) > 0 && !opts.AllowProviderChanges {
		errs = append(errs, fmt.Errorf("--base %s: %s changes provider settings that decide where requests and keys go: %s",
			opts.Base, cfg.Path, strings.Join(changed, ", ")))
		flags = append(flags, "--allow-provider-changes")
	}
	if changed := judgeChanges(base, cfg); len(changed) > 0 && !opts.AllowJudgeChanges {
		errs = append(errs, fmt.Errorf("--base %s: %s changes the judge whose verdicts gate it: %s",
			opts.Base, cfg.Path, strings.Join(changed, ", ")))
		flags = append(flags, "--allow-judge-changes")
	}
	if len(errs) == 0 {
		return base, nil
	}
	return nil, usageErr(errors.Join(errs...),
		"these come from the base branch's llmfall.yaml; after reviewing the change, pass "+strings.Join(flags, " and "))
}

func (t *baseTree) remove() { os.RemoveAll(t.dir) }

func shortCommit(rev *eval.Revision) string {
	if len(rev.Commit) > 12 {
		return rev.Commit[:12]
	}
	return rev.Commit
}

// baseFingerprints plans the base revision's suite under its own config
// as the head is planned, and returns its cases' fingerprints. A base
// without the suite, its config, or one that does not load has no cases:
// every case of the head then runs as new, and warn says why.
func baseFingerprints(ctx context.Context, rev *eval.Revision, cfg *config.Config, paths []string, po eval.PlanOptions, so setup.Options, warn func(string)) (map[eval.CaseKey]eval.Fingerprint, error) {
	t, err := extractBase(ctx, rev, cfg, paths, so)
	if err != nil {
		return nil, err
	}
	defer t.remove()
	none := map[eval.CaseKey]eval.Fingerprint{}
	if t.config == nil || len(t.paths) == 0 {
		return none, nil
	}
	suite, err := eval.LoadSuite(t.paths, setup.LoadOptions(t.config))
	if err != nil {
		warn(fmt.Sprintf("the suite at %s does not load, so every case runs: %v", shortCommit(rev), err))
		return none, nil
	}
	chainsOnly := so
	chainsOnly.Offline = true // for chains only: nothing is called
	providers, err := setup.Providers(t.config, chainsOnly)
	if err != nil {
		return nil, err
	}
	engine, err := setup.Engine(t.config, providers)
	if err != nil {
		return nil, err
	}
	po.Chain = engine.Chain
	po.Inputs = setup.Inputs(t.config, engine, so)
	po.Base, po.Baseline = nil, nil
	plan, err := eval.NewPlan(suite, po)
	if err != nil {
		warn(fmt.Sprintf("the suite at %s does not plan, so every case runs: %v", shortCommit(rev), err))
		return none, nil
	}
	return plan.Fingerprints(), nil
}

// applyBaseFloors holds the settings of cfg that decide how strict the gate
// is to the trusted base's: a pull request's llmfall.yaml may tighten them,
// never loosen them. cfg is changed in place, before the judge and the plan
// are built from it, and every setting that differs is returned for the
// report. A setting the command line gives is left to it.
func applyBaseFloors(opts *evalOptions, cfg, base *config.Config) []eval.Override {
	if base == nil || base == cfg {
		return nil
	}
	var out []eval.Override
	floor := func(rule string, head *float64, trusted float64, stricter func(a, b float64) float64) {
		if *head == trusted {
			return
		}
		eff := stricter(*head, trusted)
		out = append(out, eval.Override{Rule: rule, Value: *head, Floor: trusted, Ignored: eff != *head})
		*head = eff
	}
	if opts.MinPassRate == nil {
		floor("min_pass_rate", &cfg.Eval.MinPassRate, base.Eval.MinPassRate, maxOf)
	}
	floor("max_regression", &cfg.Eval.MaxRegression, base.Eval.MaxRegression, minOf)
	floor("judge.threshold", &cfg.Judge.Threshold, base.Judge.Threshold, maxOf)
	floorInt := func(rule string, head *int, trusted int) {
		v := float64(*head)
		floor(rule, &v, float64(trusted), maxOf)
		*head = int(v)
	}
	if opts.Depth == 0 {
		floorInt("chain_depth", &cfg.Eval.ChainDepth, base.Eval.ChainDepth)
	}
	if opts.Repeat == 0 {
		// 0 runs each case once, as 1 does.
		cfg.Eval.Repeat = max(cfg.Eval.Repeat, 1)
		floorInt("repeat", &cfg.Eval.Repeat, max(base.Eval.Repeat, 1))
	}
	if base.Judge.DifferentProvider && !cfg.Judge.DifferentProvider {
		out = append(out, eval.Override{Rule: "judge.different_provider", Value: 0, Floor: 1, Ignored: true})
		cfg.Judge.DifferentProvider = true
	}
	return append(out, judgeFloors(cfg, base)...)
}

func maxOf(a, b float64) float64 { return max(a, b) }
func minOf(a, b float64) float64 { return min(a, b) }
