package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"yicha/search/live"
)

// metrics are the server's Prometheus series, in a registry of its own.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	searches  prometheus.Counter
	zero      prometheus.Counter
	cacheHits prometheus.Counter
	// routes are the route patterns the server has, the only route labels;
	// set once the routes are registered.
	routes map[string]bool
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "yicha_http_requests_total", Help: "HTTP requests by route, method and status.",
	}, []string{"route", "method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "yicha_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	m.searches = prometheus.NewCounter(prometheus.CounterOpts{Name: "yicha_searches_total", Help: "Searches answered (API and pages)."})
	m.zero = prometheus.NewCounter(prometheus.CounterOpts{Name: "yicha_zero_result_searches_total", Help: "Searches with a question that found nothing."})
	m.cacheHits = prometheus.NewCounter(prometheus.CounterOpts{Name: "yicha_search_cache_hits_total", Help: "/api/search answers served from the answer cache."})
	m.reg.MustRegister(m.requests, m.latency, m.searches, m.zero, m.cacheHits,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yicha_search_cache_bytes", Help: "Bytes of keys and answers in the answer cache."},
			func() float64 { _, b := s.cache.Size(); return float64(b) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yicha_search_cache_entries", Help: "Answers in the answer cache."},
			func() float64 { n, _ := s.cache.Size(); return float64(n) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yicha_index_documents", Help: "Entries in the served index."},
			func() float64 { return float64(s.cfg.Searcher.Documents()) }),
	)
	if s.cfg.Admin != nil {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "yicha_reindexes_total", Help: "Reindexes completed since start."},
				func() float64 { return float64(s.cfg.Admin.Status().Reindexes) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yicha_last_build_seconds", Help: "How long the last index build took."},
				func() float64 { return s.cfg.Admin.Status().BuildSeconds }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yicha_reindex_running", Help: "1 while a reindex runs."},
				func() float64 {
					if s.cfg.Admin.Status().Building {
						return 1
					}
					return 0
				}),
		)
	}
	if r := s.cfg.Replica; r != nil {
		version := func(name, help string, v func(live.Status) int64) prometheus.Collector {
			return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(v(r.Status())) })
		}
		m.reg.MustRegister(
			version("yicha_corpus_store_version", "The shared corpus store's latest version, as last seen.", func(st live.Status) int64 { return st.StoreVersion }),
			version("yicha_corpus_index_version", "The corpus version the served index was built from.", func(st live.Status) int64 { return st.IndexVersion }),
			version("yicha_corpus_rejected_version", "The latest corpus version this replica refused (its corpus has problems); 0 when none.",
				func(st live.Status) int64 { return st.RejectedVersion }),
		)
		health := func(name, help string, v func(*live.StoreHealth) float64) prometheus.Collector {
			return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
				if h := r.Status().Store; h != nil {
					return v(h)
				}
				return 0
			})
		}
		unix := func(t time.Time) float64 {
			if t.IsZero() {
				return 0
			}
			return float64(t.UnixNano()) / 1e9
		}
		m.reg.MustRegister(
			health("yicha_db_reachable", "1 while the shared corpus store can be read.", func(h *live.StoreHealth) float64 { return bool01(h.Reachable) }),
			health("yicha_db_listener_up", "1 while the connection listening for new corpus versions is up.", func(h *live.StoreHealth) float64 { return bool01(h.Listening) }),
			health("yicha_db_listener_reconnects", "Times the listening connection was lost (or stalled) and made again, since start.",
				func(h *live.StoreHealth) float64 { return float64(h.Reconnects) }),
			health("yicha_db_last_heartbeat_timestamp_seconds", "When the listening connection last delivered its heartbeat (Unix time).",
				func(h *live.StoreHealth) float64 { return unix(h.LastHeartbeat) }),
			health("yicha_db_last_notification_timestamp_seconds", "When a new corpus version was last notified (Unix time; 0: never).",
				func(h *live.StoreHealth) float64 { return unix(h.LastNotification) }),
			health("yicha_corpus_lag_versions", "How many versions the served index is behind the store's latest (rejected ones aside).",
				func(h *live.StoreHealth) float64 { return float64(h.LagVersions) }),
			health("yicha_corpus_lag_seconds", "How long the served index has been behind the store's latest version.",
				func(h *live.StoreHealth) float64 { return h.LagSeconds }),
		)
	}
	return m
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Replica is the follower of a shared corpus store, as /metrics sees it.
type Replica interface {
	Status() live.Status
}

// observe counts every request by its route pattern (never its path or
// query, which may hold what a person typed).
func (m *metrics) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if !m.routes[route] || c.Response().Status == http.StatusMethodNotAllowed {
			route = "unmatched" // a path or method no route has: one series for all
		}
		m.requests.WithLabelValues(route, methodLabel(c.Request().Method), strconv.Itoa(c.Response().Status)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return nil
	}
}

// methodLabel is the method as a metric label: one of the standard
// methods, or OTHER for whatever else a client invents.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}

func (m *metrics) handler() echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
