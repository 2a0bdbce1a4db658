package search

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/index"
)

// TestDocumentNumbersAnywhere: a 文号 in a question — whole, without its
// issuer, with any brackets — puts the entries citing that document first;
// the caseworkers' number filter finds them by any part of the number.
func TestDocumentNumbersAnywhere(t *testing.T) {
	c := embedded(t)
	e := newEngineAt(t, c, corpustest.NewClock(corpustest.InForce(t, c)).Now)
	citingOf := func(core string) []string {
		re := regexp.MustCompile(`(^|[^0-9])` + regexp.QuoteMeta(core))
		var ids []string
		for _, p := range c.Policies {
			for _, b := range p.Basis {
				if b.Number != corpus.Unknown && re.MatchString(index.NormalizeDocNumber(b.Number)) {
					ids = append(ids, p.ID)
					break
				}
			}
		}
		slices.Sort(ids)
		return ids
	}
	for _, tt := range []struct {
		questions []string
		core      string
	}{
		{[]string{"国务院令第649号", "649号", "第649号", "社会救助暂行办法 国务院令第649号 怎么申请"}, "第649号"},
		{[]string{"沪府办规〔2021〕12号", "沪府办规[2021]12号", "沪府办规(2021)12号", "沪府办规（2021）12号", "〔2021〕12号"}, "[2021]12号"},
	} {
		want := citingOf(tt.core)
		if len(want) == 0 {
			t.Fatalf("no entry cites %s", tt.core)
		}
		for _, q := range tt.questions {
			res, err := e.Search(context.Background(), Request{Query: q, Page: 1, Size: 50, Sort: SortRelevance})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(res)
			if len(got) < len(want) {
				t.Errorf("%s finds %v, want %v first", q, got, want)
				continue
			}
			first := slices.Sorted(slices.Values(got[:len(want)]))
			if !slices.Equal(first, want) {
				t.Errorf("%s: first %v, want the entries citing it %v", q, got[:len(want)], want)
			}
			if slices.Contains(want, "dibao") && !slices.Contains(got, "dibao") {
				t.Errorf("%s does not find 最低生活保障", q)
			}
		}
		for _, q := range tt.questions[:3] {
			res := mustSearch(t, e, "size=50&number="+url.QueryEscape(q))
			if got := slices.Sorted(slices.Values(ids(res))); !slices.Equal(got, want) {
				t.Errorf("number=%s lists %v, want %v", q, got, want)
			}
		}
	}
	// A longer number is not a shorter one's tail.
	if res := mustSearch(t, e, "number="+url.QueryEscape("1649号")); res.Total != 0 {
		t.Errorf("number=1649号 lists %v", ids(res))
	}
}
