package web

import (
	"net/url"
	"slices"
	"testing"

	"yicha/corpus"
	"yicha/index"
	"yicha/search"
)

// TestAdvancedParams: the caseworkers' page searches only when a field is
// given, leaves expired entries out unless asked, and never changes the
// parameters it was given.
func TestAdvancedParams(t *testing.T) {
	for _, tt := range []struct {
		in       string
		searched bool
		expired  string
		size     string
	}{
		{"", false, "false", "50"},
		{"title=补贴", true, "false", "50"},
		{"number=649号&expired=true", true, "true", "50"},
		{"agency=x&size=10", true, "false", "10"},
	} {
		in, _ := url.ParseQuery(tt.in)
		before := in.Encode()
		params, searched := advancedParams(in)
		if searched != tt.searched || params.Get("expired") != tt.expired || params.Get("size") != tt.size {
			t.Errorf("%q: searched %v, %v", tt.in, searched, params)
		}
		if in.Encode() != before {
			t.Errorf("%q: the request's parameters became %q", tt.in, in.Encode())
		}
	}
}

// TestResultsView: facet links toggle their value, chips name the active
// filters and remove them, paging links keep the query and drop the page.
func TestResultsView(t *testing.T) {
	v, _ := url.ParseQuery("q=补贴&category=养老服务&online=true&page=2&size=5")
	req, err := search.ParseRequest(v)
	if err != nil {
		t.Fatal(err)
	}
	res := &search.Result{Total: 12, Hits: make([]search.Hit, 5), Facets: map[string][]search.FacetValue{
		index.FieldCategory: {{Value: "养老服务", Count: 7}, {Value: "助残服务", Count: 5}},
	}}
	for i := range res.Hits {
		res.Hits[i] = search.Hit{Policy: &corpus.Policy{ID: "p" + string(rune('a'+i)), Title: "t"}}
	}
	got := resultsView(req, res, links{path: "/search", v: v})
	if got.From != 6 || got.To != 10 || got.Total != 12 {
		t.Errorf("from %d to %d of %d", got.From, got.To, got.Total)
	}
	if len(got.Facets) != 1 || len(got.Facets[0].Values) != 2 {
		t.Fatalf("facets %+v", got.Facets)
	}
	on, off := got.Facets[0].Values[0], got.Facets[0].Values[1]
	if !on.Active || off.Active || on.Href != "/search?online=true&q=%E8%A1%A5%E8%B4%B4&size=5" ||
		off.Href != "/search?category=%E5%85%BB%E8%80%81%E6%9C%8D%E5%8A%A1&category=%E5%8A%A9%E6%AE%8B%E6%9C%8D%E5%8A%A1&online=true&q=%E8%A1%A5%E8%B4%B4&size=5" {
		t.Errorf("facet links %+v / %+v", on, off)
	}
	var chips []string
	for _, c := range got.Chips {
		chips = append(chips, c.Label)
	}
	if !slices.Equal(chips, []string{"分类：养老服务", "可网上办理"}) {
		t.Errorf("chips %v", chips)
	}
	if len(got.Pages) != 3 || !got.Pages[1].Current || got.Prev != "/search?category=%E5%85%BB%E8%80%81%E6%9C%8D%E5%8A%A1&online=true&q=%E8%A1%A5%E8%B4%B4&size=5" ||
		got.Next != "/search?category=%E5%85%BB%E8%80%81%E6%9C%8D%E5%8A%A1&online=true&page=3&q=%E8%A1%A5%E8%B4%B4&size=5" {
		t.Errorf("paging %+v prev %q next %q", got.Pages, got.Prev, got.Next)
	}
	if v.Get("page") != "2" {
		t.Error("resultsView changed the request's parameters")
	}
}
