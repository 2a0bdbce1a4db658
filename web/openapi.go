package web

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPISpec describes the JSON API; tests validate real answers of every
// endpoint against it.
//
//go:embed openapi.json
var openAPISpec []byte

func (s *Server) apiOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", openAPISpec)
}

// QueriesResponse is the JSON answer of /api/admin/queries.
type QueriesResponse struct {
	Top        []QueryCount `json:"top"`
	ZeroResult []QueryCount `json:"zero_result"`
}

// apiQueries lists the most asked questions and those that found nothing.
func (s *Server) apiQueries(c echo.Context) error {
	top, zero := s.queries.top(50)
	return c.JSON(http.StatusOK, QueriesResponse{Top: top, ZeroResult: zero})
}
