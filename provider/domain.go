package provider

// The domain types every layer above shares live here, on the ground floor
// every package already imports, so that config, eval and judge neither keep
// copies nor import each other for a type.

// Price is what a model costs, in US dollars per million tokens.
type Price struct {
	Input  float64 `json:"input" yaml:"input"`
	Output float64 `json:"output" yaml:"output"`
}

// Cost is the price in USD of a call that used u.
func (p Price) Cost(u Usage) float64 {
	return (float64(u.InputTokens)*p.Input + float64(u.OutputTokens)*p.Output) / 1e6
}
