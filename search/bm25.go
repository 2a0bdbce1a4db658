package search

import (
	"cmp"
	"context"
	"math"
	"math/bits"
	"slices"
	"sync"

	bleveindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"

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

// The score of a document is the weighted sum of textbook BM25 over the
// clauses it matches, with the true average field lengths counted at index
// time, summed in the order of the clauses. bleve's own BM25 is not the
// textbook one (it squares idf, takes the root of term frequency, uses
// distinct-term counts as lengths and multiplies by a coordination factor),
// and measured worse on our evaluation sets.
//
// A document matches when a primary (not Secondary) clause does, or when it
// cites the document number the question gives. Then the adjustments move
// it: citing the number adds citedScore, a keyword said multiplies by
// saidFactor, and expiry by expiredFactor, in that order.

// minSkippedDF keeps common secondary terms in small corpora, where every
// posting is cheap and each term still tells entries apart.
const minSkippedDF = 500

// expiredFactor scales the score of an entry past its expiry date, so it
// ranks below every current entry that matches.
const expiredFactor = 1e-9

// saidFactor is how much an entry's score is raised when the question says
// one of its keywords (or its title) of n characters word for word.
func saidFactor(n int) float64 { return 1 + saidBoost*float64(min(n, 6))/6 }

// saidBoost is the most a keyword said word for word raises a score.
var saidBoost = 0.5

// citedScore is added to the score of an entry citing the document number
// a question gives: more than any sum of BM25 clauses reaches.
const citedScore = 1e4

// term is one clause prepared for scoring: its weight times idf, its
// field's parameters, the most it adds to a score (ub), and a cursor on its
// postings: arrays (a scorch term's postings decoded, or read through
// bleve's API for other indexes) or else the segments' own iterators.
type term struct {
	clause  int
	w       float64
	k1, b   float64
	avg     float64
	ub      float64
	primary bool
	// local is the term's bound in the window being scored.
	local float64

	parts []termPart
	arr   *postings
	// blocks holds the most the term's tf part reaches in each window of
	// documents (nil: ub holds everywhere).
	blocks []float32

	// The cursor: the current document (done when past the last), its
	// frequency and norm; pi is the current part, pos the place in arr.
	doc  uint32
	done bool
	tf   uint64
	norm float64
	pi   int
	pos  int
	it   segment.PostingsIterator
}

// termPart is a segment's postings of a term.
type termPart struct {
	base uint32
	pl   segment.PostingsList
}

// localBound returns the most the term adds to a score in the window of
// documents from lo.
func (t *term) localBound(lo uint32) float64 {
	if t.blocks == nil {
		return t.ub
	}
	return t.w * float64(t.blocks[lo/window])
}

// score is what the term adds to the score of the document under its cursor.
func (t *term) score() float64 { return t.scoreOf(t.tf, t.norm) }

// scoreOf is what the term adds to the score of a document where it occurs
// tf times, in a field of this norm.
func (t *term) scoreOf(tf64 uint64, norm float64) float64 {
	tf := float64(tf64)
	dl := t.avg
	if norm > 0 {
		dl = 1 / (norm * norm)
	}
	return t.w * tf * (t.k1 + 1) / (tf + t.k1*(1-t.b+t.b*dl/t.avg))
}

// reset puts the cursor on the first posting.
func (t *term) reset() error {
	t.pi, t.pos, t.it, t.done = 0, 0, nil, false
	return t.move(0)
}

// next moves the cursor to the next posting.
func (t *term) next() error {
	if t.done {
		return nil
	}
	if t.arr != nil {
		t.pos++
		return t.load()
	}
	return t.move(0)
}

// seek moves the cursor to the first posting at or after document d and
// reports whether it is d.
func (t *term) seek(d uint32) (bool, error) {
	if t.done || t.doc >= d {
		return !t.done && t.doc == d, nil
	}
	if t.arr != nil {
		t.pos = gallop(t.arr.docs, t.pos, d)
		if err := t.load(); err != nil {
			return false, err
		}
	} else if err := t.move(d); err != nil {
		return false, err
	}
	return !t.done && t.doc == d, nil
}

// load reads the array posting at pos.
func (t *term) load() error {
	if t.pos >= len(t.arr.docs) {
		t.done = true
		return nil
	}
	t.doc, t.tf = t.arr.docs[t.pos], uint64(t.arr.tfs[t.pos])
	if t.arr.norms32 != nil {
		t.norm = float64(t.arr.norms32[t.pos])
	} else {
		t.norm = t.arr.norms[t.pos]
	}
	return nil
}

// gallop returns the first index at or after from of docs (ascending)
// whose document is at least d: steps doubling from from, then a binary
// search in the last step, so that short skips stay short.
func gallop(docs []uint32, from int, d uint32) int {
	lo, step := from, 1
	hi := from
	for hi < len(docs) && docs[hi] < d {
		lo = hi + 1
		hi += step
		step *= 2
	}
	hi = min(hi, len(docs))
	i, _ := slices.BinarySearch(docs[lo:hi], d)
	return lo + i
}

// move moves the segments' cursor to the next posting at or after d (0:
// the next one).
func (t *term) move(d uint32) error {
	if t.arr != nil {
		return t.load()
	}
	for t.pi < len(t.parts) {
		pt := &t.parts[t.pi]
		if t.it == nil {
			t.it = pt.pl.Iterator(true, true, false, nil)
		}
		var p segment.Posting
		var err error
		if d > pt.base {
			p, err = t.it.Advance(uint64(d - pt.base))
		} else {
			p, err = t.it.Next()
		}
		if err != nil {
			return err
		}
		if p != nil {
			t.doc, t.tf, t.norm = pt.base+uint32(p.Number()), p.Frequency(), p.Norm()
			return nil
		}
		t.pi++
		t.it = nil
	}
	t.done = true
	return nil
}

// prepare finds the postings of the clauses, drops those that find nothing
// and common secondary ones, and weighs the rest by their idf.
func (b *QueryBuilder) prepare(ctx context.Context, v *view, r bleveindex.IndexReader, clauses []Clause, stats *index.Stats) ([]*term, error) {
	n := float64(v.docs)
	var out []*term
	for i, c := range clauses {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if c.Weight <= 0 {
			continue
		}
		prm := b.ranking.Params[c.Field]
		avg := stats.AvgLen(c.Field)
		if avg <= 0 {
			avg = 1
		}
		t := &term{clause: i, k1: prm.K1, b: prm.B, avg: avg, primary: !c.Secondary}
		// Terms found nowhere, and secondary ones too common to count.
		skip := func(df int) bool {
			return df == 0 || (c.Secondary && b.ranking.MaxSecondaryDF > 0 && df > minSkippedDF && float64(df) > b.ranking.MaxSecondaryDF*n)
		}
		var df int
		if v.internal == nil {
			info, err := v.term(c.Field, c.Term, [3]float64{prm.K1, prm.B, avg}, skip)
			if err != nil {
				return nil, err
			}
			t.parts, df, t.ub, t.blocks, t.arr = info.parts, info.df, info.bound, info.blocks, info.decoded
		} else {
			p, err := v.readPostings(ctx, r, c.Field, c.Term)
			if err != nil {
				return nil, err
			}
			t.arr, df, t.ub = p, len(p.docs), prm.K1+1
		}
		if skip(df) {
			continue
		}
		idf := math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
		t.w = c.Weight * idf
		t.ub *= t.w
		out = append(out, t)
	}
	return out, nil
}

// ranking is one question's scoring over a view.
type ranking struct {
	v     *view
	terms []*term
	// restrict, when not nil, holds the only documents that may match.
	restrict bitset
	// forced are the documents scored in full whatever the bounds say
	// (those cited or said, whose adjustments raise them), ascending.
	forced  []uint32
	cited   bitset
	said    map[uint32]int
	expired bitset
}

// hit is a document and its score.
type hit struct {
	doc   uint32
	score float64
}

// better orders hits by score, then by document number.
func better(a, b hit) bool {
	return a.score > b.score || (a.score == b.score && a.doc < b.doc)
}

// topK is the k best hits seen, the worst of them on top of a heap.
type topK struct {
	k int
	h []hit
}

func (t *topK) full() bool { return len(t.h) >= t.k }

// threshold is the score a document must beat to enter a full list.
func (t *topK) threshold() float64 {
	if !t.full() {
		return math.Inf(-1)
	}
	return t.h[0].score
}

func (t *topK) offer(x hit) {
	if t.k <= 0 {
		return
	}
	if !t.full() {
		t.h = append(t.h, x)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !better(t.h[p], t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if !better(x, t.h[0]) {
		return
	}
	t.h[0] = x
	for i := 0; ; {
		l, r, w := 2*i+1, 2*i+2, i
		if l < len(t.h) && better(t.h[w], t.h[l]) {
			w = l
		}
		if r < len(t.h) && better(t.h[w], t.h[r]) {
			w = r
		}
		if w == i {
			break
		}
		t.h[i], t.h[w] = t.h[w], t.h[i]
		i = w
	}
}

// sorted returns the hits, best first.
func (t *topK) sorted() []hit {
	out := slices.Clone(t.h)
	slices.SortFunc(out, func(a, b hit) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return out
}

// window is how many consecutive documents the ranking scores at a time.
const window = 4096

// slack keeps a bound from pruning a document whose score, summed in
// another order, rounds a hair above it.
const slack = 1 + 1e-9

// top returns the k best-scored matching documents, best first, equal
// scores in document order, as scoring every match would.
//
// It is MaxScore: the primary terms are sorted by the most they add to a
// score; once k documents are held, the cheapest terms whose bounds (with
// all the secondary terms') sum to no more than the k-th score cannot bring
// a document in alone, so only the other, essential terms propose
// documents. Within a window of documents the essential terms' postings are
// added up term by term; each proposed document is then completed with the
// other terms, most valuable first, and dropped as soon as its bound falls
// to the k-th score. Cited and said documents, whose adjustments raise them
// beyond the bounds, are scored in full.
func (rk *ranking) top(ctx context.Context, k int) ([]hit, error) {
	heap := &topK{k: k}
	if k <= 0 {
		return nil, nil
	}
	var primary, secondary []*term
	var secSum float64
	for _, t := range rk.terms {
		if err := t.reset(); err != nil {
			return nil, err
		}
		if t.primary {
			primary = append(primary, t)
		} else {
			secondary = append(secondary, t)
		}
	}
	rp := recPool.Get().(*[]rec)
	recs := (*rp)[:0]
	defer func() {
		if cap(recs) <= maxPooledRecs {
			*rp = recs[:0]
			recPool.Put(rp)
		}
	}()
	var (
		acc    [window]float64
		head   [window]int32
		seen   [window / 64]uint64
		fi     int
		others []*term
		parts  []rec
		err    error
		prim   []*term
		sec    []*term
	)
	n := uint32(rk.v.n)
	for lo := uint32(0); lo < n; lo += window {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+window, n)
		// The bounds of the terms in this window.
		secSum = 0
		sec = sec[:0]
		for _, t := range secondary {
			if t.local = t.localBound(lo); t.local > 0 {
				secSum += t.local
				sec = append(sec, t)
			}
		}
		prim = prim[:0]
		for _, t := range primary {
			if t.local = t.localBound(lo); t.local > 0 {
				prim = append(prim, t)
			}
		}
		slices.SortFunc(prim, func(a, b *term) int { return cmp.Compare(a.local, b.local) })
		// The non-essential primary terms: the longest run of the cheapest
		// whose bounds, with the secondary terms', stay under the k-th score.
		theta := heap.threshold()
		ne, sum := 0, secSum
		for ne < len(prim) && (sum+prim[ne].local)*slack < theta {
			sum += prim[ne].local
			ne++
		}
		forcedHere := fi < len(rk.forced) && rk.forced[fi] < hi
		if ne == len(prim) && !forcedHere {
			continue // no document of the window can enter
		}
		essential := prim[ne:]
		others = append(append(others[:0], prim[:ne]...), sec...)
		slices.SortFunc(others, func(a, b *term) int { return cmp.Compare(b.local, a.local) })
		var rest float64
		for _, t := range others {
			rest += t.local
		}

		recs = recs[:0]
		clear(seen[:])
		mark := func(d uint32) {
			if seen[d/64]&(1<<(d%64)) == 0 {
				seen[d/64] |= 1 << (d % 64)
				acc[d], head[d] = 0, -1
			}
		}
		add := func(t *term, g uint32, s float64) {
			if s <= 0 || (rk.restrict != nil && !rk.restrict.has(g)) {
				return
			}
			d := g - lo
			mark(d)
			acc[d] += s
			recs = append(recs, rec{clause: int32(t.clause), next: head[d], score: s, primary: true})
			head[d] = int32(len(recs) - 1)
		}
		for _, t := range essential {
			if _, err := t.seek(lo); err != nil {
				return nil, err
			}
			if a := t.arr; a != nil && a.norms32 != nil && !t.done {
				// Decoded postings: walked in place.
				i := t.pos
				for ; i < len(a.docs) && a.docs[i] < hi; i++ {
					add(t, a.docs[i], t.scoreOf(uint64(a.tfs[i]), float64(a.norms32[i])))
				}
				t.pos = i
				if err := t.load(); err != nil {
					return nil, err
				}
				continue
			}
			for ; !t.done && t.doc < hi; err = t.next() {
				if err != nil {
					return nil, err
				}
				add(t, t.doc, t.score())
			}
		}
		firstForced := fi
		for ; fi < len(rk.forced) && rk.forced[fi] < hi; fi++ {
			if g := rk.forced[fi]; rk.restrict == nil || rk.restrict.has(g) {
				mark(g - lo)
			}
		}
		forcedDocs := rk.forced[firstForced:fi]

		for wi, word := range seen {
			for word != 0 {
				d := uint32(wi*64 + bits.TrailingZeros64(word))
				word &= word - 1
				g := lo + d
				for len(forcedDocs) > 0 && forcedDocs[0] < g {
					forcedDocs = forcedDocs[1:]
				}
				forced := len(forcedDocs) > 0 && forcedDocs[0] == g
				s, left := acc[d], rest
				theta := heap.threshold()
				pruned := false
				for _, t := range others {
					if !forced && (s+left)*slack <= theta {
						pruned = true
						break
					}
					left -= t.local
					at, err := t.seek(g)
					if err != nil {
						return nil, err
					}
					if at {
						if c := t.score(); c > 0 {
							s += c
							recs = append(recs, rec{clause: int32(t.clause), next: head[d], score: c, primary: t.primary})
							head[d] = int32(len(recs) - 1)
						}
					}
				}
				if pruned || (!forced && s*slack <= theta) {
					continue
				}
				// The exact score: the clauses' scores summed in clause order.
				parts = parts[:0]
				matched := false
				for i := head[d]; i >= 0; i = recs[i].next {
					parts = append(parts, recs[i])
					matched = matched || recs[i].primary
				}
				cited := rk.cited != nil && rk.cited.has(g)
				if !matched && !cited {
					continue
				}
				slices.SortFunc(parts, func(a, b rec) int { return cmp.Compare(a.clause, b.clause) })
				var total float64
				for _, p := range parts {
					total += p.score
				}
				heap.offer(hit{doc: g, score: rk.adjust(g, total, cited)})
			}
		}
	}
	return heap.sorted(), nil
}

// recPool keeps the records of earlier rankings, so that a ranking does not
// grow its own from nothing; maxPooledRecs bounds what a pool keeps.
var recPool = sync.Pool{New: func() any { return new([]rec) }}

const maxPooledRecs = 1 << 20

// rec is one clause's score of a document in a window, chained per document.
type rec struct {
	clause  int32
	next    int32
	score   float64
	primary bool
}

// adjust applies the adjustments to a document's BM25 score, in their order.
func (rk *ranking) adjust(g uint32, s float64, cited bool) float64 {
	if cited {
		s += citedScore
	}
	if n, ok := rk.said[g]; ok {
		s *= saidFactor(n)
	}
	if rk.expired != nil && rk.expired.has(g) {
		s *= expiredFactor
	}
	return s
}

// matched returns the documents a primary term holds or that are cited,
// within restrict.
func (rk *ranking) matched() bitset {
	m := newBitset(rk.v.n)
	for _, t := range rk.terms {
		if !t.primary {
			continue
		}
		if t.arr != nil {
			for _, d := range t.arr.docs {
				m.set(d)
			}
			continue
		}
		for _, pt := range t.parts {
			it := pt.pl.Iterator(false, false, false, nil)
			if o, ok := it.(segment.OptimizablePostingsIterator); ok {
				if d, ok := o.DocNum1Hit(); ok {
					m.set(pt.base + uint32(d))
					continue
				}
				if bm := o.ActualBitmap(); bm != nil {
					m.orBitmap(bm, pt.base)
					continue
				}
			}
			for p, err := it.Next(); p != nil && err == nil; p, err = it.Next() {
				m.set(pt.base + uint32(p.Number()))
			}
		}
	}
	if rk.cited != nil {
		m.or(rk.cited)
	}
	if rk.restrict != nil {
		m.and(rk.restrict)
	}
	m.and(rk.v.live)
	return m
}

// scores returns the exact scores of the given documents, ascending.
func (rk *ranking) scores(docs []uint32) ([]float64, error) {
	out := make([]float64, len(docs))
	for _, t := range rk.terms {
		if err := t.reset(); err != nil {
			return nil, err
		}
	}
	for i, g := range docs {
		var total float64
		for _, t := range rk.terms {
			at, err := t.seek(g)
			if err != nil {
				return nil, err
			}
			if at {
				if c := t.score(); c > 0 {
					total += c
				}
			}
		}
		out[i] = rk.adjust(g, total, rk.cited != nil && rk.cited.has(g))
	}
	return out, nil
}
