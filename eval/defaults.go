package eval

// DefaultMinPassRate is the gate's minimum pass rate when llmfall.yaml sets
// no eval.min_pass_rate: every case must pass. GateOptions' zero
// MinPassRate sets no minimum; setup applies this default.
const DefaultMinPassRate = 1.0

// NoRetries, as RunOptions.Retries, retries nothing, not even after a wait
// the provider named: the zero value means DefaultRetries.
const NoRetries = -1
