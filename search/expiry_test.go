package search

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/corpustest"
)

// TestExpiryFollowsTheClock searches one index while the clock passes an
// entry's expiry day: the entry turns expired at midnight in Shanghai at
// the end of that day, without a rebuild — marked, ranked after current
// entries, left out by expired=false and by the situation wizard.
func TestExpiryFollowsTheClock(t *testing.T) {
	base := embedded(t).Policies[0]
	mk := func(id, title, content, expires string) *corpus.Policy {
		p := *base
		p.ID, p.Title, p.Content, p.Expires, p.Effective = id, title, content, expires, ""
		p.Keywords = []string{"测试"}
		p.Eligible = nil
		return &p
	}
	c := corpus.NewCorpus([]*corpus.Policy{
		mk("a-old", "高龄津贴办法", "高龄津贴标准：高龄津贴按月发放。", "2031-03-31"),
		mk("b-new", "老年综合津贴", "老年综合津贴取代了高龄津贴。", ""),
		mk("c-other", "居家照护", "居家照护服务。", ""),
	}, "test")
	clock := corpustest.NewClock(time.Date(2031, 3, 31, 23, 59, 59, 0, corpus.Zone))
	e := newEngineAt(t, c, clock.Now)

	check := func(wantExpired bool) {
		t.Helper()
		res := mustSearch(t, e, "q="+url.QueryEscape("高龄津贴"))
		want := []string{"a-old", "b-new"}
		if wantExpired {
			want = []string{"b-new", "a-old"}
		}
		if got := ids(res); !slices.Equal(got, want) {
			t.Errorf("at %s: order %v, want %v", clock.Now(), got, want)
		}
		for _, h := range res.Hits {
			if h.Expired != (wantExpired && h.Policy.ID == "a-old") {
				t.Errorf("at %s: %s expired = %v", clock.Now(), h.Policy.ID, h.Expired)
			}
		}
		current := ids(mustSearch(t, e, "q="+url.QueryEscape("高龄津贴")+"&expired=false"))
		if slices.Contains(current, "a-old") != !wantExpired {
			t.Errorf("at %s: expired=false lists %v", clock.Now(), current)
		}
		// Listing without a question, by id or by date: expired entries last.
		for _, q := range []string{"", "sort=date", "q=" + url.QueryEscape("津贴") + "&sort=date"} {
			got := ids(mustSearch(t, e, q))
			if last := got[len(got)-1] == "a-old"; wantExpired && !last {
				t.Errorf("at %s, %q lists %v: the expired entry is not last", clock.Now(), q, got)
			}
		}
		if got := ids(mustSearch(t, e, "")); !wantExpired && !slices.Equal(got, []string{"a-old", "b-new", "c-other"}) {
			t.Errorf("at %s the listing is %v, want id order", clock.Now(), got)
		}
		m := e.Match(corpus.Situation{})
		listed := slices.Contains(matchedIDs(m.Eligible), "a-old") || slices.Contains(matchedIDs(m.Maybe), "a-old")
		if listed == wantExpired {
			t.Errorf("at %s the wizard lists a-old: %v", clock.Now(), listed)
		}
	}
	check(false) // the last second of its expiry day, in Shanghai
	clock.Add(time.Second)
	check(true) // midnight: expired, with the same index
	clock.Set(time.Date(2031, 3, 31, 12, 0, 0, 0, corpus.Zone))
	check(false) // and the clock decides, not what was seen before
}

// TestExpiredEntriesAtTwoDates runs the residents' questions over the
// embedded corpus, with an extra entry that expires a year after the
// suite's moment, at that moment and two years later: a question whose
// entry is in force finds it first; one whose entry has expired finds it
// marked, after every current entry.
func TestExpiredEntriesAtTwoDates(t *testing.T) {
	emb := embedded(t)
	now := corpustest.Now(t)
	extra := *emb.Policies[0]
	extra.ID, extra.Title = "zz-expiring", "测试用限期政策：育婴补贴试点"
	extra.Expires = corpus.Today(now.AddDate(1, 0, 0))
	c := corpus.NewCorpus(append(slices.Clone(emb.Policies), &extra), "test")
	qs := append(loadQuestions(t), question{Q: "育婴补贴试点", Want: extra.ID})
	for _, at := range []time.Time{now, now.AddDate(2, 0, 0)} {
		e := newEngineAt(t, c, corpustest.NewClock(at).Now)
		expired := 0
		for _, q := range qs {
			want, _ := c.Get(q.Want)
			res, err := e.Search(context.Background(), Request{Query: q.Q, Page: 1, Size: len(c.Policies), Sort: SortRelevance})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(res)
			if !want.Expired(at) {
				if len(got) == 0 || got[0] != want.ID {
					t.Errorf("at %s, %q: got %v, want %s first", corpus.Today(at), q.Q, got[:min(5, len(got))], want.ID)
				}
				continue
			}
			expired++
			i := slices.Index(got, want.ID)
			if i < 0 || !res.Hits[i].Expired {
				t.Errorf("at %s, %q: the expired entry %s is not found as expired", corpus.Today(at), q.Q, want.ID)
				continue
			}
			for _, h := range res.Hits[:i] {
				if !h.Policy.Expired(at) && h.Expired {
					t.Errorf("at %s: %s is marked expired", corpus.Today(at), h.Policy.ID)
				}
			}
			for _, h := range res.Hits[i:] {
				if !h.Expired {
					t.Errorf("at %s, %q: current entry %s ranks after expired %s", corpus.Today(at), q.Q, h.Policy.ID, want.ID)
					break
				}
			}
		}
		if at.Equal(now) && slices.Contains(ids(mustSearch(t, e, "q="+url.QueryEscape("育婴补贴试点"))), extra.ID) == false {
			t.Errorf("at %s the entry in force is not found", corpus.Today(at))
		}
		t.Logf("at %s: %d of %d questions ask for an expired entry", corpus.Today(at), expired, len(qs))
	}
}
