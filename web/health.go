package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"yicha/search"
)

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 once an index is loaded and answers a search (and
// whatever Config.Ready adds, such as being in step with a shared corpus),
// 503 otherwise.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	err := s.ready(ctx)
	if err != nil {
		c.Response().Header().Set("Retry-After", "1")
		return c.JSON(http.StatusServiceUnavailable, errorBody{Error: errorDetail{Code: "not_ready", Message: err.Error()}})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) ready(ctx context.Context) error {
	if s.draining.Load() {
		return errors.New("shutting down")
	}
	if _, err := s.cfg.Searcher.Search(ctx, search.Request{Page: 1, Size: 1, Sort: search.SortRelevance}); err != nil {
		return err
	}
	if s.cfg.Ready != nil {
		return s.cfg.Ready(ctx)
	}
	return nil
}

// Drain makes /readyz answer 503 from now on, so that load balancers stop
// sending requests before the server stops listening.
func (s *Server) Drain() { s.draining.Store(true) }

// Quiet reports how long it is since the latest request began, or since
// the server was made when none has come.
func (s *Server) Quiet() time.Duration {
	return time.Since(time.Unix(0, s.lastRequest.Load()))
}

// Close writes what the server still holds in memory (the query log's
// latest counts) to the store; call it once the last request is answered,
// before the store closes.
func (s *Server) Close(ctx context.Context) error {
	if s.queries == nil {
		return nil
	}
	return s.queries.flush(ctx)
}

// Starting is the handler a server runs while its index is being opened or
// built: alive, not ready, and every other request answered 503.
func Starting() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		if r.URL.Path == "/healthz" {
			w.Write([]byte(`{"status":"ok"}` + "\n"))
			return
		}
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":{"code":"starting","message":"the index is being loaded"}}` + "\n"))
	})
}
