package web

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/search"
)

func (s *Server) apiSearch(c echo.Context) error {
	req, err := s.parseOnSite(c, c.QueryParams())
	if err != nil {
		return err
	}
	// Answers are cached per epoch (index generation and expiries), under
	// the request's canonical key: a reindex or an entry's expiry makes
	// every cached answer unreachable, and parameters the API does not
	// know make no new entries.
	key := s.cfg.Searcher.Epoch() + "?" + req.Key()
	if a, ok := s.cache.Get(key); ok {
		s.metrics.cacheHits.Inc()
		s.countSearch(req, a.zero)
		return c.JSONBlob(http.StatusOK, a.body)
	}
	res, err := s.search(c, req)
	if err != nil {
		return err
	}
	out := SearchResponse{Suggestion: res.Spelled, Confidence: string(res.Confidence), Referrals: toReferrals(res.Referrals), Stated: stated(req), Total: res.Total, Page: req.Page, Size: req.Size, Hits: []SearchHit{}, Facets: res.Facets}
	for _, h := range res.Hits {
		p := h.Policy
		hit := SearchHit{
			ID: p.ID, Title: p.Title, Category: p.Category, Kind: p.Kind, Summary: p.Summary, Benefit: p.Benefit,
			Snippet: string(h.Snippet), Score: h.Score, Online: p.HasOnline(), Expired: h.Expired,
		}
		if h.Match != nil {
			hit.Eligibility = h.Match.Outcome.String()
			hit.Reasons = toReasons(h.Match.Reasons)
			hit.Missing = h.Match.Missing
			hit.Asks = h.Match.Asks
		}
		out.Hits = append(out.Hits, hit)
	}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	zero := res.Total == 0
	s.cache.Add(key, cachedAnswer{body: body, zero: zero})
	s.countSearch(req, zero)
	return c.JSONBlob(http.StatusOK, body)
}

// search runs a parsed request within the search time-out.
func (s *Server) search(c echo.Context, req search.Request) (*search.Result, error) {
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.SearchTimeout)
	defer cancel()
	return s.cfg.Searcher.Search(ctx, req)
}

// countSearch records a search in the metrics and, for a question, its
// normalised text in the query log: the same text however it was typed,
// and whether the answer came from the cache or not.
func (s *Server) countSearch(req search.Request, zero bool) {
	s.metrics.searches.Inc()
	if req.Question.Empty() {
		return
	}
	if zero {
		s.metrics.zero.Inc()
	}
	if s.queries != nil {
		s.queries.record(req.Question.Text, zero)
	}
}

func (s *Server) apiPolicy(c echo.Context) error {
	p, err := s.cfg.Searcher.Policy(c.Param("id"))
	if err != nil {
		if v, ok := s.withdrawn(c.Request().Context(), c.Param("id")); ok {
			return c.JSON(http.StatusGone, WithdrawnResponse{Error: errorDetail{Code: "withdrawn", Message: withdrawnText(v)}, WithdrawnAt: v.At, Note: v.Note})
		}
		return err
	}
	return c.JSON(http.StatusOK, toPolicyResponse(p, p.Expired(s.cfg.Now())))
}

func (s *Server) apiSituation(c echo.Context) error {
	return c.JSON(http.StatusOK, SituationResponse{Fields: toSituationFields(corpus.Fields), NoneOption: corpus.NoneOption})
}

func (s *Server) apiMatch(c echo.Context) error {
	sit, err := corpus.ParseSituation(c.QueryParams())
	if err != nil {
		return err
	}
	site, err := s.requestSite(c)
	if err != nil {
		return err
	}
	m, err := s.cfg.Searcher.MatchOn(sit, site)
	if err != nil {
		return err
	}
	conv := func(ms []search.Matched) []MatchedEntry {
		out := []MatchedEntry{}
		for _, x := range ms {
			p := x.Policy
			out = append(out, MatchedEntry{ID: p.ID, Title: p.Title, Category: p.Category, Kind: p.Kind,
				Summary: p.Summary, Benefit: p.Benefit, Online: p.HasOnline(), Reasons: toReasons(x.Match.Reasons), Missing: x.Match.Missing, Asks: x.Match.Asks})
			if out[len(out)-1].Reasons == nil {
				out[len(out)-1].Reasons = []Reason{}
			}
		}
		return out
	}
	return c.JSON(http.StatusOK, MatchResponse{Eligible: conv(m.Eligible), Maybe: conv(m.Maybe), IneligibleCount: m.Ineligible,
		NextQuestions: toNextQuestions(m.Next)})
}

// stated is what a question without a situation says about the person,
// as situation fields (nil when nothing).
func stated(req search.Request) map[string][]string {
	if !req.Situation.Empty() {
		return nil
	}
	if v, facts := req.Question.Stated(); len(facts) > 0 {
		return v
	}
	return nil
}
