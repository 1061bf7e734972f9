package report

// Formats are the reports written besides the terminal's. The zero value
// writes none.
type Formats struct {
	JUnit    string // JUnit XML file
	Markdown string // Markdown file, e.g. for a pull request comment
	HTML     string // self-contained HTML file
	// GitHub prints an annotation for every failure and appends the job
	// summary (GitHub Actions).
	GitHub bool
}

// NeedsAllResults reports whether f lists every result, so that the run
// must keep them all in memory (eval.RunOptions.Retain 0). Each of these
// formats does; only the terminal's, which lists the first
// DefaultMaxFailures failures and reads everything else from the summary,
// does not. A format added to Formats needs every result unless this says
// otherwise (TestFormatsNeedAllResults).
func (f Formats) NeedsAllResults() bool { return f != Formats{} }
