package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/corpus/entrystore"
	"yicha/corpus/pgstore"
	"yicha/corpus/pgtest"
	"yicha/index"
	"yicha/search/live"
	"yicha/web/admins"
	"yicha/web/sitestore"
)

// Tokens of the two named admins of the entries tests.
var (
	editorToken    = strings.Repeat("e", 40)
	publisherToken = strings.Repeat("p", 40)
)

// testAdmins is an editor 王芳 and a publisher 李强, hashed cheaply.
func testAdmins(t testing.TB) *admins.Set {
	t.Helper()
	cheap := admins.Params{Memory: 64, Time: 1, Threads: 1}
	eh, _ := admins.HashTokenWith(editorToken, cheap)
	ph, _ := admins.HashTokenWith(publisherToken, cheap)
	seh, _ := admins.HashTokenWith(streetEditorToken, cheap)
	sph, _ := admins.HashTokenWith(streetPublisherToken, cheap)
	set, err := admins.Parse([]byte(fmt.Sprintf("admins:\n  - {name: 王芳, role: editor, token_hash: %q}\n  - {name: 李强, role: publisher, token_hash: %q}\n"+
		"  - {name: 张敏, role: editor, site: quyanglu, token_hash: %q}\n  - {name: 赵磊, role: publisher, site: quyanglu, token_hash: %q}\n", eh, ph, seh, sph)))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

type entryServer struct {
	*httptest.Server
	entries entrystore.Store
	clock   *corpustest.Clock
}

// newEntryServer serves the embedded corpus seeded into an entry store:
// the files under a data directory, or (pg) PostgreSQL with replicas'
// corpus versions and a follower, as `yicha serve --db` runs.
func newEntryServer(t *testing.T, pg bool) *entryServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	clock := corpustest.Pinned(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	snap, err := entrystore.SnapshotOf(ctx, corpus.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	var store entrystore.Store
	var source corpus.Source
	var pgs *pgstore.Store
	if pg {
		url := pgtest.DB(t, "yicha_web")
		es, err := entrystore.OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		es.PushCorpus = true
		if pgs, err = pgstore.Open(ctx, url); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pgs.Close)
		store, source = es, pgs
	} else {
		fs, err := entrystore.OpenFiles(filepath.Join(t.TempDir(), "entries"))
		if err != nil {
			t.Fatal(err)
		}
		store, source = fs, entrystore.Source(fs)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Seed(ctx, snap, entrystore.Change{Author: "seed", At: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	idx, err := index.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	svc, err := live.OpenService(ctx, idx, source, live.ServiceOptions{Log: log, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	var admin Admin = svc
	if pg {
		fol := live.NewFollower(svc, watchedPG{pgs}, live.FollowOptions{Log: log})
		done := make(chan struct{})
		go func() { defer close(done); fol.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		admin = fol
	}
	fb, err := sitestore.OpenSQLite(filepath.Join(t.TempDir(), "feedback.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fb.Close() })
	h, err := NewServer(Config{Searcher: svc.Engine, Suggester: svc.Engine, Logger: log, Admins: testAdmins(t), Admin: admin,
		Records: fb, Entries: store, Now: clock.Now, RateLimit: 0})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &entryServer{Server: srv, entries: store, clock: clock}
}

// call sends a JSON body (if any) with a bearer token and decodes the
// answer into out (if given); it returns the status and the raw answer.
func (s *entryServer) call(t *testing.T, method, path, token string, body any, out any) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, s.URL+path, r)
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(path, "/api/") && resp.StatusCode >= 400 && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: %d with %s, want a JSON body", method, path, resp.StatusCode, ct)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %v\n%s", method, path, resp.StatusCode, err, data)
		}
	}
	return resp.StatusCode, data
}

// newEntry is an entry of the test: dibao's facts under a title and
// keywords no other entry has, and an eligibility rule of its own.
func newEntry(t *testing.T, s *entryServer, title string) map[string]any {
	t.Helper()
	var got EntryResponse
	if code, body := s.call(t, "GET", "/api/admin/policies/dibao", editorToken, nil, &got); code != 200 {
		t.Fatalf("GET dibao: %d %s", code, body)
	}
	var e map[string]any
	if err := json.Unmarshal(got.Published.Entry, &e); err != nil {
		t.Fatal(err)
	}
	e["title"] = title
	e["keywords"] = []string{"围棋补贴", "少儿围棋"}
	e["guide"].(map[string]any)["eligibility"] = []string{"本市户籍", "18周岁以下"}
	e["eligibility"] = map[string]any{"all": []any{
		map[string]any{"field": "hukou", "op": "eq", "value": "本市户籍"},
		map[string]any{"field": "age", "op": "lte", "value": 18},
	}}
	return e
}

type searchAnswer struct {
	Hits []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"hits"`
}

func (s *entryServer) firstHit(t *testing.T, q string) string {
	t.Helper()
	var sr searchAnswer
	if code, body := s.call(t, "GET", "/api/search?q="+url.QueryEscape(q), "", nil, &sr); code != 200 {
		t.Fatalf("search %s: %d %s", q, code, body)
	}
	if len(sr.Hits) == 0 {
		return ""
	}
	return sr.Hits[0].ID + " " + sr.Hits[0].Title
}

func TestEntriesEndToEndFiles(t *testing.T) { testEntriesEndToEnd(t, newEntryServer(t, false)) }

func TestEntriesEndToEndPostgres(t *testing.T) { testEntriesEndToEnd(t, newEntryServer(t, true)) }

// testEntriesEndToEnd runs the editorial flow over HTTP: an editor signs
// in and creates an entry with an eligibility rule, a publisher publishes
// it, a search finds it, the editor changes its title, the publisher rolls
// back, the old title is served again, and the audit log names everyone.
func testEntriesEndToEnd(t *testing.T, s *entryServer) {
	const id, title, newTitle = "shaoer-weiqi-butie", "少儿围棋培训补贴", "青少年围棋培训资助"

	// The editor signs in on the admin page: the session is 王芳's.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.PostForm(s.URL+"/admin/login", url.Values{"token": {editorToken}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("sign-in = %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	entry := newEntry(t, s, title)
	var created ChangeResponse
	if code, body := s.call(t, "POST", policiesAPI, editorToken, map[string]any{"id": id, "entry": entry, "note": "新增条目"}, &created); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	if created.Entry.Status != entrystore.StatusDraft || created.Entry.Draft == nil || created.Entry.Draft.Author != "王芳" {
		t.Fatalf("created = %+v", created.Entry)
	}
	if hit := s.firstHit(t, title); strings.HasPrefix(hit, id) {
		t.Fatal("a draft is searchable")
	}
	based := created.Entry.BasedOn
	if code, _ := s.call(t, "POST", policiesAPI+"/"+id+"/publish", editorToken, map[string]any{"based_on": based}, nil); code != http.StatusForbidden {
		t.Errorf("an editor's publish = %d, want 403", code)
	}
	if code, body := s.call(t, "POST", policiesAPI+"/"+id+"/review", editorToken, map[string]any{"based_on": based, "note": "请审核"}, nil); code != 200 {
		t.Fatalf("review: %d %s", code, body)
	}
	var pub ChangeResponse
	if code, body := s.call(t, "POST", policiesAPI+"/"+id+"/publish", publisherToken, map[string]any{"based_on": based, "note": "核对无误"}, &pub); code != 200 {
		t.Fatalf("publish: %d %s", code, body)
	}
	if pub.Entry.Status != entrystore.StatusPublished || pub.Entry.Published.Number != 1 || pub.Entry.Published.Author != "李强" || pub.Index == nil {
		t.Fatalf("published = %+v", pub)
	}
	if hit := s.firstHit(t, "少儿围棋培训补贴"); hit != id+" "+title {
		t.Fatalf("the published entry is not found first: %q", hit)
	}
	var match struct {
		Eligible []struct{ ID string } `json:"eligible"`
	}
	s.call(t, "GET", "/api/match?age=10&hukou="+url.QueryEscape("本市户籍"), "", nil, &match)
	found := false
	for _, m := range match.Eligible {
		found = found || m.ID == id
	}
	if !found {
		t.Error("the entry's eligibility rule does not match a 10-year-old with 本市户籍")
	}

	// The editor changes the title; a second save from the same read is stale.
	entry["title"] = newTitle
	var saved ChangeResponse
	if code, body := s.call(t, "PUT", policiesAPI+"/"+id+"/draft", editorToken, map[string]any{"based_on": pub.Entry.BasedOn, "entry": entry, "note": "改标题"}, &saved); code != 200 {
		t.Fatalf("save: %d %s", code, body)
	}
	var conflict ConflictResponse
	if code, body := s.call(t, "PUT", policiesAPI+"/"+id+"/draft", editorToken, map[string]any{"based_on": pub.Entry.BasedOn, "entry": entry}, &conflict); code != http.StatusConflict ||
		conflict.Current == nil || conflict.Current.Draft == nil || len(conflict.Yours.Entry) == 0 || conflict.Current.Published == nil {
		t.Fatalf("a stale save = %d %s, want 409 with both versions", code, body)
	}
	if code, body := s.call(t, "POST", policiesAPI+"/"+id+"/publish", publisherToken, map[string]any{"based_on": saved.Entry.BasedOn}, nil); code != 200 {
		t.Fatalf("publish v2: %d %s", code, body)
	}
	if hit := s.firstHit(t, newTitle); hit != id+" "+newTitle {
		t.Fatalf("the new title is not served: %q", hit)
	}
	var diff DiffResponse
	if code, body := s.call(t, "GET", policiesAPI+"/"+id+"/diff?from=1&to=2", editorToken, nil, &diff); code != 200 ||
		len(diff.Changes) != 1 || diff.Changes[0].Field != "title" || *diff.Changes[0].From != title || *diff.Changes[0].To != newTitle {
		t.Fatalf("diff = %d %s", code, body)
	}

	// The publisher rolls back: the old title is served again.
	var rolled ChangeResponse
	if code, body := s.call(t, "POST", policiesAPI+"/"+id+"/rollback", publisherToken, map[string]any{"to": 1, "based_on": entrystore.Expect{Version: 2}, "note": "新标题未经批准"}, &rolled); code != 200 {
		t.Fatalf("rollback: %d %s", code, body)
	}
	var pol struct{ Title string }
	if code, body := s.call(t, "GET", "/api/policies/"+id, "", nil, &pol); code != 200 || pol.Title != title {
		t.Fatalf("after the rollback /api/policies/%s = %d %s", id, code, body)
	}
	var hist HistoryResponse
	s.call(t, "GET", policiesAPI+"/"+id+"/history", editorToken, nil, &hist)
	var authors []string
	for _, v := range hist.Versions {
		authors = append(authors, fmt.Sprintf("%d %s %s", v.Number, v.Action, v.Author))
	}
	if got := strings.Join(authors, "|"); got != "1 publish 李强|2 publish 李强|3 rollback 李强" {
		t.Errorf("history = %s", got)
	}

	// The audit log lists it all, with names, newest first.
	var audit AuditResponse
	if code, body := s.call(t, "GET", "/api/admin/audit", editorToken, nil, &audit); code != 200 {
		t.Fatalf("audit: %d %s", code, body)
	}
	var lines []string
	for _, r := range audit.Records {
		lines = append(lines, strings.TrimSpace(fmt.Sprintf("%s %s %s", r.Admin, r.Action, r.Entry)))
	}
	want := []string{"李强 rollback " + id, "李强 publish " + id, "王芳 save " + id, "李强 publish " + id, "王芳 review " + id,
		"王芳 save " + id, "王芳 login", "seed seed"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	code, csvBody := s.call(t, "GET", "/api/admin/audit?format=csv", publisherToken, nil, nil)
	if code != 200 || !bytes.HasPrefix(csvBody, []byte("\uFEFFseq,at,admin,action")) || !bytes.Contains(csvBody, []byte("李强,rollback,回滚,"+id+",3,")) {
		t.Errorf("audit CSV = %d\n%s", code, csvBody)
	}

	// Retired: it leaves search, its page says when, its history stays.
	if code, _ := s.call(t, "POST", policiesAPI+"/"+id+"/retire", editorToken, map[string]any{"based_on": entrystore.Expect{Version: 3}}, nil); code != http.StatusForbidden {
		t.Errorf("an editor's retire = %d, want 403", code)
	}
	if code, body := s.call(t, "POST", policiesAPI+"/"+id+"/retire", publisherToken, map[string]any{"based_on": entrystore.Expect{Version: 3}, "note": "政策已停止"}, nil); code != 200 {
		t.Fatalf("retire: %d %s", code, body)
	}
	var gone WithdrawnResponse
	if code, body := s.call(t, "GET", "/api/policies/"+id, "", nil, &gone); code != http.StatusGone || gone.Error.Code != "withdrawn" || !strings.Contains(gone.Error.Message, corpustest.Now(t).In(corpus.Zone).Format("2006年1月2日")) {
		t.Errorf("a retired entry's API = %d %s", code, body)
	}
	if code, page := s.call(t, "GET", "/policies/"+id, "", nil, nil); code != http.StatusGone || !strings.Contains(string(page), "撤下") || !strings.Contains(string(page), "政策已停止") {
		t.Errorf("a retired entry's page = %d", code)
	}
	if hit := s.firstHit(t, title); strings.HasPrefix(hit, id) {
		t.Error("a retired entry is still found")
	}
	var list EntriesResponse
	s.call(t, "GET", policiesAPI, editorToken, nil, &list)
	for _, e := range list.Entries {
		if e.ID == id && (e.Status != entrystore.StatusRetired || e.Version != 4 || e.Title != title) {
			t.Errorf("listed: %+v", e)
		}
	}
}

// TestEntriesAPIRefusesBadInput: every bad request is a 4xx with a JSON
// body, nothing is saved, and problems name their field.
func TestEntriesAPIRefusesBadInput(t *testing.T) {
	s := newEntryServer(t, false)
	entry := newEntry(t, s, "少儿围棋培训补贴")
	entry["title"] = ""
	entry["audiences"] = []string{"外星人"}
	var bad InvalidEntryResponse
	if code, body := s.call(t, "POST", policiesAPI, editorToken, map[string]any{"id": "weiqi", "entry": entry}, &bad); code != http.StatusUnprocessableEntity ||
		len(bad.Fields["title"]) == 0 || len(bad.Fields["audiences[0]"]) == 0 {
		t.Fatalf("an invalid entry = %d %s", code, body)
	}
	entry = newEntry(t, s, "少儿围棋培训补贴")
	entry["colour"] = "red"
	if code, body := s.call(t, "POST", policiesAPI, editorToken, map[string]any{"id": "weiqi", "entry": entry}, &bad); code != http.StatusUnprocessableEntity || len(bad.Fields["colour"]) == 0 {
		t.Errorf("an unknown field = %d %s", code, body)
	}
	entry = newEntry(t, s, "少儿围棋培训补贴")
	entry["eligibility"] = map[string]any{"all": []any{map[string]any{"field": "age", "op": "has", "value": 3}}}
	if code, body := s.call(t, "POST", policiesAPI, editorToken, map[string]any{"id": "weiqi", "entry": entry}, &bad); code != http.StatusUnprocessableEntity || len(bad.Fields["eligibility.all[0]"]) == 0 {
		t.Errorf("a bad condition = %d %s", code, body)
	}
	entry = newEntry(t, s, "少儿围棋培训补贴")
	entry["verified"] = "2099-01-01"
	if code, body := s.call(t, "POST", policiesAPI, editorToken, map[string]any{"id": "weiqi", "entry": entry}, &bad); code != http.StatusUnprocessableEntity || len(bad.Fields["verified"]) == 0 {
		t.Errorf("a verified day to come = %d %s", code, body)
	}
	for _, c := range []struct {
		method, path, token string
		body                any
		want                int
	}{
		{"POST", policiesAPI, editorToken, []byte(`{"id": "x", "entry": `), 400},
		{"POST", policiesAPI, editorToken, []byte(`{"id": "x", "entry": {}, "extra": 1}`), 400},
		{"POST", policiesAPI, editorToken, []byte(`{"id": "x"} {"id": "y"}`), 400},
		{"POST", policiesAPI, editorToken, map[string]any{"id": "../x", "entry": map[string]any{}}, 422},
		{"POST", policiesAPI, editorToken, map[string]any{"id": "x", "entry": []int{1}}, 422},
		{"POST", policiesAPI, editorToken, map[string]any{"id": "dibao", "entry": newEntry(t, s, "x")}, 409},
		{"POST", policiesAPI, editorToken, append([]byte(`{"id": "x", "note": "`), append(bytes.Repeat([]byte("a"), 3<<20), `"}`...)...), 413},
		{"POST", policiesAPI, "", map[string]any{"id": "x"}, 401},
		{"POST", policiesAPI, "wrong-token-of-enough-characters-1234567", map[string]any{"id": "x"}, 401},
		{"PUT", policiesAPI + "/nope/draft", editorToken, map[string]any{"entry": newEntry(t, s, "x")}, 404},
		{"PUT", policiesAPI + "/dibao/draft", editorToken, map[string]any{"based_on": map[string]int{"version": 1}}, 400},
		{"POST", policiesAPI + "/dibao/publish", publisherToken, map[string]any{"based_on": map[string]int{"version": 1}}, 409},
		{"POST", policiesAPI + "/dibao/rollback", publisherToken, map[string]any{"based_on": map[string]int{"version": 1}}, 400},
		{"POST", policiesAPI + "/dibao/rollback", publisherToken, map[string]any{"to": 7, "based_on": map[string]int{"version": 1}}, 400},
		{"POST", policiesAPI + "/dibao/review", editorToken, map[string]any{"based_on": map[string]int{"version": 1}}, 409},
		{"GET", policiesAPI + "/dibao/diff?from=1&to=9", editorToken, nil, 404},
		{"GET", policiesAPI + "/dibao/diff?from=x", editorToken, nil, 400},
		{"GET", policiesAPI + "/nope/history", editorToken, nil, 404},
		{"GET", "/api/admin/audit?limit=0", editorToken, nil, 400},
		{"GET", "/api/admin/audit?format=xml", editorToken, nil, 400},
	} {
		if code, body := s.call(t, c.method, c.path, c.token, c.body, nil); code != c.want {
			t.Errorf("%s %s = %d, want %d\n%.300s", c.method, c.path, code, c.want, body)
		}
	}
	req, _ := http.NewRequest("POST", s.URL+policiesAPI, strings.NewReader("id=x"))
	req.Header.Set("Authorization", "Bearer "+editorToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a form post = %v %v", resp.StatusCode, err)
	}
	// Nothing was saved.
	var list EntriesResponse
	s.call(t, "GET", policiesAPI, editorToken, nil, &list)
	if list.Drafts != 0 || len(list.Entries) != 155 {
		t.Errorf("after the bad requests: %d drafts, %d entries", list.Drafts, len(list.Entries))
	}
}

// watchedPG is the corpus store as a follower watches it (as serve wires it).
type watchedPG struct{ *pgstore.Store }

func (w watchedPG) Listen(ctx context.Context, l live.Listener) {
	w.Store.Listen(ctx, pgstore.Listener(l))
}
