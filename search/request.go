// Package search turns a person's question, filters and situation into a
// query on the policy index, and the hits into results with snippets and
// facet counts.
package search

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"yicha/corpus"
)

// ErrBadRequest marks a request a client must correct; its message says how.
var ErrBadRequest = errors.New("bad request")

// ErrNotFound marks a policy that does not exist.
var ErrNotFound = errors.New("not found")

// Limits on a request.
const (
	MaxQueryRunes = 200
	DefaultSize   = 10
	MaxSize       = 50
	MaxPage       = 500
	maxFilterVals = 20
)

// Sort orders.
const (
	SortRelevance = "relevance"
	SortDate      = "date"
)

// Filters narrow a search to entries with these values. Values of one field
// are alternatives (OR); different fields must all hold (AND).
type Filters struct {
	Category []string
	Kind     []string
	Audience []string
	Agency   []string
	// Online, when true, keeps only entries that can be handled online.
	Online bool
	// Phrase keeps entries whose text holds these words in this order.
	Phrase string
	// Title keeps entries whose title holds every word given.
	Title string
	// DocNumber keeps entries whose basis has a document number (文号)
	// starting with this, in any bracket style.
	DocNumber string
	// ExcludeExpired leaves out entries past their expiry date; without it
	// they are listed after the current ones.
	ExcludeExpired bool
	// Site keeps the entries shown on that site (city entries, its own and
	// its ancestors'); "" keeps every entry. It is where a search is made,
	// not a filter a person chose.
	Site string
}

// Empty reports whether no filter is set.
func (f Filters) Empty() bool {
	return len(f.Category) == 0 && len(f.Kind) == 0 && len(f.Audience) == 0 && len(f.Agency) == 0 && !f.Online &&
		f.Phrase == "" && f.Title == "" && f.DocNumber == "" && !f.ExcludeExpired
}

// Request is a validated search request.
type Request struct {
	// Query is the question as the person typed it, spaces collapsed:
	// what the search box shows again.
	Query string
	// Question is Query analysed (Engine.ParseRequest does it once; Search
	// does it for a request built without it).
	Question *Question
	Filters  Filters
	Page     int
	Size     int
	Sort     string
	// Situation, when not empty, keeps the entries it may qualify for,
	// those it meets fully first.
	Situation corpus.Situation
	// rankOnly skips what only pages need (snippets, facets): the ranking
	// is the same.
	rankOnly bool
}

// From is the offset of the first hit of the page.
func (r Request) From() int { return (r.Page - 1) * r.Size }

// siteRE is the form of a site id; the engine checks it is a site.
var siteRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// ParseRequest validates the parameters of a search: q, category, kind,
// audience, agency, online, page, size and sort. Values of the fixed lists
// are checked here; agencies are checked by the engine, which knows them.
func ParseRequest(v url.Values) (Request, error) {
	r := Request{Page: 1, Size: DefaultSize, Sort: SortRelevance}
	q, err := single(v, "q")
	if err != nil {
		return r, err
	}
	if !utf8.ValidString(q) {
		return r, badRequest("q is not valid UTF-8")
	}
	q = strings.Join(strings.FieldsFunc(q, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if n := utf8.RuneCountInString(q); n > MaxQueryRunes {
		return r, badRequest("q is %d characters long; at most %d are allowed", n, MaxQueryRunes)
	}
	r.Query = q
	if r.Filters.Site, err = single(v, "site"); err != nil {
		return r, err
	}
	if r.Filters.Site != "" && !siteRE.MatchString(r.Filters.Site) {
		return r, badRequest("site %q is not a site id (lower-case letters, digits and '-')", r.Filters.Site)
	}
	for _, t := range []struct {
		name string
		dst  *string
	}{{"phrase", &r.Filters.Phrase}, {"title", &r.Filters.Title}, {"number", &r.Filters.DocNumber}} {
		val, err := single(v, t.name)
		if err != nil {
			return r, err
		}
		val = strings.TrimSpace(val)
		if !utf8.ValidString(val) || utf8.RuneCountInString(val) > 100 {
			return r, badRequest("%s must be valid text of at most 100 characters", t.name)
		}
		*t.dst = val
	}

	lists := []struct {
		name    string
		allowed []string
		dst     *[]string
	}{
		{"category", corpus.Categories, &r.Filters.Category},
		{"kind", corpus.Kinds, &r.Filters.Kind},
		{"audience", corpus.Audiences, &r.Filters.Audience},
		{"agency", nil, &r.Filters.Agency},
	}
	for _, l := range lists {
		vals, err := multi(v, l.name)
		if err != nil {
			return r, err
		}
		for _, val := range vals {
			if l.allowed != nil && !slices.Contains(l.allowed, val) {
				return r, badRequest("unknown %s %q; allowed: %s", l.name, val, strings.Join(l.allowed, ", "))
			}
		}
		*l.dst = vals
	}

	if r.Filters.Online, err = boolParam(v, "online"); err != nil {
		return r, err
	}
	expired := true
	if s, err := single(v, "expired"); err != nil {
		return r, err
	} else if s != "" {
		if expired, err = boolParam(v, "expired"); err != nil {
			return r, err
		}
	}
	r.Filters.ExcludeExpired = !expired
	if r.Page, err = intParam(v, "page", 1, 1, MaxPage); err != nil {
		return r, err
	}
	if r.Size, err = intParam(v, "size", DefaultSize, 1, MaxSize); err != nil {
		return r, err
	}
	if r.Situation, err = corpus.ParseSituation(v); err != nil {
		return r, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if s, err := single(v, "sort"); err != nil {
		return r, err
	} else if s != "" {
		if s != SortRelevance && s != SortDate {
			return r, badRequest("sort must be %s or %s, not %q", SortRelevance, SortDate, s)
		}
		r.Sort = s
	}
	return r, nil
}

func single(v url.Values, name string) (string, error) {
	vals := v[name]
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
		return vals[0], nil
	}
	return "", badRequest("%s is given %d times; give it once", name, len(vals))
}

// multi returns the non-empty values of a repeatable parameter, without
// duplicates, in the order given.
func multi(v url.Values, name string) ([]string, error) {
	var out []string
	for _, val := range v[name] {
		val = strings.TrimSpace(val)
		if val == "" || slices.Contains(out, val) {
			continue
		}
		if !utf8.ValidString(val) || utf8.RuneCountInString(val) > 50 {
			return nil, badRequest("%s value is not a valid value", name)
		}
		out = append(out, val)
	}
	if len(out) > maxFilterVals {
		return nil, badRequest("too many %s values (at most %d)", name, maxFilterVals)
	}
	return out, nil
}

func intParam(v url.Values, name string, def, min, max int) (int, error) {
	s, err := single(v, name)
	if err != nil || s == "" {
		return def, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return def, badRequest("%s must be a whole number from %d to %d, not %q", name, min, max, s)
	}
	return n, nil
}

func boolParam(v url.Values, name string) (bool, error) {
	s, err := single(v, name)
	if err != nil || s == "" {
		return false, err
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, badRequest("%s must be true or false, not %q", name, s)
	}
	return b, nil
}

// Key identifies what a request asks, in one canonical form: the question
// as searched (Question.Text), the filters with their values sorted, the
// page, size and order, and the situation. Requests with the same key get
// the same answer from the same index, however their parameters were
// written; parameters a request does not know play no part.
func (r Request) Key() string {
	v := url.Values{}
	q := r.Query
	if r.Question != nil {
		q = r.Question.Text
	}
	v.Set("q", q)
	set := func(name string, vals []string) {
		if len(vals) > 0 {
			v[name] = slices.Sorted(slices.Values(vals))
		}
	}
	f := r.Filters
	set("category", f.Category)
	set("kind", f.Kind)
	set("audience", f.Audience)
	set("agency", f.Agency)
	for name, val := range map[string]string{"phrase": f.Phrase, "title": f.Title, "number": f.DocNumber, "site": f.Site} {
		if val != "" {
			v.Set(name, val)
		}
	}
	if f.Online {
		v.Set("online", "true")
	}
	if f.ExcludeExpired {
		v.Set("expired", "false")
	}
	v.Set("page", strconv.Itoa(r.Page))
	v.Set("size", strconv.Itoa(r.Size))
	v.Set("sort", r.Sort)
	for name, vals := range r.Situation.Query() {
		set(name, vals)
	}
	return v.Encode()
}
