package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/web/admins"
	"yicha/web/sitestore"
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
	// 曲阳路街道 has entries of its own (scope: 街道级, site: quyanglu),
	// shown on it and on no other site.
	own := 0
	for _, p := range s.corpus.Policies {
		if p.Site == "quyanglu" {
			own++
		}
	}
	if own < 1 || q.Entries != hk.Entries+own || hk.Entries != len(s.corpus.Policies)-own || byID["ouyanglu"].Entries != hk.Entries {
		t.Errorf("entries: district %d, street %d, its own %d, corpus %d", hk.Entries, q.Entries, own, len(s.corpus.Policies))
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
	// The newest entry, first in the changelog.
	body = strings.Replace(body, "\nupdated: 2026-12-02\n", "\nupdated: 2026-12-03\n", 1)
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
	// The street's own sourced entries, the same way.
	for _, tc := range []struct{ query, id string }{{"上海记忆社区食堂", "quyanglu-shanghai-jiyi-shitang"}} {
		q := "/search?q=" + url.QueryEscape(tc.query)
		for path, want := range map[string]bool{"/s/quyanglu" + q: true, "/s/ouyanglu" + q: false, "/s/jiangwan" + q: false, q: false} {
			if _, page := get(path); strings.Contains(page, `/policies/`+tc.id+`"`) != want {
				t.Errorf("%s lists %s: %v", path, tc.id, !want)
			}
		}
		if resp, page := get("/s/quyanglu/policies/" + tc.id); resp.StatusCode != 200 || !strings.Contains(page, "曲阳路街道") {
			t.Errorf("/s/quyanglu/policies/%s = %d", tc.id, resp.StatusCode)
		}
	}
	if _, page := get("/s/quyanglu" + q); !strings.Contains(page, `href="/s/quyanglu/policies/quyang-zhucan"`) {
		t.Error("a hit on the street's page links off the street")
	}
	if _, page := get("/"); !strings.Contains(page, "虹口政策服务一点查") || strings.Contains(page, "/s/") {
		t.Error("the default site's home page changed")
	}
	// The changelog of a site lists its entries only.
	for _, path := range []string{"/s/ouyanglu/updates", "/updates", "/s/ouyanglu/feed.xml"} {
		if resp, page := get(path); resp.StatusCode != 200 || strings.Contains(page, "/policies/quyang-zhucan") {
			t.Errorf("%s (%d) lists the street's entry", path, resp.StatusCode)
		}
	}
	if _, feed := get("/s/quyanglu/feed.xml"); !strings.Contains(feed, "/s/quyanglu/policies/quyang-zhucan") {
		t.Error("the street's feed does not list its entry on the street's pages")
	}
	if _, page := get("/s/quyanglu/updates"); !strings.Contains(page, `href="/s/quyanglu/policies/quyang-zhucan"`) {
		t.Error("the street's changelog does not list its entry")
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

// The street admins of testAdmins: 张敏 edits and 赵磊 publishes for
// 曲阳路街道.
var (
	streetEditorToken    = strings.Repeat("z", 40)
	streetPublisherToken = strings.Repeat("q", 40)
)

// TestStreetAdmins: a street's admins change that street's entries only —
// a city or district entry, or an entry moved to another site, is a 403
// and nothing changes; a district's publisher publishes the street's entry
// too; an admins file naming a site the corpus does not have stops the
// server at start.
func TestStreetAdmins(t *testing.T) {
	s := newEntryServer(t, false)
	street := newEntry(t, s, "曲阳路街道测试助餐点")
	street["scope"], street["site"] = "街道级", "quyanglu"
	var created ChangeResponse
	if code, body := s.call(t, "POST", policiesAPI, streetEditorToken, map[string]any{"id": "quyang-test", "entry": street, "note": "街道新增"}, &created); code != http.StatusCreated {
		t.Fatalf("the street's editor creates its entry: %d %s", code, body)
	}
	var pub ChangeResponse
	if code, body := s.call(t, "POST", policiesAPI+"/quyang-test/publish", streetPublisherToken, map[string]any{"based_on": created.Entry.BasedOn, "note": "发布"}, &pub); code != 200 {
		t.Fatalf("the street's publisher publishes it: %d %s", code, body)
	}

	district := newEntry(t, s, "虹口区测试服务")
	district["scope"], district["site"] = "区级", "hongkou"
	if code, body := s.call(t, "POST", policiesAPI, streetEditorToken, map[string]any{"id": "hongkou-test", "entry": district}, nil); code != http.StatusForbidden {
		t.Errorf("the street's editor creates a district entry: %d %s", code, body)
	}
	var dibao EntryResponse
	if code, _ := s.call(t, "GET", policiesAPI+"/dibao", streetEditorToken, nil, &dibao); code != 200 {
		t.Fatalf("GET dibao = %d", code)
	}
	var e map[string]any
	if err := json.Unmarshal(dibao.Published.Entry, &e); err != nil {
		t.Fatal(err)
	}
	e["title"] = "最低生活保障（街道改）"
	if code, body := s.call(t, "PUT", policiesAPI+"/dibao/draft", streetEditorToken, map[string]any{"based_on": dibao.BasedOn, "entry": e}, nil); code != http.StatusForbidden {
		t.Errorf("the street's editor changes a city entry: %d %s", code, body)
	}
	// Moving the street's entry to the city is changing a city entry.
	var cur EntryResponse
	s.call(t, "GET", policiesAPI+"/quyang-test", streetEditorToken, nil, &cur)
	var moved map[string]any
	json.Unmarshal(cur.Published.Entry, &moved)
	delete(moved, "scope")
	delete(moved, "site")
	if code, body := s.call(t, "PUT", policiesAPI+"/quyang-test/draft", streetEditorToken, map[string]any{"based_on": cur.BasedOn, "entry": moved}, nil); code != http.StatusForbidden {
		t.Errorf("the street's editor makes its entry a city entry: %d %s", code, body)
	}
	// A district editor's draft of dibao: the street's publisher may not
	// publish it, the district's may.
	var d ChangeResponse
	if code, body := s.call(t, "PUT", policiesAPI+"/dibao/draft", editorToken, map[string]any{"based_on": dibao.BasedOn, "entry": e}, &d); code != 200 {
		t.Fatalf("the district's editor drafts dibao: %d %s", code, body)
	}
	if code, body := s.call(t, "POST", policiesAPI+"/dibao/publish", streetPublisherToken, map[string]any{"based_on": d.Entry.BasedOn}, nil); code != http.StatusForbidden {
		t.Errorf("the street's publisher publishes a city entry: %d %s", code, body)
	}
	if code, body := s.call(t, "POST", policiesAPI+"/dibao/publish", publisherToken, map[string]any{"based_on": d.Entry.BasedOn}, nil); code != 200 {
		t.Errorf("the district's publisher publishes it: %d %s", code, body)
	}

	// A site the corpus does not have.
	cheap := admins.Params{Memory: 64, Time: 1, Threads: 1}
	h, _ := admins.HashTokenWith(editorToken, cheap)
	set, err := admins.Parse([]byte(fmt.Sprintf("admins:\n  - {name: 王芳, role: editor, site: putuo, token_hash: %q}\n", h)))
	if err != nil {
		t.Fatal(err)
	}
	eng := newTestServer(t).engine
	if _, err := NewServer(Config{Searcher: eng, Suggester: eng, Admins: set, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err == nil || !strings.Contains(err.Error(), `"putuo"`) {
		t.Errorf("NewServer with an admin of an unknown site = %v", err)
	}
}

// TestFeedbackPerSite: a report sent from a street's policy page is kept
// as that street's; /transparency on the street counts its own, on a
// sibling street none, on the district (the roll-up) every one; the query
// log keeps the site of each question.
func TestFeedbackPerSite(t *testing.T) {
	f := newFeedbackServer(t)
	defer f.stop()
	send := func(prefix string) {
		t.Helper()
		a := f.get(prefix + "/policies/dibao")
		if a.status != 200 {
			t.Fatalf("GET %s/policies/dibao = %d", prefix, a.status)
		}
		report := formsIn(t, a.body)["report"]
		if report == nil || !strings.HasPrefix(report.action, prefix+"/policies/dibao/") {
			t.Fatalf("the report form on %q posts to %+v", prefix, report)
		}
		form := url.Values{}
		for k, v := range report.hidden {
			form[k] = v
		}
		form.Set("reason", report.reasonValue(t, "信息有误或过期"))
		if a := f.post(report.action, form); a.status >= 400 {
			t.Fatalf("report on %q = %d %s", prefix, a.status, a.body)
		}
	}
	send("/s/quyanglu")
	send("")
	for site, want := range map[string]int{"quyanglu": 1, "hongkou": 1} {
		rs, err := f.store.Reports(context.Background(), sitestore.Filter{Sites: []string{site}})
		if err != nil || len(rs) != want {
			t.Errorf("reports of %s: %d (%v), want %d", site, len(rs), err, want)
		}
	}
	total := func(path string) string {
		t.Helper()
		a := f.get(path)
		if a.status != 200 {
			t.Fatalf("GET %s = %d", path, a.status)
		}
		foot := a.body[strings.Index(a.body, "<tfoot>"):]
		cells := strings.SplitN(strings.SplitN(foot, "<td>", 3)[1], "<", 2)
		return cells[0]
	}
	for path, want := range map[string]string{"/s/quyanglu/transparency": "1", "/s/ouyanglu/transparency": "0", "/transparency": "2"} {
		if got := total(path); got != want {
			t.Errorf("%s counts %s reports, want %s", path, got, want)
		}
	}

	f.get("/s/quyanglu/search?q=" + url.QueryEscape("曲阳路的问题"))
	f.get("/search?q=" + url.QueryEscape("区里的问题"))
	var q QueriesResponse
	a := f.send(noFollow(nil), "GET", "/api/admin/queries", nil, testToken)
	if err := json.Unmarshal([]byte(a.body), &q); err != nil || a.status != 200 {
		t.Fatalf("queries = %d %s", a.status, a.body)
	}
	if len(q.Top) != 2 {
		t.Errorf("the district's admin sees %+v", q.Top)
	}
	asked, _, err := f.store.TopQueries(context.Background(), "2000-01-01", 10, []string{"quyanglu"})
	if err != nil || len(asked) != 1 || asked[0].Query != "曲阳路的问题" {
		t.Errorf("questions kept for quyanglu: %+v %v", asked, err)
	}
}

// TestStreetAdminList: the entries API's list and /admin/policies show a
// street's admin the entries they may change — that street's own — and a
// district's admin every entry.
func TestStreetAdminList(t *testing.T) {
	s := newEntryServer(t, false)
	c, err := corpus.Embedded().Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var own []string
	for _, p := range c.Policies {
		if p.Site == "quyanglu" {
			own = append(own, p.ID)
		}
	}
	slices.Sort(own)
	if len(own) == 0 {
		t.Fatal("the corpus has no entry of 曲阳路街道's own")
	}
	ids := func(token string) []string {
		var list EntriesResponse
		if code, body := s.call(t, "GET", policiesAPI, token, nil, &list); code != 200 {
			t.Fatalf("GET %s = %d %s", policiesAPI, code, body)
		}
		var out []string
		for _, e := range list.Entries {
			out = append(out, e.ID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids(streetEditorToken); !slices.Equal(got, own) {
		t.Errorf("the street's editor lists %v, want %v", got, own)
	}
	if got := ids(editorToken); len(got) != len(c.Policies) {
		t.Errorf("the district's editor lists %d entries, want %d", len(got), len(c.Policies))
	}
	code, page := signIn(t, s, streetEditorToken).get(policiesPages)
	if code != 200 {
		t.Fatalf("%s = %d", policiesPages, code)
	}
	for _, id := range own {
		if !strings.Contains(page, `href="/admin/policies/`+id+`"`) {
			t.Errorf("the street's list page lacks %s", id)
		}
	}
	if strings.Contains(page, `href="/admin/policies/dibao"`) {
		t.Error("the street's list page shows a city entry")
	}
	if _, page := signIn(t, s, editorToken).get(policiesPages); !strings.Contains(page, `href="/admin/policies/dibao"`) {
		t.Error("the district's list page lacks a city entry")
	}
}

// TestSiteUpdatesCapAfterFilter: a site's changelog and feed hold the
// MaxUpdates most recent updates among the entries the site shows: the
// street entries among the newest of the whole corpus leave no gap in the
// district's or a sibling street's list.
func TestSiteUpdatesCapAfterFilter(t *testing.T) {
	s := newTestServerAt(t, streetCorpus(t), corpustest.Pinned(t))
	newest := corpusUpdates(s.corpus, MaxUpdates, func(string) bool { return true })
	street := slices.IndexFunc(newest, func(u update) bool { p, _ := s.corpus.Get(u.ID); return p.Scope == corpus.ScopeStreet })
	if street < 0 || len(s.corpus.Policies) <= MaxUpdates+2 {
		t.Fatalf("no street entry among the corpus's %d newest, %d entries: the test needs one", MaxUpdates, len(s.corpus.Policies))
	}
	for _, site := range []string{"", "/s/hongkou", "/s/ouyanglu"} {
		ups := updatesOf(t, s.pageOf(t, site+"/updates"))
		if len(ups) != MaxUpdates || slices.ContainsFunc(ups, func(u []string) bool { return strings.HasPrefix(u[0], "quyang") }) {
			t.Errorf("%s/updates: %d updates, want %d, none of 曲阳路街道's own", site, len(ups), MaxUpdates)
		}
		if feed := s.pageOf(t, site+"/feed.xml"); strings.Count(feed, "<entry>") != MaxUpdates {
			t.Errorf("%s/feed.xml: %d entries, want %d", site, strings.Count(feed, "<entry>"), MaxUpdates)
		}
	}
	if ups := updatesOf(t, s.pageOf(t, "/s/quyanglu/updates")); len(ups) != MaxUpdates || ups[0][0] != "quyang-zhucan" {
		t.Errorf("/s/quyanglu/updates: %d updates, the first %v", len(ups), ups[0])
	}
}

// TestSiteAdminPages: a district's publisher adds a street on
// /admin/sites and gives it an office on its form, without JavaScript:
// both are published through the entry store and /s/NEW/ serves with
// them; a refused street changes nothing; a street's publisher edits its
// own site only, and an editor none.
func TestSiteAdminPages(t *testing.T) {
	s := newEntryServer(t, false)
	pub := signIn(t, s, publisherToken)
	code, list := pub.get(sitesPages)
	if code != 200 || strings.Count(list, `<tr data-id=`) != 9 || !strings.Contains(list, `id="new-site-form"`) {
		t.Fatalf("%s for the district's publisher = %d, %d sites", sitesPages, code, strings.Count(list, `<tr data-id=`))
	}
	form := url.Values{"id": {"xinjian"}, "name": {"新建街道"}, "parent": {"hongkou"}, "intro": {"新建街道的简介。"},
		"source-title": {"新建街道设立的公告"}, "source-url": {"https://www.shhk.gov.cn/"}, "source-publisher": {"虹口区人民政府"}, "source-date": {"unknown"}}
	bad := cloneValues(form)
	bad.Set("parent", "putuo")
	if code, page, _ := pub.post(sitesPages, bad); code != http.StatusUnprocessableEntity || !strings.Contains(page, `id="site-error"`) || !strings.Contains(page, `value="新建街道"`) {
		t.Errorf("a street under an unknown parent = %d", code)
	}
	if code, _ := pub.get("/s/xinjian/"); code != 404 {
		t.Fatalf("/s/xinjian/ before it is added = %d", code)
	}
	code, _, loc := pub.post(sitesPages, form)
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, sitesPages+"/xinjian?msg=") {
		t.Fatalf("adding the street = %d %s", code, loc)
	}
	code, page := pub.get("/s/xinjian/")
	if code != 200 || !strings.Contains(page, "新建街道政策服务一点查") {
		t.Fatalf("/s/xinjian/ after it was added = %d", code)
	}

	// Its form: an office and a new intro.
	code, page = pub.get(sitesPages + "/xinjian")
	if code != 200 {
		t.Fatalf("the street's form = %d", code)
	}
	edit := formValues(t, page, sitesPages+"/xinjian")
	edit.Set("intro", "新建街道位于测试区。")
	edit.Set("new-id", "xinjian-center")
	edit.Set("new-name", "新建街道社区事务受理服务中心")
	edit.Set("new-address", "上海市虹口区测试路1号")
	if code, _, loc := pub.post(sitesPages+"/xinjian", edit); code != http.StatusSeeOther || !strings.Contains(loc, "msg=") {
		t.Fatalf("saving the street's form = %d %s", code, loc)
	}
	_, page = pub.get("/s/xinjian/")
	for _, want := range []string{"新建街道社区事务受理服务中心", "上海市虹口区测试路1号"} {
		if !strings.Contains(page, want) {
			t.Errorf("/s/xinjian/ lacks %q after the save", want)
		}
	}
	var sites SitesResponse
	if code, _ := s.call(t, "GET", "/api/sites", "", nil, &sites); code != 200 ||
		!slices.ContainsFunc(sites.Sites, func(r SiteResponse) bool { return r.ID == "xinjian" && r.Parent == "hongkou" && len(r.Places) == 1 }) {
		t.Errorf("/api/sites after the save: %+v", sites.Sites)
	}
	snap, err := s.entries.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(snap.Support[corpus.SiteFilePath("xinjian")]), "新建街道位于测试区。") || !strings.Contains(string(snap.Support[corpus.PlacesFile]), "xinjian-center:") {
		t.Error("the store does not hold the street's files")
	}

	// Its sources and its office's: one changed, one added, then removed.
	edit = formValues(t, mustPage(t, pub, sitesPages+"/xinjian"), sitesPages+"/xinjian")
	if edit.Get("src-0-title") != "新建街道设立的公告" || !edit.Has("place-xinjian-center-src-title") {
		t.Fatalf("the street's form lacks its sources: %v", edit)
	}
	edit.Set("src-0-url", "https://www.shhk.gov.cn/xinjian")
	edit.Set("src-new-title", "新建街道办事处地址公告")
	edit.Set("src-new-url", "https://www.shhk.gov.cn/")
	edit.Set("src-new-publisher", "虹口区人民政府")
	edit.Set("src-new-date", "unknown")
	edit.Set("place-xinjian-center-src-title", "新建街道社区事务受理服务中心办事指南")
	edit.Set("place-xinjian-center-src-url", "https://www.shhk.gov.cn/center")
	edit.Set("place-xinjian-center-src-publisher", "虹口区人民政府")
	edit.Set("place-xinjian-center-src-date", "unknown")
	if code, page, loc := pub.post(sitesPages+"/xinjian", edit); code != http.StatusSeeOther {
		t.Fatalf("saving the sources = %d %s\n%s", code, loc, page)
	}
	snap, _ = s.entries.Snapshot(t.Context())
	siteFile, placesFile := string(snap.Support[corpus.SiteFilePath("xinjian")]), string(snap.Support[corpus.PlacesFile])
	for _, want := range []string{"https://www.shhk.gov.cn/xinjian", "新建街道办事处地址公告", "retrieved: "} {
		if !strings.Contains(siteFile, want) {
			t.Errorf("the street's file lacks %q:\n%s", want, siteFile)
		}
	}
	if !strings.Contains(placesFile, "新建街道社区事务受理服务中心办事指南") || !strings.Contains(placesFile, "https://www.shhk.gov.cn/center") {
		t.Error("the places file lacks the office's source")
	}
	edit = formValues(t, mustPage(t, pub, sitesPages+"/xinjian"), sitesPages+"/xinjian")
	if edit.Get("src-1-title") != "新建街道办事处地址公告" || edit.Get("place-xinjian-center-src-url") != "https://www.shhk.gov.cn/center" {
		t.Fatalf("the form does not show the saved sources: %v", edit)
	}
	edit.Set("remove-src-1", "1")
	if code, _, _ := pub.post(sitesPages+"/xinjian", edit); code != http.StatusSeeOther {
		t.Fatalf("removing a source = %d", code)
	}
	snap, _ = s.entries.Snapshot(t.Context())
	if siteFile = string(snap.Support[corpus.SiteFilePath("xinjian")]); strings.Contains(siteFile, "新建街道办事处地址公告") || !strings.Contains(siteFile, "新建街道设立的公告") {
		t.Errorf("after removing the second source:\n%s", siteFile)
	}

	// A street's publisher: its own site, nothing else.
	sp := signIn(t, s, streetPublisherToken)
	if _, list := sp.get(sitesPages); strings.Count(list, `<tr data-id=`) != 1 || !strings.Contains(list, `data-id="quyanglu"`) || strings.Contains(list, `id="new-site-form"`) {
		t.Errorf("the street's publisher's list: %d sites", strings.Count(list, `<tr data-id=`))
	}
	if code, _ := sp.get(sitesPages + "/ouyanglu"); code != http.StatusForbidden {
		t.Errorf("the street's publisher opens a sibling's form: %d", code)
	}
	other := formValues(t, mustPage(t, pub, sitesPages+"/ouyanglu"), sitesPages+"/ouyanglu")
	other.Set("intro", "改过的简介")
	if code, _, _ := sp.post(sitesPages+"/ouyanglu", other); code != http.StatusForbidden {
		t.Errorf("the street's publisher saves a sibling: %d", code)
	}
	if code, _, _ := sp.post(sitesPages, url.Values{"id": {"other"}, "name": {"别的街道"}, "parent": {"hongkou"}}); code != http.StatusForbidden {
		t.Errorf("the street's publisher adds a street: %d", code)
	}
	// An office the district also lists is the district's to change.
	shared := formValues(t, mustPage(t, sp, sitesPages+"/quyanglu"), sitesPages+"/quyanglu")
	shared.Set("new-id", "hk-zhengwu")
	if code, _, _ := sp.post(sitesPages+"/quyanglu", shared); code != http.StatusSeeOther {
		t.Fatalf("the street's publisher lists the district's office: %d", code)
	}
	shared = formValues(t, mustPage(t, sp, sitesPages+"/quyanglu"), sitesPages+"/quyanglu")
	shared.Set("place-hk-zhengwu-phone", "021-22222222")
	if code, _, _ := sp.post(sitesPages+"/quyanglu", shared); code != http.StatusForbidden {
		t.Errorf("the street's publisher changes the district's office: %d", code)
	}
	// Its form shows that office without fields, and saves as it stands.
	page = mustPage(t, sp, sitesPages+"/quyanglu")
	form = formValues(t, page, sitesPages+"/quyanglu")
	if form.Has("place-hk-zhengwu-phone") || !form.Has("place-quyanglu-center-phone") || !strings.Contains(page, `name="remove-hk-zhengwu"`) {
		t.Errorf("the street's form offers %v; want the district's office without fields, removable", slices.Sorted(maps.Keys(form)))
	}
	form.Set("intro", "曲阳路街道，测试保存。")
	if code, _, _ := sp.post(sitesPages+"/quyanglu", form); code != http.StatusSeeOther {
		t.Errorf("the street's publisher saves its form as shown: %d", code)
	}
	if snap, err := s.entries.Snapshot(t.Context()); err != nil || !strings.Contains(string(snap.Support[corpus.SiteFilePath("quyanglu")]), "曲阳路街道，测试保存。") ||
		!strings.Contains(string(snap.Support[corpus.SiteFilePath("quyanglu")]), "hk-zhengwu") {
		t.Errorf("the street's file after its save lacks its intro or the district's office (%v)", err)
	}
	own := formValues(t, mustPage(t, sp, sitesPages+"/quyanglu"), sitesPages+"/quyanglu")
	own.Set("hotline-name", "曲阳路街道测试热线")
	own.Set("hotline-phone", "021-00000000")
	own.Set("place-quyanglu-center-phone", "021-11111111")
	if code, _, _ := sp.post(sitesPages+"/quyanglu", own); code != http.StatusSeeOther {
		t.Errorf("the street's publisher saves its site: %d", code)
	}
	if page := mustPage(t, sp, "/s/quyanglu/"); !strings.Contains(page, `href="tel:021-11111111"`) {
		t.Error("the street's office does not show its new phone")
	}
	s.call(t, "GET", "/api/sites", "", nil, &sites)
	for _, r := range sites.Sites {
		if r.ID == "quyanglu" && (r.Hotline == nil || r.Hotline.Phone != "021-00000000") {
			t.Errorf("quyanglu's hotline after its save: %+v", r.Hotline)
		}
		if r.ID == "ouyanglu" && r.Intro == "改过的简介" {
			t.Error("a sibling's intro changed")
		}
	}
	ed := signIn(t, s, editorToken)
	if code, _, _ := ed.post(sitesPages+"/quyanglu", own); code != http.StatusForbidden {
		t.Errorf("an editor saves a site: %d", code)
	}
}

// mustPage gets a page that must answer 200.
func mustPage(t *testing.T, c *pageClient, path string) string {
	t.Helper()
	code, page := c.get(path)
	if code != 200 {
		t.Fatalf("%s = %d", path, code)
	}
	return page
}
