package search

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"math"
	"reflect"
	"slices"
	"sync"

	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"yicha/index"
)

// Clause is one term looked for in one field, with its weight in the score.
type Clause struct {
	Field  string
	Term   string
	Weight float64
	// Secondary clauses add to the score of documents that other clauses
	// match, but do not make a document match by themselves.
	Secondary bool
}

// BM25Params are the term-frequency saturation (K1) and length
// normalisation (B) of one field.
type BM25Params struct {
	K1, B float64
}

// bm25Query scores documents by the weighted sum of textbook BM25 over its
// clauses, with the true average field lengths counted at index time.
// bleve's own BM25 is not the textbook one (it squares idf, takes the root
// of term frequency, uses distinct-term counts as lengths and multiplies
// by a coordination factor), and measured worse on our evaluation sets.
type bm25Query struct {
	clauses        []Clause
	stats          *index.Stats
	params         map[string]BM25Params
	maxSecondaryDF float64
	// limit, when above zero, keeps only the best-scored matches: facets,
	// sorting and totals then work on the part of a large corpus that
	// answers the question, not on every document sharing a common word.
	limit int
	// adjust moves entries for what the time and the question say of
	// them: expired ones down, those citing a document number the
	// question gives up, those whose keyword it says raised.
	adjust adjustments
}

// minSkippedDF keeps common secondary terms in small corpora, where every
// posting is cheap and each term still tells entries apart.
const minSkippedDF = 500

// expiredFactor scales the score of an entry past its expiry date, so it
// ranks below every current entry that matches.
const expiredFactor = 1e-9

// Searcher reads every clause's postings, sums the scores per document and
// returns the matches in index order, as bleve's searchers do.
func (q *bm25Query) Searcher(ctx context.Context, r bleveindex.IndexReader, _ mapping.IndexMapping, _ search.SearcherOptions) (search.Searcher, error) {
	n, err := r.DocCount()
	if err != nil {
		return nil, err
	}
	acc := accPool.Get().(*accumulator)
	defer accPool.Put(acc)
	acc.reset(int(n))
	if err := q.score(ctx, r, n, q.clauses, acc); err != nil {
		return nil, err
	}
	if err := acc.lift(r, q.adjust.cited, citedScore); err != nil {
		return nil, err
	}
	for id, n := range q.adjust.said {
		internal, err := r.InternalID(id)
		if err != nil {
			return nil, err
		}
		if len(internal) > 0 {
			acc.scale(internal, saidFactor(n))
		}
	}
	if err := acc.demote(r, q.adjust.expired, expiredFactor); err != nil {
		return nil, err
	}
	return acc.searcher(q.limit), nil
}

// saidFactor is how much an entry's score is raised when the question says
// one of its keywords (or its title) of n characters word for word.
func saidFactor(n int) float64 { return 1 + saidBoost*float64(min(n, 6))/6 }

// saidBoost is the most a keyword said word for word raises a score.
var saidBoost = 0.5

// citedScore is added to the score of an entry citing the document number
// a question gives: more than any sum of BM25 clauses reaches.
const citedScore = 1e4

// lift adds score to the documents with the given ids, which then match.
func (a *accumulator) lift(r bleveindex.IndexReader, ids []string, score float64) error {
	for _, id := range ids {
		internal, err := r.InternalID(id)
		if err != nil {
			return err
		}
		if len(internal) > 0 {
			a.add(internal, score, true)
		}
	}
	return nil
}

// demote scales the scores of the documents with the given ids.
func (a *accumulator) demote(r bleveindex.IndexReader, ids []string, factor float64) error {
	for _, id := range ids {
		internal, err := r.InternalID(id)
		if err != nil {
			return err
		}
		if len(internal) > 0 {
			a.scale(internal, factor)
		}
	}
	return nil
}

// accumulator sums scores per document. Documents are numbered densely by
// the index (scorch's internal ids are 8-byte big-endian numbers), so the
// sums live in a slice indexed by that number, reused between searches;
// other ids fall back to a map.
type accumulator struct {
	sums    []float64
	primary []bool
	touched []uint64
	other   map[string]float64
	otherOK map[string]bool
}

var accPool = sync.Pool{New: func() any {
	return &accumulator{other: map[string]float64{}, otherOK: map[string]bool{}}
}}

func (a *accumulator) reset(docs int) {
	for _, d := range a.touched {
		a.sums[d], a.primary[d] = 0, false
	}
	a.touched = a.touched[:0]
	clear(a.other)
	clear(a.otherOK)
	if cap(a.sums) < docs {
		a.sums, a.primary = make([]float64, docs), make([]bool, docs)
	}
	a.sums, a.primary = a.sums[:cap(a.sums)], a.primary[:cap(a.primary)]
}

func (a *accumulator) add(id []byte, score float64, primary bool) {
	if len(id) == 8 {
		d := binary.BigEndian.Uint64(id)
		if d >= uint64(len(a.sums)) {
			n := max(d+1, uint64(2*len(a.sums)))
			sums, prim := make([]float64, n), make([]bool, n)
			copy(sums, a.sums)
			copy(prim, a.primary)
			a.sums, a.primary = sums, prim
		}
		if a.sums[d] == 0 {
			a.touched = append(a.touched, d)
		}
		a.sums[d] += score
		a.primary[d] = a.primary[d] || primary
		return
	}
	a.other[string(id)] += score
	a.otherOK[string(id)] = a.otherOK[string(id)] || primary
}

func (a *accumulator) scale(id []byte, factor float64) {
	if len(id) == 8 {
		if d := binary.BigEndian.Uint64(id); d < uint64(len(a.sums)) {
			a.sums[d] *= factor
		}
		return
	}
	if _, ok := a.other[string(id)]; ok {
		a.other[string(id)] *= factor
	}
}

// searcher returns the matched documents in index order, at most limit
// of them (the best-scored) when limit is above zero.
func (a *accumulator) searcher(limit int) *listSearcher {
	if limit > 0 && len(a.other) == 0 {
		kept := a.touched[:0]
		for _, d := range a.touched {
			if a.primary[d] {
				kept = append(kept, d)
			} else {
				a.sums[d] = 0 // dropped: clear it for the next search
			}
		}
		a.touched = kept
		if len(a.touched) > limit {
			// The limit best by score, ties to the lower document number.
			slices.SortFunc(a.touched, func(x, y uint64) int {
				switch sx, sy := a.sums[x], a.sums[y]; {
				case sx > sy:
					return -1
				case sx < sy:
					return 1
				}
				return cmp.Compare(x, y)
			})
			for _, d := range a.touched[limit:] {
				a.sums[d], a.primary[d] = 0, false
			}
			a.touched = a.touched[:limit]
		}
	}
	slices.Sort(a.touched)
	s := &listSearcher{ids: make([][]byte, 0, len(a.touched)+len(a.other)), scores: make([]float64, 0, len(a.touched)+len(a.other))}
	buf := make([]byte, 8*len(a.touched))
	for i, d := range a.touched {
		if !a.primary[d] {
			continue
		}
		id := buf[8*i : 8*i+8]
		binary.BigEndian.PutUint64(id, d)
		s.ids = append(s.ids, id)
		s.scores = append(s.scores, a.sums[d])
	}
	if len(a.other) > 0 {
		ids := make([]string, 0, len(a.other))
		for id := range a.other {
			if a.otherOK[id] {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			s.ids = append(s.ids, []byte(id))
			s.scores = append(s.scores, a.other[id])
		}
		// Keep index order across both kinds of id.
		order := make([]int, len(s.ids))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(x, y int) int { return bytes.Compare(s.ids[x], s.ids[y]) })
		ids2, sc2 := make([][]byte, len(order)), make([]float64, len(order))
		for i, o := range order {
			ids2[i], sc2[i] = s.ids[o], s.scores[o]
		}
		s.ids, s.scores = ids2, sc2
	}
	return s
}

// score adds the BM25 score of each clause to the documents that match it.
func (q *bm25Query) score(ctx context.Context, r bleveindex.IndexReader, n uint64, clauses []Clause, acc *accumulator) error {
	var tfd *bleveindex.TermFieldDoc
	for _, c := range clauses {
		if err := ctx.Err(); err != nil {
			return err
		}
		reader, err := r.TermFieldReader(ctx, []byte(c.Term), c.Field, true, true, false)
		if err != nil {
			return err
		}
		df := reader.Count()
		if df == 0 || (c.Secondary && q.maxSecondaryDF > 0 && df > minSkippedDF && float64(df) > q.maxSecondaryDF*float64(n)) {
			reader.Close()
			continue
		}
		weight := c.Weight
		p := q.params[c.Field]
		avg := q.stats.AvgLen(c.Field)
		if avg <= 0 {
			avg = 1
		}
		idf := math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
		for {
			tfd, err = reader.Next(tfd)
			if err != nil {
				reader.Close()
				return err
			}
			if tfd == nil {
				break
			}
			tf := float64(tfd.Freq)
			dl := avg
			if tfd.Norm > 0 {
				dl = 1 / (tfd.Norm * tfd.Norm)
			}
			if score := weight * idf * tf * (p.K1 + 1) / (tf + p.K1*(1-p.B+p.B*dl/avg)); score > 0 {
				acc.add(tfd.ID, score, !c.Secondary)
			}
		}
		reader.Close()
	}
	return nil
}

// listSearcher returns a fixed list of scored documents in index order.
type listSearcher struct {
	ids    [][]byte
	scores []float64
	pos    int
}

var reflectStaticSizeListSearcher = int(reflect.TypeOf(listSearcher{}).Size())

func (s *listSearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	if s.pos >= len(s.ids) {
		return nil, nil
	}
	dm := ctx.DocumentMatchPool.Get()
	dm.IndexInternalID = append(dm.IndexInternalID[:0], s.ids[s.pos]...)
	dm.Score = s.scores[s.pos]
	s.pos++
	return dm, nil
}

func (s *listSearcher) Advance(ctx *search.SearchContext, id bleveindex.IndexInternalID) (*search.DocumentMatch, error) {
	i, _ := slices.BinarySearchFunc(s.ids, []byte(id), bytes.Compare)
	if i > s.pos {
		s.pos = i
	}
	return s.Next(ctx)
}

func (s *listSearcher) Close() error               { return nil }
func (s *listSearcher) Weight() float64            { return 1 }
func (s *listSearcher) SetQueryNorm(float64)       {}
func (s *listSearcher) Count() uint64              { return uint64(len(s.ids)) }
func (s *listSearcher) Min() int                   { return 0 }
func (s *listSearcher) DocumentMatchPoolSize() int { return 1 }
func (s *listSearcher) Size() int {
	n := reflectStaticSizeListSearcher + 8*len(s.scores)
	for _, id := range s.ids {
		n += len(id) + 24
	}
	return n
}
