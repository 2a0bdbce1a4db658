package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/corpus/entrystore"
)

// The public changelog 「政策更新」 (/updates) and its Atom feed
// (/feed.xml): recent publications — new entries, changes, rollbacks and
// withdrawals — with what changed in plain words, so caseworkers and
// residents can follow them.
//
// With the entry store (--admins) the list comes from its versions. The
// entries the store was seeded with, and every entry when there is no
// store (the embedded corpus or --corpus, kept in files that record no
// history), are listed by their own dates instead: the later of the day
// the entry says its information was updated (updated) and the day staff
// last checked it (verified). That is what the corpus knows of its
// changes; it cannot say which fields changed.

// MaxUpdates is how many publications the changelog and the feed list.
const MaxUpdates = 50

// Kinds of update.
const (
	updateNew      = "new"
	updateChanged  = "changed"
	updateRollback = "rollback"
	updateRetired  = "retired"
	// updateUpdated and updateVerified come from an entry's own dates.
	updateUpdated  = "updated"
	updateVerified = "verified"
)

// update is one publication the changelog lists.
type update struct {
	ID, Title string
	Kind      string
	At        time.Time
	// Version is the store's version (0 for one read from the dates).
	Version int
	// Changed names the fields that changed; From is the version a
	// rollback restored; Note says why an entry was withdrawn.
	Changed []string
	From    int
	Note    string
}

// Text says what happened in plain words: 「修改了：办理材料、受理地点」.
func (u update) Text() string {
	changed := strings.Join(u.Changed, "、")
	switch u.Kind {
	case updateNew:
		return "新增"
	case updateChanged:
		if changed == "" {
			return "重新发布，内容没有变化"
		}
		return "修改了：" + changed
	case updateRollback:
		if changed == "" {
			return fmt.Sprintf("恢复为第 %d 版", u.From)
		}
		return fmt.Sprintf("恢复为第 %d 版，修改了：%s", u.From, changed)
	case updateRetired:
		if u.Note != "" {
			return "已撤下。说明：" + u.Note
		}
		return "已撤下"
	case updateVerified:
		return "工作人员核对了信息"
	}
	return "更新了政策信息"
}

// Label is the kind of update in one word, for a tag.
func (u update) Label() string {
	switch u.Kind {
	case updateNew:
		return "新增"
	case updateChanged:
		return "修改"
	case updateRollback:
		return "恢复"
	case updateRetired:
		return "撤下"
	case updateVerified:
		return "核对"
	}
	return "更新"
}

// Day is the day of the update as residents read it.
func (u update) Day() string { return dateText(corpus.Today(u.At)) }

// Retired reports whether the update withdrew the entry.
func (u update) Retired() bool { return u.Kind == updateRetired }

// newestFirst orders updates newest first, then by entry and version.
func newestFirst(a, b update) int {
	if c := b.At.Compare(a.At); c != 0 {
		return c
	}
	if c := strings.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	return cmp.Compare(b.Version, a.Version)
}

// datedUpdate is an entry's update as its own dates tell it: the later of
// updated and verified, as the start of that day in Shanghai.
func datedUpdate(p *corpus.Policy) (update, bool) {
	u := update{ID: p.ID, Title: p.Title, Kind: updateUpdated}
	day, err := corpus.ParseDate(p.Updated)
	if v, verr := corpus.ParseDate(p.Verified); verr == nil && (err != nil || v.After(day)) {
		day, err, u.Kind = v, nil, updateVerified
	}
	if err != nil {
		return update{}, false
	}
	u.At = day
	return u, true
}

// corpusUpdates lists the entries of a corpus that keep allows by their
// own dates.
func corpusUpdates(c *corpus.Corpus, limit int, keep func(id string) bool) []update {
	var out []update
	for _, p := range c.Policies {
		if !keep(p.ID) {
			continue
		}
		if u, ok := datedUpdate(p); ok {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, newestFirst)
	return out[:min(limit, len(out))]
}

// versionUpdates are the updates of an entry's versions, each compared
// with the one before; a seeded version is dated by its body.
func versionUpdates(e *entrystore.Entry) []update {
	var out []update
	for i, v := range e.Versions {
		p, _ := corpus.ParsePolicy(entrystore.File(e.ID), e.ID, v.Body)
		if v.Action == entrystore.ActionSeed {
			if p != nil {
				if u, ok := datedUpdate(p); ok {
					out = append(out, u)
				}
			}
			continue
		}
		u := update{ID: e.ID, Title: e.ID, At: v.At, Version: v.Number, From: v.From}
		if p != nil {
			u.Title = p.Title
		}
		var prev []byte
		if i > 0 {
			prev = e.Versions[i-1].Body
		}
		switch {
		case v.Retired():
			u.Kind, u.Note = updateRetired, v.Note
		case prev == nil:
			u.Kind = updateNew
		default:
			u.Kind = updateChanged
			if v.Action == entrystore.ActionRollback {
				u.Kind = updateRollback
			}
			if ds, err := entrystore.CompareFields(prev, v.Body); err == nil {
				u.Changed = changedFields(ds)
			}
		}
		out = append(out, u)
	}
	return out
}

// storeUpdates lists the store's recent publications of the entries keep
// allows. Only the entries whose latest version is among the most recent
// are read in full: an entry's versions are never newer than its latest.
func storeUpdates(ctx context.Context, store entrystore.Store, limit int, keep func(id string) bool) ([]update, error) {
	es, err := store.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []update
	var edited []*entrystore.Entry
	for _, e := range es {
		cur := e.Current()
		switch {
		case cur == nil || !keep(e.ID):
		case cur.Action == entrystore.ActionSeed:
			out = append(out, versionUpdates(e)...)
		default:
			edited = append(edited, e)
		}
	}
	slices.SortFunc(edited, func(a, b *entrystore.Entry) int { return b.Current().At.Compare(a.Current().At) })
	for _, e := range edited[:min(limit, len(edited))] {
		full, err := store.Get(ctx, e.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, versionUpdates(full)...)
	}
	slices.SortFunc(out, newestFirst)
	return out[:min(limit, len(out))], nil
}

// updatesCache keeps each site's list for the index generation it was
// made at: every publication rebuilds the index, so a new generation is
// the only time a list can change.
type updatesCache struct {
	mu    sync.Mutex
	gen   uint64
	lists map[string][]update
}

// recentUpdates returns a site's changelog, from the store if there is
// one: the MaxUpdates most recent updates of the entries the site shows
// (an entry no longer served, withdrawn, stays in every site's list).
func (s *Server) recentUpdates(ctx context.Context, site string) ([]update, error) {
	gen := s.cfg.Searcher.Generation()
	s.updates.mu.Lock()
	defer s.updates.mu.Unlock()
	if s.updates.gen != gen || s.updates.lists == nil {
		s.updates.gen, s.updates.lists = gen, map[string][]update{}
	}
	if list, ok := s.updates.lists[site]; ok {
		return list, nil
	}
	cp := s.cfg.Searcher.Corpus()
	keep := func(id string) bool {
		p, ok := cp.Get(id)
		return !ok || cp.Sites.ShownOn(p, site)
	}
	var list []update
	if s.cfg.Entries != nil {
		var err error
		if list, err = storeUpdates(ctx, s.cfg.Entries, MaxUpdates, keep); err != nil {
			return nil, err
		}
	} else {
		list = corpusUpdates(cp, MaxUpdates, keep)
	}
	s.updates.lists[site] = list
	return list, nil
}

type updatesView struct {
	Updates []update
	// FromDates is set when the list comes from the entries' own dates.
	FromDates bool
}

// siteUpdates are the recent updates of the request's site.
func (s *Server) siteUpdates(c echo.Context) ([]update, error) {
	site, err := s.requestSite(c)
	if err != nil {
		return nil, err
	}
	return s.recentUpdates(c.Request().Context(), site)
}

func (s *Server) updatesPage(c echo.Context) error {
	list, err := s.siteUpdates(c)
	if err != nil {
		return err
	}
	return s.render.render(c, http.StatusOK, "updates", s.page(c, "政策更新", updatesView{Updates: list, FromDates: s.cfg.Entries == nil}))
}

// Atom 1.0 (RFC 4287), as much of it as the feed uses.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID      string     `xml:"id"`
	Title   string     `xml:"title"`
	Updated string     `xml:"updated"`
	Links   []atomLink `xml:"link"`
	Summary string     `xml:"summary"`
}

// siteURL is the site's configured public address, else its address as
// the person reached it.
func (s *Server) siteURL(c echo.Context) string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	scheme := "http"
	if s.secure(c) {
		scheme = "https"
	}
	return scheme + "://" + c.Request().Host
}

// atomOf writes the changelog as an Atom feed. An entry's id names the
// entry and its version (or, for one dated by the corpus, its day), so it
// never changes; the feed is as new as its newest entry.
func atomOf(base string, list []update, now time.Time) atomFeed {
	f := atomFeed{ID: base + "/updates", Title: "易查 · 政策更新", Author: atomPerson{Name: "易查"},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/feed.xml"}, {Rel: "alternate", Type: "text/html", Href: base + "/updates"}}}
	updated := now
	if len(list) > 0 {
		updated = list[0].At
	}
	f.Updated = updated.UTC().Format(time.RFC3339)
	for _, u := range list {
		tag := "v" + strconv.Itoa(u.Version)
		if u.Version == 0 {
			tag = corpus.Today(u.At)
		}
		f.Entries = append(f.Entries, atomEntry{
			ID:      base + "/updates#" + url.PathEscape(u.ID) + "-" + tag,
			Title:   u.Title + "：" + u.Text(),
			Updated: u.At.UTC().Format(time.RFC3339),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: base + "/policies/" + url.PathEscape(u.ID)}},
			Summary: u.Day() + " " + u.Text(),
		})
	}
	return f
}

func (s *Server) feed(c echo.Context) error {
	list, err := s.siteUpdates(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	base := s.siteURL(c)
	if id, ok := pathSite(c); ok {
		base += sitesPath + id // a street's feed links to the street's pages
	}
	if err := enc.Encode(atomOf(base, list, s.cfg.Now())); err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", b.Bytes())
}
