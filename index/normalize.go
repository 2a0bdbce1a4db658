package index

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// t2sText is the table of traditional Han characters and their simplified
// forms, one pair a line, generated from OpenCC's t2s conversion of each
// character alone (see internal/t2sgen): only one-to-one mappings between
// characters of the same UTF-8 length, so normalising never moves a byte
// offset.
//
//go:generate go run ./internal/gent2s -o dict/t2s.txt
//go:embed dict/t2s.txt
var t2sText string

// t2sTable maps each traditional Han character to its simplified form.
var t2sTable = sync.OnceValues(func() (map[rune]rune, error) {
	return parseT2S(t2sText)
})

// parseT2S reads the character table: lines of a character, a space and
// the character it folds to; lines starting with # are comments.
func parseT2S(text string) (map[rune]rune, error) {
	table := make(map[rune]rune, 4096)
	for i, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		a, b, _ := strings.Cut(line, " ")
		from, fn := utf8.DecodeRuneInString(a)
		to, tn := utf8.DecodeRuneInString(b)
		if fn != len(a) || tn != len(b) || from == utf8.RuneError || to == utf8.RuneError || fn != tn {
			return nil, fmt.Errorf("character table line %d: %q is not two characters of one length", i+1, line)
		}
		table[from] = to
	}
	if len(table) < 2000 {
		return nil, fmt.Errorf("the character table is missing or too small (%d characters)", len(table))
	}
	return table, nil
}

// Folder normalises text one rune at a time: full-width forms to ASCII,
// upper to lower case, traditional Han characters to simplified ones.
type Folder struct{ t2s map[rune]rune }

// NewFolder loads the character tables (once per process).
func NewFolder() (*Folder, error) {
	t, err := t2sTable()
	if err != nil {
		return nil, err
	}
	return &Folder{t2s: t}, nil
}

// Rune folds one rune.
func (f *Folder) Rune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		r -= 0xFEE0
	case r == 0x3000: // ideographic space
		r = ' '
	}
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	if s, ok := f.t2s[r]; ok {
		return s
	}
	return unicode.ToLower(r)
}

// String folds a whole string, for display-independent comparisons.
func (f *Folder) String(s string) string {
	return strings.Map(f.Rune, s)
}

// Fold folds text and returns, for each byte of the result, the byte offset
// in text it came from (with one extra entry for the end), so that tokens
// found in the folded text map back to exact offsets in the original.
func (f *Folder) Fold(text []byte) (folded []byte, offsets []int) {
	folded = make([]byte, 0, len(text))
	offsets = make([]int, 0, len(text)+1)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && n <= 1 {
			// Invalid UTF-8: keep the byte as a replacement-free gap.
			folded = append(folded, ' ')
			offsets = append(offsets, i)
			i++
			continue
		}
		before := len(folded)
		folded = utf8.AppendRune(folded, f.Rune(r))
		for j := before; j < len(folded); j++ {
			offsets = append(offsets, i)
		}
		i += n
	}
	offsets = append(offsets, len(text))
	return folded, offsets
}
