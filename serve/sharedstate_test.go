package serve_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmfall/llmfall/internal/redistest"
	"github.com/llmfall/llmfall/serve"
	"github.com/llmfall/llmfall/serve/shared"
)

// A replica whose shared state is not up stays ready (it serves on its
// local state) and says so in /readyz and /metrics, password hidden.
func TestReadyzAndMetricsReportSharedState(t *testing.T) {
	store, err := shared.New(shared.Config{URL: "redis://:hunter2-password@127.0.0.1:1/0"})
	if err != nil {
		t.Fatal(err)
	}
	g := newGateway(t, links{openai: "http://127.0.0.1:1", adjust: func(c *serve.Config) { c.Shared = store }})
	resp := g.do(t, "GET", "/readyz", "", "")
	body := readAll(t, resp.Body)
	if resp.StatusCode != http.StatusOK || body != "ready\nshared state: degraded, serving on local state (not connected yet)\n" {
		t.Errorf("/readyz = %d %q; want 200, ready, shared state degraded", resp.StatusCode, body)
	}
	metrics := readAll(t, g.do(t, "GET", "/metrics", "", "").Body)
	for _, want := range []string{"\nllmfall_shared_state_up 0\n", "\nllmfall_shared_state_dropped_total 0\n", "\nllmfall_shared_state_publish_errors_total 0\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body+metrics, "hunter2") {
		t.Error("the Redis password shows")
	}
}

// Without shared state, /readyz and /metrics say nothing of it.
func TestNoSharedStateNoReport(t *testing.T) {
	g := newGateway(t, links{openai: "http://127.0.0.1:1"})
	if body := readAll(t, g.do(t, "GET", "/readyz", "", "").Body); body != "ready\n" {
		t.Errorf("/readyz = %q; want %q", body, "ready\n")
	}
	if metrics := readAll(t, g.do(t, "GET", "/metrics", "", "").Body); strings.Contains(metrics, "llmfall_shared_state") {
		t.Error("metrics report a shared state the gateway does not have")
	}
}

// A replica sharing health through a Redis that answers says so in
// /readyz (its URL, password hidden) and /metrics.
func TestReadyzAndMetricsReportSharedStateUp(t *testing.T) {
	store, err := shared.New(shared.Config{URL: redistest.URL(t), Prefix: redistest.Prefix()})
	if err != nil {
		t.Fatal(err)
	}
	g := newGateway(t, links{openai: "http://127.0.0.1:1", adjust: func(c *serve.Config) { c.Shared = store }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); store.Run(ctx, g.eng) }()
	t.Cleanup(func() { cancel(); <-done })
	// Connecting and subscribing take real time; the deadline only ends
	// a test whose store never comes up.
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !store.Status().Up {
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s the store is not up: %+v", store.Status())
		}
		<-tick.C
	}
	body := readAll(t, g.do(t, "GET", "/readyz", "", "").Body)
	if want := "ready\nshared state: ok (" + store.URL() + ")\n"; body != want {
		t.Errorf("/readyz = %q; want %q", body, want)
	}
	if metrics := readAll(t, g.do(t, "GET", "/metrics", "", "").Body); !strings.Contains(metrics, "\nllmfall_shared_state_up 1\n") {
		t.Error("metrics lack llmfall_shared_state_up 1")
	}
}
