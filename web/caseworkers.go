package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
)

// The caseworkers' page: precise search by fields, document number, agency
// and category, with a dense table of results.

type advancedView struct {
	searchView
	Phrase, Title, Number string
	Agencies              []string
	Categories            []string
	Agency, Category      []string
	IncludeExpired        bool
	Searched              bool
}

// advancedParams decides what the caseworkers' page searches for: the
// fields it was given, leaving expired entries out unless asked for, 50
// rows a page — and whether anything was given at all. It returns a copy:
// echo caches the query parameters, which stay as the client sent them.
func advancedParams(q url.Values) (params url.Values, searched bool) {
	params = url.Values{}
	for k, v := range q {
		params[k] = slices.Clone(v)
	}
	searched = len(params) > 0
	if params.Get("expired") == "" {
		params.Set("expired", "false")
	}
	if params.Get("size") == "" {
		params.Set("size", "50")
	}
	return params, searched
}

// advancedPage is the caseworkers' search: exact phrases, title words, a
// document number, agencies and categories, expired entries on request,
// and a dense table of results.
func (s *Server) advancedPage(c echo.Context) error {
	params, searched := advancedParams(c.QueryParams())
	req, err := s.parseOnSite(c, params)
	if err != nil {
		return err
	}
	v := advancedView{Phrase: req.Filters.Phrase, Title: req.Filters.Title, Number: req.Filters.DocNumber,
		Agencies: s.cfg.Searcher.Agencies(), Categories: corpus.Categories, Agency: req.Filters.Agency,
		Category: req.Filters.Category, IncludeExpired: !req.Filters.ExcludeExpired, Searched: searched}
	if searched {
		res, err := s.search(c, req)
		if err != nil {
			return err
		}
		v.searchView = resultsView(req, res, links{path: c.Path(), v: params})
		// The hits' links keep ?list= already, as every parameter.
		addLinks(v.Hits, pageList(c))
	}
	return s.render.render(c, http.StatusOK, "advanced", s.page(c, "精确检索（工作人员）", v))
}
