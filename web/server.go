// Package web serves yicha over HTTP with echo: the JSON API and health
// endpoints, with errors mapped to statuses in one place.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"yicha/corpus"
	"yicha/search"
	"yicha/web/sitestore"
)

// Searcher is what the web layer needs of the search engine.
type Searcher interface {
	// ParseRequest validates a search's parameters and gives the request
	// its question, analysed once for everything downstream.
	ParseRequest(v url.Values) (search.Request, error)
	Search(ctx context.Context, r search.Request) (*search.Result, error)
	Policy(id string) (*corpus.Policy, error)
	Match(s corpus.Situation) *search.MatchResult
	// Agencies returns the agencies of the corpus, for filters.
	Agencies() []string
	// Generation changes whenever a new index is swapped in.
	Generation() uint64
	// Documents returns how many entries the served index holds.
	Documents() int
}

// Config holds what NewServer needs.
type Config struct {
	Searcher Searcher
	// Suggester completes what a person is typing, pinyin included.
	Suggester interface {
		Suggest(q string, limit int) []search.Suggestion
	}
	Logger *slog.Logger
	// TrustProxyHeader names the header a reverse proxy sets with the
	// client's address (X-Forwarded-For or X-Real-IP), trusted only from
	// loopback and private addresses; empty trusts no header.
	TrustProxyHeader string
	// Ready, if set, adds a readiness condition to /readyz.
	Ready func(context.Context) error
	// RateLimit is the requests per second each client may make (0: no
	// limit); RateBurst how many it may make at once (0: a default).
	RateLimit float64
	RateBurst int
	// AdminToken turns the admin API and page on; Admin serves them.
	AdminToken string
	Admin      Admin
	// Feedback keeps residents' votes and reports; nil turns the feedback
	// forms, their admin queue and /transparency off.
	Feedback sitestore.Store
	// SearchTimeout bounds one search; zero means 5 seconds.
	SearchTimeout time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Server is the HTTP face of yicha.
type Server struct {
	cfg    Config
	echo   *echo.Echo
	render *renderer
	// cache holds recent /api/search answers by generation and parameters.
	cache   *lru.Cache[string, cachedAnswer]
	metrics *metrics
	queries *queryLog
	// feedback serves residents' feedback; nil without a store.
	feedback *feedbackRoutes
	// draining is set once the server is shutting down.
	draining atomic.Bool
}

// cachedAnswer is a cached /api/search answer and whether it found nothing.
type cachedAnswer struct {
	body []byte
	zero bool
}

// SearchCacheSize is how many /api/search answers are kept.
const SearchCacheSize = 20000

// NewServer wires routes and middleware. It fails only if the embedded
// templates do not parse.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SearchTimeout == 0 {
		cfg.SearchTimeout = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r, err := newRenderer()
	if err != nil {
		return nil, err
	}
	cache, err := lru.New[string, cachedAnswer](SearchCacheSize)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, echo: echo.New(), render: r, cache: cache, queries: newQueryLog(cfg.Now)}
	s.metrics = newMetrics(s)
	e := s.echo
	e.HideBanner = true
	e.HidePort = true
	// The peer address is the client; forwarded headers are not trusted.
	switch strings.ToLower(cfg.TrustProxyHeader) {
	case "":
		e.IPExtractor = echo.ExtractIPDirect()
	case "x-forwarded-for":
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	case "x-real-ip":
		e.IPExtractor = echo.ExtractIPFromRealIPHeader()
	default:
		return nil, fmt.Errorf("trusted proxy header must be X-Forwarded-For or X-Real-IP, not %q", cfg.TrustProxyHeader)
	}
	e.HTTPErrorHandler = s.handleError
	e.Use(middleware.RequestID())
	e.Use(s.logRequests)
	e.Use(s.metrics.observe)
	e.Use(securityHeaders)
	e.Use(middleware.Recover())
	e.Use(middleware.BodyLimit("64K"))
	if cfg.RateLimit > 0 {
		e.Use(s.rateLimit())
	}

	s.residentRoutes()
	s.apiRoutes()
	s.opsRoutes()
	if cfg.AdminToken != "" && cfg.Admin != nil {
		s.adminRoutes()
	}
	if cfg.Feedback != nil {
		fb, err := s.newFeedback()
		if err != nil {
			return nil, err
		}
		s.feedback = fb
		fb.routes()
	}
	return s, nil
}

// residentRoutes are the pages residents and caseworkers read.
func (s *Server) residentRoutes() {
	e := s.echo
	e.GET("/", s.home)
	e.GET("/search", s.searchPage)
	e.GET("/policies/:id", s.policyPage)
	e.GET("/match", s.matchPage)
	e.GET("/advanced", s.advancedPage)
	e.GET("/prefs", s.setPrefs)
	e.GET("/static/*", staticHandler())
}

// apiRoutes are the public JSON API.
func (s *Server) apiRoutes() {
	e := s.echo
	e.GET("/api/search", s.apiSearch)
	e.GET("/api/policies/:id", s.apiPolicy)
	e.GET("/api/situation", s.apiSituation)
	e.GET("/api/match", s.apiMatch)
	e.GET("/api/suggest", s.apiSuggest)
	e.GET("/api/openapi.json", s.apiOpenAPI)
}

// opsRoutes are for monitors and load balancers.
func (s *Server) opsRoutes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metrics.handler())
}

// adminRoutes are the admin API (bearer token) and the admin page (a
// session after signing in with the token).
func (s *Server) adminRoutes() {
	e := s.echo
	api := e.Group("/api/admin", s.requireBearer)
	api.POST("/reindex", s.apiReindex)
	api.GET("/status", s.apiStatus)
	api.GET("/queries", s.apiQueries)
	e.GET("/admin", s.adminPage)
	e.POST("/admin/login", s.adminLogin)
	e.POST("/admin/logout", s.adminLogout, s.adminForm)
	e.POST("/admin/reindex", s.adminReindex, s.adminForm)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// logRequests writes one line per request: method, path (never the query
// string, which may hold a person's words or situation), status, duration.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.cfg.Logger.LogAttrs(c.Request().Context(), level, "request",
			slog.String("id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.Int("status", status),
			slog.Duration("took", time.Since(start)),
		)
		return nil
	}
}
