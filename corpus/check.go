package corpus

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Problem is one thing wrong in a corpus file.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
	// Field is the path of the entry's field the problem is about, when
	// known: "title", "guide.steps[2]", "eligibility.all[1]"; empty for the
	// entry as a whole.
	Field string `json:"field,omitempty"`
}

func (p Problem) String() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message) }

// Problems is a list of problems in file and line order.
type Problems []Problem

// CheckError is returned by a Source whose corpus has problems.
type CheckError struct{ Problems Problems }

func (e *CheckError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "corpus has %d problem(s)", len(e.Problems))
	for i, p := range e.Problems {
		if i == 5 {
			fmt.Fprintf(&b, "; …")
			break
		}
		fmt.Fprintf(&b, "; %s", p)
	}
	return b.String()
}

// OnlineHosts is the allowlist of official hosts an online-handling link may
// point to.
var OnlineHosts = []string{
	"zwdt.sh.gov.cn", "ywtb.sh.gov.cn", "www.shanghai.gov.cn", "www.shhk.gov.cn",
	"mzj.sh.gov.cn", "rsj.sh.gov.cn", "ybj.sh.gov.cn", "fgj.sh.gov.cn", "wsjkw.sh.gov.cn",
	"tyjrswj.sh.gov.cn", "edu.sh.gov.cn", "www.shdisabled.gov.cn", "www.12333sh.gov.cn",
}

// CheckOnlineURL reports why a link is not an allowed online-handling link.
func CheckOnlineURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("online url %q does not parse: %v", raw, err)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("online url %q must use https", raw)
	}
	if u.User != nil || u.Port() != "" || !slices.Contains(OnlineHosts, u.Hostname()) {
		return fmt.Errorf("online url host %q is not on the allowlist of official sites", u.Host)
	}
	return nil
}

// Limits on field sizes.
const (
	MaxTitle   = 60
	MaxSummary = 200
	MaxContent = 4000
	MaxBenefit = 60
)

// Check validates entries against the schema, the fixed lists, the declared
// situation fields, the places and the registry of documents. It also
// resolves each entry's places into Locations and each basis item that
// cites a document from docs. Nothing it checks depends on the date, and
// it accepts entries written before the registry (inline basis items, no
// sources): CheckTrust is what refuses those.
func Check(ps []*Policy, places map[string]Location, docs Documents) Problems {
	var probs Problems
	seen := map[string]string{}
	for _, p := range ps {
		report := func(path, format string, args ...any) {
			probs = append(probs, Problem{File: p.Source, Line: p.line(path), Message: fmt.Sprintf(format, args...), Field: path})
		}
		if !slugRE.MatchString(p.ID) {
			report("", "id %q must be lower-case letters, digits and '-'", p.ID)
		}
		if prev, dup := seen[p.ID]; dup {
			report("", "id %q is used by %s too", p.ID, prev)
		}
		seen[p.ID] = p.Source

		requireText(report, "title", p.Title, MaxTitle)
		requireText(report, "summary", p.Summary, MaxSummary)
		requireText(report, "content", p.Content, MaxContent)
		requireText(report, "agency", p.Agency, MaxTitle)
		requireText(report, "region", p.Region, MaxTitle)
		oneOf(report, "kind", p.Kind, Kinds)
		oneOf(report, "category", p.Category, Categories)
		if len(p.Audiences) == 0 {
			report("audiences", "audiences is empty")
		}
		for i, a := range p.Audiences {
			oneOf(report, fmt.Sprintf("audiences[%d]", i), a, Audiences)
			if slices.Index(p.Audiences, a) != i {
				report(fmt.Sprintf("audiences[%d]", i), "audience %q is listed twice", a)
			}
		}
		if len(p.Keywords) == 0 {
			report("keywords", "keywords is empty")
		}
		for i, k := range p.Keywords {
			requireText(report, fmt.Sprintf("keywords[%d]", i), k, 30)
		}

		if len(p.Basis) == 0 {
			report("basis", "an entry needs at least one basis document")
		}
		resolveBasis(p, docs, report)
		for i, b := range p.Basis {
			at := fmt.Sprintf("basis[%d]", i)
			if b.Document != "" {
				if _, ok := docs[b.Document]; !ok {
					continue // reported by resolveBasis
				}
			}
			requireText(report, at+".title", b.Title, 120)
			requireText(report, at+".number", b.Number, 120)
			requireText(report, at+".issuer", b.Issuer, 120)
			checkDate(report, at+".date", b.Date, true, true)
			if b.Articles != "" {
				requireText(report, at+".articles", b.Articles, 120)
			}
		}

		if p.Benefit != "" {
			requireText(report, "benefit", p.Benefit, MaxBenefit)
		}
		for i, a := range p.Amounts {
			at := fmt.Sprintf("amounts[%d]", i)
			requireText(report, at+".name", a.Name, 60)
			requireText(report, at+".value", a.Value, 100)
			if a.From == "" || a.From == Unknown {
				report(at+".from", "%s.from must be the date the amount applies from", at)
			} else {
				checkDate(report, at+".from", a.From, true, false)
			}
		}
		for i, src := range p.Sources {
			checkCitation(report, fmt.Sprintf("sources[%d]", i), src)
		}
		checkDate(report, "verified", p.Verified, false, false)

		g := p.Guide
		requireList(report, "guide.eligibility", g.Eligibility)
		requireList(report, "guide.materials", g.Materials)
		requireList(report, "guide.steps", g.Steps)
		requireText(report, "guide.time_limit", g.TimeLimit, 200)
		requireText(report, "guide.fee", g.Fee, 200)

		if len(p.Places) == 0 && len(p.Locations) == 0 {
			report("places", "an entry needs at least one place that handles it")
		}
		for i, loc := range p.Locations {
			at := fmt.Sprintf("locations[%d]", i)
			requireText(report, at+".name", loc.Name, 100)
			for _, f := range []struct{ name, val string }{{"address", loc.Address}, {"hours", loc.Hours}, {"phone", loc.Phone}} {
				if strings.TrimSpace(f.val) == "" {
					report(at+"."+f.name, "%s.%s is empty (write %s if it is not known)", at, f.name, Unknown)
				}
			}
		}
		for i, id := range p.Places {
			loc, ok := places[id]
			if !ok {
				report(fmt.Sprintf("places[%d]", i), "unknown place %q (not in %s)", id, PlacesFile)
				continue
			}
			p.Locations = append(p.Locations, loc)
		}

		if o := p.Online; o != nil {
			switch {
			case o.URL != "" && o.Search != "":
				report("online", "online has both url and search: give the item's page (url) or, when none is known, the words to search for (search)")
			case o.URL == "" && o.Search == "":
				report("online", "online needs url (the item's own page) or search (the words to search for on 一网通办)")
			case o.URL != "":
				if err := CheckOnlineURL(o.URL); err != nil {
					report("online.url", "%v", err)
				}
			default:
				requireText(report, "online.search", o.Search, 30)
			}
			if o.Source != "" {
				if err := checkHTTPS(o.Source); err != nil {
					report("online.source", "online.source: %v", err)
				}
			}
			requireText(report, "online.label", o.Label, 20)
		}

		checkDate(report, "effective", p.Effective, false, true)
		checkDate(report, "expires", p.Expires, false, true)
		if p.Effective != "" && p.Expires != "" && p.Effective != Unknown && p.Expires != Unknown && p.Expires < p.Effective {
			report("expires", "expires %s is before effective %s", p.Expires, p.Effective)
		}
		checkDate(report, "updated", p.Updated, true, false)

		if p.Eligible == nil {
			report("eligibility", "an entry needs eligibility conditions (at least one)")
		} else {
			p.Eligible.check("eligibility", func(path string, line int, format string, args ...any) {
				probs = append(probs, Problem{File: p.Source, Line: line, Message: fmt.Sprintf(format, args...), Field: path})
			})
			if n, want := p.Eligible.Requirements(), len(p.Guide.Eligibility); n < want {
				report("eligibility", "eligibility encodes %d requirement(s) but guide.eligibility lists %d: encode each with a situation field, or as an ask for what no field expresses", n, want)
			}
		}
	}
	sortProblems(probs)
	return probs
}

func sortProblems(probs Problems) {
	slices.SortStableFunc(probs, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
}

type reporter func(path, format string, args ...any)

func requireText(report reporter, path, v string, max int) {
	switch n := utf8.RuneCountInString(strings.TrimSpace(v)); {
	case n == 0:
		report(path, "%s is empty", path)
	case n > max:
		report(path, "%s is %d characters long (at most %d)", path, n, max)
	}
}

func requireList(report reporter, path string, items []string) {
	if len(items) == 0 {
		report(path, "%s is empty", path)
	}
	for i, it := range items {
		requireText(report, fmt.Sprintf("%s[%d]", path, i), it, 500)
	}
}

func oneOf(report reporter, path, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		report(path, "%s %q is not one of %s", path, v, strings.Join(allowed, ", "))
	}
}

func checkDate(report reporter, path, v string, required, unknownOK bool) {
	switch {
	case v == "":
		if required {
			report(path, "%s is empty", path)
		}
	case v == Unknown:
		if !unknownOK {
			report(path, "%s must be a date, not %s", path, Unknown)
		}
	default:
		if _, err := time.Parse(DateLayout, v); err != nil {
			report(path, "%s %q is not a date of the form YYYY-MM-DD", path, v)
		}
	}
}

// CheckDates reports what is wrong with the entries as of now: a date of
// checking (updated) that has not come yet. It is separate from Check so
// that reading a corpus back (an index's own copy, a stored version) never
// depends on the clock; commands and reindexes run it with theirs.
func CheckDates(ps []*Policy, now time.Time) Problems {
	var probs Problems
	today := Today(now)
	for _, p := range ps {
		if _, err := ParseDate(p.Updated); err == nil && p.Updated > today {
			probs = append(probs, Problem{File: p.Source, Line: p.line("updated"),
				Message: fmt.Sprintf("updated %s is after today (%s)", p.Updated, today), Field: "updated"})
		}
	}
	sortProblems(probs)
	return probs
}

// Expiry is an entry whose expiry date has passed or is near.
type Expiry struct {
	Policy *Policy
	// At is the end of the entry's expiry day.
	At time.Time
}

// Expiries returns, as of now, the entries already expired and those that
// expire within the next window, each list ordered by date then id.
func (c *Corpus) Expiries(now time.Time, window time.Duration) (expired, soon []Expiry) {
	for _, p := range c.Policies {
		at, ok := p.ExpiresAt()
		switch {
		case !ok:
		case !now.Before(at):
			expired = append(expired, Expiry{p, at})
		case at.Sub(now) <= window:
			soon = append(soon, Expiry{p, at})
		}
	}
	byDate := func(a, b Expiry) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return strings.Compare(a.Policy.ID, b.Policy.ID)
	}
	slices.SortFunc(expired, byDate)
	slices.SortFunc(soon, byDate)
	return expired, soon
}

// ExpiryWindow is how far ahead `yicha check` warns of entries that expire.
const ExpiryWindow = 60 * 24 * time.Hour

// ExpiryNotices describes, as of now, each entry that has expired (pages
// mark it 已失效 and rank it last) and each that expires within window, so
// that its successor can be recorded in time. They are notices, not
// problems: an expired entry is still a valid one.
func (c *Corpus) ExpiryNotices(now time.Time, window time.Duration) Problems {
	expired, soon := c.Expiries(now, window)
	var out Problems
	for _, x := range expired {
		out = append(out, Problem{File: x.Policy.Source, Line: x.Policy.line("expires"),
			Message: fmt.Sprintf("notice: expired on %s (shown as 已失效 and ranked last)", x.Policy.Expires)})
	}
	for _, x := range soon {
		days := int(x.At.Sub(now).Hours()/24 + 0.999)
		out = append(out, Problem{File: x.Policy.Source, Line: x.Policy.line("expires"),
			Message: fmt.Sprintf("notice: expires on %s, in %d day(s)", x.Policy.Expires, days)})
	}
	return out
}

// portalHomePaths are paths of the home or index pages of the portals on
// the allowlist: a link there says nothing about which item to handle.
var portalHomePaths = []string{
	"", "/", "/govportals", "/govportals/", "/govportals/index.do", "/index.do", "/index.html", "/index.htm",
	"/index.shtml", "/index.jsp", "/index.php", "/home", "/portal", "/default.html", "/default.htm",
}

// IsPortalHome reports whether a link is a portal's home page (its path is
// empty, /, or a known home or index page) rather than an item's page.
func IsPortalHome(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	return slices.Contains(portalHomePaths, strings.ToLower(u.EscapedPath()))
}

// TrustWindow is how long ago an entry may have been verified before the
// admin status lists it as due for checking.
const TrustWindow = 180 * 24 * time.Hour

// CheckTrust reports, as of now, what keeps a corpus from being one people
// can trust: everything CheckDates reports; an entry without sources or a
// verified date (or one that has not come yet); a 政策类 entry without its
// benefit; a basis item that cites no document of the registry; an entry in
// force that cites a document repealed, lapsed or past its validity as
// current; an online link to a portal's home page. Loading does not run it
// (older exports and stored versions lack these fields); `yicha check` and
// `yicha corpus push` do.
func CheckTrust(c *Corpus, now time.Time) Problems {
	probs := CheckDates(c.Policies, now)
	today := Today(now)
	for _, p := range c.Policies {
		report := func(path, format string, args ...any) {
			probs = append(probs, Problem{File: p.Source, Line: p.line(path), Message: fmt.Sprintf(format, args...), Field: path})
		}
		if len(p.Sources) == 0 {
			report("sources", "an entry needs at least one source (title, https url, publisher, date, retrieved)")
		}
		switch _, err := ParseDate(p.Verified); {
		case p.Verified == "":
			report("", "verified is missing: the day the entry's facts were last checked against its sources")
		case err != nil:
			// Check reports the form.
		case p.Verified > today:
			report("verified", "verified %s is after today (%s)", p.Verified, today)
		}
		if p.Kind == KindPolicy && strings.TrimSpace(p.Benefit) == "" {
			report("", "a %s entry needs benefit: one line saying what a person gets", KindPolicy)
		}
		expired := p.Expired(now)
		for i, b := range p.Basis {
			at := fmt.Sprintf("basis[%d]", i)
			if b.Document == "" {
				report(at, "%s cites no document: name one from %s (document: id)", at, DocumentsFile)
				continue
			}
			d, ok := c.Documents[b.Document]
			if !ok || expired || !d.NotInForce(now) {
				continue
			}
			what := "repealed"
			switch {
			case d.Status == StatusLapsed:
				what = "lapsed"
			case d.Status != StatusRepealed:
				what = "expired (" + d.Expires + ")"
			}
			hint := "record its successor"
			if d.Successor != "" {
				hint = fmt.Sprintf("record its successor (%s) instead", d.Successor)
			}
			report(at+".document", "cites %s document %s as current; %s, or set the entry's expires", what, d.ID, hint)
		}
		if p.Online != nil && p.Online.URL != "" && IsPortalHome(p.Online.URL) {
			report("online.url", "online.url %q is a portal's home page, not the item's page: give the item's own page, or write the words to search for under online.search", p.Online.URL)
		}
	}
	sortProblems(probs)
	return probs
}
