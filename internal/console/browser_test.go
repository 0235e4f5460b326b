package console_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestBrowserApproves drives the console in headless Chromium: log in,
// switch to test mode, open the agent's approval, click Approve, see the
// number bought. With NAIVE_CONSOLE_SCREENSHOTS set to a directory it
// saves screenshots of the inbox, the detail page and the outcome there.
func TestBrowserApproves(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	s := start(t)
	id, _ := s.pendingApproval(`{"ein":"12-3456789","area_code":"415","label":"Support"}`)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	dir := os.Getenv("NAIVE_CONSOLE_SCREENSHOTS")
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
	}
	text := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
		return v
	}
	// click clicks what navigates, and waits for the next page to load.
	click := func(what string, sel chromedp.CSS) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.WaitEvent(cdppage.LoadEventFired, nil, chromedp.Click(sel))); err != nil {
			t.Fatalf("browser: click %s: %v", what, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		if dir == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "naive-console-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// / sends a browser to the console, which asks it to log in.
	do("open /", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS(`input[name="email"]`)))
	if loc := text("location", chromedp.Location()); !strings.Contains(loc, "/console/login") {
		t.Fatalf("/ led to %s", loc)
	}
	shot("login")
	do("fill in the login form",
		chromedp.SendKeys(chromedp.CSS(`input[name="email"]`), adminEmail),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), adminPassword))
	click("Log in", `form[action="/console/login"] button[type="submit"]`)
	// The agent asked in test mode: switch to it.
	click("Test mode", `form.mode-switch button[value="test"]`)
	link := chromedp.CSS(`a[href="/console/approvals/` + id + `"]`)
	do("see the approval in the inbox", chromedp.WaitVisible(link))
	shot("inbox")
	click("the approval", link)
	do("see the Approve button", chromedp.WaitVisible(chromedp.ID("approve")))
	shot("detail")
	click("Approve", `#approve`)
	do("see the outcome", chromedp.WaitVisible(chromedp.ID("outcome")))
	outcome := text("outcome", chromedp.Text(chromedp.ID("outcome")))
	status := text("status", chromedp.Text(chromedp.CSS(`.badge.big`)))
	shot("outcome")
	click("Overview", `nav a[href="/console/overview"]`)
	balance := text("balance", chromedp.Text(chromedp.ID("balance")))
	shot("overview")

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
}
