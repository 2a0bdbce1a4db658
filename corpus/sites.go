package corpus

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// SitesDir holds a corpus directory's sites, one folder each:
// sites/ID/site.yaml.
const (
	SitesDir = "sites"
	SiteFile = "site.yaml"
)

// Site levels.
const (
	LevelDistrict = "区"
	LevelStreet   = "街道"
)

// SiteLevels are the levels a site can have.
var SiteLevels = []string{LevelDistrict, LevelStreet}

// Entry scopes: which sites an entry is shown on.
const (
	// ScopeCity entries are shown on every site (the default).
	ScopeCity = "市级"
	// ScopeDistrict entries are shown on their district's site and the
	// sites of its streets.
	ScopeDistrict = "区级"
	// ScopeStreet entries are shown on their street's site only.
	ScopeStreet = "街道级"
)

// Scopes are the scopes an entry can have.
var Scopes = []string{ScopeCity, ScopeDistrict, ScopeStreet}

// Hotline is the telephone line a site's pages offer when a fact is not
// known or the base has no answer.
type Hotline struct {
	Name  string `yaml:"name" json:"name"`
	Phone string `yaml:"phone" json:"phone"`
}

// Site is a district or a street that the deployment serves: its own
// pages, places and hotline, and the entries of its scope.
type Site struct {
	ID     string `yaml:"id" json:"id"`
	Name   string `yaml:"name" json:"name"`
	Level  string `yaml:"level" json:"level"`
	Parent string `yaml:"parent,omitempty" json:"parent,omitempty"`
	// Hotline, when not set, is the parent's.
	Hotline *Hotline `yaml:"hotline,omitempty" json:"hotline,omitempty"`
	// Places are ids of the places file: the offices that serve the
	// site's residents, shown on its pages.
	Places []string `yaml:"places,omitempty" json:"places,omitempty"`
	Intro  string   `yaml:"intro,omitempty" json:"intro,omitempty"`
	// Sources say where the site's name, level and parent come from.
	Sources []Citation `yaml:"sources" json:"sources"`
	// Locations are Places resolved against the places file.
	Locations []Location `yaml:"-" json:"locations,omitempty"`
	// Source is the file the site was read from.
	Source string `yaml:"-" json:"-"`
}

// Sites are the sites of a corpus, parents before their children and
// otherwise by id.
type Sites struct {
	List []*Site
	byID map[string]*Site
}

// NewSites orders sites and indexes them by id. It does not check them:
// CheckSites does.
func NewSites(list []*Site) *Sites {
	s := &Sites{byID: map[string]*Site{}}
	for _, site := range list {
		if _, dup := s.byID[site.ID]; !dup {
			s.byID[site.ID] = site
		}
	}
	depth := func(site *Site) int {
		d := 0
		for seen := map[string]bool{}; site != nil && site.Parent != "" && !seen[site.ID]; d++ {
			seen[site.ID] = true
			site = s.byID[site.Parent]
		}
		return d
	}
	s.List = slices.Clone(list)
	slices.SortStableFunc(s.List, func(a, b *Site) int {
		if da, db := depth(a), depth(b); da != db {
			return da - db
		}
		return strings.Compare(a.ID, b.ID)
	})
	return s
}

// Get returns the site with that id.
func (s *Sites) Get(id string) (*Site, bool) {
	if s == nil {
		return nil, false
	}
	site, ok := s.byID[id]
	return site, ok
}

// Default is the first top-level site: the district a deployment serves
// when no site is named.
func (s *Sites) Default() *Site {
	if s == nil || len(s.List) == 0 {
		return nil
	}
	return s.List[0]
}

// Lineage returns the site and its ancestors, the site first.
func (s *Sites) Lineage(id string) []*Site {
	var out []*Site
	for site, ok := s.Get(id); ok && !slices.Contains(out, site); site, ok = s.Get(site.Parent) {
		out = append(out, site)
	}
	return out
}

// Children returns the sites whose parent is id.
func (s *Sites) Children(id string) []*Site {
	var out []*Site
	if s == nil {
		return nil
	}
	for _, site := range s.List {
		if site.Parent == id {
			out = append(out, site)
		}
	}
	return out
}

// Owners returns the owners (Owner) of the entries shown on a site: city
// entries ("") and those of the site and its ancestors.
func (s *Sites) Owners(id string) []string {
	out := []string{""}
	for _, site := range s.Lineage(id) {
		out = append(out, site.ID)
	}
	return out
}

// HotlineOf is the site's hotline, or its nearest ancestor's.
func (s *Sites) HotlineOf(id string) *Hotline {
	for _, site := range s.Lineage(id) {
		if site.Hotline != nil {
			return site.Hotline
		}
	}
	return nil
}

// Owner is the site whose entry p is: "" for a city entry.
func (p *Policy) Owner() string {
	if p.Scope == "" || p.Scope == ScopeCity {
		return ""
	}
	return p.Site
}

// ShownOn reports whether p is shown on the site.
func (s *Sites) ShownOn(p *Policy, site string) bool {
	return slices.Contains(s.Owners(site), p.Owner())
}

// SiteFilePath is the path of a site's file in a corpus directory.
func SiteFilePath(id string) string { return SitesDir + "/" + id + "/" + SiteFile }

// SiteIDOf returns the site id of a site file's path in a corpus
// directory (sites/ID/site.yaml), or false.
func SiteIDOf(name string) (string, bool) {
	id, ok := strings.CutPrefix(name, SitesDir+"/")
	if !ok {
		return "", false
	}
	id, ok = strings.CutSuffix(id, "/"+SiteFile)
	return id, ok && slugRE.MatchString(id)
}

// ParseSite decodes a site file. The folder's name is the site's id.
func ParseSite(file, folder string, data []byte) (*Site, Problems) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Problems{yamlProblem(file, err)}
	}
	if len(doc.Content) == 0 {
		return nil, Problems{{File: file, Line: 1, Message: "the site file is empty"}}
	}
	var site Site
	if err := decodeStrict(doc.Content[0], &site); err != nil {
		return nil, Problems{{File: file, Line: doc.Content[0].Line, Message: err.Error()}}
	}
	site.Source = file
	if site.ID == "" {
		site.ID = folder
	}
	if site.ID != folder {
		return &site, Problems{{File: file, Line: 1, Message: fmt.Sprintf("id %q differs from the folder's name %q", site.ID, folder)}}
	}
	return &site, nil
}

// CheckSites validates the sites against each other and the places (nil
// for a corpus whose places travel resolved), and
// the entries' scopes against the sites. It changes nothing.
func CheckSites(sites *Sites, places map[string]Location, ps []*Policy) Problems {
	var probs Problems
	if sites == nil {
		sites = NewSites(nil)
	}
	seen := map[string]string{}
	for _, site := range sites.List {
		file := site.Source
		if file == "" {
			file = "sites/" + site.ID + "/" + SiteFile
		}
		report := func(format string, args ...any) {
			probs = append(probs, Problem{File: file, Line: 1, Message: fmt.Sprintf("site %s: ", site.ID) + fmt.Sprintf(format, args...)})
		}
		if !slugRE.MatchString(site.ID) {
			report("id must be lower-case letters, digits and '-'")
		}
		if prev, dup := seen[site.ID]; dup {
			report("defined twice (also in %s)", prev)
		}
		seen[site.ID] = file
		if n := utf8.RuneCountInString(strings.TrimSpace(site.Name)); n == 0 || n > 30 || site.Name == Unknown {
			report("name must be 1 to 30 characters and known")
		}
		if utf8.RuneCountInString(site.Intro) > MaxSummary {
			report("intro is longer than %d characters", MaxSummary)
		}
		switch site.Level {
		case LevelDistrict:
			if site.Parent != "" {
				if parent, ok := sites.Get(site.Parent); ok && parent.Level != LevelDistrict {
					report("a district's parent must be a district, not %s (%s)", parent.ID, parent.Level)
				}
			}
		case LevelStreet:
			if site.Parent == "" {
				report("a street needs a parent district")
			}
		default:
			report("level %q is not one of %s", site.Level, strings.Join(SiteLevels, ", "))
		}
		if site.Parent != "" {
			parent, ok := sites.Get(site.Parent)
			switch {
			case !ok:
				report("parent %q is not a site", site.Parent)
			case site.Level == LevelStreet && parent.Level != LevelDistrict:
				report("a street's parent must be a district, not %s (%s)", parent.ID, parent.Level)
			case slices.Contains(sites.Lineage(site.Parent), site):
				report("its parents lead back to itself")
			}
		}
		if h := site.Hotline; h != nil {
			if n := utf8.RuneCountInString(strings.TrimSpace(h.Name)); n == 0 || n > 40 {
				report("hotline name must be 1 to 40 characters")
			}
			if h.Phone != Unknown && !phoneRE.MatchString(h.Phone) {
				report("hotline phone %q is not a phone number (or %s)", h.Phone, Unknown)
			}
		} else if site.Parent == "" {
			report("a top-level site needs a hotline")
		}
		// Without a places file (a stored corpus) the places travel
		// resolved.
		for _, id := range site.Places {
			if _, ok := places[id]; !ok && places != nil {
				report("place %q is not in the places file", id)
			}
		}
		if len(site.Sources) == 0 {
			report("a site needs a source for its name and level")
		}
		for i, c := range site.Sources {
			checkCitation(func(at, format string, args ...any) { report(format, args...) }, fmt.Sprintf("sources[%d]", i), c)
		}
	}
	for _, p := range ps {
		report := func(format string, args ...any) {
			probs = append(probs, Problem{File: p.Source, Line: p.line("scope"), Message: fmt.Sprintf(format, args...), Field: "scope"})
		}
		switch p.Scope {
		case "", ScopeCity:
			if p.Site != "" {
				report("site %q is set but the scope is %s (every site); a district's or street's entry says scope: %s or %s", p.Site, ScopeCity, ScopeDistrict, ScopeStreet)
			}
			continue
		case ScopeDistrict, ScopeStreet:
		default:
			report("scope %q is not one of %s", p.Scope, strings.Join(Scopes, ", "))
			continue
		}
		if p.Site == "" {
			report("a %s entry needs the site it belongs to (site: the id of a folder under %s/)", p.Scope, SitesDir)
			continue
		}
		site, ok := sites.Get(p.Site)
		switch {
		case !ok:
			report("site %q is not a site of the corpus", p.Site)
		case p.Scope == ScopeDistrict && site.Level != LevelDistrict:
			report("a %s entry belongs to a district, and %s is a %s", ScopeDistrict, p.Site, site.Level)
		case p.Scope == ScopeStreet && site.Level != LevelStreet:
			report("a %s entry belongs to a street, and %s is a %s", ScopeStreet, p.Site, site.Level)
		}
	}
	return probs
}

// Resolve sets each site's Locations from the places file (a loader's
// own sites, before they are shared).
func (s *Sites) Resolve(places map[string]Location) {
	for _, site := range s.List {
		site.Locations = nil
		for _, id := range site.Places {
			if loc, ok := places[id]; ok {
				site.Locations = append(site.Locations, loc)
			}
		}
	}
}

// sitesLinePrefix starts the sites line of a JSONL corpus.
const sitesLinePrefix = `{"sites":`

// SitesLine is the sites line of a JSONL corpus (without its line break).
func SitesLine(s *Sites) ([]byte, error) {
	if s == nil || len(s.List) == 0 {
		return nil, nil
	}
	// Each site's places travel resolved, as an entry's do.
	data, err := json.Marshal(struct {
		Sites []*Site `json:"sites"`
	}{s.List})
	if err != nil {
		return nil, fmt.Errorf("write the sites: %w", err)
	}
	if len(data) > MaxLineBytes {
		return nil, fmt.Errorf("write the sites: they take %d bytes as a line of JSON, more than the %s a line may hold", len(data), sizeText(MaxLineBytes))
	}
	return data, nil
}

// parseSitesLine decodes the sites line of a JSONL corpus.
func parseSitesLine(name string, line int, text []byte) (*Sites, Problems) {
	var reg struct {
		Sites []*Site `json:"sites"`
	}
	if err := json.Unmarshal(text, &reg); err != nil {
		return nil, Problems{{File: name, Line: line, Message: "the sites line: " + err.Error()}}
	}
	for _, s := range reg.Sites {
		s.Source = fmt.Sprintf("%s:%d", name, line)
	}
	return NewSites(reg.Sites), nil
}

// embeddedSites are the sites built into the binary, for corpora that
// carry none.
func embeddedSites() *Sites {
	names, err := fs.Glob(embedded, SitesDir+"/*/"+SiteFile)
	if err != nil {
		panic(err)
	}
	var list []*Site
	for _, name := range names {
		data, err := embedded.ReadFile(name)
		if err != nil {
			panic(err)
		}
		site, probs := ParseSite("corpus/"+name, path.Base(path.Dir(name)), data)
		if len(probs) > 0 {
			panic(fmt.Sprintf("the embedded sites: %v", probs))
		}
		list = append(list, site)
	}
	data, err := embedded.ReadFile(PlacesFile)
	if err != nil {
		panic(err)
	}
	places, _ := ParsePlaces("corpus/"+PlacesFile, data)
	s := NewSites(list)
	if probs := CheckSites(s, places, nil); len(probs) > 0 {
		panic(fmt.Sprintf("the embedded sites: %v", probs))
	}
	s.Resolve(places)
	return s
}

// builtinSites are the embedded sites, read once.
var builtinSites = sync.OnceValue(embeddedSites)

// BuiltinSites returns the sites built into the binary.
func BuiltinSites() *Sites { return builtinSites() }
