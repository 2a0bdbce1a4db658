package web

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/corpustest"
)

// TestDateSensitivePathsAtTwoDates serves the embedded corpus, with an
// extra entry that expires a year after the suite's moment, at that moment
// and again two years later. At each date every entry with an expiry day
// is marked, ranked, listed and left out as its date says — on the API,
// the results page, the policy page, the caseworkers' search and the
// wizard — and every page still renders.
func TestDateSensitivePathsAtTwoDates(t *testing.T) {
	emb, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	now := corpustest.Now(t)
	extra := *emb.Policies[0]
	extra.ID, extra.Title = "zz-expiring", "测试用限期政策：育婴补贴试点"
	extra.Basis = []corpus.Basis{{Title: "测试用试点通知", Number: "测试发〔2026〕99号", Issuer: "测试机关", Date: "2026-01-01"}}
	extra.Expires = corpus.Today(now.AddDate(1, 0, 0))
	c := corpus.NewCorpus(append(slices.Clone(emb.Policies), &extra), "test")

	for _, at := range []time.Time{now, now.AddDate(2, 0, 0)} {
		day := corpus.Today(at)
		s := newTestServerAt(t, c, corpustest.NewClock(at))
		for _, path := range []string{"/", "/search?q=" + url.QueryEscape("低保"), "/match?age=75&hukou=" + url.QueryEscape("本市户籍"),
			"/advanced?title=" + url.QueryEscape("补贴"), "/policies/dibao", "/search?category=" + url.QueryEscape("住房保障")} {
			if resp, _ := s.fetch(t, path); resp.StatusCode != 200 {
				t.Errorf("at %s: GET %s = %d", day, path, resp.StatusCode)
			}
		}
		var match MatchResponse
		s.get(t, "/api/match?hukou="+url.QueryEscape("本市户籍"), &match)
		var listed []string
		for _, m := range append(match.Eligible, match.Maybe...) {
			listed = append(listed, m.ID)
		}
		var all SearchResponse
		s.get(t, "/api/search?size=50&page=2", &all) // the end of the listing
		checked := 0
		for _, p := range c.Policies {
			if _, ok := p.ExpiresAt(); !ok {
				continue
			}
			checked++
			expired := p.Expired(at)
			var pr PolicyResponse
			if s.get(t, "/api/policies/"+p.ID, &pr); pr.Expired != expired {
				t.Errorf("at %s, /api/policies/%s expired = %v, want %v", day, p.ID, pr.Expired, expired)
			}
			_, page := s.fetch(t, "/policies/"+p.ID)
			if strings.Contains(page, `class="tag expired"`) != expired {
				t.Errorf("at %s, the page of %s marks it expired: %v, want %v", day, p.ID, !expired, expired)
			}
			if slices.Contains(listed, p.ID) && expired {
				t.Errorf("at %s the wizard lists the expired entry %s", day, p.ID)
			}
			// Asked by its title, it is found; expired, after every current entry.
			var r SearchResponse
			for page := 1; page == 1 || len(r.Hits) < int(r.Total); page++ {
				var more SearchResponse
				s.get(t, fmt.Sprintf("/api/search?size=50&page=%d&q=%s", page, url.QueryEscape(p.Title)), &more)
				r.Total, r.Hits = more.Total, append(r.Hits, more.Hits...)
			}
			i := slices.IndexFunc(r.Hits, func(h SearchHit) bool { return h.ID == p.ID })
			switch {
			case i < 0:
				t.Errorf("at %s, searching %q does not find %s", day, p.Title, p.ID)
			case r.Hits[i].Expired != expired:
				t.Errorf("at %s, %s hit expired = %v", day, p.ID, r.Hits[i].Expired)
			case !expired && i != 0:
				t.Errorf("at %s, searching the title of %s (in force) ranks it %d", day, p.ID, i+1)
			case expired:
				for _, h := range r.Hits[i:] {
					if !h.Expired {
						t.Errorf("at %s, current %s ranks after expired %s", day, h.ID, p.ID)
					}
				}
			}
			var results string
			if i >= 0 {
				_, results = s.fetch(t, fmt.Sprintf("/search?size=50&page=%d&q=%s", i/50+1, url.QueryEscape(p.Title)))
			}
			if hit := hitOf(results, p.ID); hit == "" || strings.Contains(hit, `class="tag expired"`) != expired {
				t.Errorf("at %s, the results page shows %s as %q, want expired %v", day, p.ID, hit, expired)
			}
			// The caseworkers' search by document number: expired entries only
			// when asked for, and then marked.
			if n := p.Basis[0].Number; n != corpus.Unknown {
				_, current := s.fetch(t, "/advanced?number="+url.QueryEscape(n))
				if strings.Contains(current, ">"+p.Title+"<") == expired {
					t.Errorf("at %s, /advanced?number=%s lists %s: %v, want %v", day, n, p.ID, expired, !expired)
				}
				_, withExpired := s.fetch(t, "/advanced?expired=true&number="+url.QueryEscape(n))
				row := regexp.MustCompile(`<tr[^>]*><td><a href="/policies/` + p.ID + `">.*?</tr>`).FindString(withExpired)
				if row == "" || strings.Contains(row, "已失效") != expired {
					t.Errorf("at %s, /advanced?expired=true&number=%s row of %s: %q", day, n, p.ID, row)
				}
			}
		}
		if checked < 2 {
			t.Fatalf("only %d entries with an expiry day", checked)
		}
		// Listing everything: expired entries come last.
		var first SearchResponse
		s.get(t, "/api/search?size=50", &first)
		seenExpired := false
		for _, h := range append(first.Hits, all.Hits...) {
			if seenExpired && !h.Expired {
				t.Errorf("at %s the listing puts current %s after an expired entry", day, h.ID)
			}
			seenExpired = seenExpired || h.Expired
		}
	}
}

// hitOf returns the hit of a results page that links to the entry id.
func hitOf(page, id string) string {
	for _, hit := range strings.Split(page, `<li class="hit`)[1:] {
		if strings.Contains(hit, `href="/policies/`+id+`"`) {
			return hit
		}
	}
	return ""
}

// TestCachedAnswersFollowExpiry asks the API the same question before and
// after an entry's expiry day ends, on one index: the second answer says
// expired, not the cached first one.
func TestCachedAnswersFollowExpiry(t *testing.T) {
	emb, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	extra := *emb.Policies[0]
	extra.ID, extra.Title, extra.Expires = "zz-expiring", "测试用限期政策：育婴补贴试点", "2031-03-31"
	c := corpus.NewCorpus(append(slices.Clone(emb.Policies), &extra), "test")
	clock := corpustest.NewClock(time.Date(2031, 3, 31, 23, 59, 0, 0, corpus.Zone))
	s := newTestServerAt(t, c, clock)
	expiredFlag := func() bool {
		var r SearchResponse
		s.get(t, "/api/search?size=50&q="+url.QueryEscape("育婴补贴试点")+"&category="+url.QueryEscape(extra.Category), &r)
		for _, h := range r.Hits {
			if h.ID == extra.ID {
				return h.Expired
			}
		}
		t.Fatal("the entry is not found")
		return false
	}
	if expiredFlag() || expiredFlag() {
		t.Fatal("expired before its day ended")
	}
	clock.Add(2 * time.Minute)
	if !expiredFlag() {
		t.Error("after its day ended the cached answer still says it is in force")
	}
}
