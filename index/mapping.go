package index

import (
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"yicha/corpus"
)

// MappingVersion changes whenever the mapping, the analyzer or the document
// shape changes; an index built with another version is rebuilt.
const MappingVersion = 3

// Field names in the index.
const (
	// FieldHead holds the title and keywords, as words.
	FieldHead = "head"
	// FieldText holds all the text of an entry, as words, with positions
	// for phrase searches.
	FieldText = "text"
	// FieldBigram holds the same text as character bigrams.
	FieldBigram = "text_bg"
	// FieldUnigram holds the same text as single characters.
	FieldUnigram = "text_ch"

	// FieldTitle holds the title alone, for title searches.
	FieldTitle       = "title"
	FieldBasisNumber = "basis_number"
	FieldCategory    = "category"
	FieldKind        = "kind"
	FieldAudience    = "audience"
	FieldAgency      = "agency"
	FieldOnline      = "online"
	FieldUpdated     = "updated"
)

// ScoredFields are the fields whose terms are scored, with the statistics
// kept for them.
var ScoredFields = []string{FieldHead, FieldText, FieldBigram, FieldUnigram}

var keywordFields = []string{FieldBasisNumber, FieldCategory, FieldKind, FieldAudience, FieldAgency, FieldOnline}

// Indexing options of each kind of field; NewMapping and the documents
// built by Analyzer agree on them.
const (
	wordOptions    = bleveindex.IndexField
	phraseOptions  = bleveindex.IndexField | bleveindex.IncludeTermVectors
	keywordOptions = bleveindex.IndexField | bleveindex.DocValues
)

// NewMapping returns the index mapping: only the declared fields, words
// with the yicha analyzer, bigrams with the bigram analyzer. Nothing is
// stored: pages read entries from the corpus.
func NewMapping() mapping.IndexMapping {
	text := func(analyzer string, vectors bool) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = false
		f.IncludeTermVectors = vectors
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	doc := mapping.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(FieldHead, text(AnalyzerName, false))
	doc.AddFieldMappingsAt(FieldText, text(AnalyzerName, true))
	doc.AddFieldMappingsAt(FieldBigram, text(BigramAnalyzerName, false))
	doc.AddFieldMappingsAt(FieldUnigram, text(BigramAnalyzerName, false))
	doc.AddFieldMappingsAt(FieldTitle, text(AnalyzerName, false))
	for _, name := range keywordFields {
		f := mapping.NewKeywordFieldMapping()
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = true
		doc.AddFieldMappingsAt(name, f)
	}
	updated := mapping.NewDateTimeFieldMapping()
	updated.Store = false
	updated.IncludeInAll = false
	updated.DocValues = true
	doc.AddFieldMappingsAt(FieldUpdated, updated)

	m := mapping.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = AnalyzerName
	m.IndexDynamic = false
	m.StoreDynamic = false
	m.DocValuesDynamic = false
	m.ScoringModel = bleveindex.BM25Scoring
	return m
}

// Bool values of keyword fields.
const (
	True  = "T"
	False = "F"
)

func flag(b bool) string {
	if b {
		return True
	}
	return False
}

// Stats are the collection statistics scoring needs: the number of
// documents and the total number of tokens of each scored field. They are
// counted while indexing and stored with the index.
type Stats struct {
	Docs   int              `json:"docs"`
	Tokens map[string]int64 `json:"tokens"`
}

// AvgLen returns the average length of a field in tokens.
func (s *Stats) AvgLen(field string) float64 {
	if s == nil || s.Docs == 0 {
		return 0
	}
	return float64(s.Tokens[field]) / float64(s.Docs)
}

// Analyzer turns policies into bleve documents, analysing their text once
// and counting field lengths for Stats.
type Analyzer struct {
	words    *Tokenizer
	bigrams  *BigramTokenizer
	unigrams *BigramTokenizer
}

// NewAnalyzer returns an analyzer on the shared segmenter.
func NewAnalyzer() (*Analyzer, error) {
	w, err := NewTokenizer()
	if err != nil {
		return nil, err
	}
	b, err := NewBigramTokenizer()
	if err != nil {
		return nil, err
	}
	u := *b
	u.Unigrams = true
	return &Analyzer{words: w, bigrams: b, unigrams: &u}, nil
}

// tokens is an analyzer that returns a stream already computed.
type tokens analysis.TokenStream

func (t tokens) Analyze([]byte) analysis.TokenStream { return analysis.TokenStream(t) }

// Lengths are the token counts of one document's scored fields.
type Lengths map[string]int

// Document builds the bleve document of a policy and its field lengths.
func (a *Analyzer) Document(p *corpus.Policy) (*document.Document, Lengths) {
	doc := document.NewDocument(p.ID)
	lengths := Lengths{}
	add := func(name, text string, ts analysis.TokenStream, opts bleveindex.FieldIndexingOptions) {
		if lengthField[name] {
			lengths[name] = len(ts)
		}
		doc.AddField(document.NewTextFieldCustom(name, nil, []byte(text), opts, tokens(ts)))
	}
	head := p.Title + "\n" + strings.Join(p.Keywords, "\n")
	all := strings.Join(Texts(p), "\n")
	add(FieldHead, head, a.words.Tokenize([]byte(head)), wordOptions)
	add(FieldText, all, a.words.Tokenize([]byte(all)), phraseOptions)
	add(FieldBigram, all, a.bigrams.Tokenize([]byte(all)), wordOptions)
	add(FieldUnigram, all, a.unigrams.Tokenize([]byte(all)), wordOptions)
	add(FieldTitle, p.Title, a.words.Tokenize([]byte(p.Title)), wordOptions)

	keyword := func(name string, vals ...string) {
		for i, v := range vals {
			var pos []uint64
			if len(vals) > 1 {
				pos = []uint64{uint64(i)}
			}
			doc.AddField(document.NewTextFieldCustom(name, pos, []byte(v), keywordOptions, nil))
		}
	}
	var numbers []string
	for _, b := range p.Basis {
		if b.Number != corpus.Unknown {
			numbers = append(numbers, NormalizeDocNumber(b.Number))
		}
	}
	keyword(FieldBasisNumber, numbers...)
	keyword(FieldCategory, p.Category)
	keyword(FieldKind, p.Kind)
	keyword(FieldAudience, p.Audiences...)
	keyword(FieldAgency, p.Agency)
	keyword(FieldOnline, flag(p.HasOnline()))
	if t, err := time.Parse(corpus.DateLayout, p.Updated); err == nil {
		if f, err := document.NewDateTimeFieldWithIndexingOptions(FieldUpdated, nil, t, time.RFC3339, keywordOptions); err == nil {
			doc.AddField(f)
		}
	}
	return doc, lengths
}

var lengthField = map[string]bool{FieldHead: true, FieldText: true, FieldBigram: true, FieldUnigram: true}

// Texts returns the searchable texts of a policy, in the order they are
// indexed: title, summary, content, keywords, basis, guide.
func Texts(p *corpus.Policy) []string {
	out := []string{p.Title, p.Summary, p.Content}
	out = append(out, p.Keywords...)
	for _, b := range p.Basis {
		out = append(out, b.Title, b.Issuer)
		if b.Number != corpus.Unknown {
			out = append(out, b.Number)
		}
	}
	g := p.Guide
	out = append(out, g.Eligibility...)
	out = append(out, g.Materials...)
	out = append(out, g.Steps...)
	if g.TimeLimit != "" {
		out = append(out, g.TimeLimit)
	}
	if g.Fee != "" {
		out = append(out, g.Fee)
	}
	return out
}

// NormalizeDocNumber reduces a document number (文号) to a canonical form so
// that 「沪府规〔2021〕3号」, 「沪府规[2021]3号」 and 「沪府规（2021）3号」 compare equal.
func NormalizeDocNumber(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '〔', '[', '（', '(', '【', '［':
			b.WriteRune('[')
		case '〕', ']', '）', ')', '】', '］':
			b.WriteRune(']')
		case ' ', '\t', '　':
		default:
			if r >= 0xFF01 && r <= 0xFF5E {
				r -= 0xFEE0
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}
