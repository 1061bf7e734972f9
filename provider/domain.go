package provider

// The domain types every layer above shares live here, on the ground floor
// every package already imports, so that config, fallback, eval and judge
// neither keep copies nor import each other for a type.

// Target is one link of a chain: a configured provider and the model it
// serves for a category.
type Target struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
}

// String is "provider/model", the form used in logs and reports.
func (t Target) String() string { return t.Provider + "/" + t.Model }

// Price is what a model costs, in US dollars per million tokens.
type Price struct {
	Input  float64 `json:"input" yaml:"input"`
	Output float64 `json:"output" yaml:"output"`
}

// Cost is the price in USD of a call that used u.
func (p Price) Cost(u Usage) float64 {
	return (float64(u.InputTokens)*p.Input + float64(u.OutputTokens)*p.Output) / 1e6
}
