package provider

import (
	"errors"
	"fmt"
)

// paramRange is the range of a request parameter that every adapter
// accepts alike. The bounds are the widest the providers share, so that a
// value passes or fails the same way whichever link a chain reaches.
type paramRange struct {
	min, max float64
	whole    bool
}

var paramRanges = map[string]paramRange{
	"temperature": {min: 0, max: 2},
	"top_p":       {min: 0, max: 1},
	"max_tokens":  {min: 1, max: 1 << 31, whole: true},
}

// CheckParam reports whether v is in range for the request parameter name
// (temperature, top_p or max_tokens): the one check the config, prompt
// files and the run flags share. The error names the parameter and the
// range, e.g. "temperature 3 is out of range (want 0 to 2)".
func CheckParam(name string, v float64) error {
	r, ok := paramRanges[name]
	if !ok {
		return fmt.Errorf("unknown request parameter %q", name)
	}
	if v < r.min || v > r.max || r.whole && v != float64(int64(v)) {
		if r.whole {
			return fmt.Errorf("%s %v is out of range (want a whole number of at least %v)", name, v, r.min)
		}
		return fmt.Errorf("%s %v is out of range (want %v to %v)", name, v, r.min, r.max)
	}
	return nil
}

// CheckParams checks every parameter r sets with CheckParam. MaxTokens 0
// means unset.
func (r *Request) CheckParams() error {
	var errs []error
	if r.Temperature != nil {
		errs = append(errs, CheckParam("temperature", *r.Temperature))
	}
	if r.TopP != nil {
		errs = append(errs, CheckParam("top_p", *r.TopP))
	}
	if r.MaxTokens != 0 {
		errs = append(errs, CheckParam("max_tokens", float64(r.MaxTokens)))
	}
	return errors.Join(errs...)
}

// CheckUsage is a malformed-response error when a token count is negative:
// no provider means that, and costs and budgets computed from it would come
// out lower than what was spent. Every adapter checks the usage it parsed
// here (streams through NewStream).
func CheckUsage(providerName string, status int, u Usage) error {
	if u.InputTokens < 0 || u.OutputTokens < 0 {
		return MalformedError(providerName, status, fmt.Errorf("negative token count in usage (input %d, output %d)", u.InputTokens, u.OutputTokens))
	}
	return nil
}
