package simulate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/llmfall/llmfall/provider"
)

func TestBuiltinsParse(t *testing.T) {
	want := []string{"broken-streams", "degraded", "flapping", "hang", "outage", "rate-limited", "recovery", "seed"}
	if diff := cmp.Diff(want, Builtins()); diff != "" {
		t.Fatalf("Builtins() (-want +got):\n%s", diff)
	}
	for _, name := range want {
		sc, err := Builtin(name)
		if err != nil {
			t.Errorf("Builtin(%q): %v", name, err)
			continue
		}
		if sc.Name != name || sc.Description == "" || sc.Duration <= 0 || len(sc.Links) == 0 {
			t.Errorf("Builtin(%q) = %+v; want its name, a description, a duration and links", name, sc)
		}
	}
	seed, _ := Builtin("seed")
	if seed.Duration != 24*time.Hour || seed.RPS != 50 {
		t.Errorf("seed: duration %s rps %v; want 24h at 50", seed.Duration, seed.RPS)
	}
}

func TestLoadFile(t *testing.T) {
	sc, err := Open(filepath.Join("testdata", "night-outage.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	healthy := DefaultProfile
	healthy.Latency = Latency{P50: 900 * time.Millisecond, P95: 3 * time.Second}
	inWindow := healthy
	inWindow.ErrorRate = 0.04
	inWindow.Latency = Latency{P50: 1500 * time.Millisecond, P95: 6 * time.Second}
	down := DefaultProfile
	down.ErrorRate = 1
	down.Errors = map[provider.Class]float64{provider.ClassServer: 3, provider.ClassNetwork: 1}
	want := &Scenario{
		Name: "night-outage", Description: "openai down 40 min at night; anthropic slow while it takes the load",
		Duration: 2 * time.Hour, RPS: 20,
		Links: []Timeline{
			{Provider: "openai", Healthy: DefaultProfile, line: 7,
				Windows: []Window{{From: 30 * time.Minute, To: 70 * time.Minute, Profile: down}}},
			{Provider: "anthropic", Healthy: healthy, line: 10,
				Windows: []Window{{From: 30 * time.Minute, To: 70 * time.Minute, Profile: inWindow}}},
		},
	}
	if diff := cmp.Diff(want, sc, cmp.AllowUnexported(Timeline{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Open() (-want +got):\n%s", diff)
	}
}

func TestOpenUnknown(t *testing.T) {
	_, err := Open("blackout")
	want := `unknown scenario "blackout" (built in: broken-streams, degraded, flapping, hang, outage, rate-limited, recovery, seed)`
	if err == nil || err.Error() != want {
		t.Errorf("Open(blackout) error = %v; want %s", err, want)
	}
	_, err = Open(filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !strings.HasPrefix(err.Error(), "scenario: open ") {
		t.Errorf("Open(missing file) error = %v; want scenario: open …", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "duration: 1h\nlinks:\n  - link: 1\n    eror_rate: 0.5\n",
			[]string{"bad.yaml:4: field eror_rate not found in type simulate.rawLink"}},
		// yaml.v3 counts a parser error's line from 0: found at the end of
		// the file, the third line.
		{"syntax", "duration: 1h\nlinks: [\n", []string{"bad.yaml:3: did not find expected node content"}},
		// ... and leaves "line N:" off the first line, and gives a bad byte
		// no line.
		{"syntax on the first line", "duration: 1h: 2h\n", []string{"bad.yaml:1: mapping values are not allowed in this context"}},
		{"bad indentation", "duration: 1h\nlinks:\n  - link: 1\n error_rate: 0.5\n", []string{"bad.yaml:4: did not find expected key"}},
		{"bad byte", "duration: 1h\nlinks:\n  - provider: open\xffai\n", []string{"bad.yaml:3: invalid leading UTF-8 octet"}},
		{"tab", "duration: 1h\nlinks:\n\t- link: 1\n", []string{"bad.yaml:3: found character that cannot start any token (indent with spaces, not tabs)"}},
		{"bad duration", "duration: 3 hours\n", []string{"bad.yaml:1: cannot unmarshal !!str `3 hours` into time.Duration"}},
		{"every problem at once", `duration: 0s
rps: -1
links:
  - link: 1
    error_rate: 1.5
    errors: { teapot: 1, server: 0 }
    latency: { p50: 2s, p95: 1s }
    windows:
      - { from: 2h, to: 1h, hang: 0.5 }
  - provider: openai
    link: 2
  - error_rate: 0.1
  - link: 1
`, []string{
			"bad.yaml:1: duration: must be positive, e.g. 24h",
			"bad.yaml:2: rps: must not be negative",
			"bad.yaml:5: links[0]: error_rate: must be between 0 and 1, got 1.5",
			"bad.yaml:5: links[0]: hang + error_rate is 1.5, more than 1",
			"bad.yaml:6: links[0]: errors: server: weight must be positive, got 0",
			`bad.yaml:6: links[0]: errors: unknown class "teapot" (one of rate_limited, overloaded, server, timeout, network, auth, not_found, invalid_request, context_length, content_filter, malformed, unknown, unsupported)`,
			"bad.yaml:7: links[0]: latency: needs 0 < p50 <= p95, got p50 2s p95 1s",
			"bad.yaml:9: links[0].windows[0]: needs 0 <= from < to, got from 2h0m0s to 1h0m0s",
			"bad.yaml:9: links[0].windows[0]: hang + error_rate is 2, more than 1",
			"bad.yaml:10: links[1]: give link or provider, not both",
			"bad.yaml:12: links[2]: needs link (chain position, from 1) or provider (a name from llmfall.yaml)",
			"bad.yaml:13: links[3]: the same link as links[0]",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("Parse() error = nil; want errors")
			}
			got := strings.Split(err.Error(), "\n")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse() errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, []byte("duration: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":") {
		t.Errorf("Load() error = %v; want it to start with %s:", err, path)
	}
}
