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
