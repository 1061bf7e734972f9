package serve_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadPhase is how long each of the gateway and the direct path is driven
// at a rate; loadRounds alternate them, so that a change in the machine's
// load during a run falls on both alike.
const (
	loadPhase  = 2 * time.Second
	loadRounds = 4
)

// BenchmarkGatewayLoad measures the latency the gateway adds under an open
// load: requests arrive at a fixed rate (500 and 2,000 a second), each sent
// at its appointed time whether or not the earlier ones have finished, and
// each timed from its sending to the end of its answer: as no request waits
// for an earlier one, a stall shows as the queue behind it, while the
// pacer's own lateness on a busy machine does not count against either
// path. The same arrivals go straight to a
// mock OpenAI upstream (answering at once: a completion, or ten deltas) or
// through the gateway as `llmfall serve` builds it (llmfall.yaml through
// setup, default timeouts, metrics) to that upstream, in alternating
// rounds. It reports each path's median and p99, the differences (what
// the gateway adds), and the gateway's CPU time per request. One iteration
// is a whole run of 2 × 2 s per case:
//
//	go test ./serve -run XXX -bench GatewayLoad -benchtime 1x
func BenchmarkGatewayLoad(b *testing.B) {
	upstream := httptest.NewServer(http.HandlerFunc(mockUpstream))
	defer upstream.Close()
	g := configGateway(b, fmt.Sprintf(`providers:
  openai: { type: openai, base_url: %s/v1 }
categories:
  fast: { openai: gpt-4.1-mini }
`, upstream.URL), nil)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	defer client.CloseIdleConnections()

	for _, stream := range []bool{false, true} {
		body := fmt.Sprintf(`{"model":"fast","stream":%t,"messages":[{"role":"user","content":"Say hello"}]}`, stream)
		for _, rate := range []int{500, 2000} {
			b.Run(fmt.Sprintf("stream=%t/rps=%d", stream, rate), func(b *testing.B) {
				var direct, gateway load
				for b.Loop() {
					n := rate * int(loadPhase/time.Second) / loadRounds
					for range loadRounds {
						direct.run(client, upstream.URL+"/v1", body, rate, n)
						gateway.run(client, g.URL+"/v1", body, rate, n)
					}
				}
				if direct.failed+gateway.failed > 0 {
					b.Logf("%d requests failed direct (%v), %d through the gateway (%v)", direct.failed, direct.first.Load(), gateway.failed, gateway.first.Load())
				}
				b.ReportMetric(float64(gateway.failed), "gateway-failed")
				dp50, dp99 := direct.percentiles()
				gp50, gp99 := gateway.percentiles()
				b.ReportMetric(us(dp50), "direct-p50-µs")
				b.ReportMetric(us(dp99), "direct-p99-µs")
				b.ReportMetric(us(gp50), "gateway-p50-µs")
				b.ReportMetric(us(gp99), "gateway-p99-µs")
				b.ReportMetric(us(gp50-dp50), "added-p50-µs")
				b.ReportMetric(us(gp99-dp99), "added-p99-µs")
				b.ReportMetric(us(gateway.cpu/time.Duration(len(gateway.took))-direct.cpu/time.Duration(len(direct.took))), "added-cpu-µs/req")
			})
		}
	}
}

// load is what one path's rounds measured.
type load struct {
	took   []time.Duration
	cpu    time.Duration
	failed int64
	// first is the first failure, to say what failed.
	first atomic.Value
}

// run sends n requests at rate a second, each at its appointed time.
func (l *load) run(client *http.Client, url, body string, rate, n int) {
	took := make([]time.Duration, n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	cpu := cpuTime()
	start := time.Now()
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			sent := time.Now()
			if err := call(client, url, body); err != nil {
				failed.Add(1)
				l.first.CompareAndSwap(nil, err.Error())
			}
			took[i] = time.Since(sent)
		})
	}
	wg.Wait()
	l.cpu += cpuTime() - cpu
	l.took = append(l.took, took...)
	l.failed += failed.Load()
}

func (l *load) percentiles() (p50, p99 time.Duration) {
	if len(l.took) == 0 {
		return 0, 0
	}
	slices.Sort(l.took)
	return l.took[len(l.took)/2], l.took[len(l.took)*99/100]
}

// call posts a chat request and reads the answer to its end.
func call(client *http.Client, url, body string) error {
	req, err := http.NewRequest("POST", url+"/chat/completions", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && (resp.StatusCode != 200 || n == 0) {
		err = fmt.Errorf("status %d, %d bytes", resp.StatusCode, n)
	}
	return err
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
