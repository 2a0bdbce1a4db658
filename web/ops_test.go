package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{"/", "/search?q=" + url.QueryEscape("低保"), "/policies/dibao", "/match", "/no-such-page"} {
		resp, _ := s.fetch(t, path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	resp, _ := s.fetch(t, "/api/search?q=x")
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("API answers lack nosniff")
	}
}

func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return 0 // a series appears with its first observation
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func TestMetricsMove(t *testing.T) {
	s := newTestServer(t)
	scrape := func() string {
		_, body := s.fetch(t, "/metrics")
		return body
	}
	before := scrape()
	var r SearchResponse
	s.get(t, "/api/search?q="+url.QueryEscape("残疾人补贴"), &r)
	s.get(t, "/api/search?q="+url.QueryEscape("残疾人补贴"), &r) // a cache hit
	s.get(t, "/api/search?q=qqqzzzxxx", &r)                 // nothing found
	// A request is counted just after its answer is sent: let them land.
	var after string
	for deadline := time.Now().Add(2 * time.Second); ; {
		after = scrape()
		if metricValue(t, after, `yicha_http_requests_total{method="GET",route="/api/search",status="200"}`) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range []struct {
		series string
		delta  float64
	}{
		{"yicha_searches_total", 3},
		{"yicha_zero_result_searches_total", 1},
		{"yicha_search_cache_hits_total", 1},
		{`yicha_http_requests_total{method="GET",route="/api/search",status="200"}`, 3},
	} {
		if d := metricValue(t, after, c.series) - metricValue(t, before, c.series); d != c.delta {
			t.Errorf("%s moved by %v, want %v", c.series, d, c.delta)
		}
	}
	if !strings.Contains(after, "yicha_searches_total ") {
		t.Error("no yicha_searches_total series")
	}
	if metricValue(t, after, "yicha_index_documents") != float64(len(s.corpus.Policies)) {
		t.Error("yicha_index_documents is wrong")
	}
	if !strings.Contains(after, `yicha_http_request_duration_seconds_bucket{route="/api/search"`) {
		t.Error("no latency histogram")
	}
	if strings.Contains(after, "残疾人") || strings.Contains(after, "qqqzzzxxx") {
		t.Error("metrics hold what people typed")
	}
}

func TestReadiness(t *testing.T) {
	s := newTestServer(t)
	var body map[string]any
	if code := s.get(t, "/readyz", &body); code != 200 {
		t.Errorf("readyz of a serving server = %d %v", code, body)
	}
	starting := httptest.NewServer(Starting())
	defer starting.Close()
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503, "/api/search?q=x": 503} {
		resp, err := http.Get(starting.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("while starting, %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestQuietBeforeAnyRequest: a server no request has reached has been
// quiet since it was made, not since 1970 (what a shutdown logs): well
// under the hour, whatever the day.
func TestQuietBeforeAnyRequest(t *testing.T) {
	s, err := NewServer(Config{Searcher: newTestServer(t).engine})
	if err != nil {
		t.Fatal(err)
	}
	if q := s.Quiet(); q < 0 || q > time.Hour {
		t.Errorf("quiet for %v before any request, just after the server was made", q)
	}
}

func TestAdminListsWhatWasNotFound(t *testing.T) {
	s := newAdminServer(t, testToken)
	for _, q := range []string{"zzqqxx", "zzqqxx", "残疾人补贴", "<script>x</script>qqzz"} {
		s.firstHit(t, q)
	}
	var r QueriesResponse
	if code := s.do(t, "GET", "/api/admin/queries", testToken, &r); code != 200 {
		t.Fatalf("queries = %d", code)
	}
	if len(r.ZeroResult) == 0 || r.ZeroResult[0].Query != "zzqqxx" || r.ZeroResult[0].Count != 2 {
		t.Errorf("zero-result queries %+v", r.ZeroResult)
	}
	found := false
	for _, q := range r.Top {
		found = found || q.Query == "残疾人补贴"
	}
	if !found {
		t.Errorf("top queries %+v lack 残疾人补贴", r.Top)
	}
	for _, q := range r.ZeroResult {
		if q.Query == "残疾人补贴" {
			t.Error("a question with answers is listed as not found")
		}
	}
	// The admin page shows them, escaped.
	_, body := s.signIn(t)
	if !strings.Contains(body, "zzqqxx") || strings.Contains(body, "<script>x</script>") {
		t.Errorf("admin page: %s", body[:min(len(body), 400)])
	}
}

// TestQueryLogCountsAQuestionOnce asks one question written three ways —
// extra spaces, traditional characters — the later ones answered from the
// cache: the query log counts one question three times.
func TestQueryLogCountsAQuestionOnce(t *testing.T) {
	s := newAdminServer(t, testToken)
	for _, q := range []string{"残疾人   补贴", "残疾人 补贴", "残疾人 补贴", "殘疾人 補貼"} {
		s.firstHit(t, q)
	}
	var r QueriesResponse
	if code := s.do(t, "GET", "/api/admin/queries", testToken, &r); code != 200 {
		t.Fatalf("queries = %d", code)
	}
	var got []QueryCount
	for _, q := range r.Top {
		if strings.Contains(q.Query, "疾") {
			got = append(got, q)
		}
	}
	if len(got) != 1 || got[0].Query != "残疾人 补贴" || got[0].Count != 4 {
		t.Errorf("the query log lists %+v, want one question counted 4 times", got)
	}
}

// TestQueryLogKeepsNoPersonalData: what looks like an ID, phone or bank
// card number or an e-mail address never reaches the query log, which
// outlives the server (it is in the store) and forgets days past its
// window.
func TestQueryLogKeepsNoPersonalData(t *testing.T) {
	s := newAdminServer(t, testToken)
	q := "低保 身份证310101199001011234 电话13812345678 卡号6222021234567890123 zhang@example.com"
	s.firstHit(t, q)
	s.firstHit(t, "残疾人补贴")
	if err := s.server.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A new server on the same store: what the first one counted is there.
	h, err := NewServer(Config{Searcher: s.svc.Engine, AdminToken: testToken, Admin: s.svc, Records: s.fb, Now: s.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	top, _, err := h.queries.top(context.Background(), 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, c := range top {
		all = append(all, c.Query)
	}
	joined := strings.Join(all, "\n")
	if !strings.Contains(joined, "低保 身份证") || !strings.Contains(joined, "残疾人补贴") {
		t.Errorf("after a restart the query log lists %q", all)
	}
	for _, secret := range []string{"310101199001011234", "13812345678", "6222021234567890123", "zhang@example.com"} {
		if strings.Contains(joined, secret) {
			t.Errorf("the query log keeps %q", secret)
		}
	}
	// QueryLogDays on, the day is forgotten.
	s.clock.Add(time.Duration(DefaultQueryLogDays) * 24 * time.Hour)
	if top, _, _ := h.queries.top(context.Background(), 10, nil); len(top) != 0 {
		t.Errorf("%d days on the query log still lists %+v", DefaultQueryLogDays, top)
	}
}

// TestAnswerCacheIsBounded: unknown parameters, however long and however
// many, make no new cache entries; distinct answers stay within the byte
// budget.
func TestAnswerCacheIsBounded(t *testing.T) {
	base := newTestServer(t)
	h, err := NewServer(Config{Searcher: base.engine, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CacheBytes: 200 << 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	pad := strings.Repeat("x", 30<<10)
	for i := range 300 {
		for _, q := range []string{
			fmt.Sprintf("/api/search?size=50&pad=%s&m=%d&q=%s", pad, i, url.QueryEscape("补贴")),
			fmt.Sprintf("/api/search?q=%s&m=%d&size=50", url.QueryEscape("补贴  "), i),
		} {
			resp, err := http.Get(srv.URL + q)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%.80s: %d", q, resp.StatusCode)
			}
		}
	}
	if n, b := h.cache.Size(); n != 1 || b > 100<<10 {
		t.Errorf("600 requests of one question: %d cache entries, %d bytes; want 1 entry of one answer", n, b)
	}
	// Distinct answers: the oldest go, the bytes stay within the budget.
	for page := 1; page <= 40; page++ {
		for _, q := range []string{"补贴", "申请", "服务"} {
			resp, err := http.Get(fmt.Sprintf("%s/api/search?size=50&page=%d&q=%s", srv.URL, page%2+1, url.QueryEscape(q+strings.Repeat(" 的", page))))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	if n, b := h.cache.Size(); b > 200<<10 || n < 2 {
		t.Errorf("after many distinct answers: %d entries, %d bytes (budget %d)", n, b, 200<<10)
	}
}

// TestMetricLabelsAreBounded: 2,000 invented methods and paths make no new
// series.
func TestMetricLabelsAreBounded(t *testing.T) {
	s := newTestServer(t)
	client := &http.Client{}
	for i := range 2000 {
		req, _ := http.NewRequest(fmt.Sprintf("M%dX", i), fmt.Sprintf("%s/no/such/%d", s.URL, i), nil)
		if i%2 == 0 {
			req.URL.Path = "/api/search"
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	_, body := s.fetch(t, "/metrics")
	n := 0
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "yicha_http_requests_total{") {
			n++
			if !strings.Contains(l, `method="OTHER"`) && !strings.Contains(l, `method="GET"`) {
				t.Errorf("series %s", l)
			}
		}
	}
	if n > 10 {
		t.Errorf("%d request series after 2,000 invented methods", n)
	}
}

// TestHeadOnEveryReadingRoute: monitors probing with HEAD get the status
// a GET would, and no body.
func TestHeadOnEveryReadingRoute(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{"/healthz", "/readyz", "/", "/search?q=%E4%BD%8E%E4%BF%9D", "/policies/dibao", "/match",
		"/advanced", "/api/search?q=x", "/api/policies/dibao", "/api/situation", "/api/match?age=70", "/api/suggest?q=di",
		"/api/openapi.json", "/metrics", "/static/style.css"} {
		resp, err := http.Head(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) != 0 {
			t.Errorf("HEAD %s = %d with %d bytes", path, resp.StatusCode, len(body))
		}
	}
	if resp, _ := http.Head(s.URL + "/policies/no-such"); resp.StatusCode != 404 {
		t.Errorf("HEAD of a missing policy = %d", resp.StatusCode)
	}
}
