package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Chromium for the test. It skips when Chromium is
// not installed, except in CI (CI=true), where .ci/run installs it and a
// missing browser is a failure.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium to test the HTML report in: .ci/run should have installed it (apt-get install chromium)")
		}
		t.Skip("no Chromium installed (apt-get install chromium); the HTML report's browser test runs in CI")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// A bound on a hung browser, not a timing condition of the test.
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	return ctx
}

// TestHTMLReportInBrowser opens the report in headless Chromium: the matrix
// has a row per prompt and a cell per link, a case opens to its prompt and
// its links side by side with the fallback's differences marked, the
// filters hide passing cases, a <script> in a test name stays text, and
// the page fits a phone's width. Screenshots at 1280 px and 390 px are left
// in the test's temporary directory (and in $LLMFALL_SCREENSHOTS, if set).
func TestHTMLReportInBrowser(t *testing.T) {
	ctx := browser(t)
	rs := reportResults()
	rs.Results[0].Input = "System: You summarise support tickets for agents.\n\nUser: Summarise this ticket in two sentences:\nOrder 1182 arrived broken. I want my money back."
	rs.Results[2].Test = `<script>document.title="pwned"</script>`
	rs.Results[3].Test = rs.Results[2].Test
	rs.Results[2].Output = `<script>document.body.dataset.pwned="1"</script>{"intent": "refund"}`
	rs.Summarize()
	base := reportResults()
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(f, rs, HTMLOptions{Baseline: base}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("driving Chromium: %v", err)
		}
	}
	do(chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.CSS("#matrix")))
	title := js[string](t, ctx, `document.title`)
	pwned := js[string](t, ctx, `document.body.dataset.pwned || ""`)
	scripts := js[int](t, ctx, `document.querySelectorAll('script').length`)
	rows := js[int](t, ctx, `document.querySelectorAll('#matrix tbody tr').length`)
	cells := js[int](t, ctx, `document.querySelectorAll('#matrix tbody tr:first-child td.cell').length`)
	firstRow := js[string](t, ctx, `document.querySelector('#matrix tbody tr').innerText`)
	caseName := js[string](t, ctx, `document.querySelector('#p1-c0 .name').textContent`)
	shown := js[int](t, ctx, `document.querySelectorAll('details.case').length`)
	// Open the first case as a person would: a click on its summary.
	do(chromedp.Click(chromedp.CSS("#p0-c0 > summary")))
	open := js[bool](t, ctx, `document.getElementById('p0-c0').open`)
	openBody := js[string](t, ctx, `document.querySelector('#p0-c0 .body').innerText`)
	outputs := js[int](t, ctx, `document.querySelectorAll('#p0-c0 .links article').length`)
	ins := js[int](t, ctx, `document.querySelectorAll('#p0-c0 .links article:nth-child(2) ins').length`)
	del := js[int](t, ctx, `document.querySelectorAll('#p0-c0 .links article:nth-child(2) del').length`)
	wide := screenshot(t, ctx)
	visible := `Array.from(document.querySelectorAll('details.case')).filter(c => !c.hidden).length`
	changedDisabled := js[bool](t, ctx, `document.getElementById('f-changed').disabled`)
	do(chromedp.Click(chromedp.CSS("#f-changed")))
	visibleAfterChanged := js[int](t, ctx, visible)
	do(chromedp.Click(chromedp.CSS("#f-changed")), chromedp.Click(chromedp.CSS("#f-errored")))
	visibleAfterFilter := js[int](t, ctx, visible)
	do(chromedp.Click(chromedp.CSS("#f-errored")),
		chromedp.EmulateViewport(390, 844),
		chromedp.Click(chromedp.CSS("#p1-c0 > summary")))
	phoneOverflow := js[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`)
	do(chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	phone := screenshot(t, ctx)
	saveScreenshot(t, dir, "report-1280.png", wide)
	saveScreenshot(t, dir, "report-390.png", phone)

	if title != "llmfall eval: gate failed" || pwned != "" || scripts != 1 {
		t.Errorf("title %q, pwned %q, %d scripts; want the report's title, no injected script run, 1 script", title, pwned, scripts)
	}
	if caseName != rs.Results[2].Test {
		t.Errorf("case name shown as %q; want the test name as text, %q", caseName, rs.Results[2].Test)
	}
	if rows != 2 || cells != 2 {
		t.Errorf("matrix has %d rows and %d cells in the first; want 2 and 2", rows, cells)
	}
	for _, want := range []string{"ticket-summary", "openai/gpt-4.1-mini", "100%", "(1/1)", "anthropic/claude-3-5-haiku-latest", "0%", "$0.0003"} {
		if !strings.Contains(firstRow, want) {
			t.Errorf("matrix row %q lacks %q", firstRow, want)
		}
	}
	if !open || outputs != 2 || ins == 0 || del == 0 {
		t.Errorf("opened case: open %v, %d outputs, %d insertions, %d deletions marked; want open, 2, some, some", open, outputs, ins, del)
	}
	for _, want := range []string{"Summarise this ticket in two sentences", "Order 1182 arrived broken and the customer asks for a refund.",
		`output does not contain "refund"`, "840ms", "1.21s", "link 1"} {
		if !strings.Contains(openBody, want) {
			t.Errorf("opened case lacks %q:\n%s", want, openBody)
		}
	}
	if shown != 2 || visibleAfterFilter != 1 {
		t.Errorf("%d cases, %d shown with the errored filter; want 2 and 1", shown, visibleAfterFilter)
	}
	if changedDisabled || visibleAfterChanged != 1 {
		t.Errorf("changed filter disabled %v, shows %d; want enabled, 1 (the intent case's output changed)", changedDisabled, visibleAfterChanged)
	}
	if phoneOverflow {
		t.Error("the page is wider than a 390 px phone screen")
	}
}

// js evaluates a JavaScript expression in the page.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

func screenshot(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 makes a PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return png
}

func saveScreenshot(t *testing.T, dir, name string, png []byte) {
	t.Helper()
	for _, d := range []string{dir, os.Getenv("LLMFALL_SCREENSHOTS")} {
		if d == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Error(err)
		}
	}
}
