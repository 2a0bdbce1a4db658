package search

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	blevesearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

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
	for old.refs.Load() > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return old.idx, nil
}

// swap makes idx and c the engine's index and corpus and returns the
// snapshot it replaces (nil the first time). An index without statistics
// is refused.
func (e *Engine) swap(idx bleve.Index, c *corpus.Corpus) (*snapshot, error) {
	stats, err := index.ReadStats(idx)
	if err != nil {
		return nil, err
	}
	s := &snapshot{gen: e.gens.Add(1), idx: idx, stats: stats, corpus: c, suggester: NewSuggester(c, e.query.synonyms, e.query.fold),
		phrases: newPhrases(c, e.query.fold)}
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
	stats, err := index.ReadStats(idx)
	if err != nil {
		return err
	}
	p := c.Policies[len(c.Policies)/2]
	res, err := idx.SearchInContext(ctx, bleve.NewSearchRequestOptions(e.query.Build(p.Title, Filters{}, stats, nil, nil), 10, 0, false))
	if err != nil {
		return err
	}
	for _, h := range res.Hits {
		if q, ok := c.Get(h.ID); ok && q.Title == p.Title {
			return nil
		}
	}
	return fmt.Errorf("searching the title of %s does not find it", p.ID)
}

// Close closes the index being served.
func (e *Engine) Close() error { return e.snap.Load().idx.Close() }

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
	if sp, ok := e.snap.Load().suggester.Spelled(r.Query); ok {
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
	now := e.now()
	expired := s.expired(now)
	if r.Question == nil {
		r.Question = e.query.Question(r.Query)
	}
	var cited []string
	if n := r.Question.citedNumber(); n != "" {
		var err error
		if cited, err = citing(ctx, s.idx, n); err != nil {
			return nil, err
		}
	}
	var said map[string]int
	if !r.Question.Empty() {
		said = s.phrases.in(r.Question.Text)
	}
	adjust := adjustments{expired: expired, cited: cited, said: said}
	build := func(restrict []string) query.Query {
		return e.query.build(r.Question, r.Filters, s.stats, restrict, adjust, MaxMatches)
	}
	terms := r.Question.Terms()
	out := &Result{Request: r, Facets: map[string][]FacetValue{}, Spelled: r.Question.Spelled}
	if r.Situation.Empty() {
		res, err := e.run(ctx, s, r, build(nil), expired, r.From(), r.Size, !r.rankOnly)
		if err != nil {
			return nil, err
		}
		out.Total, out.Took = res.Total, res.Took
		if err := e.collect(out, s, res, nil, terms, now); err != nil {
			return nil, err
		}
		out.Facets = facets(res)
		return out, nil
	}

	// With a situation: the eligible entries, then the maybe ones, each
	// group in the request's order, paged as one list.
	m := match(s.corpus, r.Situation, now)
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
	within := build
	all, err := e.run(ctx, s, r, within(append(slices.Clone(eligible), maybe...)), expired, 0, 0, true)
	if err != nil {
		return nil, err
	}
	out.Total, out.Facets = all.Total, facets(all)
	var first *bleve.SearchResult
	firstTotal := uint64(0)
	if len(eligible) > 0 {
		if first, err = e.run(ctx, s, r, within(eligible), expired, r.From(), r.Size, false); err != nil {
			return nil, err
		}
		firstTotal = first.Total
		if err := e.collect(out, s, first, outcomes, terms, now); err != nil {
			return nil, err
		}
	}
	if len(out.Hits) < r.Size && len(maybe) > 0 {
		from := max(0, r.From()-int(firstTotal))
		rest, err := e.run(ctx, s, r, within(maybe), expired, from, r.Size-len(out.Hits), false)
		if err != nil {
			return nil, err
		}
		if err := e.collect(out, s, rest, outcomes, terms, now); err != nil {
			return nil, err
		}
	}
	out.Took = all.Took
	return out, nil
}

// run executes one bleve search of q in the request's order; expired
// entries come after current ones.
func (e *Engine) run(ctx context.Context, s *snapshot, r Request, q query.Query, expired []string, from, size int, withFacets bool) (*bleve.SearchResult, error) {
	req := bleve.NewSearchRequestOptions(q, size, from, false)
	var order blevesearch.SortOrder
	if len(expired) > 0 && (r.Sort == SortDate || r.Query == "") {
		order = append(order, newExpiredLast(expired))
	}
	switch {
	case r.Sort == SortDate:
		order = append(order, blevesearch.ParseSearchSortString("-"+index.FieldUpdated), blevesearch.ParseSearchSortString("_id"))
	case r.Query == "":
		order = append(order, blevesearch.ParseSearchSortString("_id"))
	default:
		// Expired entries are scored down by the query itself; equal
		// scores keep the index's order.
		order = append(order, blevesearch.ParseSearchSortString("-_score"))
	}
	req.SortByCustom(order)
	if withFacets {
		for _, f := range FacetFields {
			req.AddFacet(f, bleve.NewFacetRequest(f, 100))
		}
	}
	res, err := s.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", r.Query, err)
	}
	return res, nil
}

// collect appends the hits of res to out.
func (e *Engine) collect(out *Result, s *snapshot, res *bleve.SearchResult, outcomes map[string]corpus.Match, terms []string, now time.Time) error {
	for _, h := range res.Hits {
		p, ok := s.corpus.Get(h.ID)
		if !ok {
			return fmt.Errorf("search: hit %q is not in the corpus", h.ID)
		}
		hit := Hit{Policy: p, Score: h.Score, Expired: p.Expired(now)}
		if !out.Request.rankOnly {
			hit.Snippet = e.query.Snippet(p, terms)
		}
		if m, ok := outcomes[h.ID]; ok {
			hit.Match = &m
		}
		out.Hits = append(out.Hits, hit)
	}
	return nil
}

func facets(res *bleve.SearchResult) map[string][]FacetValue {
	out := map[string][]FacetValue{}
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
		out[f] = vals
	}
	return out
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
