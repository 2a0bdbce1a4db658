package web

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// listMarker matches a line that begins an item of a list: 一是, 二、,
// （三）, (4), 5. or 5、, 第六条, or a dash or bullet.
var listMarker = regexp.MustCompile(`^(?:[一二三四五六七八九十]+[是、]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}(?:[、．)）]|\.(?:\s|\D))|第[一二三四五六七八九十百\d]+[条款项章]|[-•·*]\s)`)

// paragraphs splits an entry's text into the paragraphs a person reads.
// The source files break lines where an editor's window ended, often in
// the middle of a sentence; shown as they are, these breaks leave lines of
// a word or two (「元，」) on a phone. So a line joins the one before it,
// unless that line ended a sentence (。！？), the text between them is
// blank, or the line begins an item of a list. Lines are joined without a
// space where either side is Chinese, with one between two Latin words.
func paragraphs(text string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			flush()
			continue
		}
		if cur.Len() > 0 {
			prev, _ := utf8.DecodeLastRuneInString(cur.String())
			if endsSentence(prev) || listMarker.MatchString(line) {
				flush()
			} else if next, _ := utf8.DecodeRuneInString(line); !isCJK(prev) && !isCJK(next) {
				cur.WriteByte(' ')
			}
		}
		cur.WriteString(line)
	}
	flush()
	return out
}

// endsSentence reports whether r ends a sentence.
func endsSentence(r rune) bool {
	switch r {
	case '。', '！', '？', '!', '?':
		return true
	}
	return false
}

// isCJK reports whether r is a Chinese character or Chinese punctuation
// (full-width forms and quotation marks included), which join without a
// space.
func isCJK(r rune) bool {
	switch {
	case unicode.Is(unicode.Han, r):
		return true
	case r >= 0x3000 && r <= 0x303F, r >= 0xFF00 && r <= 0xFFEF:
		return true
	case r == '“' || r == '”' || r == '‘' || r == '’' || r == '…' || r == '—' || r == '·':
		return true
	}
	return false
}
