package serve_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmfall/llmfall/serve"
)

// loadTime is how long BenchmarkGatewayLoad drives each path in each case:
// at 500 requests a second, 10 s is 5,000 requests a path, whose p99 is
// their 50th slowest.
var loadTime = flag.Duration("load.time", 10*time.Second, "how long BenchmarkGatewayLoad drives each path (direct, gateway) per case")

// loadRound is how long one round drives one path before the other takes
// over: short rounds, many of them, so that a burst of other work on the
// machine falls on both paths alike.
const loadRound = 250 * time.Millisecond

// BenchmarkGatewayLoad measures the latency the gateway adds under an open
// load: requests arrive at a fixed rate (500 and 2,000 a second), each sent
// at its appointed time whether or not the earlier ones have finished, and
// each timed from its sending to the end of its answer: as no request waits
// for an earlier one, a stall shows as the queue behind it, while the
// pacer's own lateness on a busy machine does not count against either
// path. The same arrivals go straight to a mock OpenAI upstream (answering
// at once: a completion, or ten deltas) or through the gateway as `llmfall
// serve` builds it (llmfall.yaml through setup, default timeouts, metrics)
// and runs it (the heap floor and the adaptive GOMAXPROCS, each unless
// GOGC or GOMAXPROCS is set) to that upstream, in alternating rounds of
// 250 ms, -load.time (10 s) per path, after a round of each that is not
// counted (the warm-up: opening connections).
//
// Its figures, per case:
//
//   - overhead-*: each request's latency less the time the upstream held
//     that very request (its handler's time, recorded by request id, which
//     the gateway passes on in the message). What is left is the path's
//     own cost for that request: HTTP on each side and, through the
//     gateway, the second hop and the gateway's work. overhead-added-p50
//     and -p99 are the gateway's per-request overhead quantile less
//     direct's, and -p99-lo/-hi a 90 % bootstrap interval of the p99's
//     difference, which says how far the run's sample lets it be trusted.
//   - added-p50/-p99: the older figure, the gateway's latency quantile less
//     direct's, upstream time included; kept so that runs compare.
//   - added-cpu-µs/req: the process's CPU time per request, gateway less
//     direct; GC/s: collections a second while each path ran;
//     gateway-upstream-dials: connections the gateway opened to the
//     upstream while measured (after the warm-up, none is needed).
//
// One iteration is a whole run; at 500 requests a second alone:
//
//	go test ./serve -run XXX -bench 'GatewayLoad/.*/rps=500$' -benchtime 1x [-args -load.time 10s]
func BenchmarkGatewayLoad(b *testing.B) {
	// As llmfall serve runs:
	defer serve.StartHeapFloor(os.Getenv)()
	procs, stopProcs := serve.StartProcs(os.Getenv)
	defer stopProcs()
	rates := []int{500, 2000}
	up := &timedUpstream{held: make([]atomic.Int64, 2*slices.Max(rates)*int(*loadTime/time.Second+1))}
	upstream := httptest.NewUnstartedServer(up)
	upstream.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			up.conns.Add(1)
		}
	}
	upstream.Start()
	defer upstream.Close()
	g := configGateway(b, fmt.Sprintf(`providers:
  openai: { type: openai, base_url: %s/v1 }
categories:
  fast: { openai: gpt-4.1-mini }
`, upstream.URL), nil, func(c *serve.Config) { c.Procs = procs })
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	defer client.CloseIdleConnections()

	for _, stream := range []bool{false, true} {
		for _, rate := range rates {
			b.Run(fmt.Sprintf("stream=%t/rps=%d", stream, rate), func(b *testing.B) {
				n := rate * int(loadRound) / int(time.Second)
				// A round of each, not counted: the first requests
				// open the connections, and on a busy machine the
				// queue behind them took up to a second to clear,
				// which is no steady state's latency.
				var warm load
				warm.run(client, upstream.URL+"/v1", stream, rate, n, up, 0)
				warm.run(client, g.URL+"/v1", stream, rate, n, up, 0)
				var direct, gateway load
				for b.Loop() {
					id := 0
					for range max(1, int(*loadTime/loadRound)) {
						direct.run(client, upstream.URL+"/v1", stream, rate, n, up, id)
						id += n
						gateway.run(client, g.URL+"/v1", stream, rate, n, up, id)
						id += n
					}
				}
				if direct.failed+gateway.failed > 0 {
					b.Logf("%d requests failed direct (%v), %d through the gateway (%v)", direct.failed, direct.first.Load(), gateway.failed, gateway.first.Load())
				}
				b.ReportMetric(float64(gateway.failed), "gateway-failed")
				dp50, dp99 := percentiles(direct.took)
				gp50, gp99 := percentiles(gateway.took)
				b.ReportMetric(us(dp50), "direct-p50-µs")
				b.ReportMetric(us(dp99), "direct-p99-µs")
				b.ReportMetric(us(gp50), "gateway-p50-µs")
				b.ReportMetric(us(gp99), "gateway-p99-µs")
				b.ReportMetric(us(gp50-dp50), "added-p50-µs")
				b.ReportMetric(us(gp99-dp99), "added-p99-µs")
				do50, do99 := percentiles(direct.overhead)
				go50, go99 := percentiles(gateway.overhead)
				b.ReportMetric(us(do50), "overhead-direct-p50-µs")
				b.ReportMetric(us(do99), "overhead-direct-p99-µs")
				b.ReportMetric(us(go50), "overhead-gateway-p50-µs")
				b.ReportMetric(us(go99), "overhead-gateway-p99-µs")
				b.ReportMetric(us(go50-do50), "overhead-added-p50-µs")
				b.ReportMetric(us(go99-do99), "overhead-added-p99-µs")
				lo, hi := differenceInterval(gateway.overhead, direct.overhead, 0.99)
				b.ReportMetric(us(lo), "overhead-added-p99-lo-µs")
				b.ReportMetric(us(hi), "overhead-added-p99-hi-µs")
				b.ReportMetric(us(gateway.cpu/time.Duration(len(gateway.took))-direct.cpu/time.Duration(len(direct.took))), "added-cpu-µs/req")
				b.ReportMetric(float64(direct.gcs)/direct.wall.Seconds(), "direct-GC/s")
				b.ReportMetric(float64(gateway.gcs)/gateway.wall.Seconds(), "gateway-GC/s")
				b.ReportMetric(float64(gateway.dials), "gateway-upstream-dials")
			})
		}
	}
}

// timedUpstream is mockUpstream that records how long its handler held
// each request, by the id the request's message ends with ("Say hello
// 42"): from the handler's start, the body not yet read, to its return.
type timedUpstream struct {
	held  []atomic.Int64 // nanoseconds, by request id
	conns atomic.Int64   // connections opened to it
}

func (u *timedUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, _ := io.ReadAll(r.Body)
	mockAnswer(w, body)
	if id, ok := requestID(body); ok && id < len(u.held) {
		u.held[id].Store(int64(time.Since(start)))
	}
}

// requestID is the number after "Say hello " in a request body.
func requestID(body []byte) (int, bool) {
	_, rest, ok := bytes.Cut(body, []byte("Say hello "))
	if !ok {
		return 0, false
	}
	end := bytes.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	id, err := strconv.Atoi(string(rest[:end]))
	return id, err == nil
}

// load is what one path's rounds measured.
type load struct {
	// took is each request's latency; overhead is its latency less the
	// time the upstream held it.
	took, overhead []time.Duration
	cpu, wall      time.Duration
	gcs            uint64
	// dials are the connections the upstream saw opened.
	dials  int64
	failed int64
	// first is the first failure, to say what failed.
	first atomic.Value
}

// run sends n requests at rate a second, each at its appointed time, with
// the ids first, first+1, …
func (l *load) run(client *http.Client, url string, stream bool, rate, n int, up *timedUpstream, first int) {
	bodies := make([]string, n)
	for i := range bodies {
		up.held[first+i].Store(0)
		bodies[i] = fmt.Sprintf(`{"model":"fast","stream":%t,"messages":[{"role":"user","content":"Say hello %d"}]}`, stream, first+i)
	}
	took := make([]time.Duration, n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	gcs := gcCycles()
	conns := up.conns.Load()
	cpu := cpuTime()
	start := time.Now()
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			sent := time.Now()
			if err := call(client, url, bodies[i]); err != nil {
				failed.Add(1)
				l.first.CompareAndSwap(nil, err.Error())
			}
			took[i] = time.Since(sent)
		})
	}
	wg.Wait()
	l.wall += time.Since(start)
	l.cpu += cpuTime() - cpu
	l.gcs += gcCycles() - gcs
	l.dials += up.conns.Load() - conns
	l.took = append(l.took, took...)
	for i, t := range took {
		if held := up.held[first+i].Load(); held > 0 {
			l.overhead = append(l.overhead, t-time.Duration(held))
		}
	}
	l.failed += failed.Load()
}

// percentiles are the median and p99 of d, which they sort.
func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(d)
	return quantile(d, 0.5), quantile(d, 0.99)
}

// quantile is the q-quantile of sorted (0 if it is empty).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*q))]
}

// differenceInterval is a 90 % bootstrap interval of the q-quantile of a
// less the q-quantile of b: both samples are drawn again with replacement,
// many times, and the 5th and 95th percentiles of the differences taken.
// It is seeded, so one run's figures read the same each time.
func differenceInterval(a, b []time.Duration, q float64) (lo, hi time.Duration) {
	if len(a) == 0 || len(b) == 0 {
		return 0, 0
	}
	const draws = 200
	rng := rand.New(rand.NewPCG(1, 2))
	resample := func(dst, src []time.Duration) time.Duration {
		for i := range dst {
			dst[i] = src[rng.IntN(len(src))]
		}
		slices.Sort(dst)
		return quantile(dst, q)
	}
	ra, rb := make([]time.Duration, len(a)), make([]time.Duration, len(b))
	diffs := make([]time.Duration, draws)
	for i := range diffs {
		diffs[i] = resample(ra, a) - resample(rb, b)
	}
	slices.Sort(diffs)
	return quantile(diffs, 0.05), quantile(diffs, 0.95)
}

// gcCycles is how many collections the process has completed.
func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
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
