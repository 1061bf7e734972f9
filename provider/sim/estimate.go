package sim

import "github.com/llmfall/llmfall/provider"

var _ provider.UsageEstimator = (*Client)(nil)

// EstimateUsage is the usage Complete reports for req, without the call:
// no latency, no fault drawn, no call counted.
func (c *Client) EstimateUsage(req *provider.Request) provider.Usage {
	text, _, _ := answer(req)
	return usage(req, text)
}
