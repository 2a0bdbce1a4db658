package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestAPISituation(t *testing.T) {
	s := newTestServer(t)
	var r SituationResponse
	if code := s.get(t, "/api/situation", &r); code != 200 {
		t.Fatalf("status %d", code)
	}
	names := []string{}
	for _, f := range r.Fields {
		names = append(names, f.Name)
		if f.Label == "" {
			t.Errorf("field %s has no label", f.Name)
		}
		if f.Kind != "number" && len(f.Options) == 0 {
			t.Errorf("field %s has no options", f.Name)
		}
	}
	for _, want := range []string{"age", "hukou", "residence", "disability", "disability_type", "economic", "employment", "identity"} {
		if !slices.Contains(names, want) {
			t.Errorf("field %s missing from %v", want, names)
		}
	}
}

func TestAPIMatch(t *testing.T) {
	s := newTestServer(t)
	var old MatchResponse
	if code := s.get(t, "/api/match?age=75&hukou="+url.QueryEscape("本市户籍"), &old); code != 200 {
		t.Fatalf("status %d", code)
	}
	var found *MatchedEntry
	for i := range old.Eligible {
		if old.Eligible[i].ID == "laonian-zonghe-jintie" {
			found = &old.Eligible[i]
		}
	}
	if found == nil {
		t.Fatalf("老年综合津贴 not eligible for a 75-year-old: %+v", old.Eligible)
	}
	var texts []string
	for _, r := range found.Reasons {
		texts = append(texts, r.Text)
	}
	if !strings.Contains(strings.Join(texts, "|"), "年龄 75 岁，满足 65 周岁以上") {
		t.Errorf("reasons %v", texts)
	}
	for _, m := range old.Maybe {
		if len(m.Missing)+len(m.Asks) == 0 {
			t.Errorf("maybe %s without missing facts or questions to confirm", m.ID)
		}
	}

	var young MatchResponse
	s.get(t, "/api/match?age=30&employment="+url.QueryEscape("在职"), &young)
	for _, list := range [][]MatchedEntry{young.Eligible, young.Maybe} {
		for _, m := range list {
			if m.ID == "laonian-zonghe-jintie" {
				t.Errorf("a 30-year-old in work gets 老年综合津贴 (%+v)", m)
			}
		}
	}

	var bad struct {
		Error struct{ Code string } `json:"error"`
	}
	for _, q := range []string{"age=-3", "hukou=火星", "identity=无&identity=独居", "age=1&age=2"} {
		if code := s.get(t, "/api/match?"+q, &bad); code != 400 || bad.Error.Code != "bad_request" {
			t.Errorf("/api/match?%s = %d %+v", q, code, bad)
		}
	}
}

// TestAPIMatchAsksToConfirm: what no situation field can tell is asked,
// not assumed. A 75-year-old with 本市户籍 and nothing else is not told she
// may have 临时救助: it is 可能符合, with the question in asks and a reason
// of status 还需确认, and no listed entry carries a reason 不符合.
func TestAPIMatchAsksToConfirm(t *testing.T) {
	s := newTestServer(t)
	var r MatchResponse
	if code := s.get(t, "/api/match?age=75&hukou="+url.QueryEscape("本市户籍"), &r); code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, m := range r.Eligible {
		if m.ID == "linshi-jiuzhu" || m.ID == "canjizheng-banli" || m.ID == "menzhen-dabing" {
			t.Errorf("%s is 符合 for a 75-year-old with 本市户籍 and nothing else", m.ID)
		}
		if len(m.Asks) > 0 {
			t.Errorf("%s is 符合 with questions to confirm: %v", m.ID, m.Asks)
		}
	}
	var found *MatchedEntry
	for i, m := range r.Maybe {
		if m.ID == "linshi-jiuzhu" {
			found = &r.Maybe[i]
		}
		for _, x := range m.Reasons {
			if x.Status == "不符合" {
				t.Errorf("maybe %s carries a reason 不符合: %s", m.ID, x.Text)
			}
		}
	}
	if found == nil {
		t.Fatal("临时救助 is not 可能符合")
	}
	if len(found.Asks) == 0 || !slices.ContainsFunc(found.Reasons, func(x Reason) bool {
		return x.Status == "还需确认" && strings.HasPrefix(x.Text, "还需确认：") && strings.Contains(x.Text, found.Asks[0])
	}) {
		t.Errorf("临时救助: asks %v, reasons %+v", found.Asks, found.Reasons)
	}
}

func TestAPISearchWithSituation(t *testing.T) {
	s := newTestServer(t)
	var r SearchResponse
	s.get(t, "/api/search?q="+url.QueryEscape("老人补贴")+"&age=80&hukou="+url.QueryEscape("本市户籍")+"&category="+url.QueryEscape("养老服务"), &r)
	if len(r.Hits) == 0 {
		t.Fatal("no hits")
	}
	if r.Hits[0].Eligibility != "符合" || len(r.Hits[0].Reasons) == 0 {
		t.Errorf("first hit %+v", r.Hits[0])
	}
	for _, h := range r.Hits {
		if h.Category != "养老服务" || (h.Eligibility != "符合" && h.Eligibility != "可能符合") {
			t.Errorf("hit %s: %s %s", h.ID, h.Category, h.Eligibility)
		}
	}
}

// TestSituationNeverLogged runs matches and searches with a situation and
// checks that the server's log holds none of the values.
func TestSituationNeverLogged(t *testing.T) {
	s := newTestServer(t)
	var m MatchResponse
	var r SearchResponse
	situation := "age=87&hukou=" + url.QueryEscape("本市户籍") + "&residence=" + url.QueryEscape("曲阳路街道") +
		"&disability=" + url.QueryEscape("二级") + "&economic=" + url.QueryEscape("低收入") + "&identity=" + url.QueryEscape("独居")
	s.get(t, "/api/match?"+situation, &m)
	s.get(t, "/api/search?q="+url.QueryEscape("补贴")+"&"+situation, &r)
	s.get(t, "/api/match?age=999", &struct{}{}) // an error path logs too
	// Each line is written once its answer has gone out: wait for them.
	s.logs.WaitFor(t, "msg=request", "path=/api/match", "status=200")
	s.logs.WaitFor(t, "msg=request", "path=/api/search", "status=200")
	s.logs.WaitFor(t, "msg=request", "path=/api/match", "status=400")
	logs := s.logs.String()
	for _, n := range []string{"87", "999"} {
		if regexp.MustCompile(`(^|[^0-9.])` + n + `([^0-9.]|$)`).MatchString(logs) {
			t.Errorf("log contains the number %s:\n%s", n, logs)
		}
	}
	for _, v := range []string{"本市户籍", "曲阳路", "二级", "低收入", "独居", "age=", "hukou", "residence", "%E6"} {
		if strings.Contains(logs, v) {
			t.Errorf("log contains %q:\n%s", v, logs)
		}
	}
}

// TestMatchPageListsTheLikeliestFirst: a situation that leaves many entries
// open lists the maybeShown likeliest of them, says how many there are and
// links to all of them, which lists every one.
func TestMatchPageListsTheLikeliestFirst(t *testing.T) {
	s := newTestServer(t)
	var api struct {
		Maybe []json.RawMessage `json:"maybe"`
	}
	q := "age=75&hukou=" + url.QueryEscape("本市户籍")
	s.get(t, "/api/match?"+q, &api)
	if len(api.Maybe) <= maybeShown {
		t.Fatalf("only %d entries are 可能符合; the test needs more than %d", len(api.Maybe), maybeShown)
	}
	section := func(page string) string {
		i := strings.Index(page, `id="maybe-title"`)
		if i < 0 {
			t.Fatal("no 可能符合 section")
		}
		return page[i:]
	}
	_, page := s.fetch(t, "/match?"+q)
	maybe := section(page)
	if n := strings.Count(maybe, `class="hit"`); n != maybeShown {
		t.Errorf("the page lists %d 可能符合 entries, want %d", n, maybeShown)
	}
	if want := fmt.Sprintf("可能符合（%d 项）", len(api.Maybe)); !strings.Contains(page, want) {
		t.Errorf("the page does not say %s", want)
	}
	if !strings.Contains(maybe, "all=1") || !strings.Contains(maybe, "查看全部") {
		t.Fatal("no link to every 可能符合 entry")
	}
	_, page = s.fetch(t, "/match?"+q+"&all=1")
	if n := strings.Count(section(page), `class="hit"`); n != len(api.Maybe) {
		t.Errorf("with all=1 the page lists %d entries, want %d", n, len(api.Maybe))
	}
}

// TestPolicyPagePlacesByStreet: an entry handled at every street's centre
// shows them folded under one line; with the resident's street (from the
// form on the page, or passed on by the wizard's links) that street's
// centre comes first, open, and the others stay folded.
func TestPolicyPagePlacesByStreet(t *testing.T) {
	s := newTestServer(t)
	places := func(page string) (open, folded string) {
		i := strings.Index(page, `id="places"`)
		j := strings.Index(page, `id="basis"`)
		if i < 0 || j < i {
			t.Fatal("no places section")
		}
		sec := page[i:j]
		k := strings.Index(sec, `<details class="places-folded">`)
		if k < 0 {
			return sec, ""
		}
		return sec[:k], sec[k:]
	}
	open, folded := places(s.pageOf(t, "/policies/dibao"))
	if strings.Contains(open, "社区事务受理服务中心</h3>") || strings.Count(folded, "社区事务受理服务中心</h3>") != 8 {
		t.Errorf("without a street the 8 centres are not all folded: open %d, folded %d",
			strings.Count(open, "社区事务受理服务中心</h3>"), strings.Count(folded, "社区事务受理服务中心</h3>"))
	}
	street := "凉城新村街道"
	open, folded = places(s.pageOf(t, "/policies/dibao?residence="+url.QueryEscape(street)))
	if !strings.Contains(open, "<h3>"+street+"社区事务受理服务中心</h3>") || strings.Count(folded, "社区事务受理服务中心</h3>") != 7 ||
		!strings.Contains(folded, "其他街道") {
		t.Errorf("with %s: its centre is not first and open, or the other 7 are not folded", street)
	}
	if strings.Contains(s.pageOf(t, "/policies/dibao?residence=nowhere"), "selected>") {
		t.Error("an unknown street is taken as chosen")
	}
	page := s.pageOf(t, "/match?age=40&hukou="+url.QueryEscape("本市户籍")+"&residence="+url.QueryEscape(street))
	if !strings.Contains(page, "?residence="+url.QueryEscape(street)) {
		t.Error("the wizard's links do not pass on the street")
	}
}

// pageOf fetches a page and fails the test unless it is served.
func (s *testServer) pageOf(t testing.TB, path string) string {
	t.Helper()
	resp, page := s.fetch(t, path)
	if resp.StatusCode != 200 {
		t.Fatalf("%s: status %d", path, resp.StatusCode)
	}
	return page
}
