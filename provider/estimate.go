package provider

// UsageEstimator is the optional capability of a provider that knows what
// a request will use without making it: the simulated provider, whose
// answer is a function of the request. A dry run asks it instead of
// guessing from max_tokens.
type UsageEstimator interface {
	EstimateUsage(req *Request) Usage
}
