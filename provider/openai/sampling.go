package openai

import (
	"strings"
	"sync"

	"github.com/llmfall/llmfall/provider"
)

// OpenAI's reasoning models (the o-series, gpt-5) reject sampling settings
// that every other model takes: "Unsupported parameter: 'temperature' is not
// supported with this model", or "Unsupported value: 'temperature' does not
// support 0 with this model". A chain sends one request to every link, so
// a temperature meant for the others would make such a link fail with an
// invalid_request, which does not fall back, and fail the whole call.
//
// Rather than a list of model names that goes stale, the client learns from
// the rejection: it drops the named setting, sends the request once more,
// and remembers the model, so that later calls leave the setting out from
// the start. This is no retry of a failure: the second request differs.

// sampling is a sampling setting a model may reject.
type sampling uint8

const (
	samplingTemperature sampling = 1 << iota
	samplingTopP
)

// rejections remembers, per model, the sampling settings it rejected.
type rejections struct{ m sync.Map } // model → sampling

func (r *rejections) of(model string) sampling {
	v, _ := r.m.Load(model)
	s, _ := v.(sampling)
	return s
}

// learn records the setting err says the model rejected and reports whether
// req carried it, that is whether sending req again without it can help.
func (r *rejections) learn(req *provider.Request, err *provider.Error) bool {
	if err.Status != 400 || (err.Code != "unsupported_parameter" && err.Code != "unsupported_value") {
		return false
	}
	var s sampling
	switch {
	case strings.Contains(err.Message, "'temperature'") && req.Temperature != nil:
		s = samplingTemperature
	case strings.Contains(err.Message, "'top_p'") && req.TopP != nil:
		s = samplingTopP
	default:
		return false
	}
	old := r.of(req.Model)
	if old&s != 0 {
		return false // already left out: the rejection is about something else
	}
	r.m.Store(req.Model, old|s)
	return true
}

// strip leaves out of w the settings its model is known to reject.
func (r *rejections) strip(w *wireRequest) {
	s := r.of(w.Model)
	if s&samplingTemperature != 0 {
		w.Temperature = nil
	}
	if s&samplingTopP != 0 {
		w.TopP = nil
	}
}
