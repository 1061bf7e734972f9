package cmd

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// workflow is the part of a GitHub Actions workflow the example's checks
// read.
type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Jobs        map[string]struct {
		If          string            `yaml:"if"`
		Permissions map[string]string `yaml:"permissions"`
		Steps       []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestExampleWorkflow is issue 9 item 9: examples/github-workflow.yml
// works as written and keeps the gate's trust boundaries; so does its
// sharded variant (issue 15), whose merging gate job holds no key and
// checks out nothing.
func TestExampleWorkflow(t *testing.T) {
	for _, name := range []string{"github-workflow.yml", "github-workflow-sharded.yml"} {
		t.Run(name, func(t *testing.T) { checkWorkflow(t, name) })
	}
}

func checkWorkflow(t *testing.T, file string) {
	raw := mustRead(t, filepath.Join(moduleDir(t), "examples", file))
	var wf workflow
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	if _, ok := wf.On["pull_request_target"]; ok {
		t.Error("the workflow runs on pull_request_target: the pull request's code would run with secrets and a write token")
	}
	for perm, level := range wf.Permissions {
		if level != "read" {
			t.Errorf("top-level permission %s: %s; want read only", perm, level)
		}
	}
	if v := wf.Env["LLMFALL_VERSION"]; v == "" || v == "latest" {
		t.Errorf("LLMFALL_VERSION = %q; want a pinned version", v)
	}

	// The flags the workflow passes to llmfall eval must exist.
	var out bytes.Buffer
	evalCmd := newCmdEval(newFactory(testIO(strings.NewReader(""), &out, &out), envOf(nil)), nil)
	mergeCmd := newCmdMerge(newFactory(testIO(strings.NewReader(""), &out, &out), envOf(nil)), nil)
	merges := false
	root := newCmdRoot(newFactory(testIO(strings.NewReader(""), &out, &out), envOf(nil)))
	flagRE := regexp.MustCompile(`(?:^|[\s(])--([a-z][a-z-]*)`)

	var keysIn, writers []string
	for name, job := range wf.Jobs {
		hasKeys := false
		for _, s := range job.Steps {
			for _, v := range s.Env {
				if strings.Contains(v, "secrets.") {
					hasKeys = true
				}
			}
			if strings.Contains(s.Run, "go install") && (strings.Contains(s.Run, "@latest") || !strings.Contains(s.Run, "@${LLMFALL_VERSION}")) {
				t.Errorf("job %s installs an unpinned llmfall: %q", name, s.Run)
			}
			if strings.Contains(s.Run, "gh run download") {
				if job.Permissions["actions"] != "read" {
					t.Errorf("job %s downloads the baseline without actions: read", name)
				}
				if !strings.Contains(s.Run, "--event push") {
					t.Errorf("job %s may take a pull request's own run as the baseline: %q", name, s.Run)
				}
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("job %s step %q expands an expression inside its script; pass it through env", name, s.Name)
			}
			if strings.Contains(s.Run, "llmfall merge") {
				merges = true
				for _, m := range flagRE.FindAllStringSubmatch(s.Run, -1) {
					if mergeCmd.Flags().Lookup(m[1]) == nil {
						t.Errorf("job %s passes --%s, which llmfall merge does not have", name, m[1])
					}
				}
				for _, other := range job.Steps {
					if strings.HasPrefix(other.Uses, "actions/checkout") {
						t.Errorf("job %s merges and checks out the branch; it needs only the shards' results", name)
					}
				}
			}
			if !strings.Contains(s.Run, "llmfall eval") {
				continue
			}
			for _, m := range flagRE.FindAllStringSubmatch(s.Run, -1) {
				if evalCmd.Flags().Lookup(m[1]) == nil && root.PersistentFlags().Lookup(m[1]) == nil {
					t.Errorf("job %s passes --%s, which llmfall eval does not have", name, m[1])
				}
			}
			if !regexp.MustCompile(`--base[\s"=]`).MatchString(s.Run) {
				t.Errorf("job %s step %q evaluates a pull request without --base", name, s.Name)
			}
		}
		for perm, level := range job.Permissions {
			if level == "write" {
				writers = append(writers, name+":"+perm)
			}
		}
		if hasKeys {
			keysIn = append(keysIn, name)
			for perm, level := range job.Permissions {
				if level == "write" {
					t.Errorf("job %s holds the API keys and may write %s", name, perm)
				}
			}
		}
	}
	if strings.Contains(file, "sharded") && !merges {
		t.Error("the sharded workflow never runs llmfall merge: no job gates on the merged result")
	}
	if !slices.Contains(writers, "comment:pull-requests") {
		t.Errorf("no comment job with pull-requests: write (jobs that write: %v)", writers)
	}
	if len(keysIn) != 1 || keysIn[0] != "eval" {
		t.Errorf("jobs holding API keys = %v; want only eval", keysIn)
	}
	if c := wf.Jobs["comment"]; !strings.Contains(c.If, "head.repo.full_name == github.repository") {
		t.Errorf("comment job condition %q does not skip forks, whose token cannot comment", c.If)
	}
}
