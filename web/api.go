package web

import (
	"context"
	"net/http"

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
}

// PolicyResponse is the JSON answer of /api/policies/{id}: the whole entry.
type PolicyResponse struct {
	*corpus.Policy
	Expired bool `json:"expired"`
}

func (s *Server) apiSearch(c echo.Context) error {
	req, err := search.ParseRequest(c.QueryParams())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.SearchTimeout)
	defer cancel()
	res, err := s.cfg.Searcher.Search(ctx, req)
	if err != nil {
		return err
	}
	out := SearchResponse{Total: res.Total, Page: req.Page, Size: req.Size, Hits: []SearchHit{}, Facets: res.Facets}
	for _, h := range res.Hits {
		p := h.Policy
		out.Hits = append(out.Hits, SearchHit{
			ID: p.ID, Title: p.Title, Category: p.Category, Kind: p.Kind, Summary: p.Summary,
			Snippet: string(h.Snippet), Score: h.Score, Online: p.HasOnline(), Expired: h.Expired,
		})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiPolicy(c echo.Context) error {
	p, err := s.cfg.Searcher.Policy(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, PolicyResponse{Policy: p, Expired: p.Expired(s.cfg.Now())})
}
