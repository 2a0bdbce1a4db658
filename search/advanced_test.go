package search

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestCaseworkerFilters(t *testing.T) {
	c := embedded(t)
	e := newEngine(t, c)

	// Document number in any bracket style, as a prefix.
	var want []string
	for _, p := range c.Policies {
		for _, b := range p.Basis {
			if strings.HasPrefix(b.Number, "沪府办规〔2021〕12号") {
				want = append(want, p.ID)
				break
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("no entry cites 沪府办规〔2021〕12号")
	}
	for _, n := range []string{"沪府办规〔2021〕12号", "沪府办规[2021]12号", "沪府办规（2021）12", "沪府办规〔2021〕"} {
		res := mustSearch(t, e, "size=50&number="+url.QueryEscape(n))
		for _, id := range want {
			if !slices.Contains(ids(res), id) {
				t.Errorf("number=%s: %v lacks %s", n, ids(res), id)
			}
		}
	}

	// Title words must all be in the title.
	res := mustSearch(t, e, "size=50&title="+url.QueryEscape("残疾人 补贴"))
	if res.Total == 0 {
		t.Fatal("title search found nothing")
	}
	for _, h := range res.Hits {
		if !strings.Contains(h.Policy.Title, "残疾人") || !strings.Contains(h.Policy.Title, "补贴") {
			t.Errorf("title filter let %q through", h.Policy.Title)
		}
	}

	// A phrase matches only words in that order.
	phrase := mustSearch(t, e, "size=50&phrase="+url.QueryEscape("老年综合津贴"))
	if !slices.Contains(ids(phrase), "laonian-zonghe-jintie") {
		t.Errorf("phrase 老年综合津贴: %v", ids(phrase))
	}
	reversed := mustSearch(t, e, "size=50&phrase="+url.QueryEscape("津贴综合老年"))
	if reversed.Total != 0 {
		t.Errorf("reversed phrase found %v", ids(reversed))
	}

	// expired=false leaves expired entries out.
	all := mustSearch(t, e, "size=50")
	current := mustSearch(t, e, "size=50&expired=false")
	expired := 0
	for _, p := range c.Policies {
		if p.Expired(e.now()) {
			expired++
		}
	}
	if int(all.Total)-expired != int(current.Total) {
		t.Errorf("expired=false lists %d, want %d - %d", current.Total, all.Total, expired)
	}
}
