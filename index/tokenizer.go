package index

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/go-ego/gse"
)

// TokenizerName is the name the gse tokenizer is registered under in bleve.
const TokenizerName = "yicha_gse"

// Tokenizer cuts Chinese text into words with gse. Before cutting it folds
// width, case and traditional characters (Folder), keeping exact byte
// offsets into the original text. Each word gets its own position; the
// shorter words gse finds inside a long word (「残疾人两项补贴」 → 「残疾人」,
// 「补贴」 …) are emitted too, at their parent's position, so phrase queries
// keep working. Punctuation and spaces produce no tokens.
type Tokenizer struct {
	seg  *gse.Segmenter
	fold *Folder
}

// NewTokenizer returns a tokenizer on the process's shared segmenter.
func NewTokenizer() (*Tokenizer, error) {
	seg, err := sharedSegmenter()
	if err != nil {
		return nil, err
	}
	fold, err := NewFolder()
	if err != nil {
		return nil, err
	}
	return &Tokenizer{seg: seg, fold: fold}, nil
}

// Tokenize implements analysis.Tokenizer.
func (t *Tokenizer) Tokenize(input []byte) analysis.TokenStream {
	folded, offsets := t.fold.Fold(input)
	segs := t.seg.Segment(folded)
	stream := make(analysis.TokenStream, 0, len(segs))
	pos := 0
	for i := range segs {
		s := &segs[i]
		word := folded[s.Start():s.End()]
		typ, ok := tokenType(word)
		if !ok {
			continue
		}
		pos++
		stream = append(stream, &analysis.Token{
			Term:     word,
			Start:    offsets[s.Start()],
			End:      offsets[s.End()],
			Position: pos,
			Type:     typ,
		})
		if utf8.RuneCount(word) > 2 {
			stream = t.subWords(stream, folded, offsets, s.Start(), s.Token(), pos)
		}
	}
	return stream
}

// subWords appends the words gse finds inside token (which starts at byte
// base of folded), recursively, all at position pos.
func (t *Tokenizer) subWords(stream analysis.TokenStream, folded []byte, offsets []int, base int, token *gse.Token, pos int) analysis.TokenStream {
	for _, sub := range token.Segments() {
		start, end := base+sub.Start(), base+sub.End()
		word := folded[start:end]
		typ, ok := tokenType(word)
		if !ok || utf8.RuneCount(word) < 2 {
			continue
		}
		stream = append(stream, &analysis.Token{
			Term:     word,
			Start:    offsets[start],
			End:      offsets[end],
			Position: pos,
			Type:     typ,
		})
		stream = t.subWords(stream, folded, offsets, start, sub.Token(), pos)
	}
	return stream
}

// tokenType classifies a word, and reports false for words without a
// letter or digit (punctuation, spaces, symbols).
func tokenType(word []byte) (analysis.TokenType, bool) {
	letters, digits, han := false, false, false
	for _, r := range string(word) {
		switch {
		case unicode.Is(unicode.Han, r):
			han = true
		case unicode.IsLetter(r):
			letters = true
		case unicode.IsDigit(r):
			digits = true
		}
	}
	switch {
	case han:
		return analysis.Ideographic, true
	case letters:
		return analysis.AlphaNumeric, true
	case digits:
		return analysis.Numeric, true
	}
	return 0, false
}

func tokenizerConstructor(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
	t, err := NewTokenizer()
	if err != nil {
		return nil, fmt.Errorf("%s tokenizer: %w", TokenizerName, err)
	}
	return t, nil
}

func init() {
	if err := registry.RegisterTokenizer(TokenizerName, tokenizerConstructor); err != nil {
		panic(err)
	}
}
