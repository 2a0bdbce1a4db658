package search

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"

	"yicha/corpus"
	"yicha/index"
)

// DefaultSuggestLimit is how many suggestions Suggest returns when no limit
// is given.
const DefaultSuggestLimit = 8

// Suggestion is one completion of what a person is typing.
type Suggestion struct {
	Text string `json:"text"`
	// ID is the entry's id when Text is an entry's title.
	ID string `json:"id,omitempty"`
}

// Suggester completes a partial question from the words of a corpus: entry
// titles, keywords and the synonyms found in the entries. It matches Chinese
// text, full pinyin without tones (gaolingjintie) and pinyin initials
// (gljt). What it matches against is computed on first use (the pinyin of
// every title takes tens of milliseconds), so that a server starting up
// answers searches sooner; a Suggester is safe for concurrent use.
type Suggester struct {
	fold  *index.Folder
	items func() []suggestItem // ordered: titles first, then shorter, then by text
}

type suggestItem struct {
	Suggestion
	// owners are the owners (corpus.Policy.Owner) of the entries the text
	// comes from: it is suggested on the sites that show one of them.
	owners []string
	folded string // Text folded, for matching Chinese input
	// syllables holds, per character, its readings without tones: every
	// reading of a character with several (长: chang, zhang) is accepted.
	syllables [][]string
}

// NewSuggester returns a suggester of every entry's title and keywords and
// of each word of the synonym groups that occurs in an entry's title,
// keywords, summary or content.
func NewSuggester(c *corpus.Corpus, syn index.Synonyms, fold *index.Folder) *Suggester {
	return &Suggester{fold: fold, items: sync.OnceValue(func() []suggestItem { return suggestItems(c, syn, fold) })}
}

// suggestItems computes what a suggester matches against, in rank order.
func suggestItems(c *corpus.Corpus, syn index.Synonyms, fold *index.Folder) []suggestItem {
	var items []suggestItem
	seen := map[string]int{}
	add := func(text, id, owner string) {
		text = strings.TrimSpace(text)
		folded := fold.String(text)
		if text == "" {
			return
		}
		if i, ok := seen[folded]; ok {
			if !slices.Contains(items[i].owners, owner) {
				items[i].owners = append(items[i].owners, owner)
			}
			return
		}
		seen[folded] = len(items)
		items = append(items, suggestItem{
			Suggestion: Suggestion{Text: text, ID: id}, owners: []string{owner},
			folded: folded, syllables: syllablesOf(folded),
		})
	}
	// Titles first, so that a keyword equal to a title keeps the title's id.
	for _, p := range c.Policies {
		add(p.Title, p.ID, p.Owner())
	}
	// The entries' text, one haystack per owner.
	texts := map[string]*strings.Builder{}
	var owners []string
	for _, p := range c.Policies {
		for _, k := range p.Keywords {
			add(k, "", p.Owner())
		}
		text := texts[p.Owner()]
		if text == nil {
			text = &strings.Builder{}
			texts[p.Owner()] = text
			owners = append(owners, p.Owner())
		}
		text.WriteString(p.Title)
		text.WriteByte('\n')
		text.WriteString(strings.Join(p.Keywords, "\n"))
		text.WriteByte('\n')
		text.WriteString(p.Summary)
		text.WriteByte('\n')
		text.WriteString(p.Content)
		text.WriteByte('\n')
	}
	slices.Sort(owners)
	haystacks := make([]string, len(owners))
	for i, o := range owners {
		haystacks[i] = fold.String(texts[o].String())
	}
	words := make([]string, 0, len(syn))
	for w := range syn {
		words = append(words, w)
	}
	slices.Sort(words)
	for _, w := range words {
		for i, h := range haystacks {
			if strings.Contains(h, fold.String(w)) {
				add(w, "", owners[i])
			}
		}
	}
	slices.SortStableFunc(items, func(a, b suggestItem) int {
		if at, bt := a.ID != "", b.ID != ""; at != bt {
			if at {
				return -1
			}
			return 1
		}
		return cmp.Or(
			cmp.Compare(utf8.RuneCountInString(a.Text), utf8.RuneCountInString(b.Text)),
			strings.Compare(a.Text, b.Text),
		)
	})
	return items
}

// pinyinArgs turns Han characters into toneless pinyin with every reading,
// keeping ASCII letters and digits and dropping everything else.
var pinyinArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Style = pinyin.Normal
	a.Heteronym = true
	a.Fallback = func(r rune, _ pinyin.Args) []string {
		if isASCIIAlnum(r) {
			return []string{strings.ToLower(string(r))}
		}
		return nil
	}
	return a
}()

// syllablesOf returns the readings of each character of folded text.
func syllablesOf(folded string) [][]string {
	var out [][]string
	for _, readings := range pinyin.Pinyin(folded, pinyinArgs) {
		var rs []string
		for _, r := range readings {
			if r != "" && !slices.Contains(rs, r) {
				rs = append(rs, r)
			}
		}
		if len(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// matchPinyin reports whether q spells the start of the syllables (prefix)
// or all of them (exact), as full pinyin or as initials, in any of the
// characters' readings.
func matchPinyin(syls [][]string, q string) (exact, prefix bool) {
	var walk func(i, j int, initials bool)
	walk = func(i, j int, initials bool) {
		if exact {
			return
		}
		if j == len(q) {
			prefix = true
			exact = exact || i == len(syls)
			return
		}
		if i == len(syls) {
			return
		}
		for _, r := range syls[i] {
			switch {
			case initials:
				if r[0] == q[j] {
					walk(i+1, j+1, true)
				}
			case strings.HasPrefix(q[j:], r):
				walk(i+1, j+len(r), false)
			case strings.HasPrefix(r, q[j:]):
				prefix = true
			}
		}
	}
	walk(0, 0, false)
	walk(0, 0, true)
	return exact, prefix
}

func isASCIIAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// Match tiers, best first.
const (
	tierExact = iota
	tierPrefix
	tierInfix
	numTiers
)

// Suggest returns at most limit suggestions for q (DefaultSuggestLimit when
// limit ≤ 0). Input of only ASCII letters and digits (spaces and
// apostrophes aside) is read as pinyin: it matches texts whose full pinyin or
// initials start with it. Other input is folded (traditional to simplified,
// width, case) and matches texts containing it. Exact matches come first,
// then prefix matches, then infix ones; within each, entry titles, then
// shorter texts, then texts in order.
func (s *Suggester) Suggest(q string, limit int) []Suggestion {
	return s.SuggestOn(q, limit, nil)
}

// shown reports whether an item is suggested where entries of owners are
// shown (nil: everywhere).
func (it *suggestItem) shown(owners []string) bool {
	if owners == nil {
		return true
	}
	for _, o := range it.owners {
		if slices.Contains(owners, o) {
			return true
		}
	}
	return false
}

// SuggestOn is Suggest on a site: only texts of the entries whose owners
// (corpus.Policy.Owner) are listed; nil lists every owner.
func (s *Suggester) SuggestOn(q string, limit int, owners []string) []Suggestion {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	if limit <= 0 {
		limit = DefaultSuggestLimit
	}
	q = s.fold.String(q)
	py := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\'' || r == '’' {
			return -1
		}
		return r
	}, q)
	isPinyin := py != "" && strings.IndexFunc(py, func(r rune) bool { return !isASCIIAlnum(r) }) < 0

	// Items are already in rank order within a tier, so the first limit
	// matches of each tier are all that can be returned.
	var tiers [numTiers][]int
	items := s.items()
	for i := range items {
		it := &items[i]
		if !it.shown(owners) {
			continue
		}
		t := -1
		if isPinyin {
			switch exact, prefix := matchPinyin(it.syllables, py); {
			case exact:
				t = tierExact
			case prefix:
				t = tierPrefix
			}
		} else {
			switch {
			case it.folded == q:
				t = tierExact
			case strings.HasPrefix(it.folded, q):
				t = tierPrefix
			case strings.Contains(it.folded, q):
				t = tierInfix
			}
		}
		if t >= 0 && len(tiers[t]) < limit {
			tiers[t] = append(tiers[t], i)
			if t == tierExact && len(tiers[t]) == limit {
				break
			}
		}
	}
	var out []Suggestion
	for _, idx := range tiers {
		for _, i := range idx {
			if len(out) == limit {
				return out
			}
			out = append(out, items[i].Suggestion)
		}
	}
	return out
}

// Spelled returns the text a question typed in pinyin stands for: q of
// letters only (spaces and apostrophes aside), at least three, spelling the
// whole of a suggestion as full pinyin or as initials (dibao, changhuxian,
// gljt). The first such suggestion wins: entry titles first, then shorter
// texts.
func (s *Suggester) Spelled(q string) (Suggestion, bool) {
	return s.SpelledOn(q, nil)
}

// SpelledOn is Spelled on a site: only texts of the entries whose owners
// are listed (nil: every owner).
func (s *Suggester) SpelledOn(q string, owners []string) (Suggestion, bool) {
	py := strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '\'' || r == '’':
			return -1
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, strings.TrimSpace(q))
	if len(py) < 3 || strings.IndexFunc(py, func(r rune) bool { return r < 'a' || r > 'z' }) >= 0 {
		return Suggestion{}, false
	}
	for _, it := range s.items() {
		if !it.shown(owners) {
			continue
		}
		if exact, _ := matchPinyin(it.syllables, py); exact {
			return it.Suggestion, true
		}
	}
	return Suggestion{}, false
}
