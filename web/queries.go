package web

import (
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// queryLog counts what residents search for and what found nothing, so
// admins know which policies and words to add. It keeps the question text
// and a count per day only: no address, no time of day, no situation. It
// lives in memory, bounded, and forgets days older than a week.
type queryLog struct {
	mu   sync.Mutex
	days map[string]*dayCounts
	now  func() time.Time
}

type dayCounts struct {
	all, zero map[string]int
}

const (
	queryLogDays     = 7
	queryLogPerDay   = 20000 // distinct questions kept per day
	queryLogMaxRunes = 100
)

func newQueryLog(now func() time.Time) *queryLog {
	return &queryLog{days: map[string]*dayCounts{}, now: now}
}

// record counts one question and whether it found nothing.
func (l *queryLog) record(q string, zero bool) {
	q = strings.TrimSpace(q)
	if q == "" {
		return
	}
	if utf8.RuneCountInString(q) > queryLogMaxRunes {
		q = string([]rune(q)[:queryLogMaxRunes])
	}
	day := l.now().Format("2006-01-02")
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.days[day]
	if d == nil {
		d = &dayCounts{all: map[string]int{}, zero: map[string]int{}}
		l.days[day] = d
		l.forget(day)
	}
	if _, ok := d.all[q]; ok || len(d.all) < queryLogPerDay {
		d.all[q]++
		if zero {
			d.zero[q]++
		}
	}
}

// forget drops days older than the kept window.
func (l *queryLog) forget(today string) {
	t, _ := time.Parse("2006-01-02", today)
	oldest := t.AddDate(0, 0, -queryLogDays+1).Format("2006-01-02")
	for day := range l.days {
		if day < oldest {
			delete(l.days, day)
		}
	}
}

// QueryCount is a question and how often it was asked.
type QueryCount struct {
	Query string `json:"query"`
	Count int    `json:"count"`
}

// top returns the n most asked questions of the kept days, and the n most
// asked that found nothing.
func (l *queryLog) top(n int) (all, zero []QueryCount) {
	l.mu.Lock()
	sumAll, sumZero := map[string]int{}, map[string]int{}
	for _, d := range l.days {
		for q, c := range d.all {
			sumAll[q] += c
		}
		for q, c := range d.zero {
			sumZero[q] += c
		}
	}
	l.mu.Unlock()
	return topN(sumAll, n), topN(sumZero, n)
}

func topN(m map[string]int, n int) []QueryCount {
	out := make([]QueryCount, 0, len(m))
	for q, c := range m {
		out = append(out, QueryCount{q, c})
	}
	slices.SortFunc(out, func(a, b QueryCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Query, b.Query)
	})
	return out[:min(n, len(out))]
}
