package search

import (
	"slices"
	"time"

	"yicha/corpus"
)

// Matched is an entry with how a situation meets its conditions.
type Matched struct {
	Policy *corpus.Policy
	Match  corpus.Match
}

// MatchResult groups the current entries by outcome for one situation.
// Entries that are expired are left out: they can no longer be applied for.
type MatchResult struct {
	Eligible   []Matched
	Maybe      []Matched
	Ineligible int
}

// Match checks a situation against every current entry.
func (e *Engine) Match(s corpus.Situation) *MatchResult {
	return match(e.snap.Load().corpus, s, e.now())
}

func match(c *corpus.Corpus, s corpus.Situation, now time.Time) *MatchResult {
	r := &MatchResult{}
	for _, p := range c.Policies {
		if p.Expired(now) {
			continue
		}
		m := corpus.Evaluate(p.Eligible, s)
		switch m.Outcome {
		case corpus.Eligible:
			r.Eligible = append(r.Eligible, Matched{p, m})
		case corpus.Maybe:
			r.Maybe = append(r.Maybe, Matched{p, m})
		default:
			r.Ineligible++
		}
	}
	byCategory := func(a, b Matched) int {
		ca, cb := slices.Index(corpus.Categories, a.Policy.Category), slices.Index(corpus.Categories, b.Policy.Category)
		if ca != cb {
			return ca - cb
		}
		if len(a.Match.Missing) != len(b.Match.Missing) {
			return len(a.Match.Missing) - len(b.Match.Missing)
		}
		switch {
		case a.Policy.ID < b.Policy.ID:
			return -1
		case a.Policy.ID > b.Policy.ID:
			return 1
		}
		return 0
	}
	slices.SortFunc(r.Eligible, byCategory)
	slices.SortFunc(r.Maybe, byCategory)
	return r
}
