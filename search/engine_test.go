package search

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/index"
)

// newEngine builds a real scorch index of c in a temporary directory,
// searched at the suite's pinned moment (corpustest.Now).
func newEngine(t testing.TB, c *corpus.Corpus) *Engine {
	t.Helper()
	return newEngineAt(t, c, corpustest.Pinned(t).Now)
}

// newEngineAt is newEngine with the clock that decides expiry.
func newEngineAt(t testing.TB, c *corpus.Corpus, now func() time.Time) *Engine {
	t.Helper()
	s, err := index.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	idx, _, err := s.Build(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	e, err := New(idx, c, now)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func embedded(t testing.TB) *corpus.Corpus {
	t.Helper()
	c, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustSearch(t testing.TB, e *Engine, query string) *Result {
	t.Helper()
	v, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRequest(v)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Search(context.Background(), r)
	if err != nil {
		t.Fatalf("Search(%s): %v", query, err)
	}
	return res
}

func ids(res *Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Policy.ID)
	}
	return out
}

func TestTraditionalFindsTheSameAsSimplified(t *testing.T) {
	e := newEngine(t, embedded(t))
	for _, pair := range [][2]string{
		{"残疾人补贴", "殘疾人補貼"},
		{"长期护理保险怎么申请", "長期護理保險怎麼申請"},
		{"失业了能领钱吗", "失業了能領錢嗎"},
	} {
		simp := mustSearch(t, e, "size=50&q="+url.QueryEscape(pair[0]))
		trad := mustSearch(t, e, "size=50&q="+url.QueryEscape(pair[1]))
		if simp.Total == 0 {
			t.Fatalf("%s: no hits", pair[0])
		}
		if simp.Total != trad.Total || !slices.Equal(ids(simp), ids(trad)) {
			t.Errorf("%s: %v\n%s: %v", pair[0], ids(simp), pair[1], ids(trad))
		}
		for i := range simp.Hits {
			if simp.Hits[i].Score != trad.Hits[i].Score {
				t.Errorf("%s hit %d: score %v vs %v", pair[0], i, simp.Hits[i].Score, trad.Hits[i].Score)
			}
		}
	}
}

func TestCategoryFilterNarrowsAndFacetsAddUp(t *testing.T) {
	c := embedded(t)
	e := newEngine(t, c)
	all := mustSearch(t, e, "q="+url.QueryEscape("补贴"))
	sum := 0
	for _, f := range all.Facets[index.FieldCategory] {
		sum += f.Count
	}
	if uint64(sum) != all.Total {
		t.Errorf("category facet counts add up to %d, total is %d", sum, all.Total)
	}
	if len(all.Facets[index.FieldCategory]) < 2 {
		t.Fatalf("want hits in several categories, got %v", all.Facets[index.FieldCategory])
	}
	cat := all.Facets[index.FieldCategory][0]
	narrowed := mustSearch(t, e, "size=50&q="+url.QueryEscape("补贴")+"&category="+url.QueryEscape(cat.Value))
	if narrowed.Total != uint64(cat.Count) || narrowed.Total >= all.Total {
		t.Errorf("filter %s: total %d, facet said %d, unfiltered %d", cat.Value, narrowed.Total, cat.Count, all.Total)
	}
	for _, h := range narrowed.Hits {
		if h.Policy.Category != cat.Value {
			t.Errorf("hit %s has category %s", h.Policy.ID, h.Policy.Category)
		}
	}
	if f := narrowed.Facets[index.FieldCategory]; len(f) != 1 || f[0].Count != int(narrowed.Total) {
		t.Errorf("narrowed category facet = %v", f)
	}
	kindSum := 0
	for _, f := range narrowed.Facets[index.FieldKind] {
		kindSum += f.Count
	}
	if uint64(kindSum) != narrowed.Total {
		t.Errorf("kind facet counts add up to %d, total is %d", kindSum, narrowed.Total)
	}
}

func TestBrowseWithoutQuery(t *testing.T) {
	c := embedded(t)
	e := newEngine(t, c)
	every := mustSearch(t, e, "size=50")
	if every.Total != uint64(len(c.Policies)) {
		t.Fatalf("empty query lists %d of %d entries", every.Total, len(c.Policies))
	}
	for _, cat := range corpus.Categories {
		want := 0
		for _, p := range c.Policies {
			if p.Category == cat {
				want++
			}
		}
		res := mustSearch(t, e, "size=50&category="+url.QueryEscape(cat))
		if res.Total != uint64(want) {
			t.Errorf("browse %s: %d entries, corpus has %d", cat, res.Total, want)
		}
	}
	online := mustSearch(t, e, "size=50&online=true")
	for _, h := range online.Hits {
		if !h.Policy.HasOnline() {
			t.Errorf("online filter returned %s", h.Policy.ID)
		}
	}
}

func TestPaginationIsStable(t *testing.T) {
	e := newEngine(t, embedded(t))
	q := "q=" + url.QueryEscape("申请补贴需要什么材料")
	full := ids(mustSearch(t, e, q+"&size=50"))
	if len(full) < 12 {
		t.Fatalf("want at least 12 hits, got %d", len(full))
	}
	var paged []string
	for page := 1; page <= 4; page++ {
		paged = append(paged, ids(mustSearch(t, e, q+"&size=3&page="+string(rune('0'+page))))...)
	}
	if !slices.Equal(paged, full[:12]) {
		t.Errorf("pages 1-4 of 3 = %v\nfirst 12 of one page = %v", paged, full[:12])
	}
	again := ids(mustSearch(t, e, q+"&size=50"))
	if !slices.Equal(again, full) {
		t.Error("the same search gave another order")
	}
}

// TestQuerySyntaxIsPlainText: what would be operators in bleve's query
// string syntax are plain text here — a question with them finds what the
// same words find without them, and symbols alone find nothing.
func TestQuerySyntaxIsPlainText(t *testing.T) {
	e := newEngine(t, embedded(t))
	for syntax, plain := range map[string]string{
		`"残疾人" AND +补贴 -*`:          `残疾人 and 补贴`,
		`title:低保`:                  `title 低保`,
		`残疾?`:                       `残疾`,
		`补贴^100`:                    `补贴 100`,
		`<script>alert(1)</script>`: `script alert 1 script`,
	} {
		got, want := mustSearch(t, e, "size=50&q="+url.QueryEscape(syntax)), mustSearch(t, e, "size=50&q="+url.QueryEscape(plain))
		if want.Total == 0 || got.Total != want.Total || !slices.Equal(ids(got), ids(want)) {
			t.Errorf("%s finds %d %v, %s finds %d %v", syntax, got.Total, ids(got)[:min(3, len(got.Hits))], plain, want.Total, ids(want)[:min(3, len(want.Hits))])
		}
	}
	for _, q := range []string{`/.*/`, `~~~`, `*`, `?`} {
		if res := mustSearch(t, e, "q="+url.QueryEscape(q)); res.Total != 0 {
			t.Errorf("%q finds %d entries, want none", q, res.Total)
		}
	}
}

func TestUnknownAgencyIsBadRequest(t *testing.T) {
	e := newEngine(t, embedded(t))
	_, err := e.Search(context.Background(), Request{Filters: Filters{Agency: []string{"不存在的局"}}, Page: 1, Size: 10})
	if !errors.Is(err, ErrBadRequest) {
		t.Fatalf("err = %v, want ErrBadRequest", err)
	}
	agency := e.Agencies()[0]
	res := mustSearch(t, e, "agency="+url.QueryEscape(agency))
	if res.Total == 0 {
		t.Fatalf("agency %s lists nothing", agency)
	}
}

// TestSnippetsAndExpiry uses a tiny corpus of its own: text with markup is
// escaped in snippets, and an expired entry ranks below a current one even
// when it matches better.
func TestSnippetsAndExpiry(t *testing.T) {
	base := embedded(t).Policies[0]
	mk := func(id, title, content, expires string) *corpus.Policy {
		p := *base
		p.ID, p.Title, p.Content, p.Expires, p.Effective = id, title, content, expires, ""
		p.Keywords = []string{"测试"}
		return &p
	}
	c := corpus.NewCorpus([]*corpus.Policy{
		mk("a-old", "高龄津贴旧办法", "高龄津贴<b>旧</b>标准：高龄津贴按月发放，高龄津贴。", "2020-01-01"),
		mk("b-new", "老年综合津贴", "取代了高龄津贴的新办法 <script>x</script>", ""),
	}, "test")
	e := newEngine(t, c)
	res := mustSearch(t, e, "q="+url.QueryEscape("高龄津贴"))
	if got := ids(res); !slices.Equal(got, []string{"b-new", "a-old"}) {
		t.Fatalf("order = %v, want the current entry first", got)
	}
	if res.Hits[0].Expired || !res.Hits[1].Expired {
		t.Errorf("expired flags = %v, %v", res.Hits[0].Expired, res.Hits[1].Expired)
	}
	for _, h := range res.Hits {
		s := string(h.Snippet)
		if strings.Contains(s, "<b>") || strings.Contains(s, "<script>") {
			t.Errorf("snippet not escaped: %s", s)
		}
		if !strings.Contains(s, "<mark>") {
			t.Errorf("snippet without highlight: %s", s)
		}
	}
	if !strings.Contains(string(res.Hits[1].Snippet), "&lt;b&gt;") {
		t.Errorf("snippet lost the escaped text: %s", res.Hits[1].Snippet)
	}
}

func TestFillerWordsDoNotDecide(t *testing.T) {
	qb, err := NewQueryBuilder()
	if err != nil {
		t.Fatal(err)
	}
	got := qb.Terms("请问我怎么申请残疾人补贴呢？")
	for _, f := range []string{"请问", "我", "怎么", "呢"} {
		if slices.Contains(got, f) {
			t.Errorf("terms %v keep filler %q", got, f)
		}
	}
	if !slices.Contains(got, "残疾人") || !slices.Contains(got, "补贴") {
		t.Errorf("terms %v lost content words", got)
	}
	if got := qb.Terms("怎么办"); len(got) == 0 {
		t.Error("a question of fillers only has no terms")
	}
}
