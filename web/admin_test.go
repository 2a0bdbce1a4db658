package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/search/live"
	"yicha/web/sitestore"
)

const testToken = "s3cret-admin-token-of-thirty-two-characters"

type adminServer struct {
	*httptest.Server
	dir    string // the corpus directory, editable by the test
	svc    *live.Service
	server *Server
	fb     sitestore.Store
	clock  *corpustest.Clock
}

// copyCorpus copies the project's corpus into a directory the test may edit.
func copyCorpus(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../corpus/policies/*.yaml")
	sites, _ := filepath.Glob("../corpus/sites/*/site.yaml")
	files = append(files, sites...)
	files = append(files, "../corpus/places.yaml", "../corpus/documents.yaml", "../corpus/referrals.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel("../corpus", f)
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func newAdminServer(t testing.TB, token string) *adminServer {
	t.Helper()
	return newAdminServerWith(t, token, nil)
}

// newAdminServerWith is newAdminServer with a change to the server's
// configuration.
func newAdminServerWith(t testing.TB, token string, change func(*Config)) *adminServer {
	t.Helper()
	dir := copyCorpus(t)
	clock := corpustest.Pinned(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := liveService(t, corpus.Dir(dir), live.ServiceOptions{Log: log, Now: clock.Now})
	fb, err := sitestore.OpenSQLite(filepath.Join(t.TempDir(), "feedback.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fb.Close() })
	cfg := Config{Searcher: svc.Engine, Suggester: svc.Engine, Logger: log, AdminToken: token, Admin: svc, Records: fb, Now: clock.Now}
	if change != nil {
		change(&cfg)
	}
	h, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &adminServer{Server: srv, dir: dir, svc: svc, server: h, fb: fb, clock: clock}
}

func (s *adminServer) do(t testing.TB, method, path, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

// editTitle rewrites the title line of one entry file.
func (s *adminServer) editTitle(t testing.TB, id, title string) {
	t.Helper()
	path := filepath.Join(s.dir, "policies", id+".yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(data), "\n", 2)
	if !strings.HasPrefix(lines[0], "title: ") {
		t.Fatalf("%s does not start with its title", path)
	}
	if err := os.WriteFile(path, []byte("title: "+title+"\n"+lines[1]), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *adminServer) firstHit(t testing.TB, q string) (SearchHit, uint64) {
	t.Helper()
	var r SearchResponse
	if code := s.do(t, "GET", "/api/search?q="+url.QueryEscape(q), "", &r); code != 200 {
		t.Fatalf("search %s: %d", q, code)
	}
	if len(r.Hits) == 0 {
		return SearchHit{}, 0
	}
	return r.Hits[0], r.Total
}

func TestAdminNeedsToken(t *testing.T) {
	off := newAdminServer(t, "")
	if code := off.do(t, "POST", "/api/admin/reindex", "anything", nil); code != 404 {
		t.Errorf("admin API without a configured token = %d, want 404", code)
	}
	s := newAdminServer(t, testToken)
	before := s.svc.Status()
	s.editTitle(t, "dibao", "最低生活保障 unauthorized")
	for _, tok := range []string{"", "wrong", testToken + "x", strings.ToUpper(testToken)} {
		var body map[string]any
		if code := s.do(t, "POST", "/api/admin/reindex", tok, &body); code != 401 {
			t.Errorf("reindex with token %q = %d, want 401", tok, code)
		}
		if code := s.do(t, "GET", "/api/admin/status", tok, &body); code != 401 {
			t.Errorf("status with token %q = %d, want 401", tok, code)
		}
	}
	if after := s.svc.Status(); after.Reindexes != before.Reindexes || after.Fingerprint != before.Fingerprint {
		t.Errorf("an unauthorized call changed the index: %+v", after)
	}
	if h, _ := s.firstHit(t, "unauthorized"); h.ID == "dibao" {
		t.Error("an unauthorized call reindexed")
	}
}

// TestReindexUnderLoad hammers the search API from several goroutines
// while 20 reindexes run, each after an edit of the corpus: no answer may
// fail or come back empty, and after each swap the edit is found.
func TestReindexUnderLoad(t *testing.T) {
	s := newAdminServer(t, testToken)
	var stop atomic.Bool
	var searches, failures atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{}
			for !stop.Load() {
				resp, err := client.Get(s.URL + "/api/search?q=" + url.QueryEscape("残疾人补贴"))
				searches.Add(1)
				if err != nil {
					failures.Add(1)
					continue
				}
				var r SearchResponse
				err = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || r.Total == 0 || len(r.Hits) == 0 {
					failures.Add(1)
				}
			}
		}()
	}
	const reindexes = 10
	for i := 1; i <= reindexes; i++ {
		marker := "rev" + strings.Repeat("x", i)
		s.editTitle(t, "dibao", "最低生活保障 "+marker)
		var r ReindexResponse
		if code := s.do(t, "POST", "/api/admin/reindex?wait=true", testToken, &r); code != 200 {
			t.Fatalf("reindex %d = %d", i, code)
		}
		if h, _ := s.firstHit(t, marker); h.ID != "dibao" || !strings.Contains(h.Title, marker) {
			t.Fatalf("after reindex %d the first hit for %s is %+v", i, marker, h)
		}
	}
	stop.Store(true)
	wg.Wait()
	st := s.svc.Status()
	t.Logf("%d searches during %d reindexes, %d failed", searches.Load(), reindexes, failures.Load())
	if failures.Load() != 0 || st.Reindexes != reindexes {
		t.Errorf("%d failed searches, %d reindexes", failures.Load(), st.Reindexes)
	}
	// Only the active index is left on disk.
	dirs, _ := filepath.Glob(filepath.Join(s.svc.StoreDir(), "idx-*"))
	if len(dirs) != 1 {
		t.Errorf("index directories left: %v", dirs)
	}
}

func TestReindexRefusesABrokenCorpus(t *testing.T) {
	s := newAdminServer(t, testToken)
	before, _ := s.firstHit(t, "最低生活保障")
	path := filepath.Join(s.dir, "policies", "dibao.yaml")
	good, _ := os.ReadFile(path)
	bad := strings.Replace(string(good), "category: 社会救助", "category: 没有这个分类", 1)
	bad = strings.Replace(bad, "title: 最低生活保障", "title: 最低生活保障 broken", 1)
	os.WriteFile(path, []byte(bad), 0o644)

	var body problemsBody
	if code := s.do(t, "POST", "/api/admin/reindex?wait=true", testToken, &body); code != 422 {
		t.Fatalf("reindex of a broken corpus = %d, want 422", code)
	}
	want := filepath.Join(s.dir, "policies", "dibao.yaml") + ":3: category"
	if len(body.Lines) == 0 || !strings.HasPrefix(body.Lines[0], want) {
		t.Errorf("problems %v, want one starting %q", body.Lines, want)
	}
	if after, _ := s.firstHit(t, "最低生活保障"); after.Title != before.Title {
		t.Errorf("a broken corpus changed what is served: %q → %q", before.Title, after.Title)
	}
	var st live.Status
	s.do(t, "GET", "/api/admin/status", testToken, &st)
	if st.LastError == "" || len(st.Problems) == 0 || st.Reindexes != 0 {
		t.Errorf("status after a refused reindex: %+v", st)
	}

	os.WriteFile(path, bytes.Replace(good, []byte("title: 最低生活保障"), []byte("title: 最低生活保障 fixed"), 1), 0o644)
	if code := s.do(t, "POST", "/api/admin/reindex?wait=true", testToken, nil); code != 200 {
		t.Fatalf("reindex of the fixed corpus = %d", code)
	}
	if h, _ := s.firstHit(t, "fixed"); h.ID != "dibao" {
		t.Errorf("the fixed corpus is not served: %+v", h)
	}
}

func TestAdminPage(t *testing.T) {
	s := newAdminServer(t, testToken)
	jar := &cookieJar{}
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) *http.Response {
		resp, err := client.PostForm(s.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	get := func(path string) string {
		resp, err := client.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if resp := post("/admin/login", url.Values{"token": {"wrong"}}); resp.Header.Get("Location") != "/admin?failed=1" {
		t.Fatalf("wrong token: %v", resp.Header)
	}
	if body := get("/admin"); !strings.Contains(body, `name="token"`) {
		t.Fatal("no sign-in form")
	}
	resp := post("/admin/login", url.Values{"token": {testToken}})
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == adminCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || strings.Contains(session.Value, testToken) {
		t.Fatalf("session cookie %+v", session)
	}
	body := get("/admin")
	if !strings.Contains(body, "索引状态") || !strings.Contains(body, s.svc.Status().Fingerprint) {
		t.Fatalf("status page: %s", body)
	}
	// A forged post without the CSRF value is refused and builds nothing.
	if resp := post("/admin/reindex", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("reindex without csrf = %d", resp.StatusCode)
	}
	if s.svc.Status().Building || s.svc.Status().Reindexes != 0 {
		t.Error("a forged post started a build")
	}
	csrf := csrfOf(t, body)
	if resp := post("/admin/reindex", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("reindex with csrf = %d", resp.StatusCode)
	}
}

// csrfOf is the CSRF value an admin page embeds in its forms.
func csrfOf(t testing.TB, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF value in the page: %.300s", page)
	}
	return m[1]
}

// signIn signs in on /admin with a client of its own and returns it, with
// the admin page it lands on.
func (s *adminServer) signIn(t testing.TB) (*http.Client, string) {
	t.Helper()
	client := &http.Client{Jar: &cookieJar{}}
	resp, err := client.PostForm(s.URL+"/admin/login", url.Values{"token": {testToken}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `name="csrf"`) {
		t.Fatalf("signing in: %d %.300s", resp.StatusCode, body)
	}
	return client, string(body)
}

// cookieJar keeps cookies for one test server.
type cookieJar struct {
	mu      sync.Mutex
	cookies []*http.Cookie
}

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cookies = append(j.cookies, cs...)
}

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.cookies
}

// TestSearchCacheFollowsReindex asks the same question before and after a
// reindex: the cached answer must not outlive the index it came from.
func TestSearchCacheFollowsReindex(t *testing.T) {
	s := newAdminServer(t, testToken)
	before, _ := s.firstHit(t, "最低生活保障")
	again, _ := s.firstHit(t, "最低生活保障")
	if before.Title != again.Title {
		t.Fatal("the same question answered differently")
	}
	s.editTitle(t, "dibao", "最低生活保障 cacheprobe")
	if code := s.do(t, "POST", "/api/admin/reindex?wait=true", testToken, nil); code != 200 {
		t.Fatalf("reindex = %d", code)
	}
	if after, _ := s.firstHit(t, "最低生活保障"); !strings.Contains(after.Title, "cacheprobe") {
		t.Errorf("after a reindex the answer is still the cached one: %q", after.Title)
	}
}

// TestAdminSessions: each sign-in starts a session of its own, with its own
// CSRF value; signing out ends it for good, even for a copy of the cookie;
// a session ends after its idle time; the token is never taken from the
// address; cookies are Secure behind a TLS-terminating trusted proxy.
func TestAdminSessions(t *testing.T) {
	s := newAdminServer(t, testToken)
	login := func(header map[string]string) (*http.Cookie, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL+"/admin/login", strings.NewReader(url.Values{"token": {testToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := noFollow(nil).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == adminCookie {
				page := s.pageWith(t, c)
				return c, csrfOf(t, page)
			}
		}
		t.Fatalf("no session cookie: %d", resp.StatusCode)
		return nil, ""
	}
	a, csrfA := login(nil)
	b, csrfB := login(nil)
	if a.Value == b.Value || csrfA == csrfB || len(a.Value) < 40 || a.Secure {
		t.Errorf("two sign-ins: cookies %q / %q, CSRF %q / %q, Secure %v", a.Value, b.Value, csrfA, csrfB, a.Secure)
	}
	// Signing out ends the session; a copy of its cookie no longer works.
	if code := s.postWith(t, a, "/admin/logout", url.Values{"csrf": {csrfA}}); code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", code)
	}
	if code := s.postWith(t, a, "/admin/reindex", url.Values{"csrf": {csrfA}}); code != http.StatusUnauthorized {
		t.Errorf("a signed-out session's cookie: %d, want 401", code)
	}
	if page := s.pageWith(t, a); strings.Contains(page, `name="csrf"`) {
		t.Error("the admin page still opens for a signed-out session")
	}
	// b's CSRF value is b's alone.
	if code := s.postWith(t, b, "/admin/reindex", url.Values{"csrf": {csrfA}}); code != http.StatusForbidden {
		t.Errorf("another session's CSRF value: %d, want 403", code)
	}
	// Idle for longer than SessionIdle, the session ends.
	s.clock.Add(SessionIdle + time.Minute)
	if code := s.postWith(t, b, "/admin/reindex", url.Values{"csrf": {csrfB}}); code != http.StatusUnauthorized {
		t.Errorf("an idle session: %d, want 401", code)
	}
	// No token in the address.
	if code := s.postWith(t, nil, "/admin/login?token="+url.QueryEscape(testToken), nil); code != http.StatusBadRequest {
		t.Errorf("a token in the query string: %d, want 400", code)
	}
	// Behind a trusted proxy that ends TLS, the cookie is Secure; the same
	// header from anyone else changes nothing.
	proxied := newAdminServerWith(t, testToken, func(c *Config) { c.TrustProxyHeader = "X-Forwarded-For" })
	s = proxied
	if c, _ := login(map[string]string{"X-Forwarded-Proto": "https"}); !c.Secure {
		t.Error("behind a TLS-terminating trusted proxy the cookie is not Secure")
	}
	spoofed := newAdminServerWith(t, testToken, func(c *Config) {
		c.TrustProxyHeader = "X-Forwarded-For"
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.9.9.9/32")}
	})
	s = spoofed
	if c, _ := login(map[string]string{"X-Forwarded-Proto": "https"}); c.Secure {
		t.Error("an untrusted peer's X-Forwarded-Proto made the cookie Secure")
	}
	// Too short a token is refused at start.
	if _, err := NewServer(Config{Searcher: s.svc.Engine, AdminToken: "short", Admin: s.svc, Records: s.fb}); err == nil {
		t.Error("a 5-character admin token is accepted")
	}
}

// pageWith GETs /admin with a session cookie.
func (s *adminServer) pageWith(t testing.TB, c *http.Cookie) string {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+"/admin", nil)
	req.AddCookie(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// postWith posts a form with a session cookie (or none) and returns the
// status.
func (s *adminServer) postWith(t testing.TB, c *http.Cookie, path string, form url.Values) int {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c != nil {
		req.AddCookie(c)
	}
	resp, err := noFollow(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
