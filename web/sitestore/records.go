package sitestore

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// QueryCount is a question and how often it was asked; Unanswered counts
// the times it found nothing.
type QueryCount struct {
	// Site is the site the question was asked on ("" for none).
	Site       string
	Query      string
	Asked      int
	Unanswered int
}

// MaxQuery bounds the questions kept, in characters.
const MaxQuery = 100

// Scrub makes a question fit to keep: anything that looks like a phone,
// ID or bank card number or an e-mail address hidden (as in comments), and
// at most MaxQuery characters.
func Scrub(q string) string {
	q = CleanComment(q)
	if utf8.RuneCountInString(q) > MaxQuery {
		q = string([]rune(q)[:MaxQuery])
	}
	return q
}

// Session is an admin's session. The cookie holds a random id; the store
// holds only its hash, so a copy of the store lets no one in.
type Session struct {
	IDHash string
	// CSRF is the value the session's forms carry.
	CSRF string
	// Admin names who signed in.
	Admin string
	// Created and LastUsed are when it began and was last used; it ends
	// at Expires, or after IdleFor without use.
	Created, LastUsed, Expires time.Time
	IdleFor                    time.Duration
}

// expired reports whether the session has ended by now.
func (s Session) expired(now time.Time) bool {
	return !now.Before(s.Expires) || (s.IdleFor > 0 && now.Sub(s.LastUsed) >= s.IdleFor)
}

// Validate checks a new session.
func (s Session) Validate() error {
	if len(s.IDHash) < 32 || len(s.CSRF) < 32 {
		return fmt.Errorf("%w: a session needs an id hash and a CSRF value", ErrInvalid)
	}
	if s.Expires.IsZero() || !s.Expires.After(s.Created) {
		return fmt.Errorf("%w: a session needs an end after its start", ErrInvalid)
	}
	return validText("admin", s.Admin, maxID)
}

// validDay checks a day of the form YYYY-MM-DD.
func validDay(day string) error {
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return fmt.Errorf("%w: day %q is not YYYY-MM-DD", ErrInvalid, day)
	}
	return nil
}
