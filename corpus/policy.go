// Package corpus defines what a policy entry is, reads a corpus of them from
// a directory of YAML files (the embedded default) or a JSONL export, and
// checks every entry, reporting each problem as file:line: message.
package corpus

import (
	"slices"
	"sync"
	"time"
)

// Unknown marks a fact that could not be confirmed. The data says so rather
// than guessing; pages show it as 「暂未核实」.
const Unknown = "unknown"

// Kinds of entry.
const (
	KindPolicy  = "政策类"
	KindService = "服务类"
)

// Kinds lists the kinds of entry.
var Kinds = []string{KindPolicy, KindService}

// Categories is the fixed list of categories, in the order pages show them.
var Categories = []string{
	"社会救助", "养老服务", "助残服务", "就业创业", "劳动就业权益",
	"社会保险", "医疗保障", "住房保障", "住房公积金", "户籍与证照",
	"教育", "生育与儿童", "退役军人与优抚", "生活服务",
}

// Audiences is the fixed list of situation tags an entry may be aimed at.
var Audiences = []string{
	"老年人", "残疾人", "困难家庭", "失业人员", "就业创业者", "退役军人",
	"优抚对象", "孕产妇", "婴幼儿家庭", "儿童青少年", "学生", "来沪人员",
	"全体居民", "照护者",
}

// Policy is one entry of the corpus: a policy (政策类) or a service (服务类).
type Policy struct {
	// ID is the stable slug of the entry; for files it is the file name.
	ID        string   `json:"id" yaml:"id,omitempty"`
	Title     string   `json:"title" yaml:"title"`
	Kind      string   `json:"kind" yaml:"kind"`
	Category  string   `json:"category" yaml:"category"`
	Audiences []string `json:"audiences" yaml:"audiences"`
	Summary   string   `json:"summary" yaml:"summary"`
	Content   string   `json:"content" yaml:"content"`
	Basis     []Basis  `json:"basis" yaml:"basis"`
	// Benefit says in one line what a person gets (required of 政策类 by
	// CheckTrust); Amounts are the amounts and standards the entry states,
	// each with the day it applies from.
	Benefit string   `json:"benefit,omitempty" yaml:"benefit,omitempty"`
	Amounts []Amount `json:"amounts,omitempty" yaml:"amounts,omitempty"`
	// Sources are where the entry's facts come from; Verified is the day
	// they were last checked against them.
	Sources  []Citation `json:"sources,omitempty" yaml:"sources,omitempty"`
	Verified string     `json:"verified,omitempty" yaml:"verified,omitempty"`
	Guide    Guide      `json:"guide" yaml:"guide"`
	// Places names entries of the places file. Locations holds places
	// described in the entry itself (as exports from other systems do),
	// and, once checked, the named places resolved.
	Places    []string   `json:"-" yaml:"places,omitempty"`
	Locations []Location `json:"locations" yaml:"locations,omitempty"`
	Online    *Online    `json:"online,omitempty" yaml:"online,omitempty"`
	Agency    string     `json:"agency" yaml:"agency"`
	Region    string     `json:"region" yaml:"region"`
	// Scope says which sites show the entry: 市级 (every site, the
	// default), 区级 (Site, a district, and its streets) or 街道级 (Site,
	// a street, only).
	Scope string `json:"scope,omitempty" yaml:"scope,omitempty"`
	// Site is the district or street a 区级 or 街道级 entry belongs to.
	Site      string     `json:"site,omitempty" yaml:"site,omitempty"`
	Effective string     `json:"effective,omitempty" yaml:"effective,omitempty"`
	Expires   string     `json:"expires,omitempty" yaml:"expires,omitempty"`
	Updated   string     `json:"updated" yaml:"updated"`
	Keywords  []string   `json:"keywords" yaml:"keywords"`
	Eligible  *Condition `json:"eligibility,omitempty" yaml:"eligibility,omitempty"`
	Source    string     `json:"-" yaml:"-"`
	lines     map[string]int
}

// Basis is one document a policy rests on (政策依据). In a corpus
// directory an item cites the registry (documents.yaml) by Document and
// its Articles; loading resolves it, filling Title, Number, Issuer, Date
// (effective, else adopted) and Status from the registry, so that exports
// carry them. Items written inline (older JSONL exports and stored
// versions) have no Document.
type Basis struct {
	Document string `json:"document,omitempty" yaml:"document,omitempty"`
	Title    string `json:"title" yaml:"title,omitempty"`
	Number   string `json:"number" yaml:"number,omitempty"`
	Issuer   string `json:"issuer" yaml:"issuer,omitempty"`
	Date     string `json:"date" yaml:"date,omitempty"`
	Status   string `json:"status,omitempty" yaml:"status,omitempty"`
	Articles string `json:"articles,omitempty" yaml:"articles,omitempty"`
}

// InForce reports whether the basis document is known to be in force:
// its status is 现行有效, or it has none (an inline item).
func (b Basis) InForce() bool { return b.Status == "" || b.Status == StatusInForce }

// Amount is an amount or standard an entry states and the day it applies
// from.
type Amount struct {
	Name  string `json:"name" yaml:"name"`
	Value string `json:"value" yaml:"value"`
	From  string `json:"from" yaml:"from"`
}

// Guide is the service guide (办事指南) of an entry.
type Guide struct {
	Eligibility []string `json:"eligibility" yaml:"eligibility"`
	Materials   []string `json:"materials" yaml:"materials"`
	Steps       []string `json:"steps" yaml:"steps"`
	TimeLimit   string   `json:"time_limit" yaml:"time_limit"`
	Fee         string   `json:"fee" yaml:"fee"`
}

// Location is a place that handles an entry.
type Location struct {
	ID      string `json:"id,omitempty" yaml:"id,omitempty"`
	Name    string `json:"name" yaml:"name"`
	Address string `json:"address" yaml:"address"`
	Hours   string `json:"hours" yaml:"hours"`
	Phone   string `json:"phone" yaml:"phone"`
	Note    string `json:"note,omitempty" yaml:"note,omitempty"`
	// Source is where the place's facts come from, when known.
	Source *Citation `json:"source,omitempty" yaml:"source,omitempty"`
}

// Online is where an entry can be handled online (阅办联动).
// It has either URL, the item's own page, or Search, the words to search
// for on the portal when no item page is known.
type Online struct {
	URL    string `json:"url,omitempty" yaml:"url,omitempty"`
	Search string `json:"search,omitempty" yaml:"search,omitempty"`
	Label  string `json:"label" yaml:"label"`
	// Source is the page where URL was found, if not URL itself.
	Source string `json:"source,omitempty" yaml:"source,omitempty"`
}

// PortalSearchURL is the 一网通办 portal, whose own search box takes the
// words: where a search link (online.search) sends a person, and where the
// results page sends a question the base does not answer.
const PortalSearchURL = "https://zwdt.sh.gov.cn/govPortals/index.do"

// DateLayout is the layout of every date in the corpus.
const DateLayout = "2006-01-02"

// Zone is the time zone the corpus's dates are days of: a policy that
// expires on 2026-11-30 is in force until midnight at the end of that day in
// Shanghai. China keeps no daylight saving time.
var Zone = time.FixedZone("CST", 8*3600)

// ParseDate reads a corpus date as the start of that day in Zone.
func ParseDate(s string) (time.Time, error) { return time.ParseInLocation(DateLayout, s, Zone) }

// Today returns the date of now in Zone, in the corpus's layout.
func Today(now time.Time) string { return now.In(Zone).Format(DateLayout) }

// ExpiresAt returns the moment the entry stops being in force: the end of
// its expiry day. ok is false when it has no known expiry.
func (p *Policy) ExpiresAt() (at time.Time, ok bool) { return endOfDay(p.Expires) }

// endOfDay returns the end of a corpus day (midnight after it, in Zone);
// ok is false for an empty, unknown or malformed day.
func endOfDay(day string) (at time.Time, ok bool) {
	if day == "" || day == Unknown {
		return time.Time{}, false
	}
	t, err := ParseDate(day)
	if err != nil {
		return time.Time{}, false
	}
	return t.AddDate(0, 0, 1), true
}

// Expired reports whether the entry's expiry day has ended by now.
func (p *Policy) Expired(now time.Time) bool {
	at, ok := p.ExpiresAt()
	return ok && !now.Before(at)
}

// HasOnline reports whether the entry can be handled online.
func (p *Policy) HasOnline() bool {
	return p.Online != nil && (p.Online.URL != "" || p.Online.Search != "")
}

// Corpus is a validated set of entries, ordered by ID.
type Corpus struct {
	Policies []*Policy
	// Fingerprint identifies the content, so two loads of the same
	// files give the same value.
	Fingerprint string
	// Version is the version of a shared corpus store the corpus was read
	// from (see corpus/pgstore); 0 for files.
	Version int64
	// Routing says where to send what the base does not answer: the
	// corpus directory's referrals.yaml, else the one built in.
	Routing *Routing
	// Documents is the registry of documents the entries' basis cites:
	// the corpus directory's documents.yaml, the registry line of a JSONL
	// corpus, or one rebuilt from resolved basis items.
	Documents Documents
	// Sites are the districts and streets the corpus serves: the corpus
	// directory's sites/*/site.yaml, the sites line of a JSONL corpus, or
	// the ones built in.
	Sites *Sites
	byID  map[string]*Policy
}

// NewCorpus orders the policies by ID and indexes them.
func NewCorpus(ps []*Policy, fingerprint string) *Corpus {
	slices.SortFunc(ps, func(a, b *Policy) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	c := &Corpus{Policies: ps, Fingerprint: fingerprint, Routing: builtinRouting(), Documents: Documents{}, Sites: builtinSites(), byID: make(map[string]*Policy, len(ps))}
	for _, p := range ps {
		c.byID[p.ID] = p
	}
	return c
}

// Get returns the entry with that ID.
func (c *Corpus) Get(id string) (*Policy, bool) {
	p, ok := c.byID[id]
	return p, ok
}

// builtinRouting is the routing table built into the binary, read once.
var builtinRouting = sync.OnceValue(embeddedRouting)

// MaxID bounds an entry's id, in bytes.
const MaxID = 80

// ValidID reports whether id can name an entry (and its file): lower-case
// ASCII letters and digits in words joined by '-', at most MaxID bytes.
func ValidID(id string) bool { return len(id) <= MaxID && slugRE.MatchString(id) }
