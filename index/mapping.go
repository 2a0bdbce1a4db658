package index

import (
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"yicha/corpus"
)

// MappingVersion changes whenever the mapping, the analyzer or the document
// shape changes; an index built with another version is rebuilt.
const MappingVersion = 1

// Field names in the index.
const (
	FieldTitle       = "title"
	FieldSummary     = "summary"
	FieldContent     = "content"
	FieldKeywords    = "keywords"
	FieldBasis       = "basis"
	FieldBasisNumber = "basis_number"
	FieldGuide       = "guide"
	FieldCategory    = "category"
	FieldKind        = "kind"
	FieldAudience    = "audience"
	FieldAgency      = "agency"
	FieldOnline      = "online"
	FieldExpired     = "expired"
	FieldUpdated     = "updated"
)

// TextFields are the full-text fields, searched by a person's words.
var TextFields = []string{FieldTitle, FieldKeywords, FieldSummary, FieldBasis, FieldContent, FieldGuide}

// NewMapping returns the index mapping: only the declared fields are
// indexed, text with the yicha analyzer and BM25 scoring.
func NewMapping() mapping.IndexMapping {
	text := func(store bool) *mapping.FieldMapping {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = AnalyzerName
		f.Store = store
		f.IncludeTermVectors = store // term vectors only where snippets are cut
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	kw := func() *mapping.FieldMapping {
		f := mapping.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = false
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = true
		return f
	}
	doc := mapping.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(FieldTitle, text(true))
	doc.AddFieldMappingsAt(FieldSummary, text(true))
	doc.AddFieldMappingsAt(FieldContent, text(true))
	doc.AddFieldMappingsAt(FieldKeywords, text(false))
	doc.AddFieldMappingsAt(FieldBasis, text(false))
	doc.AddFieldMappingsAt(FieldGuide, text(false))
	doc.AddFieldMappingsAt(FieldBasisNumber, kw())
	for _, name := range []string{FieldCategory, FieldKind, FieldAudience, FieldAgency, FieldOnline, FieldExpired} {
		doc.AddFieldMappingsAt(name, kw())
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

// Document turns a policy into the document that is indexed.
func Document(p *corpus.Policy, now time.Time) map[string]any {
	var basis, numbers []string
	for _, b := range p.Basis {
		basis = append(basis, b.Title, b.Issuer)
		if b.Number != corpus.Unknown {
			basis = append(basis, b.Number)
			numbers = append(numbers, NormalizeDocNumber(b.Number))
		}
	}
	g := p.Guide
	guide := strings.Join(append(append(append(append([]string{}, g.Eligibility...), g.Materials...), g.Steps...), g.TimeLimit, g.Fee), "\n")
	doc := map[string]any{
		FieldTitle:       p.Title,
		FieldSummary:     p.Summary,
		FieldContent:     p.Content,
		FieldKeywords:    strings.Join(p.Keywords, "\n"),
		FieldBasis:       strings.Join(basis, "\n"),
		FieldBasisNumber: numbers,
		FieldGuide:       guide,
		FieldCategory:    p.Category,
		FieldKind:        p.Kind,
		FieldAudience:    p.Audiences,
		FieldAgency:      p.Agency,
		FieldOnline:      flag(p.HasOnline()),
		FieldExpired:     flag(p.Expired(now)),
	}
	if t, err := time.Parse(corpus.DateLayout, p.Updated); err == nil {
		doc[FieldUpdated] = t
	}
	return doc
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
