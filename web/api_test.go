package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/index"
	"yicha/search"
	"yicha/web/webtest"
)

var _ Searcher = (*search.Engine)(nil)

type testServer struct {
	*httptest.Server
	corpus *corpus.Corpus
	engine *search.Engine
	logs   *webtest.Logs
	clock  *corpustest.Clock
}

// newTestServer serves the embedded corpus from a real index on disk
// through a real HTTP server of its own, with the clock pinned to the
// suite's moment. The index and engine are built once per test binary and
// shared: these servers only read them.
func newTestServer(t testing.TB) *testServer {
	t.Helper()
	sh := &shared
	sh.once.Do(func() {
		if sh.c, sh.err = corpus.Embedded().Load(context.Background()); sh.err != nil {
			return
		}
		if sh.dir, sh.err = os.MkdirTemp("", "yicha-web-test-"); sh.err != nil {
			return
		}
		if sh.idx, sh.err = index.BuildAt(context.Background(), filepath.Join(sh.dir, "idx"), sh.c, nil); sh.err != nil {
			return
		}
		sh.clock = corpustest.Pinned(t)
		sh.eng, sh.err = search.New(sh.idx, sh.c, sh.clock.Now)
	})
	if sh.err != nil {
		t.Fatal(sh.err)
	}
	return serve(t, sh.c, sh.eng, sh.clock)
}

// shared is the index and engine of newTestServer; TestMain removes them.
var shared struct {
	once  sync.Once
	dir   string
	c     *corpus.Corpus
	idx   bleve.Index
	eng   *search.Engine
	clock *corpustest.Clock
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopChromium()
	if shared.idx != nil {
		shared.idx.Close()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// newTestServerAt serves c with the given clock for the server and the
// engine alike.
func newTestServerAt(t testing.TB, c *corpus.Corpus, clock *corpustest.Clock) *testServer {
	t.Helper()
	store, err := index.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	idx, _, err := store.Build(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	eng, err := search.New(idx, c, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, c, eng, clock)
}

// serve starts a server of its own on eng, with a log the test reads.
func serve(t testing.TB, c *corpus.Corpus, eng *search.Engine, clock *corpustest.Clock) *testServer {
	t.Helper()
	logs := webtest.NewLogs()
	handler, err := NewServer(Config{Searcher: eng, Suggester: eng, Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &testServer{Server: srv, corpus: c, engine: eng, logs: logs, clock: clock}
}

func (s *testServer) get(t testing.TB, path string, out any) int {
	t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("GET %s: content type %q", path, ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode
}

func TestAPISearch(t *testing.T) {
	s := newTestServer(t)
	var simp, trad SearchResponse
	if code := s.get(t, "/api/search?q="+url.QueryEscape("残疾人补贴"), &simp); code != 200 {
		t.Fatalf("status %d", code)
	}
	s.get(t, "/api/search?q="+url.QueryEscape("殘疾人補貼"), &trad)
	if simp.Total == 0 || len(simp.Hits) == 0 {
		t.Fatal("残疾人补贴 found nothing")
	}
	hitIDs := func(r SearchResponse) []string {
		var out []string
		for _, h := range r.Hits {
			out = append(out, h.ID)
		}
		return out
	}
	if simp.Total != trad.Total || !slices.Equal(hitIDs(simp), hitIDs(trad)) {
		t.Errorf("simplified %v, traditional %v", hitIDs(simp), hitIDs(trad))
	}
	h := simp.Hits[0]
	if h.ID == "" || h.Title == "" || h.Category == "" || h.Kind == "" || h.Summary == "" || h.Snippet == "" || h.Score <= 0 {
		t.Errorf("incomplete hit: %+v", h)
	}
	for _, f := range []string{"category", "kind", "audience", "agency"} {
		if len(simp.Facets[f]) == 0 {
			t.Errorf("facet %s missing", f)
		}
	}

	// A category filter narrows, and the category counts add up to total.
	cat := simp.Facets["category"][0].Value
	var narrowed SearchResponse
	s.get(t, "/api/search?q="+url.QueryEscape("残疾人补贴")+"&category="+url.QueryEscape(cat), &narrowed)
	if narrowed.Total >= simp.Total || narrowed.Total == 0 {
		t.Errorf("category %s: %d of %d", cat, narrowed.Total, simp.Total)
	}
	sum := 0
	for _, f := range simp.Facets["category"] {
		sum += f.Count
	}
	if uint64(sum) != simp.Total {
		t.Errorf("category counts add up to %d, total %d", sum, simp.Total)
	}

	// The policy of a hit has its basis, guide and locations.
	var p struct {
		ID        string            `json:"id"`
		Title     string            `json:"title"`
		Basis     []corpus.Basis    `json:"basis"`
		Guide     corpus.Guide      `json:"guide"`
		Locations []corpus.Location `json:"locations"`
	}
	if code := s.get(t, "/api/policies/"+h.ID, &p); code != 200 {
		t.Fatalf("policy status %d", code)
	}
	if p.ID != h.ID || len(p.Basis) == 0 || p.Basis[0].Title == "" || len(p.Guide.Steps) == 0 || len(p.Locations) == 0 || p.Locations[0].Name == "" {
		t.Errorf("policy %s incomplete: %+v", h.ID, p)
	}
}

func TestAPIErrors(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/policies/no-such-policy", 404, "not_found"},
		{"/api/policies/" + url.PathEscape("../../etc/passwd"), 404, "not_found"},
		{"/api/search?q=" + strings.Repeat("补", 201), 400, "bad_request"},
		{"/api/search?size=0", 400, "bad_request"},
		{"/api/search?size=1000", 400, "bad_request"},
		{"/api/search?category=" + url.QueryEscape("不存在"), 400, "bad_request"},
		{"/api/search?agency=" + url.QueryEscape("不存在的局"), 400, "bad_request"},
		{"/api/search?online=maybe", 400, "bad_request"},
		{"/api/search?page=-1", 400, "bad_request"},
		{"/api/search?q=%ff", 400, "bad_request"},
		{"/api/nothing-here", 404, "not_found"},
	}
	for _, tt := range tests {
		var body struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if code := s.get(t, tt.path, &body); code != tt.status || body.Error.Code != tt.code || body.Error.Message == "" {
			t.Errorf("GET %s = %d %+v, want %d %s", tt.path, code, body, tt.status, tt.code)
		}
	}
	var health map[string]string
	if code := s.get(t, "/healthz", &health); code != 200 || health["status"] != "ok" {
		t.Errorf("healthz = %d %v", code, health)
	}
}

func TestAPIOnlineAndBrowse(t *testing.T) {
	s := newTestServer(t)
	var all, online SearchResponse
	s.get(t, "/api/search?size=50", &all)
	// The default site, the district, shows every entry but the streets'
	// own.
	shown, want := 0, 0
	for _, p := range s.corpus.Policies {
		if s.corpus.Sites.ShownOn(p, "hongkou") {
			shown++
			if p.HasOnline() {
				want++
			}
		}
	}
	if all.Total != uint64(shown) || shown == len(s.corpus.Policies) {
		t.Errorf("empty query lists %d of %d (%d in the corpus)", all.Total, shown, len(s.corpus.Policies))
	}
	s.get(t, "/api/search?online=true&size=50", &online)
	if online.Total != uint64(want) {
		t.Errorf("online=true lists %d, corpus has %d online entries", online.Total, want)
	}
	for _, h := range online.Hits {
		if !h.Online {
			t.Errorf("hit %s not online", h.ID)
		}
	}
}

// TestAccessLogHasNoQuery checks that what a person types never reaches the log.
func TestAccessLogHasNoQuery(t *testing.T) {
	s := newTestServer(t)
	var r SearchResponse
	s.get(t, "/api/search?q="+url.QueryEscape("我叫张三住在曲阳路"), &r)
	// The line is written once the answer has gone out: wait for it.
	s.logs.WaitFor(t, "msg=request", "path=/api/search")
	logs := s.logs.String()
	for _, secret := range []string{"张三", url.QueryEscape("张三"), "q="} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q: %s", secret, logs)
		}
	}
}

func FuzzAPISearch(f *testing.F) {
	s := newTestServer(f)
	for _, q := range []string{"q=残疾人补贴", "q=%22&size=3", "category=社会救助&page=2", "q=*?:&online=true", "sort=date&q=低保"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		resp, err := http.Get(s.URL + "/api/search?" + rawQuery)
		if err != nil {
			return // the client refused to send it
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("GET /api/search?%s = %d", rawQuery, resp.StatusCode)
		}
	})
}

func TestAPIEmptyQueryShowsEveryCategoryAndOnlineEntries(t *testing.T) {
	s := newTestServer(t)
	var online, all SearchResponse
	s.get(t, "/api/search?q=&online=true&size=50", &online)
	if online.Total < 16 || len(online.Hits) < 16 {
		t.Errorf("q=&online=true lists %d entries, want at least 16", online.Total)
	}
	s.get(t, "/api/search?q=", &all)
	var cats []string
	for _, f := range all.Facets["category"] {
		cats = append(cats, f.Value)
	}
	for _, c := range corpus.Categories {
		if !slices.Contains(cats, c) {
			t.Errorf("category %s missing from the facet of an empty query: %v", c, cats)
		}
	}
}

// TestAPIUsesTheEvaluatedPipeline checks that /api/search answers with the
// ranking that `yicha eval` measures.
func TestAPIUsesTheEvaluatedPipeline(t *testing.T) {
	s := newTestServer(t)
	eng := s.engine
	for _, q := range []string{"残疾人补贴", "我70岁了能领什么补贴", "失業了能領錢嗎", "孩子上学要准备什么材料"} {
		want, err := eng.Rank(context.Background(), q, 10)
		if err != nil {
			t.Fatal(err)
		}
		var r SearchResponse
		s.get(t, "/api/search?size=10&q="+url.QueryEscape(q), &r)
		var got []string
		for _, h := range r.Hits {
			got = append(got, h.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: API %v, eval %v", q, got, want)
		}
	}
}
