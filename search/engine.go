package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"yicha/corpus"
	"yicha/index"
)

// Engine answers searches over one corpus and its index. Both are held
// together in a snapshot that is replaced as a whole, so a search always
// sees an index and the corpus it was built from.
type Engine struct {
	snap  atomic.Pointer[snapshot]
	gens  atomic.Uint64
	query *QueryBuilder
	now   func() time.Time
}

type snapshot struct {
	// refs counts searches reading idx; a replaced index is closed only
	// when it drops to zero.
	refs atomic.Int64
	// gen numbers the snapshots, so caches can tell answers of an older
	// index from current ones.
	gen       uint64
	idx       bleve.Index
	stats     *index.Stats
	corpus    *corpus.Corpus
	agencies  []string
	suggester *Suggester
	// expiries lists the entries with an expiry date, soonest first.
	expiries []corpus.Expiry
	// phrases finds entries' keywords said word for word in a question.
	phrases *phrases
	// ids maps an entry's id to its index in the corpus's Policies, and
	// updated holds each entry's date of update, in that order.
	ids     map[string]int32
	updated []string

	// pin, once set, is the reader every search of this snapshot reads:
	// the index as it was before an update changed it in place, which the
	// snapshot's corpus describes. It is released when the snapshot is
	// replaced and no search reads it.
	pin atomic.Pointer[scorch.IndexSnapshot]

	// view is what searches know of the index beside bleve, for the
	// index's current snapshot of segments; viewMu serialises building it.
	view   atomic.Pointer[view]
	viewMu sync.Mutex
}

// reading is one search's reader of a snapshot's index and its view.
type reading struct {
	r bleveindex.IndexReader
	v *view
}

func (rd *reading) close() { rd.r.Close() }

// read opens a reader of the index and returns it with its view, built
// on the first search of each snapshot of the index's segments.
func (s *snapshot) read() (*reading, error) {
	var r bleveindex.IndexReader
	if p := s.pin.Load(); p != nil {
		p.AddRef()
		r = p
	} else {
		adv, err := s.idx.Advanced()
		if err != nil {
			return nil, err
		}
		if r, err = adv.Reader(); err != nil {
			return nil, err
		}
	}
	key := any(s.idx)
	if snap, ok := r.(*scorch.IndexSnapshot); ok {
		key = snap
	}
	if v := s.view.Load(); v != nil && v.key == key {
		return &reading{r: r, v: v}, nil
	}
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	if v := s.view.Load(); v != nil && v.key == key {
		return &reading{r: r, v: v}, nil
	}
	v, err := newView(r, key, s.corpus, s.ids)
	if err != nil {
		r.Close()
		return nil, err
	}
	s.view.Store(v)
	return &reading{r: r, v: v}, nil
}

// expired returns the ids of the entries whose expiry day has ended by now.
func (s *snapshot) expired(now time.Time) []string {
	var ids []string
	for _, x := range s.expiries {
		if now.Before(x.At) {
			break
		}
		ids = append(ids, x.Policy.ID)
	}
	return ids
}

// New returns an engine over an index built from c. now is the clock that
// decides which entries have expired; nil means time.Now.
func New(idx bleve.Index, c *corpus.Corpus, now func() time.Time) (*Engine, error) {
	qb, err := NewQueryBuilder()
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	e := &Engine{query: qb, now: now}
	if _, err := e.swap(idx, c); err != nil {
		return nil, err
	}
	return e, nil
}

// acquire returns the current snapshot, counted as in use until release.
func (e *Engine) acquire() *snapshot {
	for {
		s := e.snap.Load()
		s.refs.Add(1)
		if e.snap.Load() == s {
			return s
		}
		s.refs.Add(-1) // replaced meanwhile: take the new one
	}
}

func (s *snapshot) release() { s.refs.Add(-1) }

// Replace swaps in idx and c, waits until no search reads the index they
// replace, and returns that index for the caller to close and remove.
func (e *Engine) Replace(ctx context.Context, idx bleve.Index, c *corpus.Corpus) (bleve.Index, error) {
	old, err := e.swap(idx, c)
	if err != nil || old == nil {
		return nil, err
	}
	if err := old.retire(ctx); err != nil {
		return nil, err
	}
	return old.idx, nil
}

// retire waits until no search reads a replaced snapshot, then releases
// its pinned reader, if any.
func (s *snapshot) retire(ctx context.Context) error {
	for s.refs.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return s.unpin()
}

// unpin releases the snapshot's pinned reader.
func (s *snapshot) unpin() error {
	if p := s.pin.Swap(nil); p != nil {
		return p.Close()
	}
	return nil
}

// Update changes the served index in place with apply (an
// index.PendingUpdate's Apply) and then serves c, the corpus the index
// holds after it, which ch make of the corpus served. Searches never see the changed index with the corpus
// before, nor the reverse: until c serves, they read the index as it was
// before apply. If apply fails, or the index then holds other than c's
// entries, the corpus before keeps serving, with the index as it was,
// until the next Replace.
func (e *Engine) Update(ctx context.Context, c *corpus.Corpus, ch corpus.Changes, apply func() error) error {
	cur := e.acquire()
	idx := cur.idx
	if cur.pin.Load() == nil {
		adv, err := idx.Advanced()
		if err != nil {
			cur.release()
			return err
		}
		r, err := adv.Reader()
		if err != nil {
			cur.release()
			return err
		}
		snap, ok := r.(*scorch.IndexSnapshot)
		if !ok {
			r.Close()
			cur.release()
			return fmt.Errorf("index of type %T cannot be updated in place", r)
		}
		cur.pin.Store(snap)
	}
	cur.release()
	ph := cur.phrases.update(cur.corpus, ch, e.query.fold)
	if err := apply(); err != nil {
		return err
	}
	n, err := idx.DocCount()
	if err != nil {
		return err
	}
	if n != uint64(len(c.Policies)) {
		return fmt.Errorf("the updated index holds %d documents, its corpus has %d", n, len(c.Policies))
	}
	old, err := e.install(idx, c, ph)
	if err != nil {
		return err
	}
	return old.retire(ctx)
}

// swap makes idx and c the engine's index and corpus and returns the
// snapshot it replaces (nil the first time). An index without statistics
// is refused.
func (e *Engine) swap(idx bleve.Index, c *corpus.Corpus) (*snapshot, error) {
	return e.install(idx, c, newPhrases(c, e.query.fold))
}

// install makes idx and c, with the phrases of c, the engine's index and
// corpus, and returns the snapshot it replaces.
func (e *Engine) install(idx bleve.Index, c *corpus.Corpus, ph *phrases) (*snapshot, error) {
	s, err := newSnapshot(idx, c)
	if err != nil {
		return nil, err
	}
	s.gen = e.gens.Add(1)
	s.suggester = NewSuggester(c, e.query.synonyms, e.query.fold)
	s.phrases = ph
	for _, p := range c.Policies {
		if !slices.Contains(s.agencies, p.Agency) {
			s.agencies = append(s.agencies, p.Agency)
		}
	}
	slices.Sort(s.agencies)
	// Every entry with a date, as of the zero time: all of them "soon".
	_, s.expiries = c.Expiries(time.Time{}, 1<<63-1)
	return e.snap.Swap(s), nil
}

// newSnapshot returns the part of a snapshot searches rank with: the index,
// its statistics and the corpus with its entries numbered.
func newSnapshot(idx bleve.Index, c *corpus.Corpus) (*snapshot, error) {
	stats, err := index.ReadStats(idx)
	if err != nil {
		return nil, err
	}
	s := &snapshot{idx: idx, stats: stats, corpus: c, ids: make(map[string]int32, len(c.Policies)), updated: make([]string, len(c.Policies))}
	for i, p := range c.Policies {
		s.ids[p.ID] = int32(i)
		if _, err := corpus.ParseDate(p.Updated); err == nil {
			s.updated[i] = p.Updated
		}
	}
	return s, nil
}

// Verify checks a new index of c before it serves: it holds every entry,
// and an entry's own title finds it (or an entry of the same title).
func (e *Engine) Verify(ctx context.Context, idx bleve.Index, c *corpus.Corpus) error {
	n, err := idx.DocCount()
	if err != nil {
		return err
	}
	if n != uint64(len(c.Policies)) {
		return fmt.Errorf("index holds %d documents, corpus has %d", n, len(c.Policies))
	}
	if len(c.Policies) == 0 {
		return nil
	}
	s, err := newSnapshot(idx, c)
	if err != nil {
		return err
	}
	p := c.Policies[len(c.Policies)/2]
	res, err := e.search(ctx, s, Request{Query: p.Title, Page: 1, Size: 10, Sort: SortRelevance, rankOnly: true})
	if err != nil {
		return err
	}
	for _, h := range res.Hits {
		if h.Policy.Title == p.Title {
			return nil
		}
	}
	return fmt.Errorf("searching the title of %s does not find it", p.ID)
}

// Close closes the index being served.
func (e *Engine) Close() error {
	s := e.snap.Load()
	return errors.Join(s.unpin(), s.idx.Close())
}

// Index returns the index being served.
func (e *Engine) Index() bleve.Index { return e.snap.Load().idx }

// Epoch identifies what an answer depends on besides its request: the
// index and corpus served (their generation) and which entries have
// expired by now. It changes with every swap and at every expiry, so an
// answer cached under it is never stale.
func (e *Engine) Epoch() string {
	s := e.snap.Load()
	return strconv.FormatUint(s.gen, 10) + "." + strconv.Itoa(len(s.expired(e.now())))
}

// Generation numbers the index and corpus being served; it changes with
// every swap.
func (e *Engine) Generation() uint64 { return e.snap.Load().gen }

// Documents returns how many entries the served index holds.
func (e *Engine) Documents() int { return len(e.snap.Load().corpus.Policies) }

// Corpus returns the corpus the engine currently serves.
func (e *Engine) Corpus() *corpus.Corpus { return e.snap.Load().corpus }

// Suggest completes what a person is typing from the current corpus.
func (e *Engine) Suggest(q string, limit int) []Suggestion {
	return e.snap.Load().suggester.Suggest(q, limit)
}

// SuggestOn is Suggest on a site: texts of the entries it shows. An
// unknown site is ErrBadRequest.
func (e *Engine) SuggestOn(q string, limit int, site string) ([]Suggestion, error) {
	s := e.snap.Load()
	owners, err := s.owners(site)
	if err != nil {
		return nil, err
	}
	return s.suggester.SuggestOn(q, limit, owners), nil
}

// owners are the owners of the entries a site shows (nil for "": all);
// an unknown site is ErrBadRequest.
func (s *snapshot) owners(site string) ([]string, error) {
	if site == "" {
		return nil, nil
	}
	if _, ok := s.corpus.Sites.Get(site); !ok {
		return nil, badRequest("unknown site %q", site)
	}
	return s.corpus.Sites.Owners(site), nil
}

// Sites returns the sites of the current corpus.
func (e *Engine) Sites() *corpus.Sites { return e.snap.Load().corpus.Sites }

// ParseRequest validates the parameters of a search (see the function
// ParseRequest) and gives it its Question: the request carries the one
// analysis of the question to the cache key, the query, the snippets, the
// help and the query log.
func (e *Engine) ParseRequest(v url.Values) (Request, error) {
	r, err := ParseRequest(v)
	if err != nil {
		return r, err
	}
	r.Question = e.query.Question(r.Query)
	s := e.snap.Load()
	owners, err := s.owners(r.Filters.Site)
	if err != nil {
		return r, err
	}
	if sp, ok := s.suggester.SpelledOn(r.Query, owners); ok {
		// Searched in Chinese; the key and the query log keep what was typed.
		r.Question.raw, r.Question.Spelled = sp.Text, sp.Text
	}
	return r, nil
}

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
	// Match is how the request's situation meets the entry, if one was given.
	Match *corpus.Match
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
	// Match is the situation's outcome over the whole corpus, if one was given.
	Match *MatchResult
	// Spelled is the Chinese searched for a question typed in pinyin.
	Spelled string
	// Confidence says how surely the first hit answers the question (empty
	// without a question); Referrals, when it is not Strong, say who can
	// answer instead.
	Confidence Confidence
	Referrals  []corpus.Referral
}

// Search runs a validated request. With a situation, only entries it may
// qualify for are searched, those it meets fully ranked before the others.
// A question's result says how surely it is answered, and who else can
// answer when it is not surely.
func (e *Engine) Search(ctx context.Context, r Request) (*Result, error) {
	s := e.acquire()
	defer s.release()
	out, err := e.search(ctx, s, r)
	if err != nil || out.Request.rankOnly || out.Request.Question.Empty() {
		return out, err
	}
	sig, err := e.signals(ctx, s, out.Request.Question, out)
	if err != nil {
		return nil, err
	}
	out.Confidence = decide(out.Total, sig)
	if out.Confidence != Strong {
		out.Referrals = referrals(s.corpus.Routing, sig.Topics)
	}
	return out, nil
}

// MaxReferrals bounds the referrals a result lists.
const MaxReferrals = 4

// referrals lists the referrals of the topics a question names (and the
// first hit does not cover), then the routing table's defaults, each once.
func referrals(rt *corpus.Routing, topics []*corpus.Topic) []corpus.Referral {
	if rt == nil {
		return nil
	}
	var out []corpus.Referral
	add := func(r corpus.Referral) {
		for _, o := range out {
			if o.Name == r.Name {
				return
			}
		}
		if len(out) < MaxReferrals {
			out = append(out, r)
		}
	}
	for _, t := range topics {
		for _, r := range t.Referrals {
			add(r)
		}
	}
	for _, r := range rt.Default {
		add(r)
	}
	return out
}

func (e *Engine) search(ctx context.Context, s *snapshot, r Request) (*Result, error) {
	for _, a := range r.Filters.Agency {
		if !slices.Contains(s.agencies, a) {
			return nil, badRequest("unknown agency %q", a)
		}
	}
	if _, err := s.owners(r.Filters.Site); err != nil {
		return nil, err
	}
	now := e.now()
	if r.Question == nil {
		r.Question = e.query.Question(r.Query)
	}
	rd, err := s.read()
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", r.Query, err)
	}
	defer rd.close()
	v := rd.v
	var adjust adjustments
	if ids := s.expired(now); len(ids) > 0 {
		adjust.expired = v.docsOf(ids, s.ids)
	}
	if n := r.Question.citedNumber(); n != "" {
		cited, err := citing(ctx, s.idx, n)
		if err != nil {
			return nil, err
		}
		adjust.cited = v.docsOf(cited, s.ids)
	}
	if !r.Question.Empty() {
		for id, n := range s.phrases.in(r.Question.Text) {
			if e, ok := s.ids[id]; ok && v.doc[e] >= 0 {
				if adjust.said == nil {
					adjust.said = map[uint32]int{}
				}
				adjust.said[uint32(v.doc[e])] = n
			}
		}
	}
	filtered, err := e.filter(ctx, s, rd, r.Filters, adjust.expired)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", r.Query, err)
	}
	terms := r.Question.Terms()
	out := &Result{Request: r, Facets: map[string][]FacetValue{}, Spelled: r.Question.Spelled}
	start := time.Now()
	if r.Situation.Empty() {
		res, err := e.run(ctx, s, rd, r, adjust, filtered, r.From(), r.Size, !r.rankOnly)
		if err != nil {
			return nil, err
		}
		out.Total, out.Took = res.total, time.Since(start)
		if err := e.collect(out, s, rd, res, nil, terms, now); err != nil {
			return nil, err
		}
		out.Facets = res.facets
		return out, nil
	}

	// With a situation: the eligible entries, then the maybe ones, each
	// group in the request's order, paged as one list.
	owners, err := s.owners(r.Filters.Site)
	if err != nil {
		return nil, err
	}
	m := match(s.corpus, r.Situation, now, owners)
	out.Match = m
	outcomes := map[string]corpus.Match{}
	var eligible, maybe []string
	for _, x := range m.Eligible {
		eligible = append(eligible, x.Policy.ID)
		outcomes[x.Policy.ID] = x.Match
	}
	for _, x := range m.Maybe {
		maybe = append(maybe, x.Policy.ID)
		outcomes[x.Policy.ID] = x.Match
	}
	if len(eligible)+len(maybe) == 0 {
		for _, f := range FacetFields {
			out.Facets[f] = []FacetValue{}
		}
		return out, nil
	}
	within := func(ids []string) bitset {
		b := v.docsOf(ids, s.ids)
		if filtered != nil {
			b.and(filtered)
		}
		return b
	}
	all, err := e.run(ctx, s, rd, r, adjust, within(append(slices.Clone(eligible), maybe...)), 0, 0, true)
	if err != nil {
		return nil, err
	}
	out.Total, out.Facets = all.total, all.facets
	firstTotal := uint64(0)
	if len(eligible) > 0 {
		first, err := e.run(ctx, s, rd, r, adjust, within(eligible), r.From(), r.Size, false)
		if err != nil {
			return nil, err
		}
		firstTotal = first.total
		if err := e.collect(out, s, rd, first, outcomes, terms, now); err != nil {
			return nil, err
		}
	}
	if len(out.Hits) < r.Size && len(maybe) > 0 {
		from := max(0, r.From()-int(firstTotal))
		rest, err := e.run(ctx, s, rd, r, adjust, within(maybe), from, r.Size-len(out.Hits), false)
		if err != nil {
			return nil, err
		}
		if err := e.collect(out, s, rd, rest, outcomes, terms, now); err != nil {
			return nil, err
		}
	}
	out.Took = time.Since(start)
	return out, nil
}

// filter returns the documents the filters keep (nil when no filter is
// set). The values of entries' fields come from the view; phrase, title
// and document-number filters, rarer, are bleve queries on the same reader.
func (e *Engine) filter(ctx context.Context, s *snapshot, rd *reading, f Filters, expired bitset) (bitset, error) {
	v := rd.v
	var out bitset
	and := func(b bitset) {
		if out == nil {
			out = b.clone()
		} else {
			out.and(b)
		}
	}
	for _, l := range []struct {
		field string
		vals  []string
	}{{index.FieldCategory, f.Category}, {index.FieldKind, f.Kind}, {index.FieldAudience, f.Audience}, {index.FieldAgency, f.Agency}} {
		if len(l.vals) == 0 {
			continue
		}
		any := newBitset(v.n)
		for _, val := range l.vals {
			if b, ok := v.values[l.field][val]; ok {
				any.or(b)
			}
		}
		and(any)
	}
	if f.Site != "" {
		owners, err := s.owners(f.Site)
		if err != nil {
			return nil, err
		}
		any := newBitset(v.n)
		for _, o := range owners {
			if b, ok := v.values[attrSite][o]; ok {
				any.or(b)
			}
		}
		and(any)
	}
	if f.Online {
		b, ok := v.values[index.FieldOnline][index.True]
		if !ok {
			b = newBitset(v.n)
		}
		and(b)
	}
	for _, q := range textFilters(f) {
		b, err := v.queryDocs(ctx, rd.r, s.idx.Mapping(), q)
		if err != nil {
			return nil, err
		}
		and(b)
	}
	if f.ExcludeExpired && expired != nil {
		if out == nil {
			out = v.live.clone()
		}
		out.andNot(expired)
	}
	return out, nil
}

// outcome is one run of a query: a page of hits in order, how many
// documents matched and the facets over them.
type outcome struct {
	hits   []hit
	total  uint64
	facets map[string][]FacetValue
}

// run ranks the documents that match the request's question (all of them
// without a question) within restrict (nil for no restriction), in the
// request's order, and returns the page from..from+size. Expired entries
// come after current ones: scored down by the ranking, or listed last.
func (e *Engine) run(ctx context.Context, s *snapshot, rd *reading, r Request, adjust adjustments, restrict bitset, from, size int, withFacets bool) (*outcome, error) {
	v := rd.v
	out := &outcome{}
	q := r.Question
	var rk *ranking
	var set bitset
	if q.Empty() {
		set = v.live.clone()
		if restrict != nil {
			set.and(restrict)
		}
	} else {
		clauses := e.query.clauses(q)
		var terms []*term
		if len(clauses) > 0 {
			var err error
			if terms, err = e.query.prepare(ctx, v, rd.r, clauses, s.stats); err != nil {
				return nil, err
			}
		} else {
			// A question of symbols alone asks for nothing that is there.
			adjust.cited = nil
		}
		rk = &ranking{v: v, terms: terms, restrict: restrict, cited: adjust.cited, said: adjust.said, expired: adjust.expired}
		for d := range adjust.said {
			rk.forced = append(rk.forced, d)
		}
		if adjust.cited != nil {
			adjust.cited.each(func(d uint32) {
				if _, ok := adjust.said[d]; !ok {
					rk.forced = append(rk.forced, d)
				}
			})
		}
		slices.Sort(rk.forced)
		if !r.rankOnly || withFacets || r.Sort == SortDate {
			set = rk.matched()
		}
	}
	if set != nil {
		out.total = uint64(set.count())
		if withFacets {
			out.facets = facets(v, set)
		}
	}
	if size <= 0 {
		return out, nil
	}
	if rk != nil && r.Sort != SortDate {
		hits, err := rk.top(ctx, from+size)
		if err != nil {
			return nil, err
		}
		if from < len(hits) {
			out.hits = hits[from:]
		}
		return out, nil
	}
	// Listed in order: expired entries last, then by date (newest first)
	// when asked, then by id (the corpus's order).
	var docs []uint32
	set.each(func(d uint32) { docs = append(docs, d) })
	expired := func(d uint32) bool { return adjust.expired != nil && adjust.expired.has(d) }
	slices.SortFunc(docs, func(a, b uint32) int {
		if x, y := expired(a), expired(b); x != y {
			if x {
				return 1
			}
			return -1
		}
		ea, eb := v.entry[a], v.entry[b]
		if r.Sort == SortDate {
			if c := cmp.Compare(s.updated[eb], s.updated[ea]); c != 0 {
				return c
			}
		}
		return cmp.Compare(ea, eb)
	})
	if from >= len(docs) {
		return out, nil
	}
	docs = docs[from:min(from+size, len(docs))]
	var scores []float64
	var err error
	if rk != nil {
		if scores, err = rk.scores(slices.Sorted(slices.Values(docs))); err != nil {
			return nil, err
		}
		byDoc := map[uint32]float64{}
		for i, d := range slices.Sorted(slices.Values(docs)) {
			byDoc[d] = scores[i]
		}
		for _, d := range docs {
			out.hits = append(out.hits, hit{doc: d, score: byDoc[d]})
		}
		return out, nil
	}
	for _, d := range docs {
		out.hits = append(out.hits, hit{doc: d, score: listScore})
	}
	return out, nil
}

// listScore is the score of every entry listed without a question.
const listScore = 1

// collect appends the hits of res to out, with their snippets: only the
// page's hits are ever cut a snippet.
func (e *Engine) collect(out *Result, s *snapshot, rd *reading, res *outcome, outcomes map[string]corpus.Match, terms []string, now time.Time) error {
	for _, h := range res.hits {
		en := rd.v.entry[h.doc]
		if en < 0 {
			return fmt.Errorf("search: document %d is not in the corpus", h.doc)
		}
		p := s.corpus.Policies[en]
		hit := Hit{Policy: p, Score: h.score, Expired: p.Expired(now)}
		if !out.Request.rankOnly {
			hit.Snippet = e.query.Snippet(p, terms)
		}
		if m, ok := outcomes[p.ID]; ok {
			hit.Match = &m
		}
		out.Hits = append(out.Hits, hit)
	}
	return nil
}

// facets counts, for each facet field, the documents of set with each value.
func facets(v *view, set bitset) map[string][]FacetValue {
	out := map[string][]FacetValue{}
	for _, f := range FacetFields {
		vals := []FacetValue{}
		for val, b := range v.values[f] {
			if n := set.andCount(b); n > 0 {
				vals = append(vals, FacetValue{Value: val, Count: n})
			}
		}
		// bleve's order and size: by count, then value; at most maxFacetValues.
		slices.SortFunc(vals, func(a, b FacetValue) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
		vals = vals[:min(len(vals), maxFacetValues)]
		slices.SortStableFunc(vals, func(a, b FacetValue) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return facetOrder(f, a.Value) - facetOrder(f, b.Value)
		})
		out[f] = vals
	}
	return out
}

// maxFacetValues bounds the values a facet lists.
const maxFacetValues = 100

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
