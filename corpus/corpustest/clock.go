// Package corpustest holds what tests in several packages share: a clock
// they pin, so that no test depends on the day it runs, and corpora with
// dates the tests choose.
package corpustest

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"yicha/corpus"
)

// NowEnv names the environment variable that moves every pinned clock of
// the test suite: YICHA_TEST_NOW=2028-06-01 runs the suite as on that day
// (a date is taken at 10:00 in Shanghai; RFC 3339 times are taken as given).
const NowEnv = "YICHA_TEST_NOW"

// DefaultNow is the moment tests run at when NowEnv is not set.
var DefaultNow = time.Date(2026, 12, 3, 10, 0, 0, 0, corpus.Zone)

// Now returns the moment the suite's clocks are pinned to.
func Now(t testing.TB) time.Time {
	t.Helper()
	v := os.Getenv(NowEnv)
	if v == "" {
		return DefaultNow
	}
	at, err := ParseNow(v)
	if err != nil {
		t.Fatalf("%s: %v", NowEnv, err)
	}
	return at
}

// ParseNow reads a date (10:00 in Shanghai that day) or an RFC 3339 time.
func ParseNow(v string) (time.Time, error) {
	if d, err := corpus.ParseDate(v); err == nil {
		return d.Add(10 * time.Hour), nil
	}
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor an RFC 3339 time", v)
	}
	return at, nil
}

// Clock is a clock a test sets and moves; its Now is safe to call from
// the goroutines of a server under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Pinned returns a clock standing at the suite's moment (see Now).
func Pinned(t testing.TB) *Clock {
	t.Helper()
	return NewClock(Now(t))
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// InForce returns a moment at which no entry of c has expired: the suite's
// moment when that is so, else the day before the first expiry. Tests of
// ranking and matching search at it, so that which entries the calendar
// has retired never decides what they measure; tests of expiry set their
// clocks on purpose.
func InForce(t testing.TB, c *corpus.Corpus) time.Time {
	t.Helper()
	now := Now(t)
	for _, p := range c.Policies {
		if at, ok := p.ExpiresAt(); ok && !now.Before(at) {
			now = at.AddDate(0, 0, -1)
		}
	}
	return now
}

// LatestUpdate returns the end of the latest day an entry of c was
// updated: the earliest moment at which the whole corpus passes
// corpus.CheckDates.
func LatestUpdate(c *corpus.Corpus) time.Time {
	var latest time.Time
	for _, p := range c.Policies {
		if d, err := corpus.ParseDate(p.Updated); err == nil && d.After(latest) {
			latest = d
		}
	}
	return latest.AddDate(0, 0, 1).Add(-time.Second)
}
