package search

import (
	"net/url"
	"slices"
	"testing"

	"yicha/corpus"
)

func situation(t *testing.T, q string) corpus.Situation {
	t.Helper()
	v, _ := url.ParseQuery(q)
	s, err := corpus.ParseSituation(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func matchedIDs(ms []Matched) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Policy.ID)
	}
	return out
}

func TestMatchElderlyAllowances(t *testing.T) {
	e := newEngine(t, embedded(t))
	old := e.Match(situation(t, "age=75&hukou=本市户籍"))
	if !slices.Contains(matchedIDs(old.Eligible), "laonian-zonghe-jintie") {
		t.Fatalf("a 75-year-old with local hukou is not eligible for 老年综合津贴: %v", matchedIDs(old.Eligible))
	}
	for _, m := range old.Eligible {
		if len(m.Match.Reasons) == 0 {
			t.Errorf("%s has no reasons", m.Policy.ID)
		}
	}
	for _, m := range old.Maybe {
		if len(m.Match.Missing) == 0 {
			t.Errorf("maybe %s does not say what is missing", m.Policy.ID)
		}
	}
	young := e.Match(situation(t, "age=30&employment=在职"))
	for _, id := range []string{"laonian-zonghe-jintie", "changqi-huli-baoxian"} {
		if slices.Contains(matchedIDs(young.Eligible), id) || slices.Contains(matchedIDs(young.Maybe), id) {
			t.Errorf("a 30-year-old in work gets %s", id)
		}
	}
	current := 0
	for _, p := range e.Corpus().Policies {
		if !p.Expired(e.now()) {
			current++
		}
	}
	if n := len(old.Eligible) + len(old.Maybe) + old.Ineligible; n != current {
		t.Errorf("outcomes cover %d of the %d entries in force", n, current)
	}
}

func TestSearchWithSituationPutsEligibleFirst(t *testing.T) {
	e := newEngine(t, embedded(t))
	q := "q=" + url.QueryEscape("补贴") + "&age=72&hukou=" + url.QueryEscape("本市户籍")
	full := mustSearch(t, e, q+"&size=50")
	if full.Total == 0 || full.Match == nil {
		t.Fatal("no hits")
	}
	seenMaybe := false
	for _, h := range full.Hits {
		if h.Match == nil {
			t.Fatalf("hit %s has no outcome", h.Policy.ID)
		}
		switch h.Match.Outcome {
		case corpus.Eligible:
			if seenMaybe {
				t.Errorf("eligible %s after a maybe entry", h.Policy.ID)
			}
		case corpus.Maybe:
			seenMaybe = true
		default:
			t.Errorf("ineligible %s in the results", h.Policy.ID)
		}
	}
	if full.Hits[0].Match.Outcome != corpus.Eligible {
		t.Errorf("first hit %s is not eligible", full.Hits[0].Policy.ID)
	}
	plain := mustSearch(t, e, "q="+url.QueryEscape("补贴")+"&size=50")
	if full.Total >= plain.Total {
		t.Errorf("a situation should leave out entries it fails: %d vs %d", full.Total, plain.Total)
	}
	sum := 0
	for _, f := range full.Facets["category"] {
		sum += f.Count
	}
	if uint64(sum) != full.Total {
		t.Errorf("category counts %d, total %d", sum, full.Total)
	}
	// Pages of 4 join up to the same list, across the eligible/maybe seam.
	var paged []string
	for p := 1; p <= 5; p++ {
		paged = append(paged, ids(mustSearch(t, e, q+"&size=4&page="+string(rune('0'+p))))...)
	}
	want := ids(full)
	if len(want) > 20 {
		want = want[:20]
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged %v\nwant  %v", paged, want)
	}
}
