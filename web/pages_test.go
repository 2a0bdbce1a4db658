package web

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yicha/corpus"
)

// fetch GETs a page, with cookies, without following redirects.
func (s *testServer) fetch(t testing.TB, path string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestPagesRender(t *testing.T) {
	s := newTestServer(t)
	// A document number of an entry in force at the server's moment: the
	// caseworkers' search finds it without asking for expired entries.
	var number, numbered string
	for _, p := range s.corpus.Policies {
		if !p.Expired(s.clock.Now()) && p.Basis[0].Number != corpus.Unknown {
			number, numbered = p.Basis[0].Number, p.Title
			break
		}
	}
	tests := []struct {
		path   string
		status int
		want   []string
	}{
		{"/", 200, []string{`<html lang="zh-CN">`, "按分类查看", `href="/search?category=%E7%A4%BE%E4%BC%9A%E6%95%91%E5%8A%A9"`, "按我的情况查", "大家常问", `<main id="main"`}},
		{"/search?q=" + url.QueryEscape("残疾人补贴"), 200, []string{"找到", `class="hits"`, "<mark>", `data-field="category"`, "相关度"}},
		{"/search?q=" + url.QueryEscape("残疾人补贴") + "&category=" + url.QueryEscape("助残服务"), 200, []string{`aria-current="true"`, `class="chip"`, "分类：助残服务"}},
		{"/search?q=xyzzyqqq", 200, []string{"没有找到", "按我的情况查", "按分类浏览"}},
		{"/search?category=" + url.QueryEscape("养老服务") + "&page=2&size=5", 200, []string{`aria-current="page">2<`, `rel="prev"`}},
		{"/policies/laonian-zonghe-jintie", 200, []string{"<h1>上海市老年综合津贴</h1>", `class="button primary"`, "政策依据", "办事指南", "办理地点", `class="checklist"`, "信息核对", "相关政策和服务"}},
		{"/match", 200, []string{`name="age"`, `name="hukou"`, `type="checkbox" name="identity"`, "以上都没有"}},
		{"/match?age=75&hukou=" + url.QueryEscape("本市户籍"), 200, []string{"符合（", "可能符合（", "年龄 75 岁，满足 65 周岁以上", `value="本市户籍" checked`, `id="address-note"`, `<a class="button" href="/match">清除</a>`}},
		{"/advanced?number=" + url.QueryEscape(number), 200, []string{`class="dense"`, numbered}},
		{"/policies/no-such-entry", 404, []string{"出错了", "没有找到这个页面"}},
		{"/search?size=999", 400, []string{"查询条件有误"}},
		{"/search?q=" + url.QueryEscape("低保") + "&size=999", 400, []string{"查询条件有误", `value="低保"`}},
		{"/match?age=-1", 400, []string{"查询条件有误"}},
		{"/static/style.css", 200, []string{"--brand"}},
	}
	for _, tt := range tests {
		resp, body := s.fetch(t, tt.path)
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tt.path, w)
			}
		}
		if strings.HasSuffix(tt.path, ".css") {
			continue
		}
		if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s content type %q", tt.path, resp.Header.Get("Content-Type"))
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, " onclick=") {
			t.Errorf("GET %s has inline script", tt.path)
		}
	}
}

func TestTraditionalAndLargePrefs(t *testing.T) {
	s := newTestServer(t)
	resp, _ := s.fetch(t, "/prefs?script=t&size=l&return="+url.QueryEscape("/search?q=低保"))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/search?q=低保" {
		t.Fatalf("prefs = %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookies []*http.Cookie
	for _, c := range resp.Cookies() {
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s is not HttpOnly/SameSite", c.Name)
		}
		cookies = append(cookies, c)
	}
	_, body := s.fetch(t, "/search?q="+url.QueryEscape("残疾人补贴"), cookies...)
	for _, w := range []string{`<html lang="zh-Hant">`, `<body class="large">`, "殘疾人", "簡體", "標準字號"} {
		if !strings.Contains(body, w) {
			t.Errorf("traditional page lacks %q", w)
		}
	}
	// Links keep the simplified values the server expects.
	if !strings.Contains(body, "category="+url.QueryEscape("助残服务")) {
		t.Error("facet links were converted to traditional")
	}

	for _, bad := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""} {
		resp, _ := s.fetch(t, "/prefs?script=s&return="+url.QueryEscape(bad))
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("return=%q redirected to %q", bad, loc)
		}
	}
}

// TestStrangersTextIsEscaped puts markup into every place a page echoes
// what a stranger typed.
func TestStrangersTextIsEscaped(t *testing.T) {
	s := newTestServer(t)
	payload := `<script>alert(1)</script>"><img src=x onerror=alert(2)>`
	for _, path := range []string{
		"/search?q=" + url.QueryEscape(payload),
		"/search?q=x&phrase=" + url.QueryEscape(payload),
		"/search?q=x&title=" + url.QueryEscape(payload),
		"/match?q=" + url.QueryEscape(payload) + "&age=70",
		"/advanced?q=" + url.QueryEscape(payload) + "&number=" + url.QueryEscape(payload),
		"/search?category=" + url.QueryEscape(payload),
		"/policies/" + url.PathEscape(payload),
		"/prefs?script=t&return=" + url.QueryEscape("/search?q="+payload),
	} {
		_, body := s.fetch(t, path)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || strings.Contains(body, `"><img`) {
			t.Errorf("GET %s echoes markup unescaped", path)
		}
	}
}

// TestAdvancedSearchesOnlyWhenAsked: the caseworkers' page with nothing
// filled in shows the form and no results; any field makes it search.
func TestAdvancedSearchesOnlyWhenAsked(t *testing.T) {
	s := newTestServer(t)
	if _, body := s.fetch(t, "/advanced"); strings.Contains(body, `class="dense"`) {
		t.Error("/advanced with nothing filled in lists results")
	}
	if _, body := s.fetch(t, "/advanced?title="+url.QueryEscape("补贴")); !strings.Contains(body, `class="dense"`) {
		t.Error("/advanced?title=补贴 lists nothing")
	}
}
