package web

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var descriptionRE = regexp.MustCompile(`<meta name="description" content="([^"]*)">`)

// Every page has one description in Chinese, its own; a policy's is its
// summary.
func TestPageDescriptions(t *testing.T) {
	s := newTestServer(t)
	p := s.corpus.Policies[0]
	for _, tt := range []struct{ path, want string }{
		{"/", "易查汇集"},
		{"/search?q=" + url.QueryEscape("低保"), "与“低保”有关的政策和服务"},
		{"/search", "筛选"},
		{"/match", "不需要填写姓名"},
		{"/advanced", "精确检索"},
		{"/documents", "政策文件"},
		{"/list?ids=" + p.ID, "办事清单"},
		{"/policies/" + p.ID, shorten(p.Title+"："+p.Summary, maxDescription)},
		{"/policies/no-such-entry", "出错了"},
	} {
		_, page := s.fetch(t, tt.path)
		m := descriptionRE.FindAllStringSubmatch(page, -1)
		if len(m) != 1 {
			t.Errorf("%s has %d descriptions", tt.path, len(m))
			continue
		}
		got := html.UnescapeString(m[0][1])
		if !strings.Contains(got, tt.want) || !hasHan([]byte(got)) {
			t.Errorf("%s: description %q, want it to hold %q", tt.path, got, tt.want)
		}
		if n := len([]rune(got)); n > maxDescription {
			t.Errorf("%s: description of %d characters", tt.path, n)
		}
	}
	// In traditional characters on request.
	_, page := s.fetch(t, "/match", &http.Cookie{Name: cookieScript, Value: "t"})
	if m := descriptionRE.FindStringSubmatch(page); m == nil || !strings.Contains(m[1], "不需要填寫姓名") {
		t.Errorf("traditional description %q", m)
	}
}

func TestShorten(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"短的", 5, "短的"},
		{"一二三四五六", 4, "一二三…"},
		{"第一行\n  第二行", 20, "第一行 第二行"},
	} {
		if got := shorten(tt.in, tt.n); got != tt.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
