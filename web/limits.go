package web

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// DefaultRateLimit and DefaultRateBurst size the per-client limit so that a
// person, suggestions as they type included, never meets it.
const (
	DefaultRateLimit = 10
	DefaultRateBurst = 40
)

// rateLimit limits requests per client (the peer address, or the address
// the trusted proxy header gives) with a token bucket; over the limit the
// answer is 429 with Retry-After. Health, readiness, metrics and static
// files are not limited.
func (s *Server) rateLimit() echo.MiddlewareFunc {
	burst := s.cfg.RateBurst
	if burst <= 0 {
		burst = max(DefaultRateBurst, int(math.Ceil(s.cfg.RateLimit)))
	}
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(s.cfg.RateLimit), Burst: burst, ExpiresIn: 3 * time.Minute,
	})
	retry := strconv.Itoa(max(1, int(math.Ceil(1/s.cfg.RateLimit))))
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return p == "/healthz" || p == "/readyz" || p == "/metrics" || strings.HasPrefix(p, "/static/") || p == "/favicon.ico"
		},
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			c.Response().Header().Set("Retry-After", retry)
			return echo.NewHTTPError(http.StatusTooManyRequests, "访问太频繁，请稍后再试")
		},
		ErrorHandler: func(c echo.Context, err error) error {
			return echo.NewHTTPError(http.StatusForbidden, "client address unknown")
		},
	})
}
