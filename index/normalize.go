package index

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
)

// Ranges of Han characters whose traditional forms are mapped to simplified
// ones: CJK Unified Ideographs, Extension A and the compatibility block.
var hanRanges = [][2]rune{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}}

// t2sTable maps each traditional Han character to its simplified form,
// character by character, as OpenCC's t2s conversion of the character alone
// gives it. Only one-to-one mappings between characters of the same UTF-8
// length are kept, so normalising never moves a byte offset.
var t2sTable = sync.OnceValues(func() (map[rune]rune, error) {
	cc, err := opencc.New("t2s")
	if err != nil {
		return nil, fmt.Errorf("load OpenCC t2s: %w", err)
	}
	// Convert every character in one call, separated by newlines so that no
	// phrase rule can join two of them.
	var b strings.Builder
	for _, r := range hanRanges {
		for c := r[0]; c <= r[1]; c++ {
			b.WriteRune(c)
			b.WriteByte('\n')
		}
	}
	out, err := cc.Convert(b.String())
	if err != nil {
		return nil, fmt.Errorf("OpenCC t2s: %w", err)
	}
	lines := strings.Split(out, "\n")
	table := make(map[rune]rune, 4096)
	i := 0
	for _, r := range hanRanges {
		for c := r[0]; c <= r[1]; c++ {
			if i >= len(lines) {
				return nil, fmt.Errorf("OpenCC t2s: %d lines for %d characters", len(lines), i)
			}
			s := lines[i]
			i++
			to, n := utf8.DecodeRuneInString(s)
			if n != len(s) || to == c || utf8.RuneLen(to) != utf8.RuneLen(c) {
				continue
			}
			table[c] = to
		}
	}
	return table, nil
})

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
