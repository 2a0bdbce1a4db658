package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"yicha/corpus"
	"yicha/corpus/corpustest"
)

// trustFixture is the small corpus with a registry of documents that the
// corpus package's tests use.
const trustFixture = "../corpus/testdata/trust"

// newTrustServer serves the fixture corpus, each file first changed by its
// edit, at the suite's pinned moment.
func newTrustServer(t testing.TB, edits map[string]func(string) string) *testServer {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(trustFixture, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(trustFixture, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if edit := edits[filepath.ToSlash(rel)]; edit != nil {
			data = []byte(edit(string(data)))
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := corpus.Dir(dir).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return newTestServerAt(t, c, corpustest.NewClock(corpustest.DefaultNow))
}

// validateAnswer checks a request and its answer against the OpenAPI
// description the server publishes.
func validateAnswer(t *testing.T, base, path string, status int, body []byte) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPISpec)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: base}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("GET %s is not described: %v", path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: http.Header{"Content-Type": {"application/json"}},
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("GET %s: answer does not match the OpenAPI description: %v\n%s", path, err, body)
	}
}

func TestDocumentsAPI(t *testing.T) {
	s := newTrustServer(t, nil)
	var list DocumentsResponse
	if code := s.get(t, "/api/documents", &list); code != 200 {
		t.Fatalf("/api/documents = %d", code)
	}
	cited := map[string]int{}
	for _, d := range list.Documents {
		cited[d.ID] = d.CitedBy
	}
	want := map[string]int{"jintie-banfa": 1, "jiuzhu-banfa-2014": 0, "shehui-jiuzhu-fa": 1, "shiyan-tongzhi": 1}
	if len(cited) != len(want) {
		t.Fatalf("documents = %+v", list.Documents)
	}
	for id, n := range want {
		if cited[id] != n {
			t.Errorf("%s cited by %d, want %d", id, cited[id], n)
		}
	}
	if d := list.Documents[1]; d.ID != "jiuzhu-banfa-2014" || d.Status != "已废止" || d.Successor != "shehui-jiuzhu-fa" || d.Effective != "2014-05-01" {
		t.Errorf("second document = %+v", d)
	}

	var one DocumentResponse
	if code := s.get(t, "/api/documents/shehui-jiuzhu-fa", &one); code != 200 {
		t.Fatalf("/api/documents/shehui-jiuzhu-fa = %d", code)
	}
	if len(one.Citing) != 1 || one.Citing[0] != (Citing{ID: "linshi-butie", Title: "临时生活补贴", Articles: "第十二条"}) {
		t.Errorf("citing = %+v", one.Citing)
	}
	var jintie DocumentResponse
	s.get(t, "/api/documents/jintie-banfa", &jintie)
	if len(jintie.Amendments) != 1 || jintie.Amendments[0].Note != "调整津贴标准" || jintie.Number != "沪府发〔2016〕26号" {
		t.Errorf("jintie-banfa = %+v", jintie)
	}

	var missing errorBody
	if code := s.get(t, "/api/documents/nope", &missing); code != 404 || missing.Error.Code != "not_found" {
		t.Errorf("/api/documents/nope = %d %+v", code, missing)
	}

	var p PolicyResponse
	if code := s.get(t, "/api/policies/laonian-jintie", &p); code != 200 {
		t.Fatalf("/api/policies/laonian-jintie = %d", code)
	}
	b := p.Basis[0]
	if b.Document != "jintie-banfa" || b.Status != "现行有效" || b.Title != "上海市老年综合津贴暂行办法" || b.Date != "2016-04-01" || b.Articles != "第三条" {
		t.Errorf("basis = %+v", b)
	}
	if p.Benefit != "每月75元至650元，按年龄分档" || p.Verified != "2026-11-20" || len(p.Amounts) != 1 || p.Amounts[0].From != "2021-01-01" {
		t.Errorf("benefit, verified, amounts = %q %q %+v", p.Benefit, p.Verified, p.Amounts)
	}
	if len(p.Sources) != 1 || p.Sources[0].URL != "https://www.shanghai.gov.cn/jintie" || p.Sources[0].Retrieved != "2026-11-20" {
		t.Errorf("sources = %+v", p.Sources)
	}
	if p.Online == nil || p.Online.Search != "老年综合津贴" || p.Online.URL != "" {
		t.Errorf("online = %+v", p.Online)
	}
	if p.Locations[0].Source == nil || p.Locations[0].Source.Publisher != "虹口区人民政府" {
		t.Errorf("place source = %+v", p.Locations[0].Source)
	}

	for _, c := range []struct {
		path   string
		status int
	}{{"/api/documents", 200}, {"/api/documents/jintie-banfa", 200}, {"/api/documents/nope", 404}, {"/api/policies/laonian-jintie", 200}, {"/api/policies/linshi-butie", 200}} {
		resp, err := http.Get(s.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("GET %s = %d, want %d", c.path, resp.StatusCode, c.status)
		}
		validateAnswer(t, s.URL, c.path, resp.StatusCode, body)
	}
}

func TestDocumentAndEntryPages(t *testing.T) {
	s := newTrustServer(t, nil)
	tests := []struct {
		path   string
		status int
		want   []string
		not    []string
	}{
		{"/documents", 200, []string{"<h1>政策文件</h1>", `href="/documents/jiuzhu-banfa-2014"`, "不再作为现行依据", "4 份文件", "1 项政策引用"}, nil},
		{"/documents/jiuzhu-banfa-2014", 200, []string{"<h1>社会救助暂行办法</h1>", "已废止", "这份文件已经废止", `现行文件是<a href="/documents/shehui-jiuzhu-fa">中华人民共和国社会救助法</a>`, "中华人民共和国国务院令第649号", "本站暂无依据这份文件的条目"}, nil},
		{"/documents/jintie-banfa", 200, []string{"沪府发〔2016〕26号", "2016年3月1日", "2016年4月1日", "修订情况", "2021年1月1日：调整津贴标准", `href="https://www.shanghai.gov.cn/jintie"`, `<a href="/policies/laonian-jintie">老年综合津贴</a> <span class="meta">第三条</span>`}, []string{"这份文件已经废止"}},
		{"/documents/shehui-jiuzhu-fa", 200, []string{"文号</dt><dd>暂未核实", "它取代的文件", `href="/documents/jiuzhu-banfa-2014"`}, nil},
		{"/documents/shiyan-tongzhi", 200, []string{"有效期至</dt><dd>2027-01-15", "第三方转载"}, nil},
		{"/documents/nope", 404, nil, nil},
		{"/policies/laonian-jintie", 200, []string{
			`<p class="meta verified" id="verified">信息核对于 2026年11月20日 · 来源：<a href="https://www.shanghai.gov.cn/jintie"`,
			"能得到：</strong>每月75元至650元，按年龄分档",
			"65至69周岁：<strong>每人每月75元</strong>（自2021年1月1日起）",
			`<a class="button primary" href="https://zwdt.sh.gov.cn/govPortals/index.do"`, "在一网通办搜索“老年综合津贴”",
			`<a href="/documents/jintie-banfa">上海市老年综合津贴暂行办法</a>`,
			`请致电<a href="tel:12345">12345</a>市民服务热线询问`,
		}, []string{"去办理", "<dd>暂未核实", "doc-status"}},
		{"/policies/linshi-butie", 200, []string{"去办理", `href="https://zwdt.sh.gov.cn/govPortals/bsfw/item/abc"`}, []string{"在一网通办搜索", "能得到："}},
		{"/search?q=" + url.QueryEscape("老年综合津贴"), 200, []string{`<p class="benefit"><strong>能得到：</strong>每月75元至650元，按年龄分档</p>`}, nil},
		{"/match?age=70&hukou=" + url.QueryEscape("本市户籍"), 200, []string{"每月75元至650元，按年龄分档"}, nil},
	}
	for _, tt := range tests {
		resp, body := s.fetch(t, tt.path)
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.status)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tt.path, w)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(body, w) {
				t.Errorf("GET %s has %q", tt.path, w)
			}
		}
	}

	// In traditional characters, the new lines are converted too.
	_, body := s.fetch(t, "/policies/laonian-jintie", &http.Cookie{Name: cookieScript, Value: "t"})
	for _, w := range []string{"對於 2026年11月20日", "來源：", "在一網通辦搜索“老年綜合津貼”", "請致電", "市民服務熱線詢問", "（自2021年1月1日起）"} {
		if !strings.Contains(body, w) {
			t.Errorf("the traditional page lacks %q", w)
		}
	}
	_, body = s.fetch(t, "/documents/jiuzhu-banfa-2014", &http.Cookie{Name: cookieScript, Value: "t"})
	if !strings.Contains(body, "這份文件已經廢止") {
		t.Error("the traditional document page lacks 這份文件已經廢止")
	}
}

// TestEntryPageMarksDocumentsNotInForce: a basis item citing a repealed
// document links to it with its status.
func TestEntryPageMarksDocumentsNotInForce(t *testing.T) {
	s := newTrustServer(t, map[string]func(string) string{"policies/linshi-butie.yaml": func(s string) string {
		return strings.Replace(s, "document: shehui-jiuzhu-fa", "document: jiuzhu-banfa-2014", 1)
	}})
	_, body := s.fetch(t, "/policies/linshi-butie")
	want := `<a href="/documents/jiuzhu-banfa-2014">社会救助暂行办法</a></cite> <span class="tag expired doc-status">已废止</span>`
	if !strings.Contains(body, want) {
		t.Errorf("the page lacks %q", want)
	}
	if n := strings.Count(body, "doc-status"); n != 1 {
		t.Errorf("%d status badges, want 1", n)
	}
}

// TestFreshnessInStatusAndTransparency: the admin status and page list,
// by the server's clock, what is due for checking; /transparency shows the
// share verified in the last six months. Two moments, no wall clock.
func TestFreshnessInStatusAndTransparency(t *testing.T) {
	s := newAdminServerWith(t, testToken, func(cfg *Config) {
		// The fixture's engine; the server's clock is the admin server's.
		eng := newTrustServer(t, nil).engine
		cfg.Searcher, cfg.Suggester = eng, eng
	})
	for _, at := range []struct {
		now             time.Time
		stale, expiring []string
		recently, share int
	}{
		// 2026-12-03: linshi-butie was verified 216 days ago, laonian-jintie
		// 13; shiyan-tongzhi ends on 2027-01-15, 43 days ahead.
		{corpustest.DefaultNow, []string{"linshi-butie"}, []string{"shiyan-tongzhi"}, 1, 50},
		// 2027-06-01: linshi-butie (verified 2026-05-01) is 396 days old,
		// laonian-jintie (2026-11-20) 193; the document has ended.
		{time.Date(2027, 6, 1, 10, 0, 0, 0, corpus.Zone), []string{"linshi-butie", "laonian-jintie"}, nil, 0, 0},
	} {
		s.clock.Set(at.now)
		var st StatusResponse
		if code := s.do(t, "GET", "/api/admin/status", testToken, &st); code != 200 {
			t.Fatalf("status = %d", code)
		}
		f := st.Freshness
		var stale, expiring []string
		for _, e := range f.Stale {
			stale = append(stale, e.ID)
		}
		for _, d := range f.Expiring {
			expiring = append(expiring, d.ID)
		}
		day := corpus.Today(at.now)
		if strings.Join(stale, ",") != strings.Join(at.stale, ",") || strings.Join(expiring, ",") != strings.Join(at.expiring, ",") {
			t.Errorf("%s: stale %v, expiring %v; want %v, %v", day, stale, expiring, at.stale, at.expiring)
		}
		if f.VerifiedRecently != at.recently || f.Entries != 2 {
			t.Errorf("%s: verified recently %d of %d, want %d of 2", day, f.VerifiedRecently, f.Entries, at.recently)
		}
		u := f.Unknown
		if u != (corpus.UnknownCounts{BasisNumbers: 2, DocumentDates: 1, PlaceAddresses: 1, PlacePhones: 1, TimeLimits: 1}) {
			t.Errorf("%s: unknown counts %+v", day, u)
		}
		resp, err := http.Get(s.URL + "/transparency")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "近 6 个月内对照官方来源核对过的条目：" + strconv.Itoa(at.recently) + " 项，占全部 2 项的 " + strconv.Itoa(at.share) + "%。"
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("%s: /transparency lacks %q", day, want)
		}
	}
	client, _ := s.signIn(t)
	resp, err := client.Get(s.URL + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, w := range []string{"信息是否及时", `<a href="/policies/linshi-butie">临时生活补贴</a> <span class="meta">核对于 2026-05-01，已 396 天</span>`, "60 天内到期的政策文件（0）", "<dt>文号（依据）</dt><dd>2</dd>"} {
		if !bytes.Contains(page, []byte(w)) {
			t.Errorf("the admin page lacks %q", w)
		}
	}
}
