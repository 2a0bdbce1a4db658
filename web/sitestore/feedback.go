// Package sitestore keeps what the site records as it runs: what residents
// tell us about policy pages (whether a page helped, and reports of where it
// falls short, with the state and note an admin gives each report), how
// often each question was asked and whether it found anything, and the
// admins' sessions. It holds no personal data: no name, ID number, phone or
// IP address — only the text of a comment or a question (with anything that
// looks like a phone, ID, bank card number or e-mail address hidden) and,
// for the daily cap per client, a keyed hash that changes every day.
//
// Store is the interface every backend implements: SQLite under the data
// directory, or PostgreSQL shared by replicas. sitestoretest.TestStore is
// the suite every backend passes.
package sitestore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what a report may hold.
const (
	// MaxComment is the longest comment, in characters.
	MaxComment = 500
	// MaxNote is the longest admin note, in characters.
	MaxNote = 1000
	// maxID bounds policy IDs and categories.
	maxID = 200
)

// Errors of the store, matched with errors.Is.
var (
	ErrNotFound = errors.New("no such report")
	ErrInvalid  = errors.New("invalid feedback")
	// ErrLimit means the client has used up its quota for the day.
	ErrLimit = errors.New("daily limit reached")
)

// Reason is why a page falls short, one of Reasons.
type Reason string

// The reasons a report can give, in the order the form lists them.
const (
	ReasonWrong      Reason = "wrong"      // 信息有误或过期
	ReasonUnclear    Reason = "unclear"    // 看不懂
	ReasonBurdensome Reason = "burdensome" // 材料或流程太繁
	ReasonPlace      Reason = "place"      // 办理地点或时间不便
	ReasonNotOnline  Reason = "not_online" // 线上办不了
	ReasonOther      Reason = "other"      // 其他
)

// Reasons lists every reason in form order.
var Reasons = []Reason{ReasonWrong, ReasonUnclear, ReasonBurdensome, ReasonPlace, ReasonNotOnline, ReasonOther}

var reasonLabels = map[Reason]string{
	ReasonWrong:      "信息有误或过期",
	ReasonUnclear:    "看不懂",
	ReasonBurdensome: "材料或流程太繁",
	ReasonPlace:      "办理地点或时间不便",
	ReasonNotOnline:  "线上办不了",
	ReasonOther:      "其他",
}

// Label is the reason as the form shows it.
func (r Reason) Label() string {
	if l, ok := reasonLabels[r]; ok {
		return l
	}
	return string(r)
}

// Valid reports whether r is one of Reasons.
func (r Reason) Valid() bool { return slices.Contains(Reasons, r) }

// State is where a report stands in the admins' queue.
type State string

// The states of a report.
const (
	StateNew      State = "new"      // 新
	StateHandled  State = "handled"  // 已处理
	StateRejected State = "rejected" // 不采纳
)

// States lists every state in queue order.
var States = []State{StateNew, StateHandled, StateRejected}

var stateLabels = map[State]string{StateNew: "新", StateHandled: "已处理", StateRejected: "不采纳"}

// Label is the state as the admin page shows it.
func (s State) Label() string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return string(s)
}

// Valid reports whether s is one of States.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Vote is one answer to 「这条信息对您有帮助吗？」.
type Vote struct {
	PolicyID string
	// Site is the site the vote was given on ("" for none).
	Site string
	// Category is the policy's category when the vote was given.
	Category string
	Helpful  bool
	At       time.Time
}

// Report says where a policy page falls short.
type Report struct {
	ID       int64
	PolicyID string
	// Site is the site the report came in on ("" for none).
	Site string
	// Category is the policy's category when the report came in.
	Category string
	Reason   Reason
	// Comment is plain text, at most MaxComment characters; it may be empty.
	Comment string
	State   State
	// Note is the admin's plain-text note, at most MaxNote characters.
	Note      string
	CreatedAt time.Time
	UpdatedAt time.Time
	// ResolvedAt is when the report first left StateNew (zero while new).
	ResolvedAt time.Time
}

// Quota bounds how many writes one client makes in a day. Key identifies
// the client and the day (a keyed hash: never an address), Day names the
// day so that older counters can be dropped. A zero Limit means no limit.
// Name says which quota it is when it is used up (see LimitError).
type Quota struct {
	Key   string
	Day   string
	Limit int
	Name  string
}

// LimitError is the error of a write refused because the quota Name is
// used up; it is ErrLimit.
type LimitError struct{ Name string }

func (e *LimitError) Error() string { return fmt.Sprintf("%s: %s", ErrLimit, e.Name) }

// Is makes a LimitError match ErrLimit.
func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Filter selects reports. Zero values select everything.
type Filter struct {
	State    State
	PolicyID string
	// Sites, when not nil, keeps the reports of these sites.
	Sites []string
	// Limit caps how many come back (0: all); Offset skips the newest.
	Limit, Offset int
}

// Change is what an admin sets on a report.
type Change struct {
	State State
	Note  string
}

// PolicyCounts is what was said about one policy.
type PolicyCounts struct {
	PolicyID   string
	Category   string
	Helpful    int
	NotHelpful int
	// Reports counts reports by reason; Open counts those still new.
	Reports map[Reason]int
	Open    int
}

// TotalReports is the number of reports of every reason.
func (p PolicyCounts) TotalReports() int {
	n := 0
	for _, c := range p.Reports {
		n += c
	}
	return n
}

// CategorySummary is the public account of the reports of one category.
type CategorySummary struct {
	Category string
	Received int
	Handled  int
	Rejected int
	Open     int
	// MedianResponse is the median time from a report to its first answer
	// (handled or rejected); zero when none was answered.
	MedianResponse time.Duration
}

// Store keeps feedback. Every write is durable when the method returns.
// Implementations are safe for concurrent use.
type Store interface {
	// Secret returns random bytes made on first use and kept in the store,
	// the same on every call and after a restart: the key of the forms'
	// tokens and of the clients' daily hashes.
	Secret(ctx context.Context) ([]byte, error)
	// AddVote records a vote, counting it against every quota (a
	// *LimitError when one is used up: nothing is recorded).
	AddVote(ctx context.Context, v Vote, qs ...Quota) error
	// AddReport records a new report, counting it against every quota,
	// and returns it with its ID and state StateNew.
	AddReport(ctx context.Context, r Report, qs ...Quota) (Report, error)
	// Report returns one report, or ErrNotFound.
	Report(ctx context.Context, id int64) (Report, error)
	// Reports lists reports, newest first.
	Reports(ctx context.Context, f Filter) ([]Report, error)
	// Update sets a report's state and note at the time at, or returns
	// ErrNotFound. The first move out of StateNew sets ResolvedAt; a move
	// back to StateNew clears it.
	Update(ctx context.Context, id int64, c Change, at time.Time) (Report, error)
	// Counts returns the votes and reports of every policy that has any,
	// the most reported first.
	Counts(ctx context.Context) ([]PolicyCounts, error)
	// Summary returns the public account of every category that has
	// reports, by category name.
	// sites, when not nil, keeps the reports of these sites.
	Summary(ctx context.Context, sites []string) ([]CategorySummary, error)

	// RecordQueries adds to the counts of questions asked on a day (in
	// Shanghai, YYYY-MM-DD). Questions are scrubbed (Scrub) before they
	// are counted.
	RecordQueries(ctx context.Context, day string, counts []QueryCount) error
	// TopQueries returns the n most asked questions of the days from
	// since on, and the n most asked of those that found nothing.
	// sites, when not nil, keeps the questions asked on these sites.
	TopQueries(ctx context.Context, since string, n int, sites []string) (asked, unanswered []QueryCount, err error)
	// ForgetQueries removes the counts of the days before before.
	ForgetQueries(ctx context.Context, before string) error

	// CreateSession keeps a new admin session.
	CreateSession(ctx context.Context, s Session) error
	// UseSession returns the session with that id hash, if it has not
	// expired at now, and records its use at now; else ErrNotFound (an
	// expired session is removed).
	UseSession(ctx context.Context, idHash string, now time.Time) (Session, error)
	// DeleteSession ends a session; ending one that is gone is no error.
	DeleteSession(ctx context.Context, idHash string) error

	Close() error
}

// Validate checks a new report: a policy, a category, one of Reasons, and
// a comment of valid UTF-8 no longer than MaxComment.
func (r Report) Validate() error {
	if err := validID("policy", r.PolicyID); err != nil {
		return err
	}
	if err := validID("category", r.Category); err != nil {
		return err
	}
	if !r.Reason.Valid() {
		return fmt.Errorf("%w: unknown reason %q", ErrInvalid, r.Reason)
	}
	if err := validSite(r.Site); err != nil {
		return err
	}
	return validText("comment", r.Comment, MaxComment)
}

// validSite checks a site id: empty, or lower-case letters, digits and
// '-'.
func validSite(site string) error {
	if site != "" && !siteRE.MatchString(site) {
		return fmt.Errorf("%w: site %q is not a site id", ErrInvalid, site)
	}
	return nil
}

var siteRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate checks a vote.
func (v Vote) Validate() error {
	if err := validID("policy", v.PolicyID); err != nil {
		return err
	}
	if err := validSite(v.Site); err != nil {
		return err
	}
	return validID("category", v.Category)
}

// Validate checks an admin's change.
func (c Change) Validate() error {
	if !c.State.Valid() {
		return fmt.Errorf("%w: unknown state %q", ErrInvalid, c.State)
	}
	return validText("note", c.Note, MaxNote)
}

func validID(what, s string) error {
	if strings.TrimSpace(s) == "" || len(s) > maxID || !utf8.ValidString(s) {
		return fmt.Errorf("%w: bad %s %q", ErrInvalid, what, s)
	}
	return nil
}

func validText(what, s string, max int) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%w: %s has %d characters, at most %d", ErrInvalid, what, n, max)
	}
	return nil
}

// Redacted replaces what looks like personal data in a comment.
const Redacted = "［已隐去］"

var (
	// Groups of three or more digits, single spaces or dashes between them,
	// an ID card's final X: phone numbers (mobile, landline with or without
	// area code) and ID numbers, full-width digits too. Dates (2024-01-15)
	// and short numbers are left alone: see personalNumber.
	numberRE = regexp.MustCompile(`[0-9０-９]{3,}(?:[ \-－][0-9０-９]{3,})*[xXｘＸ]?`)
	emailRE  = regexp.MustCompile(`[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
)

// personalNumber hides a number of seven digits or more.
func personalNumber(s string) string {
	digits := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	if digits >= 7 {
		return Redacted
	}
	return s
}

// CleanComment makes a comment fit to keep: line ends made \n, other
// control characters dropped, spaces trimmed, and anything that looks like a
// phone number, an ID number or an e-mail address replaced by Redacted, so
// that no personal data is stored even when someone types it in.
func CleanComment(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return -1
		}
		return r
	}, s)
	s = emailRE.ReplaceAllString(s, Redacted)
	s = numberRE.ReplaceAllStringFunc(s, personalNumber)
	return strings.TrimSpace(s)
}

// Outcome is what Summarize needs of a report.
type Outcome struct {
	Category   string
	State      State
	CreatedAt  time.Time
	ResolvedAt time.Time
}

// Summarize counts outcomes by category, by category name; backends use it
// to implement Summary.
func Summarize(outcomes []Outcome) []CategorySummary {
	byCat := map[string]*CategorySummary{}
	waits := map[string][]time.Duration{}
	for _, o := range outcomes {
		s := byCat[o.Category]
		if s == nil {
			s = &CategorySummary{Category: o.Category}
			byCat[o.Category] = s
		}
		s.Received++
		switch o.State {
		case StateHandled:
			s.Handled++
		case StateRejected:
			s.Rejected++
		default:
			s.Open++
		}
		if o.State != StateNew && !o.ResolvedAt.IsZero() {
			waits[o.Category] = append(waits[o.Category], max(0, o.ResolvedAt.Sub(o.CreatedAt)))
		}
	}
	out := make([]CategorySummary, 0, len(byCat))
	for cat, s := range byCat {
		s.MedianResponse = median(waits[cat])
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b CategorySummary) int { return strings.Compare(a.Category, b.Category) })
	return out
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// SortCounts orders counts as Counts returns them: the most reports first,
// then the most "not helpful", then by policy ID.
func SortCounts(cs []PolicyCounts) {
	slices.SortStableFunc(cs, func(a, b PolicyCounts) int {
		if d := b.TotalReports() - a.TotalReports(); d != 0 {
			return d
		}
		if d := b.NotHelpful - a.NotHelpful; d != 0 {
			return d
		}
		return strings.Compare(a.PolicyID, b.PolicyID)
	})
}
