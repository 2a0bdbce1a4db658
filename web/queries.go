package web

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"yicha/corpus"
	"yicha/web/sitestore"
)

// The query log counts what residents search for and what found nothing,
// so admins know which policies and words to add. It keeps, per day, the
// question's normalised text — with anything that looks like a phone, ID
// or bank card number or an e-mail address hidden — and two counts: no
// address, no time of day, no situation. Counts gather in memory and go to
// the site store (SQLite, or PostgreSQL shared by replicas) every
// queryFlushEvery, when an admin looks, and when the server stops; days
// older than the kept window are forgotten.

// DefaultQueryLogDays is how many days of the query log are kept.
const DefaultQueryLogDays = 90

const (
	queryFlushEvery   = 10 * time.Second
	queryPendingLimit = 20000 // distinct questions held between flushes
)

// queryStore is what the query log needs of the site store.
type queryStore interface {
	RecordQueries(ctx context.Context, day string, counts []sitestore.QueryCount) error
	TopQueries(ctx context.Context, since string, n int, sites []string) (asked, unanswered []sitestore.QueryCount, err error)
	ForgetQueries(ctx context.Context, before string) error
}

type queryLog struct {
	store queryStore
	now   func() time.Time
	days  int
	log   *slog.Logger

	mu        sync.Mutex
	pending   map[string]map[queryKey]*sitestore.QueryCount // day → site and question → counts
	held      int
	lastFlush time.Time
	flushing  bool
	forgotten string // the last day old counts were forgotten on
	flushes   sync.Mutex
}

func newQueryLog(store queryStore, now func() time.Time, days int, log *slog.Logger) *queryLog {
	return &queryLog{store: store, now: now, days: days, log: log, pending: map[string]map[queryKey]*sitestore.QueryCount{}, lastFlush: now()}
}

// queryKey is a question asked on a site.
type queryKey struct{ site, query string }

// record counts one question and whether it found nothing.
func (l *queryLog) record(site, q string, zero bool) {
	q = sitestore.Scrub(q)
	if q == "" {
		return
	}
	now := l.now()
	day := corpus.Today(now)
	l.mu.Lock()
	d := l.pending[day]
	if d == nil {
		d = map[queryKey]*sitestore.QueryCount{}
		l.pending[day] = d
	}
	k := queryKey{site, q}
	c := d[k]
	if c == nil && l.held < queryPendingLimit {
		c = &sitestore.QueryCount{Site: site, Query: q}
		d[k] = c
		l.held++
	}
	if c != nil {
		c.Asked++
		if zero {
			c.Unanswered++
		}
	}
	due := !l.flushing && (now.Sub(l.lastFlush) >= queryFlushEvery || l.held >= queryPendingLimit)
	if due {
		l.flushing = true
	}
	l.mu.Unlock()
	if due {
		go func() {
			if err := l.flush(context.Background()); err != nil {
				l.log.Error("writing the query log", "error", err)
			}
		}()
	}
}

// flush writes the pending counts to the store and forgets the days past
// the window, once a day.
func (l *queryLog) flush(ctx context.Context) error {
	l.flushes.Lock()
	defer l.flushes.Unlock()
	l.mu.Lock()
	pending := l.pending
	l.pending, l.held, l.lastFlush = map[string]map[queryKey]*sitestore.QueryCount{}, 0, l.now()
	l.flushing = false
	today, forgotten := corpus.Today(l.lastFlush), l.forgotten
	l.mu.Unlock()
	for day, qs := range pending {
		counts := make([]sitestore.QueryCount, 0, len(qs))
		for _, c := range qs {
			counts = append(counts, *c)
		}
		if err := l.store.RecordQueries(ctx, day, counts); err != nil {
			return err
		}
	}
	if forgotten != today {
		if err := l.store.ForgetQueries(ctx, l.firstDay()); err != nil {
			return err
		}
		l.mu.Lock()
		l.forgotten = today
		l.mu.Unlock()
	}
	return nil
}

// firstDay is the first day of the kept window.
func (l *queryLog) firstDay() string {
	d, _ := corpus.ParseDate(corpus.Today(l.now()))
	return d.AddDate(0, 0, -l.days+1).Format(corpus.DateLayout)
}

// QueryCount is a question and how often it was asked.
type QueryCount struct {
	Query string `json:"query"`
	Count int    `json:"count"`
}

// top returns the n most asked questions of the kept days, and the n most
// asked that found nothing, counting what has not been written yet.
func (l *queryLog) top(ctx context.Context, n int, sites []string) (all, zero []QueryCount, err error) {
	if err := l.flush(ctx); err != nil {
		return nil, nil, err
	}
	asked, unanswered, err := l.store.TopQueries(ctx, l.firstDay(), n, sites)
	if err != nil {
		return nil, nil, err
	}
	all, zero = []QueryCount{}, []QueryCount{}
	for _, c := range asked {
		all = append(all, QueryCount{c.Query, c.Asked})
	}
	for _, c := range unanswered {
		zero = append(zero, QueryCount{c.Query, c.Unanswered})
	}
	return all, zero, nil
}
