package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"yicha/corpus"
	"yicha/corpus/corpustest"
)

// TestAPISites: GET /api/sites lists the district, the default, and its
// streets with their parent, each with its offices and the hotline it
// answers with; site= chooses where a search, a suggestion or the wizard
// looks, and an unknown or repeated site is a 400 with a JSON body.
func TestAPISites(t *testing.T) {
	s := newTestServer(t)
	var out SitesResponse
	if code := s.get(t, "/api/sites", &out); code != 200 {
		t.Fatalf("GET /api/sites = %d", code)
	}
	byID := map[string]SiteResponse{}
	for _, site := range out.Sites {
		byID[site.ID] = site
	}
	hk, q := byID["hongkou"], byID["quyanglu"]
	if hk.Name != "虹口区" || hk.Level != "区" || !hk.Default || hk.Parent != "" || hk.Hotline == nil || hk.Hotline.Phone != "12345" {
		t.Errorf("hongkou = %+v", hk)
	}
	if q.Name != "曲阳路街道" || q.Level != "街道" || q.Default || q.Parent != "hongkou" || q.Hotline == nil || q.Hotline.Phone != "12345" || len(q.Places) != 2 {
		t.Errorf("quyanglu = %+v", q)
	}
	if out.Sites[0].ID != "hongkou" || len(out.Sites) != 9 {
		t.Errorf("sites listed: %d, first %s", len(out.Sites), out.Sites[0].ID)
	}
	if q.Entries != hk.Entries || hk.Entries != len(s.corpus.Policies) {
		t.Errorf("entries: district %d, street %d, corpus %d", hk.Entries, q.Entries, len(s.corpus.Policies))
	}

	var res SearchResponse
	if code := s.get(t, "/api/search?site=quyanglu&q="+url.QueryEscape("低保"), &res); code != 200 || len(res.Hits) == 0 || res.Hits[0].ID != "dibao" {
		t.Errorf("低保 on quyanglu = %d %+v", code, res.Hits)
	}
	var sug SuggestResponse
	if code := s.get(t, "/api/suggest?site=quyanglu&q="+url.QueryEscape("低保"), &sug); code != 200 || len(sug.Suggestions) == 0 {
		t.Errorf("suggestions on quyanglu = %d %+v", code, sug)
	}
	var m MatchResponse
	if code := s.get(t, "/api/match?site=quyanglu&age=75&hukou="+url.QueryEscape("本市户籍"), &m); code != 200 || len(m.Eligible) == 0 {
		t.Errorf("match on quyanglu = %d %+v", code, m)
	}
	for _, path := range []string{
		"/api/search?q=a&site=putuo", "/api/search?site=quyanglu&site=hongkou", "/api/search?site=" + url.QueryEscape("../x"),
		"/api/suggest?q=a&site=putuo", "/api/match?age=70&site=putuo",
	} {
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if code := s.get(t, path, &body); code != 400 || body.Error.Code != "bad_request" || body.Error.Message == "" {
			t.Errorf("GET %s = %d %+v, want 400", path, code, body)
		}
	}
}

// TestNewSiteWithoutRestart: a new street's folder and a reindex bring the
// street up, its own entry found on it and not on the district, without
// restarting the server.
func TestNewSiteWithoutRestart(t *testing.T) {
	s := newAdminServer(t, testToken)
	var before SitesResponse
	s.do(t, "GET", "/api/sites", "", &before)

	site, err := os.ReadFile(filepath.Join(s.dir, "sites", "quyanglu", "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("id: quyanglu", "id: xinjian", "name: 曲阳路街道", "name: 新建街道").Replace(string(site))
	if err := os.MkdirAll(filepath.Join(s.dir, "sites", "xinjian"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "sites", "xinjian", "site.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	entry, err := os.ReadFile(filepath.Join(s.dir, "policies", "laonian-zonghe-jintie.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(entry), "title: 上海市老年综合津贴", "title: 新建街道长者助餐点", 1)
	body = strings.Replace(body, "\nregion: 上海市\n", "\nregion: 上海市虹口区\nscope: 街道级\nsite: xinjian\n", 1)
	if err := os.WriteFile(filepath.Join(s.dir, "policies", "xinjian-zhucan.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := s.do(t, "POST", "/api/admin/reindex?wait=true", testToken, nil); code != 200 {
		t.Fatalf("reindex = %d", code)
	}

	var after SitesResponse
	s.do(t, "GET", "/api/sites", "", &after)
	if len(after.Sites) != len(before.Sites)+1 || !slices.ContainsFunc(after.Sites, func(r SiteResponse) bool { return r.ID == "xinjian" && r.Parent == "hongkou" }) {
		t.Fatalf("sites after the reindex: %+v", after.Sites)
	}
	ids := func(site string) []string {
		var r SearchResponse
		if code := s.do(t, "GET", "/api/search?site="+site+"&q="+url.QueryEscape("新建街道长者助餐点"), "", &r); code != 200 {
			t.Fatalf("search on %s = %d", site, code)
		}
		var out []string
		for _, h := range r.Hits {
			out = append(out, h.ID)
		}
		return out
	}
	if got := ids("xinjian"); len(got) == 0 || got[0] != "xinjian-zhucan" {
		t.Errorf("on the new street: %v", got)
	}
	if got := ids("hongkou"); slices.Contains(got, "xinjian-zhucan") {
		t.Errorf("the district shows the street's entry: %v", got)
	}
	resp, err := http.Get(s.URL + "/s/xinjian/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "新建街道政策服务一点查") {
		t.Errorf("/s/xinjian/ = %d", resp.StatusCode)
	}
}

// streetCorpus is the project's corpus with one entry of 曲阳路街道's own.
func streetCorpus(t *testing.T) *corpus.Corpus {
	t.Helper()
	dir := copyCorpus(t)
	entry, err := os.ReadFile(filepath.Join(dir, "policies", "laonian-zonghe-jintie.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(entry), "title: 上海市老年综合津贴", "title: 曲阳路街道长者助餐点", 1)
	body = strings.Replace(body, "\nregion: 上海市\n", "\nregion: 上海市虹口区\nscope: 街道级\nsite: quyanglu\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "policies", "quyang-zhucan.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := corpus.Dir(dir).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSitePages: /s/ID/ serves a site's pages, its links and redirects
// staying on the site; a street's entry is found on its pages and not on
// a sibling street's or the district's; today's URLs serve the default
// site.
func TestSitePages(t *testing.T) {
	s := newTestServerAt(t, streetCorpus(t), corpustest.Pinned(t))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	resp, home := get("/s/quyanglu/")
	if resp.StatusCode != 200 {
		t.Fatalf("/s/quyanglu/ = %d", resp.StatusCode)
	}
	for _, want := range []string{"曲阳路街道政策服务一点查", `href="/s/quyanglu/search"`, `action="/s/quyanglu/search"`, `href="/s/quyanglu/match"`,
		"曲阳路街道社区事务受理服务中心", "曲阳路街道社区卫生服务中心", `href="/static/`} {
		if !strings.Contains(home, want) {
			t.Errorf("the street's home page lacks %q", want)
		}
	}
	if strings.Contains(home, `href="/search"`) || strings.Contains(home, `href="/s/quyanglu/static/`) {
		t.Error("the street's home page links off the street, or moves static files")
	}
	if resp, _ := get("/s/quyanglu?x=1"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/s/quyanglu/?x=1" {
		t.Errorf("/s/quyanglu = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := get("/s/putuo/"); resp.StatusCode != 404 {
		t.Errorf("an unknown site = %d, want 404", resp.StatusCode)
	}
	if resp, _ := get("/s/quyanglu/prefs?size=l&return=" + url.QueryEscape("/search?q=低保")); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/s/quyanglu/search?q=低保" {
		t.Errorf("a preference on the street goes back to %q (%d)", resp.Header.Get("Location"), resp.StatusCode)
	}

	q := "/search?q=" + url.QueryEscape("长者助餐点")
	for path, want := range map[string]bool{"/s/quyanglu" + q: true, "/s/ouyanglu" + q: false, "/s/hongkou" + q: false, q: false} {
		resp, page := get(path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s = %d", path, resp.StatusCode)
		}
		if got := strings.Contains(page, `/policies/quyang-zhucan"`); got != want {
			t.Errorf("%s lists the street's entry: %v, want %v", path, got, want)
		}
	}
	if _, page := get("/s/quyanglu" + q); !strings.Contains(page, `href="/s/quyanglu/policies/quyang-zhucan"`) {
		t.Error("a hit on the street's page links off the street")
	}
	if _, page := get("/"); !strings.Contains(page, "虹口政策服务一点查") || strings.Contains(page, "/s/") {
		t.Error("the default site's home page changed")
	}
	var m MatchResponse
	if code := s.get(t, "/s/quyanglu/api/match?age=75&hukou="+url.QueryEscape("本市户籍"), &m); code != 200 ||
		!slices.ContainsFunc(m.Eligible, func(e MatchedEntry) bool { return e.ID == "quyang-zhucan" }) {
		t.Errorf("the wizard API on the street = %d, eligible %d entries without the street's own", code, len(m.Eligible))
	}
	if code := s.get(t, "/api/match?age=75&hukou="+url.QueryEscape("本市户籍"), &m); code != 200 ||
		slices.ContainsFunc(m.Eligible, func(e MatchedEntry) bool { return e.ID == "quyang-zhucan" }) {
		t.Errorf("the wizard API on the district lists the street's entry")
	}
}

// TestDraftScopeChecked: an entry saved with a street scope and no site,
// or with a site that is not one, is refused at its scope field; with its
// street it is saved.
func TestDraftScopeChecked(t *testing.T) {
	s := newEntryServer(t, false)
	for i, tc := range []struct {
		scope, site string
		status      int
	}{
		{"街道级", "", 422},
		{"街道级", "putuo", 422},
		{"街道级", "hongkou", 422},
		{"街道级", "quyanglu", http.StatusCreated},
	} {
		entry := newEntry(t, s, "曲阳路街道测试服务")
		entry["scope"] = tc.scope
		if tc.site != "" {
			entry["site"] = tc.site
		}
		var bad InvalidEntryResponse
		code, body := s.call(t, "POST", policiesAPI, editorToken, map[string]any{"id": "scope-test-" + string(rune('a'+i)), "entry": entry}, &bad)
		if code != tc.status {
			t.Errorf("scope %s, site %q: %d %s, want %d", tc.scope, tc.site, code, body, tc.status)
			continue
		}
		if code == 422 && len(bad.Fields["scope"]) == 0 {
			t.Errorf("scope %s, site %q: refused without naming the scope: %s", tc.scope, tc.site, body)
		}
	}
}
