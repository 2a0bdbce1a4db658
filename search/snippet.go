package search

import (
	"bytes"
	"html"
	"html/template"
	"slices"
	"strings"
	"unicode/utf8"

	"yicha/corpus"
)

// SnippetRunes is about how long a snippet is.
const SnippetRunes = 110

type span struct{ start, end int }

// Snippet returns what a hit shows of an entry: the part of its content
// where the searched terms are densest, escaped, with the terms in <mark>
// — unless that part adds nothing to the summary (every term it marks is in
// the summary too, or its text is a piece of the summary), when it is the
// summary with the terms marked, which reads as a whole. Without a match
// it returns the opening of the summary.
func (b *QueryBuilder) Snippet(p *corpus.Policy, terms []string) template.HTML {
	summary, summaryTo := p.Summary, forwardRunes(p.Summary, 0, SnippetRunes)
	if len(terms) > 0 {
		want := make(map[string]bool, len(terms))
		for _, t := range terms {
			want[t] = true
		}
		marked, inSummary := b.mark(summary, 0, summaryTo, want)
		from, to, ok := b.window(p.Content, want)
		if !ok {
			if len(inSummary) > 0 {
				return marked
			}
		} else {
			snippet, inContent := b.mark(p.Content, from, to, want)
			adds := false
			for t := range inContent {
				if !inSummary[t] {
					adds = true
				}
			}
			piece := strings.TrimSpace(p.Content[from:to])
			if len(inSummary) > 0 && (!adds || strings.Contains(summary[:summaryTo], piece)) {
				return marked
			}
			return snippet
		}
	}
	s := summary[:summaryTo]
	if summaryTo < len(summary) {
		s += "…"
	}
	return template.HTML(html.EscapeString(s))
}

// window finds the stretch of about SnippetRunes characters of text that
// holds the most searched terms; ok is false when it holds none.
func (b *QueryBuilder) window(text string, want map[string]bool) (from, to int, ok bool) {
	// Find the terms in the folded text without segmenting all of it, pick
	// the densest window; only the window is segmented, by mark.
	folded, offsets := b.fold.Fold([]byte(text))
	var hits []span
	for t := range want {
		tb := []byte(t)
		for i := 0; ; {
			j := bytes.Index(folded[i:], tb)
			if j < 0 {
				break
			}
			start := i + j
			hits = append(hits, span{offsets[start], offsets[start+len(tb)]})
			i = start + len(tb)
		}
	}
	if len(hits) == 0 {
		return 0, 0, false
	}
	slices.SortFunc(hits, func(a, b span) int { return a.start - b.start })

	// The window of SnippetRunes characters, starting a little before a
	// match, that holds the most matches.
	const lead = 12
	best, bestCount := 0, -1
	for i, h := range hits {
		from := backRunes(text, h.start, lead)
		to := forwardRunes(text, from, SnippetRunes)
		n := 0
		for _, t := range hits[i:] {
			if t.end <= to {
				n++
			}
		}
		if n > bestCount {
			best, bestCount = from, n
		}
	}
	return best, forwardRunes(text, best, SnippetRunes), true
}

// mark escapes text[from:to], with 「…」 where it is cut, and marks the
// words in it that are searched for, longest first where they overlap. It
// returns the terms it marked.
func (b *QueryBuilder) mark(text string, from, to int, want map[string]bool) (template.HTML, map[string]bool) {
	found := map[string]bool{}
	var spans []span
	for _, t := range b.tok.Tokenize([]byte(text[from:to])) {
		if want[string(t.Term)] {
			spans = append(spans, span{from + t.Start, from + t.End})
			found[string(t.Term)] = true
		}
	}
	slices.SortFunc(spans, func(a, b span) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	var out strings.Builder
	if from > 0 {
		out.WriteString("…")
	}
	cur := from
	for _, s := range spans {
		if s.start < cur {
			continue
		}
		out.WriteString(html.EscapeString(text[cur:s.start]))
		out.WriteString("<mark>")
		out.WriteString(html.EscapeString(text[s.start:s.end]))
		out.WriteString("</mark>")
		cur = s.end
	}
	out.WriteString(html.EscapeString(text[cur:to]))
	if to < len(text) {
		out.WriteString("…")
	}
	return template.HTML(out.String()), found
}

// backRunes moves back n runes from byte offset i.
func backRunes(s string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return i
}

// forwardRunes moves forward n runes from byte offset i.
func forwardRunes(s string, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}
