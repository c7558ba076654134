package web_test

// Browser tests drive Debian's Chromium through chromedp against a real
// server on 127.0.0.1. The test command installs Chromium where it is
// missing; a test that cannot find it fails and says how to get it.
// Screenshots go to the folder $SULH_SCREENSHOTS names (the test command
// names one), or to sulh-screenshots under the system's temporary folder.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var docsScreenshots = flag.Bool("docs-screenshots", false, "also write the screenshots that docs/ shows")

// chromium finds Debian's Chromium, or $CHROMIUM.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("this test needs Chromium: ./test.sh installs it (apt-get install chromium), or set CHROMIUM to its path")
	return ""
}

// browserProblems collects what went wrong in a page: uncaught exceptions,
// console errors, refused loads and Content-Security-Policy violations. A
// page with any fails its test.
type browserProblems struct {
	mu   sync.Mutex
	list []string
}

func (p *browserProblems) add(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, s)
}

// take returns the problems seen so far and forgets them.
func (p *browserProblems) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.list
	p.list = nil
	return l
}

// browser is one headless Chromium tab for a test.
type browser struct {
	ctx      context.Context
	problems *browserProblems
}

// mustBrowser starts a headless Chromium with a fresh profile, closed when
// the test ends. Every page it opens reports CSP violations, exceptions and
// console errors to the browser's problems.
func mustBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1280, 900),
	)
	b := &browser{problems: &browserProblems{}}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				d += " " + ev.ExceptionDetails.Exception.Description
			}
			b.problems.add("exception: " + d)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				b.problems.add(fmt.Sprintf("console %s: %s", ev.Type, strings.Join(args, " ")))
			}
		}
	}))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b.ctx = ctx
	// Reported from inside the page, from before its own scripts run.
	const watch = `document.addEventListener('securitypolicyviolation', e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', e => { if (e.target && e.target !== window) console.error('could not load ' + (e.target.src || e.target.href)); }, true);`
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watch}); err != nil {
		t.Fatalf("couldn't start Chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("couldn't start Chromium: %v", err)
	}
	return b
}

// browserStep is how long one step of a browser test may take.
const browserStep = time.Minute

// do runs steps in the tab and fails the test on an error or on any
// problem the page reported meanwhile.
func (b *browser) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v; %s", err, b.state())
	}
	b.check(t)
}

// state says where the tab is and what its page shows, for a step that
// failed: a step waiting for what never came says no more than its
// deadline.
func (b *browser) state() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + ' shows: ' + (document.body ? document.body.innerText : '').replace(/\s+/g, ' ').slice(0, 600)`))
	if err != nil {
		return "the page could not be read: " + err.Error()
	}
	if p := b.problems.take(); len(p) > 0 {
		s += "; the page reported:\n" + strings.Join(p, "\n")
	}
	return "the tab is at " + s
}

// check fails the test if the page reported any problem.
func (b *browser) check(t *testing.T) {
	t.Helper()
	if p := b.problems.take(); len(p) > 0 {
		t.Fatalf("the page reported problems:\n%s", strings.Join(p, "\n"))
	}
}

// browserRun runs one action that gives a value, such as
// chromedp.Evaluate[string]("document.title").
func browserRun[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStep)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v; %s", err, b.state())
	}
	b.check(t)
	return v
}

// screenshot saves the whole page as name.png in the suite's folder and,
// with -docs-screenshots and a docs name, as docs/<docs>.png too.
func (b *browser) screenshot(t *testing.T, name, docs string) {
	t.Helper()
	png := browserRun(t, b, chromedp.FullScreenshot(100))
	dir := os.Getenv("SULH_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "sulh-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	if *docsScreenshots && docs != "" {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", docs+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// keyboardReach tabs through the page and returns the focusable elements
// that the keyboard never reached (each as its tag and text): a page
// passes when there are none.
func (b *browser) keyboardReach(t *testing.T) []string {
	t.Helper()
	total := browserRun(t, b, chromedp.Evaluate[int](`(() => {
	  window.__reached = new Set();
	  document.addEventListener('focusin', e => window.__reached.add(e.target));
	  window.__focusable = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')]
	    .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0);
	  document.activeElement && document.activeElement.blur();
	  return window.__focusable.length;
	})()`))
	// A date and time field takes a Tab for each of its parts.
	for i := 0; i < 2*total+5; i++ {
		b.do(t, chromedp.KeyEvent("\t"))
	}
	return browserRun(t, b, chromedp.Evaluate[[]string](`window.__focusable.filter(e => !window.__reached.has(e)).map(e => e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 40))`))
}

// TestBrowserLanguages opens the log's page in every language: each has its
// lang and dir, right-to-left for Urdu, Pashto, Dari and Arabic; the menu
// switches language and the choice stays; nothing on the page breaks the
// Content-Security-Policy; and every link is reachable by keyboard.
func TestBrowserLanguages(t *testing.T) {
	m, _, reg := mustDemo(t, true)
	srv := mustServe(t, m, reg)
	b := mustBrowser(t)
	for _, c := range []struct{ lang, dir, title string }{
		{"en", "ltr", "The log"}, {"ur", "rtl", "لاگ"}, {"ps", "rtl", "لاګ"},
		{"fa", "rtl", "لاگ"}, {"tr", "ltr", "Kayıt defteri"}, {"ar", "rtl", "السجل"},
	} {
		b.do(t, chromedp.Navigate(srv.URL+"/explore?lang="+c.lang))
		lang := browserRun(t, b, chromedp.Evaluate[string](`document.documentElement.lang`))
		dir := browserRun(t, b, chromedp.Evaluate[string](`document.documentElement.dir`))
		navDir := browserRun(t, b, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('header nav')).direction`))
		h1 := browserRun(t, b, chromedp.Text("h1"))
		if lang != c.lang || dir != c.dir || h1 != c.title || navDir != c.dir {
			t.Errorf("%s: lang %q dir %q (computed %q) h1 %q", c.lang, lang, dir, navDir, h1)
		}
		if c.lang == "ur" {
			b.screenshot(t, "explore-ur", "")
		}
	}
	// The choice is remembered: without ?lang=, the page stays in Arabic.
	b.do(t, chromedp.Navigate(srv.URL+"/explore"))
	if lang := browserRun(t, b, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "ar" {
		t.Errorf("after choosing Arabic, the page is in %q", lang)
	}
	// The language menu switches to English.
	b.do(t, chromedp.Click(`nav.langs a[hreflang="en"]`), chromedp.WaitVisible(`html[lang="en"]`))
	if missed := b.keyboardReach(t); len(missed) > 0 {
		t.Errorf("not reachable by keyboard: %v", missed)
	}
	b.screenshot(t, "explore", "")
}
