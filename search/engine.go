package search

import (
	"context"
	"fmt"
	"html"
	"html/template"
	"slices"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	hlhtml "github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"

	"yicha/corpus"
	"yicha/index"
)

// Engine answers searches over one corpus and its index. Both are held
// together in a snapshot that is replaced as a whole, so a search always
// sees an index and the corpus it was built from.
type Engine struct {
	snap  atomic.Pointer[snapshot]
	query *QueryBuilder
	now   func() time.Time
}

type snapshot struct {
	idx      bleve.Index
	corpus   *corpus.Corpus
	agencies []string
}

// New returns an engine over an index built from c.
func New(idx bleve.Index, c *corpus.Corpus) (*Engine, error) {
	qb, err := NewQueryBuilder()
	if err != nil {
		return nil, err
	}
	e := &Engine{query: qb, now: time.Now}
	e.Swap(idx, c)
	return e, nil
}

// Swap makes idx and c the engine's index and corpus and returns the index
// it replaces (nil the first time), for the caller to close when searches
// in flight are done.
func (e *Engine) Swap(idx bleve.Index, c *corpus.Corpus) bleve.Index {
	s := &snapshot{idx: idx, corpus: c}
	for _, p := range c.Policies {
		if !slices.Contains(s.agencies, p.Agency) {
			s.agencies = append(s.agencies, p.Agency)
		}
	}
	slices.Sort(s.agencies)
	old := e.snap.Swap(s)
	if old == nil {
		return nil
	}
	return old.idx
}

// Corpus returns the corpus the engine currently serves.
func (e *Engine) Corpus() *corpus.Corpus { return e.snap.Load().corpus }

// Agencies returns the agencies of the current corpus, sorted.
func (e *Engine) Agencies() []string { return e.snap.Load().agencies }

// Policy returns one entry by id.
func (e *Engine) Policy(id string) (*corpus.Policy, error) {
	p, ok := e.snap.Load().corpus.Get(id)
	if !ok {
		return nil, fmt.Errorf("policy %q: %w", id, ErrNotFound)
	}
	return p, nil
}

// Hit is one entry found.
type Hit struct {
	Policy  *corpus.Policy
	Score   float64
	Snippet template.HTML
	Expired bool
}

// FacetValue is one value of a facet and how many hits have it.
type FacetValue struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facet names in a Result.
var FacetFields = []string{index.FieldCategory, index.FieldKind, index.FieldAudience, index.FieldAgency}

// Result is a page of hits with facet counts over all hits.
type Result struct {
	Request Request
	Total   uint64
	Hits    []Hit
	Facets  map[string][]FacetValue
	Took    time.Duration
}

// Search runs a validated request.
func (e *Engine) Search(ctx context.Context, r Request) (*Result, error) {
	s := e.snap.Load()
	for _, a := range r.Filters.Agency {
		if !slices.Contains(s.agencies, a) {
			return nil, badRequest("unknown agency %q", a)
		}
	}
	q := e.query.Build(r.Query, r.Filters)
	req := bleve.NewSearchRequestOptions(q, r.Size, r.From(), false)
	switch {
	case r.Sort == SortDate:
		req.SortBy([]string{index.FieldExpired, "-" + index.FieldUpdated, "_id"})
	case r.Query == "":
		req.SortBy([]string{index.FieldExpired, "_id"})
	default:
		req.SortBy([]string{index.FieldExpired, "-_score", "_id"})
	}
	if r.Query != "" {
		req.Highlight = bleve.NewHighlightWithStyle(hlhtml.Name)
		req.Highlight.AddField(index.FieldContent)
		req.Highlight.AddField(index.FieldSummary)
	}
	for _, f := range FacetFields {
		req.AddFacet(f, bleve.NewFacetRequest(f, 100))
	}
	res, err := s.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", r.Query, err)
	}
	now := e.now()
	out := &Result{Request: r, Total: res.Total, Took: res.Took, Facets: map[string][]FacetValue{}}
	for _, h := range res.Hits {
		p, ok := s.corpus.Get(h.ID)
		if !ok {
			return nil, fmt.Errorf("search %q: hit %q is not in the corpus", r.Query, h.ID)
		}
		out.Hits = append(out.Hits, Hit{Policy: p, Score: h.Score, Snippet: snippet(h.Fragments, p), Expired: p.Expired(now)})
	}
	for _, f := range FacetFields {
		vals := []FacetValue{}
		if fr, ok := res.Facets[f]; ok && fr.Terms != nil {
			for _, t := range fr.Terms.Terms() {
				vals = append(vals, FacetValue{Value: t.Term, Count: t.Count})
			}
		}
		slices.SortStableFunc(vals, func(a, b FacetValue) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return facetOrder(f, a.Value) - facetOrder(f, b.Value)
		})
		out.Facets[f] = vals
	}
	return out, nil
}

// facetOrder orders values of equal count by their place in the fixed list.
func facetOrder(field, v string) int {
	var list []string
	switch field {
	case index.FieldCategory:
		list = corpus.Categories
	case index.FieldKind:
		list = corpus.Kinds
	case index.FieldAudience:
		list = corpus.Audiences
	}
	if i := slices.Index(list, v); i >= 0 {
		return i
	}
	return len(list) + int(firstRune(v))
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

const snippetRunes = 120

// snippet returns the highlighted fragment of the content or summary, or,
// when no words matched there, the start of the summary. The text is
// escaped; only <mark> is markup.
func snippet(fragments map[string][]string, p *corpus.Policy) template.HTML {
	for _, f := range []string{index.FieldContent, index.FieldSummary} {
		if fr := fragments[f]; len(fr) > 0 {
			return template.HTML(fr[0]) // escaped by bleve's html formatter
		}
	}
	s := p.Summary
	if utf8.RuneCountInString(s) > snippetRunes {
		s = string([]rune(s)[:snippetRunes]) + "…"
	}
	return template.HTML(html.EscapeString(s))
}
