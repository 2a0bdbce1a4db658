package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestHashedName(t *testing.T) {
	a, err := loadStatic(fstest.MapFS{
		"style.css": {Data: []byte("body{}")},
		"app.js":    {Data: []byte("1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	css := a.URL("style.css")
	if !regexp.MustCompile(`^/static/style\.[0-9a-f]{10}\.css$`).MatchString(css) {
		t.Errorf("style.css is at %s", css)
	}
	b, _ := loadStatic(fstest.MapFS{"style.css": {Data: []byte("body{ }")}})
	if b.URL("style.css") == css {
		t.Error("a changed file keeps its URL")
	}
	if got := a.URL("nope.css"); got != "/static/nope.css" {
		t.Errorf("a missing file is at %s", got)
	}
}

var assetRE = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// The page names its static files by hash; those answer with a year's
// cache, the plain names with a short one, and unknown names 404.
func TestStaticCaching(t *testing.T) {
	s := newTestServer(t)
	_, page := s.fetch(t, "/")
	urls := assetRE.FindAllStringSubmatch(page, -1)
	if len(urls) < 3 {
		t.Fatalf("the home page names %d static files: %q", len(urls), urls)
	}
	for _, m := range urls {
		u := m[1]
		if !regexp.MustCompile(`\.[0-9a-f]{10}\.(css|js|svg)$`).MatchString(u) {
			t.Errorf("%s is not content-hashed", u)
		}
		resp, body := s.fetch(t, u)
		if resp.StatusCode != 200 || body == "" {
			t.Errorf("GET %s = %d, %d bytes", u, resp.StatusCode, len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", u, cc)
		}
	}
	for _, tt := range []struct{ path, ctype string }{
		{"/static/style.css", "text/css"},
		{"/static/app.js", "javascript"},
		{"/static/favicon.svg", "image/svg+xml"},
		{"/favicon.ico", "image/svg+xml"},
	} {
		resp, _ := s.fetch(t, tt.path)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), tt.ctype) {
			t.Errorf("GET %s = %d %s", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=300" {
			t.Errorf("GET %s: Cache-Control %q", tt.path, cc)
		}
	}
	for _, p := range []string{"/static/style.0000000000.css", "/static/", "/static/../go.mod"} {
		if resp, _ := s.fetch(t, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
	// Revalidation by ETag.
	resp, _ := s.fetch(t, "/static/style.css")
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/static/style.css", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	again, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidating style.css: %d", again.StatusCode)
	}
}

// Every page names its icon, and the icon is there.
func TestFavicon(t *testing.T) {
	s := newTestServer(t)
	for _, p := range []string{"/", "/search?q=x", "/match", "/policies/laonian-zonghe-jintie", "/policies/nope"} {
		_, page := s.fetch(t, p)
		m := regexp.MustCompile(`<link rel="icon" href="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Errorf("%s names no icon", p)
			continue
		}
		if resp, _ := s.fetch(t, m[1]); resp.StatusCode != 200 {
			t.Errorf("%s: icon %s = %d", p, m[1], resp.StatusCode)
		}
	}
}
