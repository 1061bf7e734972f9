// Package eval checks prompts on every link of their fallback chains: it
// loads suites of prompt files and test cases, plans prompt × test × link ×
// repeat, runs the plan against providers called directly (per-provider
// concurrency and rate limits, retries, a disk cache), grades each output
// with deterministic assertions and a judge, and gates the results; the
// results document (JSON) is its own, and eval/report renders it for people
// and CI. Each case carries a fingerprint of every input that decides it
// (fingerprint.go), which is what lets a baseline result or a base revision
// stand in for a case. It takes chains, providers, a judge and a
// description of them (Inputs) as inputs, reads git revisions (git.go), and
// knows nothing of configuration files or the command line.
package eval
