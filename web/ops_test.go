package web

import (
	"io"
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
	h, _ := NewServer(Config{AdminToken: testToken, Admin: s.svc, Searcher: s.svc.Engine})
	req := httptest.NewRequest("GET", "/admin", nil)
	req.AddCookie(&http.Cookie{Name: adminCookie, Value: h.mac("session")})
	rec := httptest.NewRecorder()
	h.queries = mustQueries(t, s)
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	if !strings.Contains(body, "zzqqxx") || strings.Contains(body, "<script>x</script>") {
		t.Errorf("admin page: %s", body[:min(len(body), 400)])
	}
}

// mustQueries returns the query log of the server under test.
func mustQueries(t *testing.T, s *adminServer) *queryLog {
	t.Helper()
	return s.server.queries
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
