package search

import (
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"yicha/corpus"
	"yicha/index"
)

// phrases finds, in a question, the keywords and titles of entries said
// word for word: keywords are how residents put a need (办残疾证, 老人吃饭),
// so an entry whose keyword a question holds is likely what it asks for.
type phrases struct {
	byFirst map[rune][]phrase
}

type phrase struct {
	text string
	id   string
}

// minPhraseRunes is the shortest keyword that counts.
const minPhraseRunes = 2

// newPhrases finds the phrases of every entry of c. Folding them is the
// costly part, spread over the cores; each first character's phrases are
// then laid out, in the entries' order, in a list of the size it needs.
func newPhrases(c *corpus.Corpus, fold *index.Folder) *phrases {
	type first struct {
		r  rune
		ph phrase
	}
	ps := c.Policies
	parts := make([][]first, max(1, min(runtime.GOMAXPROCS(0), len(ps)/1000)))
	var wg sync.WaitGroup
	for w := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, pol := range ps[w*len(ps)/len(parts) : (w+1)*len(ps)/len(parts)] {
				eachPhrase(pol, fold, func(r rune, ph phrase) { parts[w] = append(parts[w], first{r, ph}) })
			}
		}()
	}
	wg.Wait()
	counts := map[rune]int{}
	total := 0
	for _, part := range parts {
		for _, f := range part {
			counts[f.r]++
		}
		total += len(part)
	}
	all := make([]phrase, total)
	p := &phrases{byFirst: make(map[rune][]phrase, len(counts))}
	for r, n := range counts {
		p.byFirst[r], all = all[:0:n], all[n:]
	}
	for _, part := range parts {
		for _, f := range part {
			p.byFirst[f.r] = append(p.byFirst[f.r], f.ph)
		}
	}
	return p
}

// eachPhrase calls f with each phrase of an entry, folded, and its first
// character.
func eachPhrase(pol *corpus.Policy, fold *index.Folder, f func(rune, phrase)) {
	for _, k := range append([]string{pol.Title}, pol.Keywords...) {
		k = fold.String(strings.TrimSpace(k))
		if utf8.RuneCountInString(k) < minPhraseRunes {
			continue
		}
		r, _ := utf8.DecodeRuneInString(k)
		f(r, phrase{k, pol.ID})
	}
}

// update returns the phrases of the corpus ch makes of old, whose phrases
// p are: only the lists of the first characters the changed and deleted
// entries' phrases start with are made anew. p is not changed.
func (p *phrases) update(old *corpus.Corpus, ch corpus.Changes, fold *index.Folder) *phrases {
	gone := map[string]bool{}
	for _, id := range ch.Deleted {
		gone[id] = true
	}
	for _, pol := range ch.Changed {
		gone[pol.ID] = true
	}
	next := &phrases{byFirst: maps.Clone(p.byFirst)}
	for id := range gone {
		if pol, ok := old.Get(id); ok {
			eachPhrase(pol, fold, func(r rune, _ phrase) {
				next.byFirst[r] = slices.DeleteFunc(slices.Clone(next.byFirst[r]), func(ph phrase) bool { return gone[ph.id] })
			})
		}
	}
	for _, pol := range ch.Changed {
		// Clipped, so that appending never writes into a list p holds.
		eachPhrase(pol, fold, func(r rune, ph phrase) { next.byFirst[r] = append(slices.Clip(next.byFirst[r]), ph) })
	}
	return next
}

// in returns the ids of the entries with a keyword or title the folded
// text holds, and the length of the longest such phrase of each.
func (p *phrases) in(text string) map[string]int {
	out := map[string]int{}
	if p == nil {
		return out
	}
	for i, r := range text {
		for _, ph := range p.byFirst[r] {
			if strings.HasPrefix(text[i:], ph.text) {
				out[ph.id] = max(out[ph.id], utf8.RuneCountInString(ph.text))
			}
		}
	}
	return out
}
