// Package web serves yicha over HTTP with echo: the JSON API and health
// endpoints, with errors mapped to statuses in one place.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"yicha/corpus"
	"yicha/corpus/entrystore"
	"yicha/search"
	"yicha/web/admins"
	"yicha/web/sitestore"
)

// Searcher is what the web layer needs of the search engine.
type Searcher interface {
	// ParseRequest validates a search's parameters and gives the request
	// its question, analysed once for everything downstream.
	ParseRequest(v url.Values) (search.Request, error)
	Search(ctx context.Context, r search.Request) (*search.Result, error)
	Policy(id string) (*corpus.Policy, error)
	// Corpus returns the corpus served: its registry of documents.
	Corpus() *corpus.Corpus
	// MatchOn checks a situation against the entries a site shows ("":
	// every entry); an unknown site is search.ErrBadRequest.
	MatchOn(s corpus.Situation, site string) (*search.MatchResult, error)
	// Agencies returns the agencies of the corpus, for filters.
	Agencies() []string
	// Generation changes whenever a new index is swapped in.
	Generation() uint64
	// Epoch changes whenever a new index is swapped in or an entry
	// expires: answers are cached under it.
	Epoch() string
	// Documents returns how many entries the served index holds.
	Documents() int
}

// Config holds what NewServer needs.
type Config struct {
	Searcher Searcher
	// Suggester completes what a person is typing, pinyin included.
	Suggester interface {
		// SuggestOn completes q from the entries a site shows ("": every
		// entry); an unknown site is search.ErrBadRequest.
		SuggestOn(q string, limit int, site string) ([]search.Suggestion, error)
	}
	// DefaultSite is the site of requests that name none (the pages at /
	// and API calls without site=); empty: the corpus's first district.
	DefaultSite string
	Logger      *slog.Logger
	// TrustProxyHeader names the header a reverse proxy sets with the
	// client's address (X-Forwarded-For or X-Real-IP), believed only from
	// TrustedProxies; empty trusts no header.
	TrustProxyHeader string
	// TrustedProxies are the proxies' addresses; nil means loopback only.
	TrustedProxies []netip.Prefix
	// Ready, if set, adds a readiness condition to /readyz.
	Ready func(context.Context) error
	// Replica, if set, is the follower of a shared corpus store: /metrics
	// shows its versions.
	Replica Replica
	// RateLimit is the requests per second each client may make (0: no
	// limit); RateBurst how many it may make at once (0: a default).
	RateLimit float64
	RateBurst int
	// Admins are the named admins (editors and publishers); AdminToken,
	// the single admin token, is added to them as the publisher "admin".
	// Either turns the admin API and page on; Admin serves them.
	Admins     *admins.Set
	AdminToken string
	Admin      Admin
	// Entries is the store admins edit entries in; with it the admin API
	// has /api/admin/policies and /api/admin/audit, Admin rebuilds from
	// it, and retired entries' pages say when they were withdrawn.
	Entries entrystore.Store
	// Records keeps what the site records: residents' feedback, the query
	// log, admin sessions. Without it the feedback forms, /transparency,
	// the query log and the admin pages are off.
	Records sitestore.Store
	// SearchTimeout bounds one search; zero means 5 seconds.
	SearchTimeout time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// CacheBytes bounds the answer cache (keys and answers); zero means
	// SearchCacheBytes.
	CacheBytes int64
	// CookieSecure marks cookies Secure even when the server sees plain
	// HTTP (TLS ends at a proxy that does not say so).
	CookieSecure bool
	// QueryLogDays is how many days of the query log are kept; zero means
	// DefaultQueryLogDays.
	QueryLogDays int
	// PublicURL is the site's public address (scheme and host, with a
	// path prefix if any): the absolute links of the Atom feed use it.
	// Empty means the address the request came to, from its Host header.
	PublicURL string
}

// ParsePublicURL checks a public address: http or https, a host, no
// query or fragment; the trailing slash is dropped.
func ParsePublicURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("public URL %q: want http(s)://host[/path], without user, query or fragment", raw)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// Server is the HTTP face of yicha.
type Server struct {
	cfg    Config
	echo   *echo.Echo
	render *renderer
	// cache holds recent /api/search answers by generation and request.
	cache   *answerCache
	metrics *metrics
	queries *queryLog
	// feedback serves residents' feedback; nil without a store.
	feedback *feedbackRoutes
	// admins are who may use the admin API and pages; nil for none.
	admins *admins.Set
	// draining is set once the server is shutting down.
	draining atomic.Bool
	// lastRequest is when the latest request began (Unix nanoseconds).
	lastRequest atomic.Int64
	// updates is the changelog of the index generation served.
	updates updatesCache
}

// NewServer wires routes and middleware. It fails if the embedded
// templates do not parse or the configuration cannot work: an admin token
// shorter than MinAdminToken, or one without a store for the sessions.
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
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = SearchCacheBytes
	}
	if cfg.QueryLogDays <= 0 {
		cfg.QueryLogDays = DefaultQueryLogDays
	}
	if cfg.TrustedProxies == nil {
		cfg.TrustedProxies = LoopbackProxies
	}
	if cfg.PublicURL != "" {
		var err error
		if cfg.PublicURL, err = ParsePublicURL(cfg.PublicURL); err != nil {
			return nil, err
		}
	}
	set := cfg.Admins
	if cfg.AdminToken != "" {
		if set == nil {
			set = admins.New()
		}
		if err := set.AddLegacyToken(cfg.AdminToken); err != nil {
			return nil, err
		}
	}
	if set != nil {
		for _, id := range set.Sites() {
			if _, ok := cfg.Searcher.Corpus().Sites.Get(id); !ok {
				return nil, fmt.Errorf("admins: site %q is not a site of the corpus", id)
			}
		}
	}
	if set != nil && set.Len() > 0 {
		if cfg.Records == nil {
			return nil, errors.New("the admin pages need a store for their sessions")
		}
	} else {
		set = nil
	}
	r, err := newRenderer()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, echo: echo.New(), render: r, cache: newAnswerCache(SearchCacheSize, cfg.CacheBytes), admins: set}
	s.lastRequest.Store(time.Now().UnixNano()) // quiet since it was made, until a request comes
	if cfg.Records != nil {
		s.queries = newQueryLog(cfg.Records, cfg.Now, cfg.QueryLogDays, cfg.Logger)
	}
	s.metrics = newMetrics(s)
	e := s.echo
	e.HideBanner = true
	e.HidePort = true
	// The peer address is the client, unless it is a trusted proxy that
	// names the client in the configured header.
	if e.IPExtractor, err = clientIP(cfg.TrustProxyHeader, cfg.TrustedProxies); err != nil {
		return nil, err
	}
	e.HTTPErrorHandler = s.handleError
	// A site's pages (/s/ID/…) are routed as the default site's are.
	e.Pre(s.sitePrefix)
	e.Use(middleware.RequestID())
	e.Use(s.logRequests)
	e.Use(s.metrics.observe)
	e.Use(securityHeaders)
	e.Use(compress())
	e.Use(middleware.Recover())
	// Entries may be longer than anything else sent: their routes (the API
	// and the entry form) have a limit of their own.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "64K",
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return strings.HasPrefix(p, policiesAPI) || strings.HasPrefix(p, policiesPages+"/")
		}}))
	e.Use(sameOrigin)
	if cfg.RateLimit > 0 {
		e.Use(s.rateLimit())
	}

	s.residentRoutes()
	s.apiRoutes()
	s.opsRoutes()
	if s.adminOn() {
		s.adminRoutes()
	}
	if cfg.Records != nil {
		fb, err := s.newFeedback()
		if err != nil {
			return nil, err
		}
		s.feedback = fb
		fb.routes()
	}
	s.metrics.routes = map[string]bool{}
	for _, r := range e.Routes() {
		s.metrics.routes[r.Path] = true
	}
	return s, nil
}

// getAndHead are the methods of every route that reads: monitors probe
// with HEAD, and the server sends HEAD answers without their body.
var getAndHead = []string{http.MethodGet, http.MethodHead}

// residentRoutes are the pages residents and caseworkers read.
func (s *Server) residentRoutes() {
	e := s.echo
	e.Match(getAndHead, "/", s.home)
	e.Match(getAndHead, "/search", s.searchPage)
	e.Match(getAndHead, "/policies/:id", s.policyPage)
	e.Match(getAndHead, "/match", s.matchPage)
	e.Match(getAndHead, "/advanced", s.advancedPage)
	e.Match(getAndHead, "/documents", s.documentsPage)
	e.Match(getAndHead, "/documents/:id", s.documentPage)
	e.Match(getAndHead, "/updates", s.updatesPage)
	e.Match(getAndHead, "/feed.xml", s.feed)
	e.Match(getAndHead, "/list", s.listPage)
	e.Match(getAndHead, "/prefs", s.setPrefs)
	e.Match(getAndHead, "/static/*", s.render.static.handler())
	e.Match(getAndHead, "/favicon.ico", s.render.static.favicon())
}

// apiRoutes are the public JSON API.
func (s *Server) apiRoutes() {
	e := s.echo
	e.Match(getAndHead, "/api/search", s.apiSearch)
	e.Match(getAndHead, "/api/policies/:id", s.apiPolicy)
	e.Match(getAndHead, "/api/situation", s.apiSituation)
	e.Match(getAndHead, "/api/match", s.apiMatch)
	e.Match(getAndHead, "/api/documents", s.apiDocuments)
	e.Match(getAndHead, "/api/documents/:id", s.apiDocument)
	e.Match(getAndHead, "/api/suggest", s.apiSuggest)
	e.Match(getAndHead, "/api/sites", s.apiSites)
	e.Match(getAndHead, "/api/openapi.json", s.apiOpenAPI)
}

// opsRoutes are for monitors and load balancers.
func (s *Server) opsRoutes() {
	e := s.echo
	e.Match(getAndHead, "/healthz", s.healthz)
	e.Match(getAndHead, "/readyz", s.readyz)
	e.Match(getAndHead, "/metrics", s.metrics.handler())
}

// adminRoutes are the admin API (bearer token) and the admin page (a
// session after signing in with the token).
func (s *Server) adminRoutes() {
	e := s.echo
	api := e.Group("/api/admin", s.requireBearer)
	api.POST("/reindex", s.apiReindex)
	api.Match(getAndHead, "/status", s.apiStatus)
	api.Match(getAndHead, "/queries", s.apiQueries)
	e.Match(getAndHead, "/admin", s.adminPage)
	e.POST("/admin/login", s.adminLogin)
	e.POST("/admin/logout", s.adminLogout, s.adminForm)
	e.POST("/admin/reindex", s.adminReindex, s.adminForm)
	if s.cfg.Entries != nil {
		s.entryRoutes(api)
		s.policyPageRoutes()
		s.historyRoutes()
		s.importRoutes(api)
		s.siteAdminRoutes()
	}
}

// adminOn reports whether the admin API and pages are served.
func (s *Server) adminOn() bool { return s.admins != nil && s.cfg.Admin != nil }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// logRequests writes one line per request: method, path (never the query
// string, which may hold a person's words or situation), status, duration.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		s.lastRequest.Store(start.UnixNano())
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
