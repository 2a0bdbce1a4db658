package index

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// BigramTokenizerName and BigramAnalyzerName name the character-bigram
// tokenizer and analyzer in bleve.
const (
	BigramTokenizerName = "yicha_bigram"
	BigramAnalyzerName  = "yicha_bigram"
)

// BigramTokenizer cuts folded text into overlapping pairs of Han
// characters (a Han character standing alone is kept as itself) and runs of
// letters or digits. It needs no dictionary, so it finds words the
// segmenter cuts differently; offsets are exact in the original text.
type BigramTokenizer struct {
	fold *Folder
	// Unigrams makes it cut single Han characters instead of pairs.
	Unigrams bool
}

// NewBigramTokenizer returns a bigram tokenizer.
func NewBigramTokenizer() (*BigramTokenizer, error) {
	fold, err := NewFolder()
	if err != nil {
		return nil, err
	}
	return &BigramTokenizer{fold: fold}, nil
}

// Tokenize implements analysis.Tokenizer.
func (t *BigramTokenizer) Tokenize(input []byte) analysis.TokenStream {
	folded, offsets := t.fold.Fold(input)
	var stream analysis.TokenStream
	pos := 0
	emit := func(start, end int, typ analysis.TokenType) {
		pos++
		stream = append(stream, &analysis.Token{Term: folded[start:end], Start: offsets[start], End: offsets[end], Position: pos, Type: typ})
	}
	// han holds the byte starts of the current run of Han characters.
	var han []int
	flush := func(end int) {
		switch {
		case len(han) == 0:
		case t.Unigrams:
			for i, start := range han {
				stop := end
				if i+1 < len(han) {
					stop = han[i+1]
				}
				emit(start, stop, analysis.Ideographic)
			}
		case len(han) == 1:
			emit(han[0], end, analysis.Ideographic)
		default:
			for i := 0; i+1 < len(han); i++ {
				stop := end
				if i+2 < len(han) {
					stop = han[i+2]
				}
				emit(han[i], stop, analysis.Ideographic)
			}
		}
		han = han[:0]
	}
	for i := 0; i < len(folded); {
		r, n := utf8.DecodeRune(folded[i:])
		switch {
		case unicode.Is(unicode.Han, r):
			han = append(han, i)
			i += n
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			flush(i)
			j := i
			for j < len(folded) && folded[j] < utf8.RuneSelf && (unicode.IsLetter(rune(folded[j])) || unicode.IsDigit(rune(folded[j]))) {
				j++
			}
			emit(i, j, analysis.AlphaNumeric)
			i = j
		default:
			flush(i)
			i += n
		}
	}
	flush(len(folded))
	return stream
}

func init() {
	err := registry.RegisterTokenizer(BigramTokenizerName, func(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
		return NewBigramTokenizer()
	})
	if err != nil {
		panic(err)
	}
	err = registry.RegisterAnalyzer(BigramAnalyzerName, func(_ map[string]any, cache *registry.Cache) (analysis.Analyzer, error) {
		tok, err := cache.TokenizerNamed(BigramTokenizerName)
		if err != nil {
			return nil, err
		}
		return &analysis.DefaultAnalyzer{Tokenizer: tok}, nil
	})
	if err != nil {
		panic(err)
	}
}
