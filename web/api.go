package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/search"
)

// SearchResponse is the JSON answer of /api/search.
type SearchResponse struct {
	Total  uint64                         `json:"total"`
	Page   int                            `json:"page"`
	Size   int                            `json:"size"`
	Hits   []SearchHit                    `json:"hits"`
	Facets map[string][]search.FacetValue `json:"facets"`
}

// SearchHit is one hit in a SearchResponse.
type SearchHit struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Category string  `json:"category"`
	Kind     string  `json:"kind"`
	Summary  string  `json:"summary"`
	Snippet  string  `json:"snippet"`
	Score    float64 `json:"score"`
	Online   bool    `json:"online"`
	Expired  bool    `json:"expired"`
	// Eligibility and Reasons are set when the request gave a situation.
	Eligibility string          `json:"eligibility,omitempty"`
	Reasons     []corpus.Reason `json:"reasons,omitempty"`
	Missing     []string        `json:"missing,omitempty"`
}

// PolicyResponse is the JSON answer of /api/policies/{id}: the whole entry.
type PolicyResponse struct {
	*corpus.Policy
	Expired bool `json:"expired"`
}

func (s *Server) apiSearch(c echo.Context) error {
	params := c.QueryParams()
	// Answers are cached per index generation: a reindex makes every
	// cached answer unreachable.
	key := strconv.FormatUint(s.cfg.Searcher.Generation(), 10) + "?" + params.Encode()
	if a, ok := s.cache.Get(key); ok {
		s.metrics.cacheHits.Inc()
		s.countSearch(params.Get("q"), a.zero)
		return c.JSONBlob(http.StatusOK, a.body)
	}
	req, res, err := s.runSearch(c, params)
	if err != nil {
		return err
	}
	out := SearchResponse{Total: res.Total, Page: req.Page, Size: req.Size, Hits: []SearchHit{}, Facets: res.Facets}
	for _, h := range res.Hits {
		p := h.Policy
		hit := SearchHit{
			ID: p.ID, Title: p.Title, Category: p.Category, Kind: p.Kind, Summary: p.Summary,
			Snippet: string(h.Snippet), Score: h.Score, Online: p.HasOnline(), Expired: h.Expired,
		}
		if h.Match != nil {
			hit.Eligibility = h.Match.Outcome.String()
			hit.Reasons = h.Match.Reasons
			hit.Missing = h.Match.Missing
		}
		out.Hits = append(out.Hits, hit)
	}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	zero := res.Total == 0
	s.cache.Add(key, cachedAnswer{body: body, zero: zero})
	s.countSearch(req.Query, zero)
	return c.JSONBlob(http.StatusOK, body)
}

// runSearch validates the parameters of a search and runs it within the
// search time-out.
func (s *Server) runSearch(c echo.Context, params url.Values) (search.Request, *search.Result, error) {
	req, err := search.ParseRequest(params)
	if err != nil {
		return req, nil, err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.SearchTimeout)
	defer cancel()
	res, err := s.cfg.Searcher.Search(ctx, req)
	return req, res, err
}

// countSearch records a search in the metrics and, for a question, in the
// query log.
func (s *Server) countSearch(q string, zero bool) {
	s.metrics.searches.Inc()
	if strings.TrimSpace(q) == "" {
		return
	}
	if zero {
		s.metrics.zero.Inc()
	}
	s.queries.record(q, zero)
}

func (s *Server) apiPolicy(c echo.Context) error {
	p, err := s.cfg.Searcher.Policy(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, PolicyResponse{Policy: p, Expired: p.Expired(s.cfg.Now())})
}

// SituationResponse is the JSON answer of /api/situation: every field a
// client needs to draw the situation form.
type SituationResponse struct {
	Fields []corpus.Field `json:"fields"`
	// NoneOption is the value of a set field meaning "none of these".
	NoneOption string `json:"none_option"`
}

func (s *Server) apiSituation(c echo.Context) error {
	return c.JSON(http.StatusOK, SituationResponse{Fields: corpus.Fields, NoneOption: corpus.NoneOption})
}

// MatchResponse is the JSON answer of /api/match.
type MatchResponse struct {
	Eligible        []MatchedEntry `json:"eligible"`
	Maybe           []MatchedEntry `json:"maybe"`
	IneligibleCount int            `json:"ineligible_count"`
}

// MatchedEntry is one entry of a MatchResponse with the reason for each
// of its conditions and, for maybe entries, the facts that are missing.
type MatchedEntry struct {
	ID       string          `json:"id"`
	Title    string          `json:"title"`
	Category string          `json:"category"`
	Kind     string          `json:"kind"`
	Summary  string          `json:"summary"`
	Online   bool            `json:"online"`
	Reasons  []corpus.Reason `json:"reasons"`
	Missing  []string        `json:"missing,omitempty"`
}

func (s *Server) apiMatch(c echo.Context) error {
	sit, err := corpus.ParseSituation(c.QueryParams())
	if err != nil {
		return err
	}
	m := s.cfg.Searcher.Match(sit)
	conv := func(ms []search.Matched) []MatchedEntry {
		out := []MatchedEntry{}
		for _, x := range ms {
			p := x.Policy
			out = append(out, MatchedEntry{ID: p.ID, Title: p.Title, Category: p.Category, Kind: p.Kind,
				Summary: p.Summary, Online: p.HasOnline(), Reasons: x.Match.Reasons, Missing: x.Match.Missing})
		}
		return out
	}
	return c.JSON(http.StatusOK, MatchResponse{Eligible: conv(m.Eligible), Maybe: conv(m.Maybe), IneligibleCount: m.Ineligible})
}
