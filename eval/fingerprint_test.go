package eval

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
)

// fpSuite has three prompts on a two-link chain: one checked against a
// schema file, one judged, one compared with its primary.
var fpSuite = map[string]string{
	"schema.yaml":       "name: schema\ncategory: fast\nprompt: \"order {{.id}}\"\ntests:\n  - name: t\n    vars: {id: 7}\n    assert: [{type: json-schema, value: order.schema.json}]\n",
	"judged.yaml":       "name: judged\ncategory: fast\nprompt: hi\ntests:\n  - name: t\n    assert: [{type: judge, rubric: says hi}]\n",
	"pair.yaml":         "name: pair\ncategory: fast\nprompt: hello\ntests:\n  - name: t\n    assert: [{type: consistent}]\n",
	"order.schema.json": `{"type": "object", "required": ["id"]}`,
	"priced.yaml":       "name: priced\ncategory: fast\nprompt: cheap\ntests:\n  - name: t\n    assert: [{type: cost, threshold: 0.001}]\n",
}

func fpInputs() Inputs {
	return Inputs{
		Links:  map[string]LinkIdentity{"a": {Name: "a", Type: "openai"}, "b": {Name: "b", Type: "anthropic"}},
		Judge:  JudgeIdentity{Chain: []JudgeLink{{Model: "gpt-4.1", Link: LinkIdentity{Name: "a", Type: "openai"}}}, Threshold: 0.7, DifferentProvider: true},
		Prices: Prices{"gpt-4.1-mini": {Input: 0.4, Output: 1.6}, "haiku": {Input: 0.8, Output: 4}},
	}
}

func fpChain(second string) func(string) ([]provider.Target, error) {
	return chains(map[string][]provider.Target{"fast": {{Provider: "a", Model: "gpt-4.1-mini"}, {Provider: "b", Model: second}}})
}

func loadDir(t *testing.T, files map[string]string) *Suite {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	s, err := LoadSuite([]string{dir}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// passedResults is what a run of plan would have written: every case passed,
// with its fingerprint.
func passedResults(plan *Plan) *Results {
	rs := &Results{Version: ResultsVersion}
	for _, c := range plan.Cases {
		rs.Results = append(rs.Results, Result{Prompt: c.Prompt.Name, Test: c.Test.Name, Provider: c.Target.Provider, Model: c.Target.Model,
			Position: c.Position, Repeat: c.Repeat, Pass: true, Fingerprint: c.Fingerprint.Sum.String(), Inputs: c.Fingerprint.Parts.Map()})
	}
	return rs
}

// reasons maps "prompt@position" to why each planned case runs.
func reasons(p *Plan) map[string]string {
	out := map[string]string{}
	for _, c := range p.Cases {
		out[c.Prompt.Name+"@"+string(rune('0'+c.Position))] = c.Reason
	}
	return out
}

func TestFingerprintIsStableAndComplete(t *testing.T) {
	a := mustPlan(t, loadDir(t, fpSuite), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs()})
	b := mustPlan(t, loadDir(t, fpSuite), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs()})
	if diff := cmp.Diff(a.Fingerprints(), b.Fingerprints()); diff != "" {
		t.Errorf("fingerprints of the same suite loaded twice differ (-a +b):\n%s", diff)
	}
	seen := map[Digest]CaseKey{}
	for k, fp := range a.Fingerprints() {
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(fp.Sum.String()) || fp.Sum == (Digest{}) {
			t.Errorf("%v: fingerprint %q is not a sha256", k, fp.Sum)
		}
		if other, dup := seen[fp.Sum]; dup {
			t.Errorf("%v and %v share a fingerprint", k, other)
		}
		seen[fp.Sum] = k
	}
}

func TestPlanReusesOnlyMatchingFingerprints(t *testing.T) {
	base := mustPlan(t, loadDir(t, fpSuite), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs()})
	baseline := passedResults(base)
	changedSchema := maps.Clone(fpSuite)
	changedSchema["order.schema.json"] = `{"type": "object", "required": ["id", "total"]}`
	otherJudge := fpInputs()
	otherJudge.Judge.Chain[0].Model = "gpt-4.1-mini"
	otherPrice := fpInputs()
	otherPrice.Prices["haiku"] = Price{Input: 0.08, Output: 0.4}
	otherEndpoint := fpInputs()
	otherEndpoint.Links["b"] = LinkIdentity{Name: "b", Type: "anthropic", BaseURL: "https://proxy.example"}

	tests := []struct {
		name   string
		files  map[string]string
		second string
		inputs Inputs
		want   map[string]string
	}{
		{"nothing changed", fpSuite, "haiku", fpInputs(), map[string]string{}},
		{"model of link 1", fpSuite, "sonnet", fpInputs(), map[string]string{
			// sonnet has no price, so the cost check changes too.
			"schema@1": "link changed", "judged@1": "link changed", "pair@1": "link changed", "priced@1": "link changed, assertions changed",
			// pair@1 compares with pair@0's answer, which the baseline does not keep.
			"pair@0": "primary of a consistent check that runs",
		}},
		{"price of link 1's model", fpSuite, "haiku", otherPrice, map[string]string{"priced@1": "assertions changed"}},
		{"endpoint of link 1", fpSuite, "haiku", otherEndpoint, map[string]string{
			"schema@1": "link changed", "judged@1": "link changed", "pair@1": "link changed", "priced@1": "link changed",
			"pair@0": "primary of a consistent check that runs",
		}},
		{"schema file only", changedSchema, "haiku", fpInputs(), map[string]string{
			"schema@0": "assertions changed", "schema@1": "assertions changed",
		}},
		{"judge", fpSuite, "haiku", otherJudge, map[string]string{
			"judged@0": "judge changed", "judged@1": "judge changed", "pair@1": "judge changed",
			"pair@0": "primary of a consistent check that runs",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := PlanOptions{Chain: fpChain(tc.second), Inputs: tc.inputs}
			opts.Baseline = baseline
			p := mustPlan(t, loadDir(t, tc.files), opts)
			if diff := cmp.Diff(tc.want, reasons(p)); diff != "" {
				t.Errorf("with --baseline: cases run (-want +got):\n%s", diff)
			}
			if got, want := len(p.Cases)+len(p.Carried), len(base.Cases); got != want {
				t.Errorf("run %d + carried %d = %d; want every case (%d)", len(p.Cases), len(p.Carried), got, want)
			}
			for _, r := range p.Carried {
				if r.Reason != "unchanged since the baseline" || !r.Carried {
					t.Errorf("carried %v: reason %q, carried %v", r.Key(), r.Reason, r.Carried)
				}
			}

			// --changed-since: the same cases run, compared with the base's
			// fingerprints; the others are left out.
			opts.Baseline, opts.Base = nil, base.Fingerprints()
			p = mustPlan(t, loadDir(t, tc.files), opts)
			if diff := cmp.Diff(tc.want, reasons(p)); diff != "" {
				t.Errorf("with --changed-since: cases run (-want +got):\n%s", diff)
			}
			if got, want := p.Unchanged+len(p.Cases), len(base.Cases); got != want || len(p.Carried) != 0 {
				t.Errorf("unchanged %d + run %d, carried %d; want %d cases and none carried", p.Unchanged, len(p.Cases), len(p.Carried), want)
			}
		})
	}
}

func TestPlanBaselineReasons(t *testing.T) {
	s := loadDir(t, fpSuite)
	base := mustPlan(t, s, PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs()})
	rs := passedResults(base)
	// schema@0 errored, schema@1 has no fingerprint (an older file), judged@1
	// is missing; pair's results are as they were.
	for i := range rs.Results {
		r := &rs.Results[i]
		switch r.Prompt + "@" + string(rune('0'+r.Position)) {
		case "schema@0":
			r.Error = "timeout"
		case "schema@1":
			r.Fingerprint, r.Inputs = "", nil
		}
	}
	rs.Results = slices.DeleteFunc(rs.Results, func(r Result) bool { return r.Prompt == "judged" && r.Position == 1 })
	p := mustPlan(t, s, PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs(), Baseline: rs})
	want := map[string]string{
		"schema@0": "errored in the baseline", "schema@1": "baseline result has no fingerprint", "judged@1": "not in the baseline",
	}
	if diff := cmp.Diff(want, reasons(p)); diff != "" {
		t.Errorf("cases run (-want +got):\n%s", diff)
	}
	plain := mustPlan(t, s, PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs()})
	for _, c := range plain.Cases {
		if c.Reason != "no baseline" {
			t.Errorf("%s: reason %q without a baseline; want \"no baseline\"", c.Name(), c.Reason)
		}
	}
}

// TestFingerprintCoversSchemaRefs: a schema's $ref'd files decide the
// outcome as much as the schema file does.
func TestFingerprintCoversSchemaRefs(t *testing.T) {
	files := map[string]string{
		"p.yaml":     "name: p\ncategory: fast\nprompt: hi\ntests:\n  - name: t\n    assert: [{type: json-schema, value: order.json}]\n",
		"order.json": `{"$ref": "defs.json"}`,
		"defs.json":  `{"type": "object"}`,
	}
	base := mustPlan(t, loadDir(t, files), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs()})
	changed := maps.Clone(files)
	changed["defs.json"] = `{"type": "array"}`
	p := mustPlan(t, loadDir(t, changed), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs(), Base: base.Fingerprints()})
	want := map[string]string{"p@0": "assertions changed", "p@1": "assertions changed"}
	if diff := cmp.Diff(want, reasons(p)); diff != "" {
		t.Errorf("cases run (-want +got):\n%s", diff)
	}
}

// TestFingerprintCoversToolInputs: tools, tool choice, response format,
// the messages history, an image's bytes and a tool-call check's
// arguments each decide a case, and change its fingerprint in the part
// that names them.
func TestFingerprintCoversToolInputs(t *testing.T) {
	files := map[string]string{
		"p.yaml": `name: p
category: fast
tools: [{ name: lookup, parameters: { type: object, properties: { id: { type: string } } } }]
tool_choice: auto
response_format: { json_schema: { schema_file: reply.json } }
messages:
  - { role: user, content: "Order {{.id}}? {{.photo}}" }
  - { role: assistant, tool_calls: [{ id: c1, name: lookup, arguments: { id: "1" } }] }
  - { role: tool, tool_call_id: c1, content: shipped }
tests:
  - name: t
    vars: { id: "1", photo: { image: parcel.png } }
    assert: [{ type: tool-call, value: lookup, arguments: { id: "1" } }]
`,
		"reply.json": `{"type": "object"}`,
		"parcel.png": pngBytes,
	}
	base := mustPlan(t, loadDir(t, files), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs()})
	edit := func(name, old, new string) map[string]string {
		f := maps.Clone(files)
		if !strings.Contains(f[name], old) {
			t.Fatalf("%s has no %q", name, old)
		}
		f[name] = strings.Replace(f[name], old, new, 1)
		return f
	}
	both := func(why string) map[string]string { return map[string]string{"p@0": why, "p@1": why} }
	tests := []struct {
		name  string
		files map[string]string
		want  map[string]string
	}{
		{"nothing", files, map[string]string{}},
		{"tool parameters", edit("p.yaml", "id: { type: string }", "id: { type: integer }"), both("params changed")},
		{"tool choice", edit("p.yaml", "tool_choice: auto", "tool_choice: required"), both("params changed")},
		{"response schema file", edit("reply.json", "object", "array"), both("params changed")},
		{"history", edit("p.yaml", "content: shipped", "content: lost"), both("prompt changed")},
		{"history call", edit("p.yaml", `arguments: { id: "1" } }] }`, `arguments: { id: "2" } }] }`), both("prompt changed")},
		{"image bytes", edit("parcel.png", "IHDR", "IHDX"), both("prompt changed")},
		{"check arguments", edit("p.yaml", `value: lookup, arguments: { id: "1" }`, `value: lookup, arguments: { id: "{{.id}}0" }`), both("assertions changed")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, loadDir(t, tc.files), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs(), Base: base.Fingerprints()})
			if diff := cmp.Diff(tc.want, reasons(p)); diff != "" {
				t.Errorf("cases run (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFingerprintOfPlainPromptsUnchanged: the new inputs are left out of
// a plain prompt's hashes, so that results fingerprinted before they
// existed are still reused.
func TestFingerprintOfPlainPromptsUnchanged(t *testing.T) {
	s := loadDir(t, fpSuite)
	f := newFingerprinter(fpInputs())
	for _, p := range s.Prompts {
		tc := p.Tests[0]
		var vars map[string]any
		if err := json.Unmarshal(tc.Vars, &vars); err != nil {
			t.Fatal(err)
		}
		old := hashOf(struct {
			System string         `json:"system"`
			User   string         `json:"user"`
			Vars   map[string]any `json:"vars"`
		}{tc.System, tc.User, vars})
		if got := f.test(tc).prompt; got != old {
			t.Errorf("%s: prompt hash %s; want %s as before", p.Name, got, old)
		}
		type oldParams struct {
			Temperature *float64
			TopP        *float64
			MaxTokens   int
			Stop        []string
			JSON        bool
			Seed        *int64
		}
		pp := p.Params
		if got, want := hashOf(pp), hashOf(oldParams{pp.Temperature, pp.TopP, pp.MaxTokens, pp.Stop, pp.JSON, pp.Seed}); got != want {
			t.Errorf("%s: params hash %s; want %s as before", p.Name, got, want)
		}
	}
}

// TestPlanUnderBaseRunsChangedPromptsAfterUnchangedOnes: --changed-since
// skips the unchanged prompts and still runs every changed one, wherever
// it sorts.
func TestPlanUnderBaseRunsChangedPromptsAfterUnchangedOnes(t *testing.T) {
	prompt := func(name, text string) string {
		return "name: " + name + "\ncategory: fast\nprompt: " + text + "\ntests:\n  - name: t\n    assert: [{type: contains, value: x}]\n"
	}
	files := map[string]string{"a.yaml": prompt("a", "hi"), "m.yaml": prompt("m", "hi"), "z.yaml": prompt("z", "hi")}
	base := mustPlan(t, loadDir(t, files), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs()})
	changed := maps.Clone(files)
	changed["m.yaml"], changed["z.yaml"] = prompt("m", "hello"), prompt("z", "hello")
	p := mustPlan(t, loadDir(t, changed), PlanOptions{Chain: fpChain("haiku"), Inputs: fpInputs(), Base: base.Fingerprints()})
	want := map[string]string{"m@0": "prompt changed", "m@1": "prompt changed", "z@0": "prompt changed", "z@1": "prompt changed"}
	if diff := cmp.Diff(want, reasons(p)); diff != "" || p.Unchanged != 2 {
		t.Errorf("unchanged = %d (want 2), cases run (-want +got):\n%s", p.Unchanged, diff)
	}
}

// TestPartsSumIsHashOfTheirLines: the sum written straight into the hash
// is the one hashOf gave the "name=hash\n" lines, so that results
// fingerprinted before still match.
func TestPartsSumIsHashOfTheirLines(t *testing.T) {
	for _, p := range []Parts{
		{},
		{partVersion: "v1", partPrompt: hashOf("p")},
		{partVersion: "v1", partPrompt: hashOf("p"), partParams: hashOf(1), partLink: hashOf("l"), partAssertions: hashOf("a"), partJudge: hashOf("j"), partPrimary: hashOf(2)},
	} {
		var lines strings.Builder
		for i, h := range p {
			if h != "" {
				fmt.Fprintf(&lines, "%s=%s\n", partNames[i], h)
			}
		}
		if got, want := p.sum().String(), hashOf(lines.String()); got != want {
			t.Errorf("%v.sum() = %s; want %s", p, got, want)
		}
		if d := p.sum(); parseDigest(d.String()) != d {
			t.Errorf("parseDigest(%s) = %s; want it back", d, parseDigest(d.String()))
		}
	}
	for _, s := range []string{"", "abc", strings.Repeat("g", 64), strings.Repeat("0", 66)} {
		if d := parseDigest(s); d != (Digest{}) {
			t.Errorf("parseDigest(%q) = %s; want the zero Digest", s, d)
		}
	}
}

// TestPanelIdentityIgnoresDifferentProvider: a judge panel never lets a
// judge grade its own provider's output, whatever judge.different_provider
// says, so turning the setting off changes nothing a panel does: its judged
// cases are carried, not run again as "judge changed", and its verdicts
// keep their cache keys (the identity hashes as with the default, true,
// as it did before). For a single judge the setting still counts.
func TestPanelIdentityIgnoresDifferentProvider(t *testing.T) {
	withJudge := func(panel bool, different bool) Inputs {
		in := fpInputs()
		if panel {
			in.Judge.Panel, in.Judge.Chain = [][]JudgeLink{in.Judge.Chain, {{Model: "haiku", Link: in.Links["b"]}}}, nil
		}
		in.Judge.DifferentProvider = different
		return in
	}
	judged := map[string]string{"judged@0": "judge changed", "judged@1": "judge changed", "pair@1": "judge changed",
		"pair@0": "primary of a consistent check that runs"}
	for _, tc := range []struct {
		panel bool
		want  map[string]string
	}{{true, map[string]string{}}, {false, judged}} {
		base := mustPlan(t, loadDir(t, fpSuite), PlanOptions{Chain: fpChain("haiku"), Inputs: withJudge(tc.panel, true)})
		p := mustPlan(t, loadDir(t, fpSuite), PlanOptions{Chain: fpChain("haiku"), Inputs: withJudge(tc.panel, false),
			Baseline: passedResults(base)})
		if diff := cmp.Diff(tc.want, reasons(p)); diff != "" {
			t.Errorf("panel %t, different_provider off: cases run (-want +got):\n%s", tc.panel, diff)
		}
		on, off := withJudge(tc.panel, true).Judge, withJudge(tc.panel, false).Judge
		if same := on.ID() == off.ID(); same != tc.panel {
			t.Errorf("panel %t: the judge's cache identity is the same with and without different_provider: %t; want %t", tc.panel, same, tc.panel)
		}
		if on.ID() != hashOf(on) {
			t.Errorf("panel %t: identity %s with the default different_provider; want the hash it had, %s", tc.panel, on.ID(), hashOf(on))
		}
	}
}
