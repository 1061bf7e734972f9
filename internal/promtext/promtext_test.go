package promtext

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestWrite(t *testing.T) {
	req := NewFamily("req_total", "Requests, by \"model\"\\code.\nSecond line.", Counter, []string{"model", "code"})
	req.Add(1, "fast", "200")
	req.Add(2, "fast", "200")
	req.Add(1, `a "quoted"\model`+"\n", "500")
	lat := NewFamily("lat_seconds", "Latency.", Histogram, []string{"model"}, 0.1, 1)
	lat.Observe(0.05, "fast")
	lat.Observe(0.1, "fast") // le is inclusive
	lat.Observe(3, "fast")
	inflight := NewFamily("inflight", "In flight.", Gauge, nil)
	inflight.Add(2)
	inflight.Add(-1)
	empty := NewFamily("none_total", "Nothing yet.", Counter, []string{"x"})

	var buf bytes.Buffer
	if err := Write(&buf, req, lat, inflight, empty); err != nil {
		t.Fatal(err)
	}
	want := `# HELP req_total Requests, by "model"\\code.\nSecond line.
# TYPE req_total counter
req_total{code="500",model="a \"quoted\"\\model\n"} 1
req_total{code="200",model="fast"} 3
# HELP lat_seconds Latency.
# TYPE lat_seconds histogram
lat_seconds_bucket{model="fast",le="0.1"} 2
lat_seconds_bucket{model="fast",le="1"} 2
lat_seconds_bucket{model="fast",le="+Inf"} 3
lat_seconds_sum{model="fast"} 3.15
lat_seconds_count{model="fast"} 3
# HELP inflight In flight.
# TYPE inflight gauge
inflight 1
# HELP none_total Nothing yet.
# TYPE none_total counter
`
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("exposition (-want +got):\n%s", diff)
	}
}

// TestScrapersReadIt parses the output with the Prometheus project's own
// text parser, the one its server and client tooling use.
func TestScrapersReadIt(t *testing.T) {
	req := NewFamily("req_total", "Requests.", Counter, []string{"model", "code"})
	req.Add(3, "fast", "200")
	req.Add(1, "odd \"model\"\\ \n", "500")
	lat := NewFamily("lat_seconds", "Latency.", Histogram, []string{"model"}, .01, .5, 120)
	for _, v := range []float64{0.005, 0.3, 0.4, 200} {
		lat.Observe(v, "fast")
	}
	var buf bytes.Buffer
	if err := Write(&buf, append([]*Family{req, lat}, Runtime()...)...); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("the Prometheus parser refuses the output: %v\n%s", err, buf.String())
	}
	got := map[string]float64{}
	for _, m := range fams["req_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		got[labels["model"]+"/"+labels["code"]] = m.GetCounter().GetValue()
	}
	if diff := cmp.Diff(map[string]float64{"fast/200": 3, "odd \"model\"\\ \n/500": 1}, got); diff != "" {
		t.Errorf("counters read back (-want +got):\n%s", diff)
	}
	h := fams["lat_seconds"].GetMetric()[0].GetHistogram()
	var cumulative []uint64
	for _, b := range h.GetBucket() {
		cumulative = append(cumulative, b.GetCumulativeCount())
	}
	if diff := cmp.Diff([]uint64{1, 3, 3, 4}, cumulative); diff != "" || h.GetSampleCount() != 4 || h.GetSampleSum() != 200.705 {
		t.Errorf("histogram read back: buckets %v (-want +got %s), count %d, sum %v", cumulative, diff, h.GetSampleCount(), h.GetSampleSum())
	}
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "go_info"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	if _, linux := readProc(); linux && fams["process_resident_memory_bytes"].GetMetric()[0].GetGauge().GetValue() <= 0 {
		t.Errorf("process_resident_memory_bytes is not positive")
	}
}

func TestConcurrentUse(t *testing.T) {
	c := NewFamily("c_total", "C.", Counter, []string{"who"})
	h := NewFamily("h", "H.", Histogram, []string{"who"}, 1)
	var wg sync.WaitGroup
	for _, who := range []string{"a", "b", "c", "d"} {
		wg.Go(func() {
			for range 1000 {
				c.Add(1, who)
				h.Observe(0.5, who)
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			if err := Write(&bytes.Buffer{}, c, h); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	var buf bytes.Buffer
	if err := Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"a", "b", "c", "d"} {
		if want := `c_total{who="` + who + `"} 1000`; !strings.Contains(buf.String(), want) {
			t.Errorf("lost counts: want %s in\n%s", want, buf.String())
		}
	}
}
