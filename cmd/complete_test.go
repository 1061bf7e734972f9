package cmd

import (
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	cfg := writeConfig(t, chainsConfig)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"run", "-c", ""}, []string{"fast", "smart"}},
		{[]string{"run", "--order", ""}, []string{"openai", "anthropic", "local"}},
		{[]string{"run", "--order", "anthropic,"}, []string{"anthropic,openai", "anthropic,local"}},
		{[]string{"eval", "--providers", ""}, []string{"openai", "anthropic", "local"}},
		{[]string{"simulate", "--scenario", ""}, []string{"broken-streams", "degraded", "flapping", "hang", "outage", "rate-limited", "recovery", "seed"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"__complete", "--config", cfg}, tc.args...)
			code, out, errOut := runCLI(t, "", args...)
			if code != 0 {
				t.Fatalf("exit code = %d\n%s", code, errOut)
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if !strings.HasPrefix(line, ":") { // the last line is the directive
					got = append(got, line)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("completions = %q; want %q", got, tc.want)
			}
		})
	}
}
