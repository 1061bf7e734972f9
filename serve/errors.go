package serve

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/llmfall/llmfall/fallback"
	"github.com/llmfall/llmfall/provider"
	"github.com/llmfall/llmfall/provider/openai"
)

// apiError is an error as the gateway answers it: an HTTP status and
// OpenAI's error object.
type apiError struct {
	status     int
	typ, code  string
	param, msg string
	retryAfter time.Duration
}

// writeError answers e before any byte of an answer was sent.
func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if e.retryAfter > 0 {
		// Whole seconds, rounded up: a client that waits less is refused again.
		h.Set("Retry-After", strconv.FormatInt(int64((e.retryAfter+time.Second-1)/time.Second), 10))
	}
	w.WriteHeader(e.status)
	w.Write(e.body())
}

func (e *apiError) body() []byte {
	return openai.ErrorBody(provider.Redact(e.msg), e.typ, e.param, e.code)
}

// classError is how each error class reaches a client. A class the client
// caused (the request, its content) keeps a 4xx and OpenAI's code for it, so
// that SDKs raise what they would have raised talking to OpenAI; a failure
// of the upstreams is a 5xx of the gateway (an upstream's 401 is the
// gateway's misconfiguration, not the client's bad key); a rate limit stays
// a 429 so that clients back off.
var classError = map[provider.Class]apiError{
	provider.ClassRateLimited:    {status: http.StatusTooManyRequests, typ: "requests", code: "rate_limit_exceeded"},
	provider.ClassOverloaded:     {status: http.StatusServiceUnavailable, typ: "server_error", code: "overloaded"},
	provider.ClassServer:         {status: http.StatusBadGateway, typ: "server_error", code: "upstream_error"},
	provider.ClassTimeout:        {status: http.StatusGatewayTimeout, typ: "server_error", code: "upstream_timeout"},
	provider.ClassNetwork:        {status: http.StatusBadGateway, typ: "server_error", code: "upstream_unreachable"},
	provider.ClassAuth:           {status: http.StatusBadGateway, typ: "server_error", code: "upstream_auth"},
	provider.ClassNotFound:       {status: http.StatusBadGateway, typ: "server_error", code: "upstream_model_not_found"},
	provider.ClassInvalidRequest: {status: http.StatusBadRequest, typ: "invalid_request_error"},
	provider.ClassContextLength:  {status: http.StatusBadRequest, typ: "invalid_request_error", code: "context_length_exceeded"},
	provider.ClassContentFilter:  {status: http.StatusBadRequest, typ: "invalid_request_error", code: "content_policy_violation"},
	provider.ClassMalformed:      {status: http.StatusBadGateway, typ: "server_error", code: "upstream_malformed"},
	// 499 is nginx's "client closed request": nobody reads it, but the
	// access log and the metrics tell it from a failure.
	provider.ClassCancelled:   {status: 499, typ: "server_error", code: "cancelled"},
	provider.ClassUnsupported: {status: http.StatusBadRequest, typ: "invalid_request_error", code: "unsupported"},
	provider.ClassUnknown:     {status: http.StatusBadGateway, typ: "server_error", code: "upstream_error"},
}

// upstreamError is the answer to a call that failed before its first byte.
// A call that stopped on one error keeps that error's meaning; a call on
// which every link failed keeps the meaning the failures share (all rate
// limited is a 429 with the soonest Retry-After; no link able to take the
// request, a 400; the total timeout before any link was called, a 504), and
// is a 502 otherwise.
func upstreamError(err error) *apiError {
	var ex *fallback.ExhaustedError
	if !errors.As(err, &ex) {
		return classed(provider.ClassOf(err), err, provider.RetryAfterOf(err))
	}
	var class provider.Class
	var wait time.Duration
	tried := 0
	// No link could take the request when the engine skipped each one
	// without calling it (text-only models, a request with images) or it
	// refused the request as one it cannot take. No upstream is down and
	// the same request will be refused again: it is the client's 400, not
	// a 503 that OpenAI's SDKs retry.
	unsupported := len(ex.Attempts) > 0
	for _, a := range ex.Attempts {
		unsupported = unsupported && a.Class == provider.ClassUnsupported
		if a.Outcome == fallback.OutcomeSkipped || a.Err == nil {
			continue
		}
		c := provider.ClassOf(a.Err)
		if tried == 0 {
			class = c
		} else if c != class {
			class = ""
		}
		if ra := provider.RetryAfterOf(a.Err); ra > 0 && (wait == 0 || ra < wait) {
			wait = ra
		}
		tried++
	}
	switch {
	case unsupported:
		return classed(provider.ClassUnsupported, ex, 0)
	case tried == 0 && ex.Total > 0:
		// The gateway's own total timeout ran out before any link was
		// called: a timeout it imposed, not upstreams that are down.
		return &apiError{status: http.StatusGatewayTimeout, typ: "server_error", code: "timeout", msg: ex.Error()}
	case tried == 0:
		return &apiError{status: http.StatusServiceUnavailable, typ: "server_error", code: "all_links_down",
			msg: ex.Error(), retryAfter: wait}
	case class == "":
		return &apiError{status: http.StatusBadGateway, typ: "server_error", code: "upstream_error", msg: ex.Error()}
	}
	return classed(class, ex, wait)
}

func classed(class provider.Class, err error, wait time.Duration) *apiError {
	e, ok := classError[class]
	if !ok {
		e = classError[provider.ClassUnknown]
	}
	e.msg = err.Error()
	var pe *provider.Error
	if e.code == "" && errors.As(err, &pe) {
		e.code = pe.Code
	}
	if e.status == http.StatusTooManyRequests || e.status == http.StatusServiceUnavailable {
		e.retryAfter = wait
	}
	return &e
}
