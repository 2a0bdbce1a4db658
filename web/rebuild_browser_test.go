package web

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"yicha/search/live"
	"yicha/web/sitestore"
)

// fakeAdmin reports a status the test sets, as a build in progress would.
type fakeAdmin struct {
	mu     sync.Mutex
	status live.Status
}

func (f *fakeAdmin) Reindex(context.Context, bool) (live.Status, error) {
	return f.Status(), live.ErrBusy
}

func (f *fakeAdmin) Status() live.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeAdmin) set(change func(*live.Status)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(&f.status)
}

// The admin page during a rebuild: it says what is happening in Chinese,
// the 重建索引 button looks disabled, times are in Beijing time, and the
// page follows the build to its end by itself, with JavaScript on and off.
func TestBrowserAdminRebuild(t *testing.T) {
	chromiumPath(t)
	ts := newTestServer(t) // the shared engine
	fb, err := sitestore.OpenSQLite(filepath.Join(t.TempDir(), "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fb.Close() })
	admin := &fakeAdmin{status: live.Status{
		Source: "embedded", Docs: 78, Fingerprint: "0123abcd", MappingVersion: 1,
		BuiltAt:      time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC),
		BuildSeconds: 1.5,
		Building:     true, Phase: live.PhaseIndexing, Done: 0, Total: 78,
	}}
	h, err := NewServer(Config{Searcher: ts.engine, Suggester: ts.engine, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AdminToken: testToken, Admin: admin, Records: fb, Now: ts.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	site := &testServer{Server: srv}

	for _, js := range []bool{true, false} {
		t.Run(jsMode(js), func(t *testing.T) {
			admin.set(func(s *live.Status) { s.Building, s.Phase, s.Done, s.Total = true, live.PhaseIndexing, 0, 78 })
			b := newBrowser(t, site, js)
			b.visit("/admin")
			b.typeInto("#token", testToken)
			b.follow("form[action='/admin/login'] button[type=submit]")

			b.expectText("#phase", "正在重建：建立索引 0/78")
			b.expectText("#source", "内置语料")
			b.expectText("#built", "2026-03-02 09:30:00（北京时间")
			for _, word := range []string{"indexing", "embedded"} {
				if txt := b.textOf("main"); strings.Contains(txt, word) {
					t.Errorf("the admin page says %q", word)
				}
			}
			const btn = "form[action='/admin/reindex'] button"
			if _, disabled := b.attr(btn, "disabled"); !disabled {
				t.Fatal("重建索引 is enabled during a build")
			}
			if bg := b.style(btn, "background-color"); bg == b.style("form[action='/admin/logout'] button", "background-color") {
				t.Errorf("the disabled 重建索引 has the background %s of an enabled button", bg)
			}

			// The end of the build shows without anyone reloading: the page
			// refreshes itself while a build runs (stepTimeout bounds it).
			admin.set(func(s *live.Status) { s.Building, s.Phase, s.Done, s.Total = false, "", 0, 0 })
			if _, err := run(b, chromedp.WaitVisible(chromedp.CSS(`#phase[data-building="false"]`))); err != nil {
				t.Fatalf("the page did not follow the build to its end: %v", err)
			}
			b.expectText("#phase", "空闲")
			if _, disabled := b.attr(btn, "disabled"); disabled {
				t.Error("重建索引 is still disabled after the build")
			}
		})
	}
}

// style is a computed style property of the first element matching sel.
func (b *browser) style(sel, prop string) string {
	b.t.Helper()
	props, err := run(b, chromedp.ComputedStyle(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: style of %s: %v", b.where(), sel, err)
	}
	for _, p := range props {
		if p.Name == prop {
			return p.Value
		}
	}
	b.t.Fatalf("%s has no computed %s", sel, prop)
	return ""
}
