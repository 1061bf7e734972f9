package config

// DefaultPrices returns a fresh map of list prices for well-known models, in
// USD per 1M tokens, as published by the providers in 2025. Prices change and
// these may be stale: they only estimate eval costs, and a file's pricing
// section overrides any of them.
func DefaultPrices() map[string]Price {
	return map[string]Price{
		"gpt-4.1":      {Input: 2.00, Output: 8.00},
		"gpt-4.1-mini": {Input: 0.40, Output: 1.60},
		"gpt-4.1-nano": {Input: 0.10, Output: 0.40},
		"gpt-4o":       {Input: 2.50, Output: 10.00},
		"gpt-4o-mini":  {Input: 0.15, Output: 0.60},

		"claude-opus-4-1":         {Input: 15.00, Output: 75.00},
		"claude-sonnet-4-5":       {Input: 3.00, Output: 15.00},
		"claude-haiku-4-5":        {Input: 1.00, Output: 5.00},
		"claude-3-5-haiku-latest": {Input: 0.80, Output: 4.00},

		// Gemini 2.5 Pro costs more above 200k prompt tokens; this is the
		// price of the common, shorter case.
		"gemini-2.5-pro":        {Input: 1.25, Output: 10.00},
		"gemini-2.5-flash":      {Input: 0.30, Output: 2.50},
		"gemini-2.5-flash-lite": {Input: 0.10, Output: 0.40},
	}
}
