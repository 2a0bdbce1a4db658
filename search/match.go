package search

import (
	"slices"
	"strings"
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
	// Next are the facts not given that would settle the most 可能符合
	// entries: what to ask the person next.
	Next []NextQuestion
}

// Match checks a situation against every current entry.
func (e *Engine) Match(s corpus.Situation) *MatchResult {
	return match(e.snap.Load().corpus, s, e.now(), nil)
}

// MatchOn is Match on a site: the current entries it shows. An unknown
// site is ErrBadRequest.
func (e *Engine) MatchOn(s corpus.Situation, site string) (*MatchResult, error) {
	snap := e.snap.Load()
	owners, err := snap.owners(site)
	if err != nil {
		return nil, err
	}
	return match(snap.corpus, s, e.now(), owners), nil
}

// match checks a situation against the current entries of owners (nil:
// every entry).
func match(c *corpus.Corpus, s corpus.Situation, now time.Time, owners []string) *MatchResult {
	r := &MatchResult{}
	for _, p := range c.Policies {
		if p.Expired(now) || owners != nil && !slices.Contains(owners, p.Owner()) {
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
	slices.SortStableFunc(r.Eligible, bySpecificity)
	slices.SortStableFunc(r.Maybe, bySpecificity)
	r.Next = nextQuestions(r.Maybe, s)
	return r
}

// specificity counts the conditions a situation meets: an entry for
// 75-year-olds with a Shanghai hukou meets two where one for every resident
// meets one, and is the more telling answer.
func specificity(m corpus.Match) int {
	n := 0
	for _, r := range m.Reasons {
		if r.Outcome == corpus.Eligible {
			n++
		}
	}
	return n
}

// bySpecificity orders matches: the more conditions met first, then the
// fewer facts missing, then by category and id.
func bySpecificity(a, b Matched) int {
	if sa, sb := specificity(a.Match), specificity(b.Match); sa != sb {
		return sb - sa
	}
	if na, nb := len(a.Match.Missing)+len(a.Match.Asks), len(b.Match.Missing)+len(b.Match.Asks); na != nb {
		return na - nb
	}
	if ca, cb := slices.Index(corpus.Categories, a.Policy.Category), slices.Index(corpus.Categories, b.Policy.Category); ca != cb {
		return ca - cb
	}
	return strings.Compare(a.Policy.ID, b.Policy.ID)
}

// NextQuestion is a fact not yet given that would settle 可能符合 entries.
type NextQuestion struct {
	Field corpus.Field
	// Settles counts the 可能符合 entries that lack this fact.
	Settles int
}

// MaxNextQuestions bounds how many follow-up questions a match offers.
const MaxNextQuestions = 3

// nextQuestions picks the facts not given that the most 可能符合 entries
// lack, at most MaxNextQuestions of them, the most telling first.
func nextQuestions(maybe []Matched, s corpus.Situation) []NextQuestion {
	count := map[string]int{}
	for _, m := range maybe {
		for _, f := range m.Match.Missing {
			count[f]++
		}
	}
	var out []NextQuestion
	for _, f := range corpus.Fields {
		if n := count[f.Name]; n > 0 && !s.Given(f.Name) {
			out = append(out, NextQuestion{Field: f, Settles: n})
		}
	}
	slices.SortStableFunc(out, func(a, b NextQuestion) int { return b.Settles - a.Settles })
	return out[:min(len(out), MaxNextQuestions)]
}
