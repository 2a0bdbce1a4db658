package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/labstack/echo/v4"

	"yicha/web/webtest"
)

// TestUnavailableDatabaseIs503 maps an error saying the site's database
// cannot be reached (a refused connection, wrapped as the stores wrap
// their errors) to 503 with Retry-After, not to a 500.
func TestUnavailableDatabaseIs503(t *testing.T) {
	logs := webtest.NewLogs()
	s := &Server{cfg: Config{Logger: slog.New(slog.NewTextHandler(logs, nil))}}
	refused := fmt.Errorf("add vote: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
	req := httptest.NewRequest(http.MethodPost, "/api/feedback/vote", nil)
	rec := httptest.NewRecorder()
	s.handleError(refused, echo.New().NewContext(req, rec))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	// A search that ran out of time stays a timeout.
	rec = httptest.NewRecorder()
	s.handleError(fmt.Errorf("search: %w", context.DeadlineExceeded), echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/api/search", nil), rec))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "" || !strings.Contains(rec.Body.String(), `"timeout"`) {
		t.Errorf("a timeout: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	rec = httptest.NewRecorder()
	s.handleError(refused, echo.New().NewContext(req, rec))
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "unavailable" {
		t.Errorf("body %s: %v", rec.Body, err)
	}
}
