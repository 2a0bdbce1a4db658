package web

import (
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"yicha/search"
)

// Limits of /api/suggest.
const (
	MaxSuggestQueryRunes = 50
	MaxSuggestLimit      = 20
)

// SuggestResponse is the JSON answer of /api/suggest.
type SuggestResponse struct {
	Suggestions []search.Suggestion `json:"suggestions"`
}

// apiSuggest completes what a person is typing: q is the text so far (in
// characters, pinyin or pinyin initials), limit how many suggestions to give
// (1–20). Without a configured suggester the list is empty.
func (s *Server) apiSuggest(c echo.Context) error {
	q := c.QueryParam("q")
	if !utf8.ValidString(q) {
		return fmt.Errorf("%w: q is not valid UTF-8", search.ErrBadRequest)
	}
	if n := utf8.RuneCountInString(q); n > MaxSuggestQueryRunes {
		return fmt.Errorf("%w: q is %d characters long; at most %d are allowed", search.ErrBadRequest, n, MaxSuggestQueryRunes)
	}
	limit := search.DefaultSuggestLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxSuggestLimit {
			return fmt.Errorf("%w: limit must be a whole number from 1 to %d", search.ErrBadRequest, MaxSuggestLimit)
		}
		limit = n
	}
	site, err := s.requestSite(c)
	if err != nil {
		return err
	}
	out := SuggestResponse{Suggestions: []search.Suggestion{}}
	if s.cfg.Suggester != nil {
		got, err := s.cfg.Suggester.SuggestOn(q, limit, site)
		if err != nil {
			return err
		}
		out.Suggestions = append(out.Suggestions, got...)
	}
	return c.JSON(http.StatusOK, out)
}
