package search

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	bleveindex "github.com/blevesearch/bleve_index_api"

	"yicha/corpus"
	"yicha/corpus/corpustest"
)

// exhaustive is the ranking done the plain way, as the engine did before it
// pruned: every clause's postings read through bleve's TermFieldReader, every
// matching document scored, the adjustments applied, everything sorted by
// score and then by bleve's document order. Filters on entries' values are
// checked on the entries themselves.
type exhaustiveResult struct {
	ids    []string
	scores []float64
	// matched are the ids of every document a primary clause matches (or
	// citing the question's number) that the filters keep.
	matched []string
}

func exhaustive(t testing.TB, e *Engine, r Request) exhaustiveResult {
	t.Helper()
	s := e.acquire()
	defer s.release()
	ctx := context.Background()
	adv, err := s.idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	q := e.query.Question(r.Query)
	n, err := rd.DocCount()
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]float64{}
	primary := map[string]bool{}
	rk := e.query.ranking
	for _, c := range e.query.clauses(q) {
		tfr, err := rd.TermFieldReader(ctx, []byte(c.Term), c.Field, true, true, false)
		if err != nil {
			t.Fatal(err)
		}
		df := tfr.Count()
		if df == 0 || c.Weight <= 0 || (c.Secondary && rk.MaxSecondaryDF > 0 && df > minSkippedDF && float64(df) > rk.MaxSecondaryDF*float64(n)) {
			tfr.Close()
			continue
		}
		p := rk.Params[c.Field]
		avg := s.stats.AvgLen(c.Field)
		if avg <= 0 {
			avg = 1
		}
		idf := math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
		var tfd *bleveindex.TermFieldDoc
		for {
			if tfd, err = tfr.Next(tfd); err != nil {
				t.Fatal(err)
			}
			if tfd == nil {
				break
			}
			tf := float64(tfd.Freq)
			dl := avg
			if tfd.Norm > 0 {
				dl = 1 / (tfd.Norm * tfd.Norm)
			}
			if score := c.Weight * idf * tf * (p.K1 + 1) / (tf + p.K1*(1-p.B+p.B*dl/avg)); score > 0 {
				sums[string(tfd.ID)] += score
				primary[string(tfd.ID)] = primary[string(tfd.ID)] || !c.Secondary
			}
		}
		tfr.Close()
	}
	internal := func(id string) string {
		in, err := rd.InternalID(id)
		if err != nil {
			t.Fatal(err)
		}
		return string(in)
	}
	if num := q.citedNumber(); num != "" {
		cited, err := citing(ctx, s.idx, num)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range cited {
			in := internal(id)
			sums[in] += citedScore
			primary[in] = true
		}
	}
	for id, l := range s.phrases.in(q.Text) {
		if in := internal(id); sums[in] != 0 {
			sums[in] *= saidFactor(l)
		}
	}
	now := e.now()
	for _, id := range s.expired(now) {
		if in := internal(id); sums[in] != 0 {
			sums[in] *= expiredFactor
		}
	}
	keep := func(p *corpus.Policy) bool {
		f := r.Filters
		in := func(vals []string, v ...string) bool {
			return len(vals) == 0 || slices.ContainsFunc(v, func(x string) bool { return slices.Contains(vals, x) })
		}
		return in(f.Category, p.Category) && in(f.Kind, p.Kind) && in(f.Audience, p.Audiences...) && in(f.Agency, p.Agency) &&
			(!f.Online || p.HasOnline()) && (!f.ExcludeExpired || !p.Expired(now))
	}
	type scored struct {
		in    string
		score float64
	}
	var all []scored
	var out exhaustiveResult
	for in, sc := range sums {
		if !primary[in] {
			continue
		}
		id, err := rd.ExternalID(bleveindex.IndexInternalID(in))
		if err != nil {
			t.Fatal(err)
		}
		p, _ := s.corpus.Get(id)
		if !keep(p) {
			continue
		}
		all = append(all, scored{in, sc})
		out.matched = append(out.matched, id)
	}
	slices.SortFunc(all, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.in, b.in)
	})
	from := r.From()
	for _, x := range all[min(from, len(all)):min(from+r.Size, len(all))] {
		id, _ := rd.ExternalID(bleveindex.IndexInternalID(x.in))
		out.ids = append(out.ids, id)
		out.scores = append(out.scores, x.score)
	}
	return out
}

// checkRanking compares the engine's answers to requests with the
// exhaustive ranking: the same ids in the same order with the same scores,
// the exact total, and facets counted over every match.
func checkRanking(t *testing.T, e *Engine, reqs []Request) {
	t.Helper()
	compared := 0
	for _, r := range reqs {
		res, err := e.Search(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		want := exhaustive(t, e, r)
		if got := ids(res); !slices.Equal(got, want.ids) {
			t.Errorf("%s: ids\n got %v\nwant %v", r.Key(), got, want.ids)
			continue
		}
		for i, h := range res.Hits {
			if h.Score != want.scores[i] {
				t.Errorf("%s: score of %s = %v, want %v", r.Key(), h.Policy.ID, h.Score, want.scores[i])
			}
		}
		if res.Total != uint64(len(want.matched)) {
			t.Errorf("%s: total %d, want %d", r.Key(), res.Total, len(want.matched))
		}
		counts := map[string]map[string]int{}
		for _, f := range FacetFields {
			counts[f] = map[string]int{}
		}
		for _, id := range want.matched {
			p, _ := e.Corpus().Get(id)
			counts[FacetFields[0]][p.Category]++
			counts[FacetFields[1]][p.Kind]++
			for _, a := range p.Audiences {
				counts[FacetFields[2]][a]++
			}
			counts[FacetFields[3]][p.Agency]++
		}
		for _, f := range FacetFields {
			got := map[string]int{}
			for _, v := range res.Facets[f] {
				got[v.Value] = v.Count
			}
			if fmt.Sprint(got) != fmt.Sprint(counts[f]) {
				t.Errorf("%s: facet %s = %v, want %v", r.Key(), f, got, counts[f])
			}
		}
		compared++
	}
	if compared < len(reqs)*9/10 {
		t.Fatalf("only %d of %d requests compared", compared, len(reqs))
	}
}

// rankRequests varies real questions with filters and pages.
func rankRequests(t testing.TB, n int, agencies []string) []Request {
	qs := benchQuestions(t)
	var out []Request
	for i := 0; len(out) < n && i < len(qs); i++ {
		r := Request{Query: qs[(i*37)%len(qs)], Page: 1, Size: 10, Sort: SortRelevance}
		switch i % 7 {
		case 1:
			r.Filters.Category = []string{corpus.Categories[i%len(corpus.Categories)], corpus.Categories[(i+3)%len(corpus.Categories)]}
		case 2:
			r.Filters.Kind = []string{corpus.Kinds[i%len(corpus.Kinds)]}
			r.Filters.Online = i%2 == 0
		case 3:
			r.Page = 3
		case 4:
			r.Filters.ExcludeExpired = true
			r.Filters.Audience = []string{corpus.Audiences[i%len(corpus.Audiences)]}
		case 5:
			r.Filters.Agency = []string{agencies[i%len(agencies)]}
			r.Size = 50
		}
		out = append(out, r)
	}
	return out
}

func TestRankingMatchesExhaustiveOnDefaultCorpus(t *testing.T) {
	e := newEngine(t, embedded(t))
	reqs := rankRequests(t, 300, e.Agencies())
	// Questions citing a document number and saying an entry's keyword.
	for _, p := range e.Corpus().Policies[:40] {
		q := p.Title + "怎么办理"
		if len(p.Keywords) > 0 {
			q = "请问" + p.Keywords[0] + "需要什么材料"
		}
		for _, b := range p.Basis {
			if b.Number != corpus.Unknown && b.Number != "" {
				q = b.Number + "规定了什么"
				break
			}
		}
		reqs = append(reqs, Request{Query: q, Page: 1, Size: 10, Sort: SortRelevance})
	}
	checkRanking(t, e, reqs)
}

// generated returns n entries made from the shared texts, some expired by
// the pinned clock, some citing document numbers, with keywords a question
// may say, and many of them sharing texts so that scores tie.
func generated(t testing.TB, n int) *corpus.Corpus {
	c := scaleCorpus(t, n)
	for i, p := range c.Policies {
		if i%9 == 0 {
			p.Expires = "2025-06-30"
		}
		if i%11 == 0 {
			p.Basis = []corpus.Basis{{Title: "办法", Number: fmt.Sprintf("沪府规〔2024〕%d号", 100+i%5), Issuer: "市政府"}}
		}
		if i%5 == 0 {
			p.Keywords = []string{firstRunes(p.Title, 4)}
		}
		if i%13 == 0 && i > 0 {
			// The same text as an earlier entry: the same score, broken by
			// document order.
			q := c.Policies[i-1]
			p.Title, p.Summary, p.Content = q.Title, q.Summary, q.Content
		}
	}
	return c
}

func TestRankingMatchesExhaustiveOnGeneratedCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an index of 9,000 entries")
	}
	// More entries than two windows of the ranking (window), so that the
	// bounds of a window and the skipping of windows are checked too.
	c := generated(t, 9000)
	if len(c.Policies) <= 2*window {
		t.Fatalf("%d entries fill fewer than three windows of %d", len(c.Policies), window)
	}
	e := newEngineAt(t, c, corpustest.Pinned(t).Now)
	reqs := rankRequests(t, 300, e.Agencies())
	for i := 0; i < 60; i++ {
		p := c.Policies[i*41%len(c.Policies)]
		q := "关于" + firstRunes(p.Title, 8) + "的问题"
		if i%3 == 0 {
			q = fmt.Sprintf("沪府规[2024]%d号是什么", 100+i%5)
		}
		if i%3 == 1 && len(p.Keywords) > 0 {
			q = "我想问" + p.Keywords[0]
		}
		reqs = append(reqs, Request{Query: q, Page: 1 + i%2, Size: 10, Sort: SortRelevance})
	}
	checkRanking(t, e, reqs)
}
