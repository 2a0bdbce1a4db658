package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/index"
	"yicha/search/live"
	"yicha/web/sitestore"
)

var _ sitestore.Store = (*sitestore.SQLite)(nil)

// feedbackServer is the real server with a real index and a real SQLite
// feedback database, which a test can restart on the same file.
type feedbackServer struct {
	*httptest.Server
	t     testing.TB
	svc   *live.Service
	path  string
	store *sitestore.SQLite
	// clock is the server's time, which a test may move on; day is 09:00
	// of the suite's day in Shanghai, where it starts.
	clock *corpustest.Clock
	day   time.Time
}

// feedbackService is a search service over the embedded corpus, on a real
// index on disk.
func feedbackService(t testing.TB, now func() time.Time) *live.Service {
	t.Helper()
	return liveService(t, corpus.Embedded(), live.ServiceOptions{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now})
}

// liveService is a search service over src on a real index in a
// temporary directory, closed after the test.
func liveService(t testing.TB, src corpus.Source, opts live.ServiceOptions) *live.Service {
	t.Helper()
	store, err := index.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc, err := live.OpenService(context.Background(), store, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

func newFeedbackServer(t testing.TB) *feedbackServer {
	t.Helper()
	day, _ := corpus.ParseDate(corpus.Today(corpustest.Now(t)))
	day = day.Add(9 * time.Hour)
	clock := corpustest.NewClock(day)
	f := &feedbackServer{t: t, svc: feedbackService(t, clock.Now), path: filepath.Join(t.TempDir(), "feedback.db"), clock: clock, day: day}
	f.start()
	t.Cleanup(f.stop)
	return f
}

func (f *feedbackServer) start() {
	f.t.Helper()
	store, err := sitestore.OpenSQLite(f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	h, err := NewServer(Config{Searcher: f.svc.Engine, Suggester: f.svc.Engine, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AdminToken: testToken, Admin: f.svc, Records: store, Now: f.clock.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	f.store, f.Server = store, httptest.NewServer(h)
}

func (f *feedbackServer) stop() {
	if f.Server != nil {
		f.Server.Close()
		f.store.Close()
		f.Server = nil
	}
}

// restart stops the server and its database and starts both again on the
// same file.
func (f *feedbackServer) restart() {
	f.t.Helper()
	f.stop()
	f.start()
}

// noFollow is a client that shows redirects instead of following them.
func noFollow(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (f *feedbackServer) send(c *http.Client, method, path string, form url.Values, bearer string) answer {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, f.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func (f *feedbackServer) get(path string) answer {
	f.t.Helper()
	return f.send(noFollow(nil), "GET", path, nil, "")
}

func (f *feedbackServer) post(path string, form url.Values) answer {
	f.t.Helper()
	return f.send(noFollow(nil), "POST", path, form, "")
}

// pageForm is a form as the page has it: where it posts, its hidden
// fields, the choices of its radio buttons (value → label) and its submit
// buttons' values.
type pageForm struct {
	action  string
	hidden  url.Values
	radios  map[string]string
	buttons []string
	fields  []string
}

// formsIn finds the forms of a page by id or class.
func formsIn(t testing.TB, page string) map[string]*pageForm {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]*pageForm{}
	attr := func(n *html.Node, key string) string {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val
			}
		}
		return ""
	}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	var walk func(n *html.Node, cur *pageForm)
	walk = func(n *html.Node, cur *pageForm) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				cur = &pageForm{action: attr(n, "action"), hidden: url.Values{}, radios: map[string]string{}}
				for _, k := range append([]string{attr(n, "id")}, strings.Fields(attr(n, "class"))...) {
					if k != "" {
						forms[k] = cur
					}
				}
			case "input":
				if cur != nil {
					switch attr(n, "type") {
					case "hidden":
						cur.hidden.Add(attr(n, "name"), attr(n, "value"))
					case "radio":
						cur.radios[attr(n, "value")] = strings.TrimSpace(text(n.Parent))
					}
					cur.fields = append(cur.fields, attr(n, "name"))
				}
			case "textarea", "select":
				if cur != nil {
					cur.fields = append(cur.fields, attr(n, "name"))
				}
			case "button":
				if cur != nil && attr(n, "type") == "submit" {
					cur.buttons = append(cur.buttons, attr(n, "value"))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, cur)
		}
	}
	walk(doc, nil)
	return forms
}

// reasonValue is the value of the report form's radio button labelled label.
func (p *pageForm) reasonValue(t testing.TB, label string) string {
	t.Helper()
	for v, l := range p.radios {
		if l == label {
			return v
		}
	}
	t.Fatalf("no reason labelled %s among %v", label, p.radios)
	return ""
}

// policyForms loads a policy page and returns its vote and report forms.
func (f *feedbackServer) policyForms(id string) (vote, report *pageForm) {
	f.t.Helper()
	a := f.get("/policies/" + id)
	if a.status != 200 {
		f.t.Fatalf("GET /policies/%s: %d", id, a.status)
	}
	forms := formsIn(f.t, a.body)
	vote, report = forms["vote"], forms["report"]
	if vote == nil || report == nil {
		f.t.Fatalf("policy page %s has no feedback forms: %v", id, forms)
	}
	return vote, report
}

// submitReport fills the policy page's report form as a person would.
func (f *feedbackServer) submitReport(id, reasonLabel, comment string) answer {
	f.t.Helper()
	_, report := f.policyForms(id)
	form := url.Values{}
	for k, v := range report.hidden {
		form[k] = v
	}
	form.Set("reason", report.reasonValue(f.t, reasonLabel))
	form.Set("comment", comment)
	return f.post(report.action, form)
}

// adminClient signs in on /admin and returns a client with the session.
func (f *feedbackServer) adminClient() *http.Client {
	f.t.Helper()
	c := noFollow(&cookieJar{})
	if a := f.send(c, "POST", "/admin/login", url.Values{"token": {testToken}}, ""); a.status != http.StatusSeeOther || a.header.Get("Location") != "/admin" {
		f.t.Fatalf("sign in: %d %v", a.status, a.header)
	}
	return c
}

// readCSV parses a CSV answer (after its byte-order mark) into rows by
// column name.
func readCSV(t testing.TB, body string) []map[string]string {
	t.Helper()
	if !strings.HasPrefix(body, "\uFEFF") {
		t.Error("the CSV has no byte-order mark")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, name := range recs[0] {
			row[name] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// TestFeedbackThroughThePageForm submits a report and a vote through the
// forms of a real policy page, restarts the server, and finds both on the
// admin page, in the CSV and in the admin API; the comment's markup is shown
// as text.
func TestFeedbackThroughThePageForm(t *testing.T) {
	f := newFeedbackServer(t)
	const comment = `<script>alert("x")</script> 材料清单里的“户口簿”写成了“户口本”`
	vote, report := f.policyForms("dibao")
	if len(vote.buttons) != 2 || vote.buttons[0] != "yes" || vote.buttons[1] != "no" || vote.hidden.Get("token") == "" {
		t.Errorf("vote form %+v", vote)
	}
	if len(report.radios) != 6 || report.hidden.Get("token") == "" {
		t.Errorf("report form %+v", report)
	}
	// It asks for nothing personal.
	for _, field := range append(vote.fields, report.fields...) {
		if !strings.Contains(" token reason comment ", " "+field+" ") {
			t.Errorf("the feedback forms ask for %q", field)
		}
	}
	page := f.get("/policies/dibao").body
	if !strings.Contains(page, "这条信息对您有帮助吗？") || !strings.Contains(page, "不用留姓名、身份证号或电话") {
		t.Error("the policy page does not ask its question or say that nothing personal is needed")
	}

	a := f.submitReport("dibao", "看不懂", comment)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/policies/dibao/feedback/done?kind=report" {
		t.Fatalf("report: %d %v\n%s", a.status, a.header, a.body)
	}
	if done := f.get(a.header.Get("Location")); done.status != 200 || !strings.Contains(done.body, "谢谢您的反馈") {
		t.Errorf("done page: %d", done.status)
	}
	form := url.Values{"token": vote.hidden["token"], "helpful": {"no"}}
	a = f.post(vote.action, form)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/policies/dibao?voted=no#feedback" {
		t.Fatalf("vote: %d %v", a.status, a.header)
	}
	back := f.get(a.header.Get("Location")).body
	if !strings.Contains(back, thanksUnhelpful) || strings.Contains(back, `class="vote"`) || !strings.Contains(back, `id="report"`) {
		t.Errorf("back on the policy page after a vote: thanks %v, vote form gone %v, report form %v",
			strings.Contains(back, thanksUnhelpful), !strings.Contains(back, `class="vote"`), strings.Contains(back, `id="report"`))
	}

	f.restart()

	admin := f.adminClient()
	body := f.send(admin, "GET", "/admin", nil, "").body
	if !strings.Contains(body, "居民反馈") || !strings.Contains(body, `id="report-1"`) {
		t.Fatalf("the admin page has no queue with the report:\n%s", body)
	}
	if strings.Contains(body, `<script>alert("x")`) || !strings.Contains(body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`) {
		t.Error("the comment's <script> is not escaped on the admin page")
	}
	row := between(body, `<tr data-policy="dibao">`, "</tr>")
	if !strings.Contains(row, "最低生活保障") || strings.Count(row, "<td>1</td>") != 3 { // not helpful, 看不懂, open
		t.Errorf("counts row for dibao: %s", row)
	}
	csvBody := f.send(admin, "GET", "/admin/feedback.csv", nil, "")
	if ct := csvBody.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") || !strings.Contains(csvBody.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("CSV headers %v", csvBody.header)
	}
	rows := readCSV(t, csvBody.body)
	if len(rows) != 1 || rows[0]["comment"] != comment || rows[0]["policy_id"] != "dibao" || rows[0]["reason_label"] != "看不懂" || rows[0]["state_label"] != "新" {
		t.Errorf("CSV rows %+v", rows)
	}
	if api := f.send(http.DefaultClient, "GET", "/api/admin/feedback?format=csv", nil, testToken); api.body != csvBody.body {
		t.Errorf("the API's CSV differs from the page's:\n%s\n%s", api.body, csvBody.body)
	}
	var out FeedbackResponse
	api := f.send(http.DefaultClient, "GET", "/api/admin/feedback", nil, testToken)
	if err := json.Unmarshal([]byte(api.body), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Reports) != 1 || out.Reports[0].Comment != comment || len(out.Policies) != 1 || out.Policies[0].NotHelpful != 1 ||
		out.Policies[0].Reports[sitestore.ReasonUnclear] != 1 || out.Policies[0].Reports[sitestore.ReasonWrong] != 0 {
		t.Errorf("API answer %+v", out)
	}
	// Without the token: nothing.
	if a := f.send(http.DefaultClient, "GET", "/api/admin/feedback", nil, ""); a.status != http.StatusUnauthorized {
		t.Errorf("API without a token: %d", a.status)
	}
	if a := f.get("/admin/feedback.csv"); a.status != http.StatusUnauthorized {
		t.Errorf("CSV without a session: %d", a.status)
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// TestFeedbackRefusesForgedPosts: no token, a token of another page, an
// altered or an old token: 403, with a page that says why, and nothing kept.
func TestFeedbackRefusesForgedPosts(t *testing.T) {
	f := newFeedbackServer(t)
	vote, report := f.policyForms("dibao")
	token := report.hidden.Get("token")
	reason := report.reasonValue(t, "信息有误或过期")
	_, other := f.policyForms("laonian-zonghe-jintie")
	for name, form := range map[string]url.Values{
		"no token":           {"reason": {reason}, "comment": {"forged"}},
		"empty token":        {"token": {""}, "reason": {reason}},
		"another page's":     {"token": other.hidden["token"], "reason": {reason}},
		"altered":            {"token": {flipLast(token)}, "reason": {reason}},
		"altered time":       {"token": {"zz" + token}, "reason": {reason}},
		"not a token at all": {"token": {"hello"}, "reason": {reason}},
	} {
		a := f.post(report.action, form)
		if a.status != http.StatusForbidden || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(a.body, "表单已过期或无效") {
			t.Errorf("%s: %d %s", name, a.status, a.header.Get("Content-Type"))
		}
	}
	if a := f.post(vote.action, url.Values{"helpful": {"yes"}}); a.status != http.StatusForbidden {
		t.Errorf("vote without a token: %d", a.status)
	}
	// A token outlives neither its lifetime nor a move of the clock.
	f.clock.Add(formTokenLifetime + time.Minute)
	if a := f.post(report.action, url.Values{"token": {token}, "reason": {reason}}); a.status != http.StatusForbidden {
		t.Errorf("expired token: %d", a.status)
	}
	if rs, _ := f.store.Reports(context.Background(), sitestore.Filter{}); len(rs) != 0 {
		t.Errorf("forged posts were kept: %+v", rs)
	}
	if cs, _ := f.store.Counts(context.Background()); len(cs) != 0 {
		t.Errorf("forged votes were kept: %+v", cs)
	}
	// The token survives a restart: the secret is in the database.
	f.clock.Add(-formTokenLifetime)
	_, report = f.policyForms("dibao")
	f.restart()
	if a := f.post(report.action, url.Values{"token": report.hidden["token"], "reason": {reason}}); a.status != http.StatusSeeOther {
		t.Errorf("a form loaded before a restart and posted after: %d", a.status)
	}
}

// flipLast changes the last hex digit of a token.
func flipLast(s string) string {
	if strings.HasSuffix(s, "0") {
		return s[:len(s)-1] + "1"
	}
	return s[:len(s)-1] + "0"
}

// TestFeedbackBounds: the comment length, the reasons, what looks like
// personal data, and the daily cap per client, which starts again the next
// day; the database never holds the client's address.
func TestFeedbackBounds(t *testing.T) {
	f := newFeedbackServer(t)
	_, report := f.policyForms("dibao")
	post := func(reason, comment string, extra url.Values) answer {
		form := url.Values{"token": report.hidden["token"], "reason": {reason}, "comment": {comment}}
		for k, v := range extra {
			form[k] = v
		}
		return f.post(report.action, form)
	}
	long := strings.Repeat("长", sitestore.MaxComment+1)
	if a := post("other", long, nil); a.status != http.StatusBadRequest || !strings.Contains(a.body, "最多 500 字") {
		t.Errorf("a comment of %d characters: %d", sitestore.MaxComment+1, a.status)
	}
	// A textarea posts its line ends as CRLF: 500 characters with line ends
	// still fit.
	lines := strings.Repeat("行\r\n", sitestore.MaxComment/2)
	if a := post("other", lines, nil); a.status != http.StatusSeeOther {
		t.Errorf("a comment of 500 characters with CRLF line ends: %d", a.status)
	}
	for _, bad := range []string{"", "bogus", "看不懂"} {
		if a := post(bad, "", nil); a.status != http.StatusBadRequest || !strings.Contains(a.body, "请选择一个原因") {
			t.Errorf("reason %q: %d", bad, a.status)
		}
	}
	// Personal data is neither asked for nor kept.
	a := post("wrong", "电话 138 1234 5678，身份证310105194912310021", url.Values{"name": {"张三"}, "phone": {"13900000000"}, "id_number": {"310105194912310021"}})
	if a.status != http.StatusSeeOther {
		t.Fatalf("report with personal data: %d", a.status)
	}

	// The daily cap: 2 reports are in; 8 more may come today.
	for i := 3; i <= ReportsPerDay; i++ {
		if a := post("other", "第"+strconv.Itoa(i)+"条", nil); a.status != http.StatusSeeOther {
			t.Fatalf("report %d: %d", i, a.status)
		}
	}
	a = post("other", "一条太多", nil)
	if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "请明天再来") {
		t.Errorf("report %d: %d\n%s", ReportsPerDay+1, a.status, a.body)
	}
	// The cap holds across a restart, and ends with the day (in Shanghai).
	f.restart()
	if a := post("other", "重启后", nil); a.status != http.StatusTooManyRequests {
		t.Errorf("after a restart: %d", a.status)
	}
	f.clock.Set(f.day.Add(15*time.Hour + 5*time.Minute)) // 00:05 the next day
	_, report = f.policyForms("dibao")
	if a := post("other", "第二天", nil); a.status != http.StatusSeeOther {
		t.Errorf("the next day: %d", a.status)
	}

	rs, _ := f.store.Reports(context.Background(), sitestore.Filter{})
	if len(rs) != ReportsPerDay+1 {
		t.Errorf("%d reports kept, want %d", len(rs), ReportsPerDay+1)
	}
	f.stop()
	for _, file := range []string{f.path, f.path + "-wal"} {
		data, err := os.ReadFile(file)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, secret := range []string{"127.0.0.1", "13812345678", "1234 5678", "310105194912310021", "13900000000", "张三", "一条太多", "重启后"} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s holds %q", filepath.Base(file), secret)
			}
		}
	}
}

// TestFeedbackVotesHaveTheirOwnCap counts votes apart from reports: one
// per policy a day, and VotesPerDay in all.
func TestFeedbackVotesHaveTheirOwnCap(t *testing.T) {
	f := newFeedbackServer(t)
	vote, _ := f.policyForms("dibao")
	if a := f.post(vote.action, url.Values{"token": vote.hidden["token"], "helpful": {"yes"}}); a.status != http.StatusSeeOther {
		t.Fatalf("vote: %d", a.status)
	}
	if a := f.post(vote.action, url.Values{"token": vote.hidden["token"], "helpful": {"no"}}); a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "已经评价过") {
		t.Errorf("a second vote on the same policy the same day: %d", a.status)
	}
	if a := f.post(vote.action, url.Values{"token": vote.hidden["token"], "helpful": {"maybe"}}); a.status != http.StatusBadRequest {
		t.Errorf("a vote that is neither yes nor no: %d", a.status)
	}
	others := f.svc.Engine.Corpus().Policies
	voted := 1
	for _, p := range others {
		if p.ID == "dibao" {
			continue
		}
		v, _ := f.policyForms(p.ID)
		a := f.post(v.action, url.Values{"token": v.hidden["token"], "helpful": {"yes"}})
		if voted < VotesPerDay {
			if a.status != http.StatusSeeOther {
				t.Fatalf("vote %d (%s): %d", voted+1, p.ID, a.status)
			}
			voted++
			continue
		}
		if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "请明天再来") {
			t.Errorf("vote %d: %d", VotesPerDay+1, a.status)
		}
		break
	}
	if a := f.submitReport("dibao", "其他", ""); a.status != http.StatusSeeOther {
		t.Errorf("a report after the votes ran out: %d", a.status)
	}
}

// TestFeedbackAdminQueue moves reports through their states from the admin
// page and the API, and refuses changes without a session, a CSRF value or
// a token.
func TestFeedbackAdminQueue(t *testing.T) {
	f := newFeedbackServer(t)
	for _, c := range []string{"一", "二", "三"} {
		if a := f.submitReport("dibao", "线上办不了", "第"+c+"条"); a.status != http.StatusSeeOther {
			t.Fatalf("report: %d", a.status)
		}
	}
	admin := f.adminClient()
	page := f.send(admin, "GET", "/admin", nil, "").body
	forms := formsIn(t, page)
	if forms["fb-update"] == nil {
		t.Fatal("no state form on the admin page")
	}
	csrf := forms["fb-update"].hidden.Get("csrf")
	if forms["fb-update"] == nil || csrf == "" || !strings.HasPrefix(forms["fb-update"].action, "/admin/feedback/") {
		t.Fatalf("no state form with a CSRF value on the admin page: %+v", forms["fb-update"])
	}
	note := `已更正材料清单 <i>谢谢</i>`
	f.clock.Add(26 * time.Hour)
	// A day later the session has ended: sign in again.
	if a := f.send(admin, "POST", "/admin/feedback/1", url.Values{"csrf": {csrf}, "state": {"handled"}}, ""); a.status != http.StatusUnauthorized {
		t.Errorf("a session a day old: %d, want 401", a.status)
	}
	admin = f.adminClient()
	csrf = formsIn(t, f.send(admin, "GET", "/admin", nil, "").body)["fb-update"].hidden.Get("csrf")
	if a := f.send(admin, "POST", "/admin/feedback/1", url.Values{"csrf": {csrf}, "state": {"handled"}, "note": {note}}, ""); a.status != http.StatusSeeOther ||
		!strings.HasSuffix(a.header.Get("Location"), "#report-1") {
		t.Fatalf("handle #1: %d %v", a.status, a.header)
	}
	// Refused: no CSRF value, no session, an unknown state, a missing report.
	if a := f.send(admin, "POST", "/admin/feedback/2", url.Values{"state": {"handled"}}, ""); a.status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", a.status)
	}
	if a := f.post("/admin/feedback/2", url.Values{"csrf": {csrf}, "state": {"handled"}}); a.status != http.StatusUnauthorized {
		t.Errorf("without a session: %d", a.status)
	}
	if a := f.send(admin, "POST", "/admin/feedback/2", url.Values{"csrf": {csrf}, "state": {"done"}}, ""); a.status != http.StatusBadRequest {
		t.Errorf("unknown state: %d", a.status)
	}
	if a := f.send(admin, "POST", "/admin/feedback/99", url.Values{"csrf": {csrf}, "state": {"handled"}}, ""); a.status != http.StatusNotFound {
		t.Errorf("missing report: %d", a.status)
	}
	// The API with the token.
	if a := f.send(http.DefaultClient, "POST", "/api/admin/feedback/2", url.Values{"state": {"rejected"}, "note": {"重复"}}, testToken); a.status != 200 ||
		!strings.Contains(a.body, `"state_label":"不采纳"`) {
		t.Errorf("API update: %d %s", a.status, a.body)
	}
	if a := f.send(http.DefaultClient, "POST", "/api/admin/feedback/2", url.Values{"state": {"handled"}}, ""); a.status != http.StatusUnauthorized {
		t.Errorf("API update without a token: %d", a.status)
	}
	if a := f.send(http.DefaultClient, "POST", "/api/admin/feedback/2", url.Values{"state": {"x"}}, testToken); a.status != http.StatusBadRequest ||
		!strings.Contains(a.body, `"error"`) {
		t.Errorf("API update with a bad state: %d %s", a.status, a.body)
	}

	page = f.send(admin, "GET", "/admin?fstate=handled", nil, "").body
	queue := between(page, `<ol class="fb-queue">`, "</ol>")
	if !strings.Contains(queue, `id="report-1"`) || strings.Contains(queue, `id="report-2"`) || strings.Contains(queue, `id="report-3"`) {
		t.Errorf("the 已处理 queue:\n%s", queue)
	}
	if !strings.Contains(queue, `value="已更正材料清单 &lt;i&gt;谢谢&lt;/i&gt;"`) || !strings.Contains(queue, `<option value="handled" selected>已处理</option>`) {
		t.Errorf("the note or the state is not shown:\n%s", queue)
	}
	var out FeedbackResponse
	json.Unmarshal([]byte(f.send(http.DefaultClient, "GET", "/api/admin/feedback?state=new", nil, testToken).body), &out)
	if len(out.Reports) != 1 || out.Reports[0].ID != 3 {
		t.Errorf("new reports by the API: %+v", out.Reports)
	}
	if a := f.send(http.DefaultClient, "GET", "/api/admin/feedback?state=bogus", nil, testToken); a.status != http.StatusBadRequest {
		t.Errorf("bad state filter: %d", a.status)
	}
	rows := readCSV(t, f.send(admin, "GET", "/admin/feedback.csv", nil, "").body)
	if len(rows) != 3 || rows[2]["id"] != "1" || rows[2]["state"] != "handled" || rows[2]["note"] != note || rows[2]["resolved_at"] == "" {
		t.Errorf("CSV after handling: %+v", rows)
	}
}

// TestTransparency shows, per category, the reports received, handled and
// how quickly, and never a comment.
func TestTransparency(t *testing.T) {
	f := newFeedbackServer(t)
	for _, c := range []string{"秘密评论一", "秘密评论二", "秘密评论三"} {
		if a := f.submitReport("dibao", "信息有误或过期", c); a.status != http.StatusSeeOther {
			t.Fatalf("report: %d", a.status)
		}
	}
	ctx := context.Background()
	at := f.clock.Now()
	f.store.Update(ctx, 1, sitestore.Change{State: sitestore.StateHandled, Note: "秘密备注"}, at.Add(50*time.Hour))
	f.store.Update(ctx, 2, sitestore.Change{State: sitestore.StateRejected}, at.Add(2*time.Hour))

	a := f.get("/transparency")
	if a.status != 200 {
		t.Fatalf("/transparency: %d", a.status)
	}
	row := between(a.body, `<th scope="row">社会救助</th>`, "</tr>")
	// 3 received, 1 handled, 1 rejected, 1 open; median of 2 h and 50 h.
	if row != `<th scope="row">社会救助</th><td>3</td><td>1</td><td>1</td><td>1</td><td>1 天 2 小时</td>` {
		t.Errorf("row %q", row)
	}
	if !strings.Contains(a.body, `<th scope="row">养老服务</th><td>0</td>`) {
		t.Error("a category without reports is not listed")
	}
	for _, secret := range []string{"秘密", "备注"} {
		if strings.Contains(a.body, secret) {
			t.Errorf("/transparency shows %q", secret)
		}
	}
	if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "public") {
		t.Errorf("Cache-Control %q", cc)
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")":  "'=HYPERLINK(\"http://x\")",
		"+1":                        "'+1",
		"-2+3":                      "'-2+3",
		"@SUM(A1)":                  "'@SUM(A1)",
		"\t=1":                      "'\t=1",
		"材料 = 多":                    "材料 = 多",
		"":                          "",
		"2026-03-02T09:00:00+08:00": "2026-03-02T09:00:00+08:00",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFeedbackCSVDefusesFormulas sends a comment that is a formula.
func TestFeedbackCSVDefusesFormulas(t *testing.T) {
	f := newFeedbackServer(t)
	f.submitReport("dibao", "其他", `=HYPERLINK("http://evil.example","点我")`)
	rows := readCSV(t, f.send(http.DefaultClient, "GET", "/api/admin/feedback?format=csv", nil, testToken).body)
	if len(rows) != 1 || rows[0]["comment"] != `'=HYPERLINK("http://evil.example","点我")` {
		t.Errorf("CSV rows %+v", rows)
	}
}

// TestFeedbackOff: without a store the pages carry no forms and the routes
// are not there.
func TestFeedbackOff(t *testing.T) {
	s := newTestServer(t)
	_, body := s.fetch(t, "/policies/dibao")
	if strings.Contains(body, "这条信息对您有帮助吗") || strings.Contains(body, `name="token"`) {
		t.Error("a policy page offers feedback without a store")
	}
	if resp, _ := s.fetch(t, "/transparency"); resp.StatusCode != 404 {
		t.Errorf("/transparency without a store: %d", resp.StatusCode)
	}
}

// TestFeedbackInTraditionalCharacters: the forms work on pages converted to
// traditional characters (values stay as the server expects them).
func TestFeedbackInTraditionalCharacters(t *testing.T) {
	f := newFeedbackServer(t)
	req, _ := http.NewRequest("GET", f.URL+"/policies/dibao", nil)
	req.AddCookie(&http.Cookie{Name: cookieScript, Value: "t"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	forms := formsIn(t, string(b))
	report := forms["report"]
	if report == nil || !strings.Contains(string(b), "這條信息對您有幫助嗎") {
		t.Fatal("no feedback form on the traditional page")
	}
	form := url.Values{"token": report.hidden["token"], "reason": {report.reasonValue(t, "看不懂")}, "comment": {"看不懂這段"}}
	if a := f.post(report.action, form); a.status != http.StatusSeeOther {
		t.Errorf("report from the traditional page: %d", a.status)
	}
}

// TestFeedbackBrowser submits a report and a vote through a policy page in
// a real Chromium, with JavaScript on and off, restarts the server, and
// handles the report on the admin page, where the comment shows as text.
func TestFeedbackBrowser(t *testing.T) {
	chromiumPath(t)
	f := newFeedbackServer(t)
	for _, js := range []bool{true, false} {
		t.Run(jsMode(js), func(t *testing.T) {
			f.clock.Add(24 * time.Hour) // a new day: one vote per policy a day
			b := newBrowser(t, &testServer{Server: f.Server}, js)
			comment := `<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> 办理地点写错了 ` + jsMode(js)

			b.visit("/policies/dibao")
			b.expectText("#feedback-title", "这条信息对您有帮助吗？")
			b.shoot("policy-feedback")
			b.click(`#report input[value="place"]`)
			b.typeInto("#fb-comment", comment)
			b.follow("#report button[type=submit]")
			if p := b.location().Path; p != "/policies/dibao/feedback/done" {
				b.t.Fatalf("the report form led to %s", p)
			}
			b.expectText("h1", "谢谢您的反馈")
			b.shoot("feedback-done")

			// A vote stays on the policy page: in place with script (same
			// address, same document, the report form in focus), else back
			// at the feedback section with the thanks.
			b.visit("/policies/dibao")
			if js {
				before := b.location().String()
				b.eval(`(window.__stay = 1, document.getElementById("feedback").scrollIntoView(), 0)`)
				b.click(`form.vote button[value="no"]`)
				b.do(chromedp.WaitNotPresent("form.vote"))
				if u := b.location().String(); u != before || b.eval("window.__stay") != "1" {
					b.t.Errorf("voting left the page: %s → %s", before, u)
				}
				if got := b.focused(); got != "report-title" {
					b.t.Errorf("after 没有帮助 the focus is on %q, want the report form's heading", got)
				}
			} else {
				b.follow(`form.vote button[value="no"]`)
				if u := b.location(); u.Path != "/policies/dibao" || u.Fragment != "feedback" || u.Query().Get("voted") != "no" {
					b.t.Errorf("voting without script led to %s, want the policy page at #feedback", u)
				}
				if b.count("form.vote") != 0 {
					b.t.Error("the vote form is shown again after voting")
				}
			}
			b.expectText("#vote-status", "没有帮助")
			b.expectText("#vote-status", "请在下面告诉我们哪里不足")
			if !b.visible("#report button[type=submit]") {
				b.t.Error("the report form is not there after 没有帮助")
			}
			// The day's second vote on it is refused, in place too.
			if js {
				b.visit("/policies/dibao")
				b.click(`form.vote button[value="yes"]`)
				b.do(chromedp.WaitNotPresent("form.vote"))
				b.expectText("#vote-status", "已经评价过")
				if p := b.location().Path; p != "/policies/dibao" {
					b.t.Errorf("a refused vote left the page for %s", p)
				}
			}

			f.restart()
			b.base = f.URL

			b.visit("/admin")
			b.typeInto("#token", testToken)
			b.follow(`form[action="/admin/login"] button[type=submit]`)
			comments := b.texts(".fb-report .comment")
			if len(comments) == 0 || comments[0] != comment {
				b.t.Fatalf("the newest comment in the queue is %q, want %q", comments, comment)
			}
			b.expectInert("admin page")
			b.shoot("admin-feedback")
			if href, _ := b.attr("#feedback a.button", "href"); href != "/admin/feedback.csv" {
				b.t.Errorf("CSV link %q", href)
			}
			id := strings.TrimPrefix(b.eval(`document.querySelector(".fb-report").id`), "report-")
			b.do(chromedp.SetValue(chromedp.CSS("#fb-state-"+id), "handled"))
			b.typeInto("#fb-note-"+id, "已核实并更正地址")
			b.follow("#report-" + id + " form button[type=submit]")
			b.expectText("main", "已标记为“已处理”")
			if st, _ := b.attr("#report-"+id, "data-state"); st != "handled" {
				b.t.Errorf("report %s is %q after handling", id, st)
			}

			b.visit("/transparency")
			b.expectText("#transparency", "社会救助")
			if strings.Contains(b.textOf("main"), "办理地点写错了") {
				b.t.Error("/transparency shows a comment")
			}
			b.shoot("transparency")
		})
	}
}

// TestFeedbackFormsBelongToTheirClient: a form token issued to one client
// is refused from another, and a post a browser makes from another site
// is refused whatever its token.
func TestFeedbackFormsBelongToTheirClient(t *testing.T) {
	f := newFeedbackServer(t)
	h := f.Server.Config.Handler
	do := func(method, path, from string, form url.Values, header map[string]string) *httptest.ResponseRecorder {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		r := httptest.NewRequest(method, path, body)
		r.RemoteAddr = from + ":4000"
		if form != nil {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	page := do("GET", "/policies/dibao", "192.168.1.50", nil, nil)
	vote := formsIn(t, page.Body.String())["vote"]
	if vote == nil {
		t.Fatal("no vote form")
	}
	form := url.Values{"token": vote.hidden["token"], "helpful": {"yes"}}
	if w := do("POST", vote.action, "192.168.1.51", form, nil); w.Code != http.StatusForbidden {
		t.Errorf("another client's token: %d, want 403", w.Code)
	}
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "https://evil.example"},
		{"Origin": "null"},
	} {
		if w := do("POST", vote.action, "192.168.1.50", form, h); w.Code != http.StatusForbidden {
			t.Errorf("a post with %v: %d, want 403", h, w.Code)
		}
	}
	if w := do("POST", vote.action, "192.168.1.50", form, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}); w.Code != http.StatusSeeOther {
		t.Errorf("the client's own same-origin post: %d, want 303", w.Code)
	}
}

// TestFeedbackVoteInPlace: a vote posted by script (Accept: JSON) is
// answered with the thanks to show in place, and a refusal with its reason,
// both as JSON; the page is never left.
func TestFeedbackVoteInPlace(t *testing.T) {
	f := newFeedbackServer(t)
	vote, _ := f.policyForms("dibao")
	post := func(helpful string, cookies ...*http.Cookie) (int, string) {
		req, err := http.NewRequest("POST", f.URL+vote.action, strings.NewReader(url.Values{"token": vote.hidden["token"], "helpful": {helpful}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		resp, err := noFollow(nil).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("vote answered with %s", ct)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := post("no")
	var ok voteAnswer
	if err := json.Unmarshal([]byte(body), &ok); err != nil || status != http.StatusOK || ok.Message != thanksUnhelpful || !ok.Report {
		t.Errorf("vote by script: %d %s", status, body)
	}
	status, body = post("yes")
	var refused errorBody
	if err := json.Unmarshal([]byte(body), &refused); err != nil || status != http.StatusTooManyRequests || !strings.Contains(refused.Error.Message, "已经评价过") {
		t.Errorf("a second vote by script: %d %s", status, body)
	}
	// In traditional characters when the person reads them.
	f.clock.Add(24 * time.Hour)
	vote, _ = f.policyForms("dibao")
	status, body = post("yes", &http.Cookie{Name: cookieScript, Value: "t"})
	if err := json.Unmarshal([]byte(body), &ok); err != nil || status != http.StatusOK || !strings.Contains(ok.Message, "謝謝") {
		t.Errorf("vote by script in traditional characters: %d %s", status, body)
	}
}
