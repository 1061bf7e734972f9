// Package report renders an eval run's results for people and CI: the
// terminal matrix, Markdown (a pull-request comment, the job summary),
// JUnit XML, GitHub Actions annotations, a self-contained HTML page (with
// its word diff), and the progress line; and the bordered table style every
// command shares. Results and their JSON
// document belong to eval, which reads them back as a baseline; untrusted
// text in them is escaped by internal/untrusted, once per sink.
package report
