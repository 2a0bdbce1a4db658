package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/search/live"
	"yicha/web/sitestore"
)

// gate holds a build of a real search service after it has indexed its
// first batch, while its status shows the build under way, until the test
// lets it go on: a rebuild that takes as long as the test needs.
type gate struct {
	mu      sync.Mutex
	armed   bool
	reached chan [2]int   // the progress shown while held
	release chan struct{} // closed to let the build go on
}

// arm makes the next batch wait; it returns what to wait for and what to
// close.
func (g *gate) arm() (<-chan [2]int, chan<- struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed, g.reached, g.release = true, make(chan [2]int, 1), make(chan struct{})
	return g.reached, g.release
}

// progress is the service's Progress: the first batch after arm waits.
func (g *gate) progress(done, total int) {
	g.mu.Lock()
	if !g.armed {
		g.mu.Unlock()
		return
	}
	g.armed = false
	reached, release := g.reached, g.release
	g.mu.Unlock()
	reached <- [2]int{done, total}
	<-release
}

// The admin page during a rebuild of the real search service: it says
// what is happening in Chinese, the 重建索引 button looks disabled, times
// are in Beijing time, and the page follows the build to its end by
// itself, with JavaScript on and off.
func TestBrowserAdminRebuild(t *testing.T) {
	chromiumPath(t)
	clock := corpustest.Pinned(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g := &gate{}
	svc := liveService(t, corpus.Embedded(), live.ServiceOptions{Log: log, Now: clock.Now, Progress: g.progress})
	fb, err := sitestore.OpenSQLite(filepath.Join(t.TempDir(), "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fb.Close() })
	h, err := NewServer(Config{Searcher: svc.Engine, Suggester: svc.Engine, Logger: log,
		AdminToken: testToken, Admin: svc, Records: fb, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	site := &testServer{Server: srv}

	for _, js := range []bool{true, false} {
		t.Run(jsMode(js), func(t *testing.T) {
			// A rebuild, held once it has indexed its first batch.
			reached, release := g.arm()
			released := false
			defer func() {
				if !released {
					close(release)
				}
			}()
			before := svc.Status()
			if _, err := svc.Reindex(context.Background(), false); err != nil {
				t.Fatal(err)
			}
			var progress [2]int
			select {
			case progress = <-reached:
			case <-time.After(stepTimeout):
				t.Fatal("the rebuild indexed nothing")
			}

			b := newBrowser(t, site, js)
			b.visit("/admin")
			b.typeInto("#token", testToken)
			b.follow("form[action='/admin/login'] button[type=submit]")

			// The count of a batch, when it has one (an update of an
			// unchanged corpus reports none).
			phase := "正在重建：建立索引"
			if progress[1] > 0 {
				phase += fmt.Sprintf(" %d/%d", progress[0], progress[1])
			}
			b.expectText("#phase", phase)
			b.expectText("#source", "内置语料")
			b.expectText("#built", templateFuncs["beijingTime"].(func(time.Time) string)(before.BuiltAt)+"（北京时间")
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
			close(release)
			released = true
			if _, err := run(b, chromedp.WaitVisible(chromedp.CSS(`#phase[data-building="false"]`))); err != nil {
				t.Fatalf("the page did not follow the build to its end: %v", err)
			}
			b.expectText("#phase", "空闲")
			if _, disabled := b.attr(btn, "disabled"); disabled {
				t.Error("重建索引 is still disabled after the build")
			}
			if after := svc.Status(); after.Reindexes != before.Reindexes+1 || after.LastError != "" {
				t.Errorf("after the held rebuild: %d reindexes (were %d), error %q", after.Reindexes, before.Reindexes, after.LastError)
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
