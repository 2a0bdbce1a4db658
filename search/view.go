package search

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	blevesearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"yicha/corpus"
	"yicha/index"
)

// view is what searches need of one reader of the index, beside bleve: which
// entry each document number is, the documents of each filter and facet
// value as bitsets, and the segments whose postings the ranking reads. Document numbers are the index's own: scorch numbers
// the documents of each segment from 0 and a snapshot places its segments one
// after the other (snapshot_index.go: the offset of a segment is the sum of
// the counts of the segments before it), so a document's global number is
// its segment's offset plus its number in the segment, and that order is the
// order bleve lists matches in — the order ties are broken in.
//
// A scorch index changes its segments while it merges after a build; a view
// belongs to one snapshot of them and is rebuilt when the reader's snapshot
// is another (viewOf).
type view struct {
	// key is the scorch snapshot the view was built from (the index itself
	// for other kinds of index, which are read through bleve's API).
	key any
	// n bounds the document numbers; docs is how many documents are live.
	n, docs int
	// entry maps a document number to the index of its entry in the
	// corpus's Policies (-1 for none), doc the other way (-1 for none).
	entry []int32
	doc   []int32
	live  bitset
	// values holds, for each filter or facet field, the documents of each
	// value.
	values map[string]map[string]bitset

	// parts are the scorch segments, in order; other indexes have none and
	// their postings are read through a bleve reader, with internal ids
	// numbered by internal.
	parts    []part
	internal map[string]uint32

	// terms holds the terms searched (see term).
	mu    sync.Mutex
	terms map[string]*termInfo
	// decodedBytes is the memory of the terms' decoded postings.
	decodedBytes int64
	// dicts holds each field's term dictionaries, one per part (see
	// lookup).
	dictMu sync.Mutex
	dicts  map[string][]segment.TermDictionary
}

// part is one segment of a scorch snapshot.
type part struct {
	seg     segment.Segment
	base    uint32
	deleted *roaring.Bitmap
}

// attrFields are the fields whose values filter and count as facets, read
// from the corpus's entries.
var attrFields = []string{index.FieldCategory, index.FieldKind, index.FieldAudience, index.FieldAgency, index.FieldOnline, attrSite}

// attrSite is the attribute of an entry's owner (corpus.Policy.Owner): the
// site it belongs to, "" for a city entry. It is not indexed.
const attrSite = "site"

// attrValues returns an entry's values of one of attrFields, as indexed.
func attrValues(p *corpus.Policy, field string) []string {
	switch field {
	case index.FieldCategory:
		return []string{p.Category}
	case index.FieldKind:
		return []string{p.Kind}
	case index.FieldAudience:
		return p.Audiences
	case index.FieldAgency:
		return []string{p.Agency}
	case attrSite:
		return []string{p.Owner()}
	case index.FieldOnline:
		if p.HasOnline() {
			return []string{index.True}
		}
		return []string{index.False}
	}
	return nil
}

// newView maps the documents of reader r to the entries of c; ids maps an
// entry's id to its index in c.Policies.
func newView(r bleveindex.IndexReader, key any, c *corpus.Corpus, ids map[string]int32) (*view, error) {
	v := &view{key: key, terms: map[string]*termInfo{}}
	if snap, ok := r.(*scorch.IndexSnapshot); ok {
		var base uint64
		for _, ss := range snap.Segments() {
			seg := ss.Segment()
			v.parts = append(v.parts, part{seg: seg, base: uint32(base), deleted: ss.Deleted()})
			base += seg.Count()
		}
		if base >= 1<<31 {
			return nil, fmt.Errorf("index of %d documents: too many", base)
		}
		v.n = int(base)
		v.entry = make([]int32, v.n)
		for _, p := range v.parts {
			for local := range p.seg.Count() {
				d := p.base + uint32(local)
				v.entry[d] = -1
				if p.deleted != nil && p.deleted.Contains(uint32(local)) {
					continue
				}
				id, err := p.seg.DocID(local)
				if err != nil {
					return nil, err
				}
				if e, ok := ids[string(id)]; ok {
					v.entry[d] = e
				}
			}
		}
	} else {
		// Any other index: number its documents in bleve's order.
		all, err := r.DocIDReaderAll()
		if err != nil {
			return nil, err
		}
		defer all.Close()
		v.internal = map[string]uint32{}
		for {
			in, err := all.Next()
			if err != nil {
				return nil, err
			}
			if in == nil {
				break
			}
			id, err := r.ExternalID(in)
			if err != nil {
				return nil, err
			}
			v.internal[string(in)] = uint32(len(v.entry))
			e, ok := ids[id]
			if !ok {
				e = -1
			}
			v.entry = append(v.entry, e)
		}
		v.n = len(v.entry)
	}
	v.doc = make([]int32, len(c.Policies))
	for i := range v.doc {
		v.doc[i] = -1
	}
	v.live = newBitset(v.n)
	v.values = map[string]map[string]bitset{}
	for _, f := range attrFields {
		v.values[f] = map[string]bitset{}
	}
	for d, e := range v.entry {
		if e < 0 {
			continue
		}
		v.docs++
		v.doc[e] = int32(d)
		v.live.set(uint32(d))
		p := c.Policies[e]
		for _, f := range attrFields {
			for _, val := range attrValues(p, f) {
				b, ok := v.values[f][val]
				if !ok {
					b = newBitset(v.n)
					v.values[f][val] = b
				}
				b.set(uint32(d))
			}
		}
	}
	return v, nil
}

// docsOf returns the document numbers of the entries with these ids, in
// ascending order; ids not in the view are left out.
func (v *view) docsOf(ids []string, byID map[string]int32) bitset {
	b := newBitset(v.n)
	for _, id := range ids {
		if e, ok := byID[id]; ok && v.doc[e] >= 0 {
			b.set(uint32(v.doc[e]))
		}
	}
	return b
}

// docOfInternal returns the document number of a bleve internal id.
func (v *view) docOfInternal(id bleveindex.IndexInternalID) (uint32, bool) {
	if v.internal != nil {
		d, ok := v.internal[string(id)]
		return d, ok
	}
	if len(id) != 8 {
		return 0, false
	}
	d := binary.BigEndian.Uint64(id)
	return uint32(d), d < uint64(v.n)
}

// queryDocs returns the documents q matches, read through bleve on r.
func (v *view) queryDocs(ctx context.Context, r bleveindex.IndexReader, m mapping.IndexMapping, q query.Query) (bitset, error) {
	sr, err := q.Searcher(ctx, r, m, blevesearch.SearcherOptions{Score: "none"})
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	sctx := &blevesearch.SearchContext{DocumentMatchPool: blevesearch.NewDocumentMatchPool(sr.DocumentMatchPoolSize(), 0), IndexReader: r}
	b := newBitset(v.n)
	for {
		dm, err := sr.Next(sctx)
		if err != nil {
			return nil, err
		}
		if dm == nil {
			return b, nil
		}
		if d, ok := v.docOfInternal(dm.IndexInternalID); ok {
			b.set(d)
		}
		sctx.DocumentMatchPool.Put(dm)
	}
}

// postings are the documents holding a term in a field, in ascending
// order, with the term's frequency and the field's norm in each: what
// indexes other than scorch give through a TermFieldReader (norms), or a
// scorch term's postings decoded from its segments (norms32, the float32
// zap stores, so converting back gives the very norm zap's iterator does).
type postings struct {
	docs    []uint32
	tfs     []uint32
	norms   []float64
	norms32 []float32
}

// size is the memory the postings take, in bytes.
func (p *postings) size() int64 {
	return int64(cap(p.docs))*4 + int64(cap(p.tfs))*4 + int64(cap(p.norms))*8 + int64(cap(p.norms32))*4
}

// readPostings reads the postings of term in field through bleve's API.
func (v *view) readPostings(ctx context.Context, r bleveindex.IndexReader, field, term string) (*postings, error) {
	p := &postings{}
	tfr, err := r.TermFieldReader(ctx, []byte(term), field, true, true, false)
	if err != nil {
		return nil, err
	}
	defer tfr.Close()
	var tfd *bleveindex.TermFieldDoc
	for {
		if tfd, err = tfr.Next(tfd); err != nil {
			return nil, err
		}
		if tfd == nil {
			break
		}
		d, ok := v.docOfInternal(tfd.ID)
		if !ok {
			continue
		}
		p.docs = append(p.docs, d)
		p.tfs = append(p.tfs, uint32(tfd.Freq))
		p.norms = append(p.norms, tfd.Norm)
	}
	return p, nil
}

// termInfo is what a view knows of a term of a field: its postings in each
// segment, how many documents hold it, and the most its tf part,
// tf·(k1+1)/(tf+k1·(1−b+b·dl/avg)), reaches in one of them for the BM25
// parameters given (k1, b and the field's average length).
type termInfo struct {
	parts  []termPart
	df     int
	params [3]float64
	// read tells whether the postings were read for the bound and blocks.
	read  bool
	bound float64
	// blocks holds the most the tf part reaches in each window of the
	// ranking's documents, rounded up.
	blocks []float32
	// decoded, when not nil, holds the postings read out of the segments
	// (see decodedBudget), which a ranking walks and skips through far
	// faster than the segments' iterators.
	decoded *postings
}

// maxTerms bounds the terms a view keeps (a few hundred bytes each, beside
// their decoded postings).
const maxTerms = 1 << 18

// minDecodedDF is the fewest documents a term must hold for its postings to
// be kept decoded: rarer terms are read quickly from the segments.
const minDecodedDF = 256

// decodedBudget bounds the memory of the postings a view keeps decoded, in
// bytes (12 a posting). Terms are kept in the order questions first ask for
// them, the common ones (which most questions share) early; once the budget
// is spent, later terms are read from the segments each time.
var decodedBudget int64 = 256 << 20

// term returns what the view knows of a term, found in the segments' term
// dictionaries and read once in full for its bound on the first search that
// asks, then kept: common terms come back in question after question. A
// term whose count of documents skip accepts is not read: it has no bound.
func (v *view) term(field, text string, params [3]float64, skip func(df int) bool) (*termInfo, error) {
	key := field + "\x00" + text
	v.mu.Lock()
	info, ok := v.terms[key]
	v.mu.Unlock()
	if ok && info.params == params && (info.read || skip(info.df)) {
		return info, nil
	}
	if ok {
		// Where the term is does not depend on the parameters.
		info = &termInfo{params: params, parts: info.parts, df: info.df}
	} else {
		info = &termInfo{params: params}
		if err := v.lookup(field, text, info); err != nil {
			return nil, err
		}
	}
	if skip(info.df) {
		v.keep(key, info)
		return info, nil
	}
	info.read = true
	var dec *postings
	if info.df >= minDecodedDF {
		v.mu.Lock()
		if need := int64(info.df) * 12; v.decodedBytes+need <= decodedBudget {
			v.decodedBytes += need
			dec = &postings{docs: make([]uint32, 0, info.df), tfs: make([]uint32, 0, info.df), norms32: make([]float32, 0, info.df)}
		}
		v.mu.Unlock()
	}
	// The bound: the highest tf part over the postings.
	t := term{w: 1, k1: params[0], b: params[1], avg: params[2], parts: info.parts}
	if err := t.reset(); err != nil {
		return nil, err
	}
	info.blocks = make([]float32, (v.n+window-1)/window)
	for !t.done {
		sc := t.score()
		info.bound = max(info.bound, sc)
		if b := &info.blocks[t.doc/window]; float64(*b) < sc {
			*b = math.Nextafter32(float32(sc), float32(math.Inf(1)))
		}
		if dec != nil {
			dec.docs = append(dec.docs, t.doc)
			dec.tfs = append(dec.tfs, uint32(t.tf))
			dec.norms32 = append(dec.norms32, float32(t.norm))
		}
		if err := t.next(); err != nil {
			return nil, err
		}
	}
	info.decoded = dec
	v.keep(key, info)
	return info, nil
}

// df returns how many documents hold a term, looked up in the segments'
// term dictionaries unless the view knows the term already.
func (v *view) df(field, text string) (int, error) {
	key := field + "\x00" + text
	v.mu.Lock()
	info, ok := v.terms[key]
	v.mu.Unlock()
	if ok {
		return info.df, nil
	}
	info = &termInfo{}
	if err := v.lookup(field, text, info); err != nil {
		return 0, err
	}
	v.mu.Lock()
	if _, ok := v.terms[key]; !ok {
		v.mu.Unlock()
		v.keep(key, info)
	} else {
		v.mu.Unlock()
	}
	return info.df, nil
}

// keep keeps what the view knows of a term, forgetting every term when
// there are too many.
func (v *view) keep(key string, info *termInfo) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.terms) >= maxTerms {
		clear(v.terms)
		v.decodedBytes = 0
		if info.decoded != nil {
			v.decodedBytes = info.decoded.size()
		}
	}
	v.terms[key] = info
}

// lookup finds a term's postings in the segments' term dictionaries,
// opened once per field and kept (they are not safe for concurrent use: a
// lock keeps the lookups one at a time).
func (v *view) lookup(field, text string, info *termInfo) error {
	v.dictMu.Lock()
	defer v.dictMu.Unlock()
	dicts, ok := v.dicts[field]
	if !ok {
		dicts = make([]segment.TermDictionary, len(v.parts))
		for i, pt := range v.parts {
			d, err := pt.seg.Dictionary(field)
			if err != nil {
				return err
			}
			dicts[i] = d
		}
		if v.dicts == nil {
			v.dicts = map[string][]segment.TermDictionary{}
		}
		v.dicts[field] = dicts
	}
	for i, pt := range v.parts {
		if dicts[i] == nil {
			continue
		}
		pl, err := dicts[i].PostingsList([]byte(text), pt.deleted, nil)
		if err != nil {
			return err
		}
		if pl == nil || pl.Count() == 0 {
			continue
		}
		info.df += int(pl.Count())
		info.parts = append(info.parts, termPart{base: pt.base, pl: pl})
	}
	return nil
}

// bitset is a set of document numbers.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i uint32)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i uint32) bool { return b[i/64]&(1<<(i%64)) != 0 }

// and keeps in b what o holds too.
func (b bitset) and(o bitset) {
	for i := range b {
		b[i] &= o[i]
	}
}

// andNot removes from b what o holds.
func (b bitset) andNot(o bitset) {
	for i := range b {
		b[i] &^= o[i]
	}
}

// or adds to b what o holds.
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}

// orBitmap adds the numbers of a segment's bitmap, offset by base.
func (b bitset) orBitmap(bm *roaring.Bitmap, base uint32) {
	it := bm.ManyIterator()
	var buf [256]uint32
	for {
		n := it.NextMany(buf[:])
		if n == 0 {
			return
		}
		for _, x := range buf[:n] {
			b.set(base + x)
		}
	}
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

func (b bitset) andCount(o bitset) int {
	n := 0
	for i, w := range b {
		n += bits.OnesCount64(w & o[i])
	}
	return n
}

func (b bitset) clone() bitset { return append(bitset(nil), b...) }

// each calls f with every number in b, in ascending order.
func (b bitset) each(f func(d uint32)) {
	for i, w := range b {
		for w != 0 {
			f(uint32(i*64 + bits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
}
