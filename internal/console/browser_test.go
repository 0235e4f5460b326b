package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromium returns the Chromium binary, or skips the test: browser tests
// run where Chromium is installed (.ci/run installs Debian's package).
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium binary (/usr/bin/chromium or chromium on PATH): skipping the browser test; " +
		"install it with `apt-get install chromium` (.ci/run does)")
	return ""
}

// Screen widths every page is checked and photographed at: a phone's and
// a desktop's.
const (
	phoneWidth   = 390
	desktopWidth = 1440
)

// shotDir is where the browser tests write their screenshots:
// NAIVE_CONSOLE_SCREENSHOTS, or a temp folder made once per run (its path
// is logged).
var shotDir = sync.OnceValues(func() (string, error) {
	if d := os.Getenv("NAIVE_CONSOLE_SCREENSHOTS"); d != "" {
		return d, os.MkdirAll(d, 0o755)
	}
	return os.MkdirTemp("", "naive-console-screenshots-")
})

// chrome drives one headless Chromium tab against a test server.
type chrome struct {
	t   *testing.T
	s   *server
	ctx context.Context
	dir string
}

func newChrome(t *testing.T, s *server) *chrome {
	t.Helper()
	bin := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(desktopWidth, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelCtx)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancel)
	dir, err := shotDir()
	if err != nil {
		t.Fatalf("screenshot folder: %v", err)
	}
	return &chrome{t: t, s: s, ctx: ctx, dir: dir}
}

func (c *chrome) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		c.t.Fatalf("browser: %s: %v", what, err)
	}
}

// text returns the visible text of the first element sel matches.
func (c *chrome) text(what, sel string) string {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// body returns the page's visible text.
func (c *chrome) body() string {
	c.t.Helper()
	return c.text("the page's text", "body")
}

// open navigates to a console path and waits for its page.
func (c *chrome) open(path string) {
	c.t.Helper()
	c.do("open "+path, chromedp.Navigate(c.s.url+path), chromedp.WaitReady(chromedp.CSS("footer")))
}

// click clicks what navigates (a link, a submit button) and waits for the
// next page to load.
func (c *chrome) click(what, sel string) {
	c.t.Helper()
	if _, err := chromedp.Run(c.ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		c.t.Fatalf("browser: click %s: %v", what, err)
	}
}

// fill sets form fields, selector → value.
func (c *chrome) fill(fields ...string) {
	c.t.Helper()
	for i := 0; i+1 < len(fields); i += 2 {
		c.do("fill "+fields[i], chromedp.SetValue(chromedp.CSS(fields[i]), fields[i+1]))
	}
}

// see fails unless the page shows every text.
func (c *chrome) see(what string, texts ...string) {
	c.t.Helper()
	b := c.body()
	for _, x := range texts {
		if !strings.Contains(b, x) {
			c.t.Fatalf("browser: %s: the page does not show %q:\n%s", what, x, b)
		}
	}
}

// shot photographs the page at a desktop's and a phone's width, and fails
// the test if the page is wider than the phone's screen (a table or a
// form spilling sideways).
func (c *chrome) shot(name string) {
	c.t.Helper()
	for _, w := range []int64{phoneWidth, desktopWidth} {
		c.do("resize to "+fmt.Sprint(w), chromedp.EmulateViewport(w, 900))
		if w == phoneWidth {
			over, err := chromedp.Run(c.ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
			if err != nil {
				c.t.Fatalf("browser: measure %s: %v", name, err)
			}
			if over > 1 {
				c.t.Errorf("page %s is %d px wider than a %d px screen", name, over, phoneWidth)
			}
		}
		png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			c.t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(c.dir, fmt.Sprintf("%s-%d.png", name, w))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			c.t.Fatal(err)
		}
	}
}

// login logs the admin in through the form, starting from /.
func (c *chrome) login() {
	c.t.Helper()
	c.do("open /", chromedp.Navigate(c.s.url+"/"), chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)))
	if loc, err := chromedp.Run(c.ctx, chromedp.Location()); err != nil || !strings.Contains(loc, "/console/login") {
		c.t.Fatalf("/ led to %s (%v)", loc, err)
	}
	c.shot("login")
	c.fill(`input[name="email"]`, adminEmail, `input[name="password"]`, adminPassword)
	c.click("Log in", `form[action="/console/login"] button[type="submit"]`)
}

// testMode switches to test mode with the header's switch.
func (c *chrome) testMode() {
	c.t.Helper()
	c.click("Test mode", `form.mode-switch button[value="test"]`)
}

// TestBrowserApproves drives the console in headless Chromium: log in,
// switch to test mode, open the agent's approval, click Approve, see the
// number bought.
func TestBrowserApproves(t *testing.T) {
	t.Parallel()
	s := start(t)
	id, _ := s.pendingApproval(`{"ein":"12-3456789","area_code":"415","label":"Support"}`)
	c := newChrome(t, s)
	c.login()
	c.testMode()
	link := `a[href="/console/approvals/` + id + `"]`
	c.do("see the approval in the inbox", chromedp.WaitVisible(chromedp.CSS(link)))
	c.shot("approvals")
	c.click("the approval", link)
	c.do("see the Approve button", chromedp.WaitVisible(chromedp.ID("approve")))
	c.shot("approval")
	c.click("Approve", `#approve`)
	c.do("see the outcome", chromedp.WaitVisible(chromedp.ID("outcome")))
	outcome := c.text("outcome", "#outcome")
	status := c.text("status", ".badge.big")
	c.shot("approval-executed")
	c.click("Overview", `nav a[href="/console/overview"]`)
	balance := c.text("balance", "#balance")
	c.shot("overview")

	nums := s.app.Sandbox().AllNumbers()
	if len(nums) != 1 || s.balance() != 950 || s.approvalStatus(id) != "executed" {
		t.Fatalf("after the click: %d numbers, balance %v", len(nums), s.balance())
	}
	if balance != "950" {
		t.Fatalf("the overview shows a balance of %q", balance)
	}
	if status != "executed" || !strings.Contains(outcome, "Number bought") || !strings.Contains(outcome, nums[0].Number) {
		t.Fatalf("the page shows %q: %q", status, outcome)
	}
	c.open("/console/account")
	c.shot("account")
	t.Logf("screenshots in %s", c.dir)
}
