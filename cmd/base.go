package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/llmfall/llmfall/config"
	"github.com/llmfall/llmfall/eval"
	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/setup"
)

// fingerprintInputs describe what of cfg decides cases' outcomes: each
// provider's identity (never its key) and the judge's chain and settings.
func fingerprintInputs(cfg *config.Config, engine *fallback.Engine, offline bool) eval.Inputs {
	in := eval.Inputs{Links: map[string]eval.LinkIdentity{}}
	for _, p := range cfg.Providers {
		in.Links[p.Name] = linkIdentity(p, offline)
	}
	in.Judge = eval.JudgeIdentity{Threshold: cfg.Judge.Threshold, DifferentProvider: cfg.Judge.DifferentProvider}
	if offline {
		in.Judge = eval.JudgeIdentity{Heuristic: true, Threshold: cfg.Judge.Threshold}
		return in
	}
	chain, _ := engine.Chain(cfg.Judge.Category)
	for _, t := range chain {
		in.Judge.Chain = append(in.Judge.Chain, eval.JudgeLink{Model: t.Model, Link: in.Links[t.Provider]})
	}
	return in
}

// linkIdentity is what answers a provider's requests: under --offline, or
// for a provider of type sim, the simulator and its settings.
func linkIdentity(p config.Provider, offline bool) eval.LinkIdentity {
	if offline || p.Type == "sim" {
		return eval.LinkIdentity{Name: p.Name, Type: "sim", Settings: fmt.Sprintf("%+v", p.Sim)}
	}
	return eval.LinkIdentity{Name: p.Name, Type: p.Type, BaseURL: p.BaseURL, Headers: p.Headers}
}

// baseTree is the suite and config of a base revision, extracted into a
// temporary directory.
type baseTree struct {
	dir    string
	config *config.Config // nil when the base has no config file
	paths  []string       // the suite paths that exist at the base, under dir
}

// extractBase extracts the suite paths and the config file of rev.
// A config outside the repository is one no pull request can change: the
// base uses it as it is.
func extractBase(ctx context.Context, rev *eval.Revision, cfg *config.Config, paths []string) (*baseTree, error) {
	var repoPaths, suite []string
	for _, p := range paths {
		rp, err := rev.RepoPath(p)
		if err != nil {
			return nil, err
		}
		repoPaths = append(repoPaths, rp)
		suite = append(suite, rp)
	}
	cfgPath, err := rev.RepoPath(cfg.Path)
	inRepo := err == nil
	if inRepo {
		repoPaths = append(repoPaths, cfgPath)
	}
	dir, err := os.MkdirTemp("", "llmfall-base-*")
	if err != nil {
		return nil, err
	}
	t := &baseTree{dir: dir, config: cfg}
	if err := rev.Extract(ctx, repoPaths, dir); err != nil {
		t.remove()
		return nil, err
	}
	for _, rp := range suite {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rp))); err == nil {
			t.paths = append(t.paths, filepath.Join(dir, filepath.FromSlash(rp)))
		}
	}
	if !inRepo {
		return t, nil
	}
	full := filepath.Join(dir, filepath.FromSlash(cfgPath))
	if _, err := os.Lstat(full); err != nil {
		t.config = nil
		return t, nil
	}
	data, err := os.ReadFile(full)
	if err != nil {
		t.remove()
		return nil, err
	}
	// Named as in the repository, so that messages point at the file a
	// user knows.
	if t.config, err = config.Parse(cfgPath+"@"+shortCommit(rev), data); err != nil {
		t.remove()
		return nil, err
	}
	return t, nil
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
func baseFingerprints(ctx context.Context, rev *eval.Revision, cfg *config.Config, paths []string, po eval.PlanOptions, offline bool, warn func(string)) (map[eval.CaseKey]eval.Fingerprint, error) {
	t, err := extractBase(ctx, rev, cfg, paths)
	if err != nil {
		return nil, err
	}
	defer t.remove()
	none := map[eval.CaseKey]eval.Fingerprint{}
	if t.config == nil || len(t.paths) == 0 {
		return none, nil
	}
	suite, err := eval.LoadSuite(t.paths, categoryNames(t.config))
	if err != nil {
		warn(fmt.Sprintf("the suite at %s does not load, so every case runs: %v", shortCommit(rev), err))
		return none, nil
	}
	providers, err := setup.Providers(t.config, setup.Options{Offline: true}) // for chains only: nothing is called
	if err != nil {
		return nil, err
	}
	engine, err := fallback.New(setup.EngineConfig(t.config), providers)
	if err != nil {
		return nil, err
	}
	po.Chain = engine.Chain
	po.Inputs = fingerprintInputs(t.config, engine, offline)
	po.Base, po.Baseline = nil, nil
	plan, err := eval.NewPlan(suite, po)
	if err != nil {
		warn(fmt.Sprintf("the suite at %s does not plan, so every case runs: %v", shortCommit(rev), err))
		return none, nil
	}
	return plan.Fingerprints(), nil
}
