package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
)

// The 办事清单 (worklist): entries a person gathers from results and policy
// pages to take along, merged into one printable page. The list lives in
// the address alone — /list?ids=a,b,c — so it needs no cookie, no account
// and no script, and the address is the link to share. Other pages carry
// the list being gathered in their ?list= parameter, so that 加入清单 on
// them adds to it.

// MaxListEntries is how many entries a 办事清单 holds.
const MaxListEntries = 20

// errListTooLong is a list of more than MaxListEntries entries.
var errListTooLong = fmt.Errorf("办事清单最多 %d 项", MaxListEntries)

// parseListIDs reads the ids of a list, "a,b,c": spaces trimmed, empty
// items and repeats dropped, in the order given. It fails on an id no
// entry could have and on more than MaxListEntries ids.
func parseListIDs(s string) ([]string, error) {
	var ids []string
	for _, id := range strings.Split(s, ",") {
		id = strings.TrimSpace(id)
		if id == "" || slices.Contains(ids, id) {
			continue
		}
		if !corpus.ValidID(id) {
			return nil, fmt.Errorf("“%s”不是政策的编号", shorten(id, 40))
		}
		if len(ids) == MaxListEntries {
			return nil, errListTooLong
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// listHref is the address of a list: the page that shows it and the link
// to share. Ids are slugs (corpus.ValidID), so they need no escaping.
func listHref(ids []string) string {
	return "/list?ids=" + strings.Join(ids, ",")
}

// listAdd is how an entry's page or hit offers to add it to the list being
// gathered.
type listAdd struct {
	// Href adds the entry; empty when it is in the list already or the
	// list is full.
	Href string
	In   bool
	Full bool
	// View is the list's page, when it has entries.
	View string
}

// addToList decides the 加入清单 link of entry id given the list so far.
func addToList(list []string, id string) *listAdd {
	a := &listAdd{}
	if len(list) > 0 {
		a.View = listHref(list)
	}
	switch {
	case slices.Contains(list, id):
		a.In = true
	case len(list) >= MaxListEntries:
		a.Full = true
	default:
		a.Href = listHref(append(slices.Clone(list), id)) + "#added"
	}
	return a
}

// withList gives hits their 加入清单 links and makes their own links keep
// the list, so that it is still there on the entry's page.
func withList(hits []hitView, list []string) {
	addLinks(hits, list)
	if len(list) == 0 {
		return
	}
	for i := range hits {
		sep := "?"
		if hits[i].Query != "" {
			sep = "&"
		}
		hits[i].Query += sep + "list=" + strings.Join(list, ",")
	}
}

// addLinks gives hits their 加入清单 links.
func addLinks(hits []hitView, list []string) {
	for i := range hits {
		hits[i].List = addToList(list, hits[i].ID)
	}
}

// pageList is the list a page carries in ?list=; an unreadable one is
// ignored there (only the list's own page reports it).
func pageList(c echo.Context) []string {
	ids, err := parseListIDs(c.QueryParam("list"))
	if err != nil {
		return nil
	}
	return ids
}

// listEntry is one entry of a list as its page shows it.
type listEntry struct {
	N          int
	P          *corpus.Policy
	Href       string
	RemoveHref string
	Expired    bool
}

// listItem is a material or a place with the numbers of the entries that
// need it.
type listItem struct {
	Name    string
	Loc     corpus.Location
	Entries []int
}

// listView is the merged list.
type listView struct {
	Entries   []listEntry
	Materials []listItem
	Places    []listItem
	// Centres are the streets' 社区事务受理服务中心, folded into one line
	// with the entries handled at any of them.
	Centres        []corpus.Location
	CentresEntries []int
	// Missing are ids with no entry (withdrawn, or mistyped).
	Missing []string
	// Share is the list's full address, Search continues gathering.
	Share  string
	Search string
}

// materialKey makes near-identical names of one document the same key:
// full- and half-width punctuation, spaces, a closing full stop, and the
// synonyms 居民身份证/身份证 and 社保卡/社会保障卡. Different documents
// keep different keys: nothing is cut from a name but these.
func materialKey(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '（':
			r = '('
		case r == '）':
			r = ')'
		case r == '，':
			r = ','
		case r == '；':
			r = ';'
		case r == '：':
			r = ':'
		case r == '\u3000' || r == ' ' || r == '\t' || r == '\n':
			continue
		}
		b.WriteRune(r)
	}
	k := strings.TrimRight(b.String(), "。.;,")
	k = strings.ReplaceAll(k, "居民身份证", "身份证")
	k = strings.ReplaceAll(k, "社保卡", "社会保障卡")
	return k
}

// mergeList decides what a list's page shows from its entries: materials
// one line each with the entries that need them, places likewise, the
// streets' centres folded into one line.
func mergeList(entries []*corpus.Policy) listView {
	var v listView
	materials := map[string]int{}
	places := map[string]int{}
	centres := map[string]bool{}
	for i, p := range entries {
		n := i + 1
		for _, m := range p.Guide.Materials {
			k := materialKey(m)
			if k == "" {
				continue
			}
			j, ok := materials[k]
			if !ok {
				j = len(v.Materials)
				materials[k] = j
				v.Materials = append(v.Materials, listItem{Name: strings.TrimSpace(m)})
			}
			if !slices.Contains(v.Materials[j].Entries, n) {
				v.Materials[j].Entries = append(v.Materials[j].Entries, n)
			}
		}
		for _, l := range p.Locations {
			if streetOf(l, corpus.Subdistricts) != "" {
				if !centres[l.Name] {
					centres[l.Name] = true
					v.Centres = append(v.Centres, l)
				}
				if !slices.Contains(v.CentresEntries, n) {
					v.CentresEntries = append(v.CentresEntries, n)
				}
				continue
			}
			k := l.ID
			if k == "" {
				k = l.Name + "\x00" + l.Address
			}
			j, ok := places[k]
			if !ok {
				j = len(v.Places)
				places[k] = j
				v.Places = append(v.Places, listItem{Name: l.Name, Loc: l})
			}
			if !slices.Contains(v.Places[j].Entries, n) {
				v.Places[j].Entries = append(v.Places[j].Entries, n)
			}
		}
	}
	return v
}

// listPage shows a list: /list?ids=a,b,c.
func (s *Server) listPage(c echo.Context) error {
	ids, err := parseListIDs(c.QueryParam("ids"))
	if err != nil {
		s.htmlError(c, http.StatusBadRequest, "这个办事清单的地址有误："+err.Error()+"。请回到政策页面重新加入。")
		return nil
	}
	var found []*corpus.Policy
	var missing, kept []string
	for _, id := range ids {
		p, err := s.cfg.Searcher.Policy(id)
		if err != nil {
			missing = append(missing, id)
			continue
		}
		found = append(found, p)
		kept = append(kept, id)
	}
	v := mergeList(found)
	v.Missing = missing
	now := s.cfg.Now()
	for i, p := range found {
		others := slices.Delete(slices.Clone(kept), i, i+1)
		remove := "/list"
		if len(others) > 0 {
			remove = listHref(others)
		}
		v.Entries = append(v.Entries, listEntry{N: i + 1, P: p, Expired: p.Expired(now),
			Href: "/policies/" + p.ID + "?list=" + strings.Join(kept, ","), RemoveHref: remove})
	}
	v.Search = "/search"
	if len(kept) > 0 {
		v.Share = c.Scheme() + "://" + c.Request().Host + listHref(kept)
		v.Search += "?list=" + strings.Join(kept, ",")
	}
	status := http.StatusOK
	if len(ids) > 0 && len(found) == 0 {
		status = http.StatusNotFound
	}
	page := s.page(c, "办事清单", v)
	page.List = kept
	return s.render.render(c, status, "list", page)
}
