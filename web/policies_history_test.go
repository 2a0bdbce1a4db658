package web

import (
	"context"
	"encoding/csv"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/entrystore"
)

// adminBrowser is a browser without JavaScript signed in as one admin: it
// keeps the session cookie and does not follow redirects.
type adminBrowser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func adminSignIn(t *testing.T, base, token string) *adminBrowser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &adminBrowser{t: t, base: base, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := b.client.PostForm(base+"/admin/login", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("sign-in = %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return b
}

// get returns a page's status and HTML.
func (b *adminBrowser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// post sends a form and returns the status and where it redirects.
func (b *adminBrowser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	resp, err := b.client.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// publishTwice creates an entry and publishes two versions of it through
// the API: the second with a new title and a changed list of materials.
func publishTwice(t *testing.T, s *entryServer, id, title, newTitle string) {
	t.Helper()
	entry := newEntry(t, s, title)
	var ch ChangeResponse
	if code, body := s.call(t, "POST", policiesAPI, editorToken, map[string]any{"id": id, "entry": entry, "note": "新增条目"}, &ch); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := s.call(t, "POST", policiesAPI+"/"+id+"/publish", publisherToken, map[string]any{"based_on": ch.Entry.BasedOn, "note": "首次发布"}, &ch); code != 200 {
		t.Fatalf("publish: %d %s", code, body)
	}
	entry["title"] = newTitle
	guide := entry["guide"].(map[string]any)
	mats := guide["materials"].([]any)
	guide["materials"] = append([]any{"围棋等级证书"}, mats[1:]...)
	entry["eligibility"].(map[string]any)["all"].([]any)[1] = map[string]any{"field": "age", "op": "lte", "value": 16}
	if code, body := s.call(t, "PUT", policiesAPI+"/"+id+"/draft", editorToken, map[string]any{"based_on": ch.Entry.BasedOn, "entry": entry, "note": "改标题和材料"}, &ch); code != 200 {
		t.Fatalf("save: %d %s", code, body)
	}
	if code, body := s.call(t, "POST", policiesAPI+"/"+id+"/publish", publisherToken, map[string]any{"based_on": ch.Entry.BasedOn, "note": "第二版"}, &ch); code != 200 {
		t.Fatalf("publish v2: %d %s", code, body)
	}
}

// TestHistoryPages: an entry's history, the diff between two versions in
// plain Chinese, and rollback and retire through forms without
// JavaScript — publishers only, with the session's CSRF value and a note.
func TestHistoryPages(t *testing.T) {
	s := newEntryServer(t, false)
	const id, title, newTitle = "shaoer-weiqi-butie", "少儿围棋培训补贴", "青少年围棋培训资助"
	publishTwice(t, s, id, title, newTitle)
	v1, _ := s.entries.Get(context.Background(), id)
	p1, _ := corpus.ParsePolicy("x", id, v1.Versions[0].Body)
	removed := p1.Guide.Materials[0]
	hist := "/admin/policies/" + id + "/history"

	// Without a session: the sign-in form instead.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := noFollow.Get(s.URL + hist); err != nil || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("history without a session: %v %v", resp.StatusCode, err)
	}

	editor := adminSignIn(t, s.URL, editorToken)
	code, page := editor.get(hist)
	if code != 200 {
		t.Fatalf("history: %d\n%s", code, page)
	}
	rows := regexp.MustCompile(`(?s)<tr id="v(\d)" data-version="\d">(.*?)</tr>`).FindAllStringSubmatch(page, -1)
	if len(rows) != 2 || rows[0][1] != "2" || rows[1][1] != "1" {
		t.Fatalf("history rows: %q", rows)
	}
	for _, want := range []string{"第 2 版（当前）", "发布", "李强", "第二版", "与第 1 版比较", "/diff?from=1&amp;to=2"} {
		if !strings.Contains(rows[0][2], want) {
			t.Errorf("version 2's row lacks %q:\n%s", want, rows[0][2])
		}
	}
	if !strings.Contains(rows[1][2], "首次发布") || !strings.Contains(rows[1][2], templateFuncs["beijingTime"].(func(time.Time) string)(v1.Versions[0].At)) {
		t.Errorf("version 1's row: %s", rows[1][2])
	}
	if strings.Contains(page, `id="rollback-form"`) || strings.Contains(page, `id="retire-form"`) || !strings.Contains(page, "只能由发布人员") {
		t.Error("an editor is offered rollback or retire")
	}
	if _, list := editor.get("/admin/policies"); !strings.Contains(list, `<a href="/admin/policies/`+id+`/history">历史</a>`) {
		t.Error("the entries list does not link to the history")
	}
	if _, edit := editor.get("/admin/policies/" + id); !strings.Contains(edit, `href="/admin/policies/`+id+`/history"`) {
		t.Error("the entry's form does not link to its history")
	}
	_, adminPage := editor.get("/admin")
	csrf := csrfOf(t, adminPage)
	if code, _ := editor.post("/admin/policies/"+id+"/rollback", url.Values{"csrf": {csrf}, "to": {"1"}, "version": {"2"}, "note": {"x"}}); code != http.StatusForbidden {
		t.Errorf("an editor's rollback = %d, want 403", code)
	}

	// The diff, field by field in plain words.
	code, page = editor.get("/admin/policies/" + id + "/diff?from=1&to=2")
	if code != 200 {
		t.Fatalf("diff: %d", code)
	}
	changes := regexp.MustCompile(`(?s)<dl class="facts diff" id="changes">(.*)</dl>`).FindStringSubmatch(page)
	if changes == nil {
		t.Fatalf("no changes listed:\n%s", page)
	}
	for _, want := range []string{"<dt>标题</dt>", "原来：" + title, "改为：" + newTitle, "<dt>办理材料</dt>", "新增：围棋等级证书", "删除：" + removed,
		"<dt>适用条件</dt>", "新增：年龄 16 周岁及以下", "删除：年龄 18 周岁及以下"} {
		if !strings.Contains(changes[1], want) {
			t.Errorf("the diff lacks %q:\n%s", want, changes[1])
		}
	}
	if n := strings.Count(changes[1], "<dt>"); n != 3 || strings.Contains(changes[1], "收费") {
		t.Errorf("the diff lists %d fields, want 3:\n%s", n, changes[1])
	}
	if _, page = editor.get("/admin/policies/" + id + "/diff?from=2&to=2"); !strings.Contains(page, "两个版本的内容相同") {
		t.Error("a version compared with itself shows changes")
	}
	for path, want := range map[string]int{"/diff?from=1&to=9": 404, "/diff?from=x": 400, "/diff?to=draft": 404} {
		if code, _ := editor.get("/admin/policies/" + id + path); code != want {
			t.Errorf("%s = %d, want %d", path, code, want)
		}
	}
	// An open draft: the history says so and links to what it changes.
	var cur EntryResponse
	s.call(t, "GET", policiesAPI+"/"+id, editorToken, nil, &cur)
	draft := newEntry(t, s, newTitle)
	draft["summary"] = "草稿改了简介"
	if code, body := s.call(t, "PUT", policiesAPI+"/"+id+"/draft", editorToken, map[string]any{"based_on": cur.BasedOn, "entry": draft}, nil); code != 200 {
		t.Fatalf("draft: %d %s", code, body)
	}
	if _, page = editor.get(hist); !strings.Contains(page, "有一份未发布的草稿") || !strings.Contains(page, "/diff?to=draft") {
		t.Error("the history does not show the open draft")
	}
	if _, page = editor.get("/admin/policies/" + id + "/diff?to=draft"); !strings.Contains(page, "第 2 版 → 草稿") || !strings.Contains(page, "改为：草稿改了简介") {
		t.Errorf("the draft's diff:\n%s", page)
	}
	if code, _ := editor.get("/admin/policies/nope/history"); code != 404 {
		t.Errorf("an unknown entry's history = %d", code)
	}

	// The publisher rolls back through the form.
	pub := adminSignIn(t, s.URL, publisherToken)
	_, page = pub.get(hist)
	if !strings.Contains(page, `id="rollback-form"`) || !strings.Contains(page, `id="retire-form"`) || !strings.Contains(page, `<option value="1">第 1 版</option>`) {
		t.Fatalf("the publisher's history page has no forms:\n%s", page)
	}
	csrf = csrfOf(t, page)
	rb := "/admin/policies/" + id + "/rollback"
	if code, _ := pub.post(rb, url.Values{"to": {"1"}, "version": {"2"}, "note": {"标题未经批准"}}); code != http.StatusForbidden {
		t.Errorf("a rollback without CSRF = %d, want 403", code)
	}
	for _, bad := range []url.Values{
		{"csrf": {csrf}, "to": {"1"}, "version": {"2"}},                    // no note
		{"csrf": {csrf}, "to": {"1"}, "version": {"1"}, "note": {"过时的页面"}}, // stale
		{"csrf": {csrf}, "to": {"7"}, "version": {"2"}, "note": {"没有这一版"}},
		{"csrf": {csrf}, "version": {"2"}, "note": {"没有选版本"}},
	} {
		code, loc := pub.post(rb, bad)
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, hist+"?msg=") {
			t.Errorf("%v = %d → %s", bad, code, loc)
		}
		if _, page := pub.get(loc); !strings.Contains(page, `id="history-message"`) || strings.Contains(page, "已恢复") {
			t.Errorf("%v: no message saying why", bad)
		}
	}
	if e, _ := s.entries.Get(context.Background(), id); len(e.Versions) != 2 {
		t.Fatalf("refused rollbacks changed the entry: %d versions", len(e.Versions))
	}
	// The forms carry the open draft's revision: a rollback or retire
	// leaves the draft, but only as the admin saw it.
	draftRev := regexpFind(t, "the draft's revision", `id="rollback-form">.*?name="draft" value="(\d+)"`, strings.ReplaceAll(page, "\n", " "))
	if draftRev == "0" {
		t.Fatal("the forms do not carry the open draft")
	}
	code, loc := pub.post(rb, url.Values{"csrf": {csrf}, "to": {"1"}, "version": {"2"}, "draft": {draftRev}, "note": {"标题未经批准"}})
	if code != http.StatusSeeOther {
		t.Fatalf("rollback = %d", code)
	}
	if _, page := pub.get(loc); !strings.Contains(page, "已恢复第 1 版") || !strings.Contains(page, "回滚（恢复第 1 版）") || !strings.Contains(page, "标题未经批准") {
		t.Errorf("after the rollback the history says:\n%s", page)
	}
	var pol struct{ Title string }
	if code, _ := s.call(t, "GET", "/api/policies/"+id, "", nil, &pol); code != 200 || pol.Title != title {
		t.Errorf("after the rollback the entry is %d %q, want %q", code, pol.Title, title)
	}
	if hit := s.firstHit(t, title); hit != id+" "+title {
		t.Errorf("after the rollback the search finds %q", hit)
	}
	e, _ := s.entries.Get(context.Background(), id)
	if cur := e.Current(); cur.Number != 3 || cur.Action != entrystore.ActionRollback || cur.From != 1 || cur.Author != "李强" {
		t.Errorf("version 3 = %+v", cur)
	}

	// The publisher retires it: the public page says withdrawn, and when.
	code, loc = pub.post("/admin/policies/"+id+"/retire", url.Values{"csrf": {csrf}, "version": {"3"}, "draft": {draftRev}, "note": {"政策已停止执行"}})
	if code != http.StatusSeeOther {
		t.Fatalf("retire = %d", code)
	}
	_, page = pub.get(loc)
	if !strings.Contains(page, "<strong>已撤下</strong>") || strings.Contains(page, `id="retire-form"`) || !strings.Contains(page, `id="rollback-form"`) {
		t.Errorf("after retiring, the history page:\n%s", page)
	}
	code, public := s.call(t, "GET", "/policies/"+id, "", nil, nil)
	day := dateText(s.clock.Now().In(corpus.Zone).Format(corpus.DateLayout))
	if code != http.StatusGone || !strings.Contains(string(public), "已于"+day+"撤下") || !strings.Contains(string(public), "政策已停止执行") {
		t.Errorf("the retired entry's page = %d:\n%s", code, public)
	}
	if hit := s.firstHit(t, title); strings.HasPrefix(hit, id) {
		t.Error("a retired entry is still found")
	}
}

// TestAuditPage: the 操作记录 page lists the audit log newest first in
// Beijing time, narrows it to one entry, pages back through older records
// and downloads the same selection as CSV — for a signed-in admin only.
func TestAuditPage(t *testing.T) {
	s := newEntryServer(t, false)
	const id = "shaoer-weiqi-butie"
	publishTwice(t, s, id, "少儿围棋培训补贴", "青少年围棋培训资助")

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/admin/audit", "/admin/audit.csv"} {
		resp, err := noFollow.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
			t.Errorf("%s without a session: %d %q", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	b := adminSignIn(t, s.URL, editorToken)
	code, page := b.get("/admin/audit")
	if code != 200 {
		t.Fatalf("/admin/audit: %d\n%s", code, page)
	}
	rows := regexp.MustCompile(`(?s)<tr data-seq="(\d+)">(.*?)</tr>`).FindAllStringSubmatch(page, -1)
	// Newest first: publish v2, save, publish v1, save (the create), the
	// editor's login, the seed.
	var actions []string
	for _, r := range rows {
		actions = append(actions, regexp.MustCompile(`data-action="([a-z]+)"`).FindStringSubmatch(r[2])[1])
	}
	if got := strings.Join(actions, " "); !strings.HasPrefix(got, "login publish save publish save") || !strings.HasSuffix(got, "seed") {
		t.Errorf("actions on the page, newest first: %s", got)
	}
	var audit AuditResponse
	if code, body := s.call(t, "GET", "/api/admin/audit?entry="+id, publisherToken, nil, &audit); code != 200 {
		t.Fatalf("audit API: %d %s", code, body)
	}
	first := audit.Records[0]
	if want := templateFuncs["beijingTime"].(func(time.Time) string)(first.At); !strings.Contains(page, want) {
		t.Errorf("the page does not show the newest publish's time %s", want)
	}
	if !strings.Contains(page, `<a href="/admin/policies/`+id+`/history">`+id+`</a> · 第 2 版`) || !strings.Contains(page, "第二版") {
		t.Error("the publish of version 2 is not listed with its entry, version and note")
	}

	// One entry's records, two to a page: the older link leads on.
	code, page = b.get("/admin/audit?entry=" + id + "&limit=2")
	if code != 200 || strings.Count(page, "<tr data-seq=") != 2 || strings.Contains(page, "data-action=\"login\"") {
		t.Fatalf("one entry's first page: %d, %d rows", code, strings.Count(page, "<tr data-seq="))
	}
	older := regexp.MustCompile(`href="(/admin/audit\?[^"]+)" id="audit-older"`).FindStringSubmatch(page)
	if older == nil {
		t.Fatal("no link to older records on a full page")
	}
	code, page = b.get(html.UnescapeString(older[1]))
	if code != 200 || strings.Count(page, "<tr data-seq=") != 2 || !strings.Contains(page, "新增条目") {
		t.Errorf("older records of the entry: %d, %d rows", code, strings.Count(page, "<tr data-seq="))
	}
	if code, _ := b.get("/admin/audit?before=x"); code != http.StatusBadRequest {
		t.Errorf("before=x: %d, want 400", code)
	}

	// The download: the entry's four records after a header, as CSV.
	resp, err := b.client.Get(s.URL + "/admin/audit.csv?entry=" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("download: %d %s", resp.StatusCode, ct)
	}
	body, _ := io.ReadAll(resp.Body)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(body), "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 5 || recs[1][3] != "publish" || recs[1][5] != id {
		t.Errorf("download: %v %q", err, recs)
	}
}
