package search

import (
	"strings"
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

func newPhrases(c *corpus.Corpus, fold *index.Folder) *phrases {
	p := &phrases{byFirst: map[rune][]phrase{}}
	for _, pol := range c.Policies {
		for _, k := range append([]string{pol.Title}, pol.Keywords...) {
			k = fold.String(strings.TrimSpace(k))
			if utf8.RuneCountInString(k) < minPhraseRunes {
				continue
			}
			r, _ := utf8.DecodeRuneInString(k)
			p.byFirst[r] = append(p.byFirst[r], phrase{k, pol.ID})
		}
	}
	return p
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
