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

// Snippet returns the part of an entry's content (or summary) where the
// searched terms are densest, escaped, with the terms in <mark>. Without a
// match it returns the opening of the summary.
func (b *QueryBuilder) Snippet(p *corpus.Policy, terms []string) template.HTML {
	if len(terms) > 0 {
		want := make(map[string]bool, len(terms))
		for _, t := range terms {
			want[t] = true
		}
		for _, text := range []string{p.Content, p.Summary} {
			if s, ok := b.highlight(text, want); ok {
				return s
			}
		}
	}
	s := p.Summary
	if utf8.RuneCountInString(s) > SnippetRunes {
		s = string([]rune(s)[:SnippetRunes]) + "…"
	}
	return template.HTML(html.EscapeString(s))
}

func (b *QueryBuilder) highlight(text string, want map[string]bool) (template.HTML, bool) {
	// Find the terms in the folded text without segmenting all of it, pick
	// the densest window, then segment only that window to mark whole
	// words.
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
		return "", false
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
	from := best
	to := forwardRunes(text, from, SnippetRunes)

	// Mark the words of the window that are searched for, longest first
	// where they overlap.
	var spans []span
	for _, t := range b.tok.Tokenize([]byte(text[from:to])) {
		if want[string(t.Term)] {
			spans = append(spans, span{from + t.Start, from + t.End})
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
	return template.HTML(out.String()), true
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
