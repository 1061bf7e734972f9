// Package promtext keeps counters, gauges and histograms with labels and
// writes them in Prometheus' text exposition format (version 0.0.4), which
// every Prometheus-compatible scraper reads. It replaces the official client
// library for llmfall's few metrics: that library's package initialisation
// (protobuf descriptors, procfs regexps) cost every llmfall command, not
// only serve, about a fifth of its start-up page faults. What to measure is
// serve's business; this package only counts and formats.
package promtext

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Kind is a family's Prometheus type.
type Kind string

// The kinds of family this package writes.
const (
	Counter   Kind = "counter"
	Gauge     Kind = "gauge"
	Histogram Kind = "histogram"
)

// Family is one metric: its series, one per combination of label values.
// It is safe for concurrent use.
type Family struct {
	name, help string
	kind       Kind
	labels     []string
	buckets    []float64 // a histogram's upper bounds, ascending; +Inf is implied

	mu     sync.Mutex
	series map[string]*series // by label values joined with labelSep
}

// series is one combination of label values.
type series struct {
	values []string
	value  float64  // a counter's or gauge's value
	counts []uint64 // a histogram's observations per bucket, the last for +Inf
	sum    float64
	count  uint64
}

// labelSep joins label values into a map key; it cannot occur in UTF-8.
const labelSep = "\xff"

// NewFamily returns an empty family. buckets are a histogram's upper
// bounds, ascending, and are ignored for other kinds.
func NewFamily(name, help string, kind Kind, labels []string, buckets ...float64) *Family {
	return &Family{name: name, help: help, kind: kind, labels: labels, buckets: buckets,
		series: make(map[string]*series)}
}

// get returns the series of these label values, creating it. f.mu is held.
func (f *Family) get(values []string) *series {
	if len(values) != len(f.labels) {
		panic("promtext: " + f.name + " takes " + strconv.Itoa(len(f.labels)) + " label values")
	}
	key := strings.Join(values, labelSep)
	s, ok := f.series[key]
	if !ok {
		s = &series{values: slices.Clone(values)}
		if f.kind == Histogram {
			s.counts = make([]uint64, len(f.buckets)+1)
		}
		f.series[key] = s
	}
	return s
}

// Add adds delta to a counter's or gauge's series.
func (f *Family) Add(delta float64, values ...string) {
	f.mu.Lock()
	f.get(values).value += delta
	f.mu.Unlock()
}

// Set sets a gauge's series.
func (f *Family) Set(v float64, values ...string) {
	f.mu.Lock()
	f.get(values).value = v
	f.mu.Unlock()
}

// Observe records one observation in a histogram's series.
func (f *Family) Observe(v float64, values ...string) {
	i, _ := slices.BinarySearch(f.buckets, v) // the first bound >= v: le is inclusive
	f.mu.Lock()
	s := f.get(values)
	s.counts[i]++
	s.sum += v
	s.count++
	f.mu.Unlock()
}

// Write writes the families in the text format, each family's series
// sorted by label values and each series' labels sorted by name, as the
// official client does, so that the output is stable.
func Write(w io.Writer, families ...*Family) error {
	bw := bufio.NewWriter(w)
	for _, f := range families {
		f.write(bw)
	}
	return bw.Flush()
}

func (f *Family) write(w *bufio.Writer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.WriteString("# HELP " + f.name + " " + escapeHelp(f.help) + "\n")
	w.WriteString("# TYPE " + f.name + " " + string(f.kind) + "\n")
	keys := make([]string, 0, len(f.series))
	for k := range f.series {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s := f.series[k]
		if f.kind != Histogram {
			sample(w, f.name, f.labels, s.values, "", "", formatFloat(s.value))
			continue
		}
		var cumulative uint64
		for i, c := range s.counts {
			cumulative += c
			le := math.Inf(1)
			if i < len(f.buckets) {
				le = f.buckets[i]
			}
			sample(w, f.name+"_bucket", f.labels, s.values, "le", formatFloat(le), strconv.FormatUint(cumulative, 10))
		}
		sample(w, f.name+"_sum", f.labels, s.values, "", "", formatFloat(s.sum))
		sample(w, f.name+"_count", f.labels, s.values, "", "", strconv.FormatUint(s.count, 10))
	}
}

// sample writes one line: name{labels} value, with an extra label (a
// histogram bucket's le) last, as the official client writes it.
func sample(w *bufio.Writer, name string, labels, values []string, extra, extraValue, value string) {
	w.WriteString(name)
	if len(labels) > 0 || extra != "" {
		order := make([]int, len(labels))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
		w.WriteByte('{')
		for n, i := range order {
			if n > 0 {
				w.WriteByte(',')
			}
			w.WriteString(labels[i] + `="` + escapeLabel(values[i]) + `"`)
		}
		if extra != "" {
			if len(labels) > 0 {
				w.WriteByte(',')
			}
			w.WriteString(extra + `="` + escapeLabel(extraValue) + `"`)
		}
		w.WriteByte('}')
	}
	w.WriteString(" " + value + "\n")
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ContentType is the text format's media type, for the Content-Type header.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"
