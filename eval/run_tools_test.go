package eval

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/sim"
)

// A tool-using prompt runs on every link: results carry the calls, the
// tool assertions grade them, and an answer read back from the cache keeps
// its calls.
func TestRunToolCallsAndCache(t *testing.T) {
	s := loadDir(t, map[string]string{"p.yaml": `name: p
category: fast
tools: [{ name: lookup_order, description: Look up an order, parameters: { type: object, properties: { order_id: { type: string } }, required: [order_id] } }]
prompt: "Where is order {{.id}}?"
tests:
  - name: t
    vars: { id: ORD-7 }
    assert:
      - { type: tool-call, value: lookup_order, arguments: { order_id: "{{.id}}" } }
      - { type: is-valid-tool-call }
      - { type: not-no-tool-call }
`})
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	run := func() (*Results, *sim.Client) {
		c := sim.New(sim.Config{})
		ps := map[string]provider.Provider{"a": c, "b": c, "c": c}
		rs, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 2}), RunOptions{Providers: ps, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		return rs, c
	}
	first, _ := run()
	for _, r := range first.Results {
		if !r.Pass || len(r.ToolCalls) != 1 || r.ToolCalls[0].Name != "lookup_order" || string(r.ToolCalls[0].Arguments) != `{"order_id":"ORD-7"}` {
			t.Errorf("%s: pass %v, tool_calls %+v, assertions %+v; want a passing lookup_order call", r.Link(), r.Pass, r.ToolCalls, r.Assertions)
		}
	}
	second, c := run()
	if c.Calls() != 0 || second.Summary.Cached != 2 {
		t.Fatalf("second run: %d calls, %d cached; want 0 and 2", c.Calls(), second.Summary.Cached)
	}
	if diff := cmp.Diff(first.Results, second.Results, cmp.AllowUnexported(AssertionResult{}), cmpIgnoreLocation,
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Cached" }, cmp.Ignore())); diff != "" {
		t.Errorf("cached results differ (-first +second):\n%s", diff)
	}
}

// The judge reads an answer that is a tool call as the call, not as an
// empty text: a consistent check compares the calls of two links.
func TestJudgeSeesToolCalls(t *testing.T) {
	s := loadDir(t, map[string]string{"p.yaml": `name: p
category: fast
tools: [{ name: lookup_order, parameters: { type: object, properties: { order_id: { type: string } } } }]
prompt: "Where is order ORD-7?"
tests: [{ name: t, assert: [{ type: consistent }] }]
`})
	c := sim.New(sim.Config{})
	j := &fakeJudge{}
	_, err := Run(context.Background(), mustPlan(t, s, PlanOptions{Depth: 2}),
		RunOptions{Providers: map[string]provider.Provider{"a": c, "b": c}, Judge: j, JudgeID: "fake"})
	if err != nil {
		t.Fatal(err)
	}
	want := `[tool call] lookup_order {"order_id":"ORD-7"}`
	if len(j.pairs) != 1 || j.pairs[0].Primary != want || j.pairs[0].Candidate != want {
		t.Errorf("pairs judged = %+v; want both answers shown as %s", j.pairs, want)
	}
}
