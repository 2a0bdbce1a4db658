package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/corpus/entrystore"
	"yicha/web/admins"
)

// mayChange reports whether an admin may change an entry of owner (an
// entry's corpus.Policy.Owner): an admin without a site, or of a district
// (a top-level site), keeps the whole base; a street's admin that street's
// entries only.
func (s *Server) mayChange(a admins.Admin, owner string) bool {
	if a.Site == "" {
		return true
	}
	sites := s.cfg.Searcher.Corpus().Sites
	site, ok := sites.Get(a.Site)
	if !ok {
		return false
	}
	if site.Parent == "" {
		return true
	}
	return owner != "" && slices.Contains(sites.Lineage(owner), site)
}

// errOutsideSite answers a change an admin's site does not cover.
var errOutsideSite = echo.NewHTTPError(http.StatusForbidden, "这个条目不属于您管理的站点，不能修改")

// entriesOf is the entry store as the request's admin may change it:
// every change of an entry the admin's site does not cover — as it is
// published, as drafted, or as the change would make it — is refused
// with errOutsideSite before it reaches the store.
func (s *Server) entriesOf(c echo.Context) entrystore.Store {
	a := currentAdmin(c)
	if a.Site == "" {
		return s.cfg.Entries
	}
	return &siteEntries{Store: s.cfg.Entries, may: func(owner string) bool { return s.mayChange(a, owner) }}
}

// siteEntries is an entry store limited to the entries may allows.
type siteEntries struct {
	entrystore.Store
	may func(owner string) bool
}

// ownerOf is the owner an entry's body gives it ("" for a city entry,
// or a body that does not parse: the store's checks refuse that).
func ownerOf(body []byte) string {
	if p, _ := corpus.ParsePolicy("entry", "entry", body); p != nil {
		return p.Owner()
	}
	return ""
}

// allowed checks the entry as it stands (published and drafted) and the
// bodies a change would give it.
func (e *siteEntries) allowed(ctx context.Context, id string, bodies ...[]byte) error {
	cur, err := e.Store.Get(ctx, id)
	switch {
	case err == nil:
		bodies = append(bodies, bodiesOf(cur)...)
	case len(bodies) == 0:
		return err
	}
	for _, b := range bodies {
		if len(b) > 0 && !e.may(ownerOf(b)) {
			return errOutsideSite
		}
	}
	return nil
}

// List returns the entries the admin may change: those whose published
// body and draft all belong to the admin's site.
func (e *siteEntries) List(ctx context.Context) ([]*entrystore.Entry, error) {
	es, err := e.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(es, func(en *entrystore.Entry) bool {
		return slices.ContainsFunc(bodiesOf(en), func(b []byte) bool { return len(b) > 0 && !e.may(ownerOf(b)) })
	}), nil
}

// bodiesOf is an entry as it stands: its published body and its draft's.
func bodiesOf(e *entrystore.Entry) [][]byte {
	var out [][]byte
	if v := e.Current(); v != nil {
		out = append(out, v.Body)
	}
	if e.Draft != nil {
		out = append(out, e.Draft.Body)
	}
	return out
}

func (e *siteEntries) SaveDraft(ctx context.Context, id string, body []byte, exp entrystore.Expect, by entrystore.Change) (*entrystore.Entry, error) {
	if err := e.allowed(ctx, id, body); err != nil {
		return nil, err
	}
	return e.Store.SaveDraft(ctx, id, body, exp, by)
}

func (e *siteEntries) RequestReview(ctx context.Context, id string, exp entrystore.Expect, by entrystore.Change) (*entrystore.Entry, error) {
	if err := e.allowed(ctx, id); err != nil {
		return nil, err
	}
	return e.Store.RequestReview(ctx, id, exp, by)
}

func (e *siteEntries) Publish(ctx context.Context, id string, exp entrystore.Expect, by entrystore.Change, check entrystore.Check) (*entrystore.Entry, error) {
	if err := e.allowed(ctx, id); err != nil {
		return nil, err
	}
	return e.Store.Publish(ctx, id, exp, by, check)
}

// PutSupport guards an entry's cases (cases/ID.yaml) as the entry itself;
// the pages of the other supporting files check who may change them.
func (e *siteEntries) PutSupport(ctx context.Context, name string, body []byte, by entrystore.Change, check entrystore.Check) error {
	if id, ok := corpus.CasesIDOf(name); ok {
		if err := e.allowed(ctx, id); err != nil {
			return err
		}
	}
	return e.Store.PutSupport(ctx, name, body, by, check)
}

func (e *siteEntries) Rollback(ctx context.Context, id string, to int, exp entrystore.Expect, by entrystore.Change, check entrystore.Check) (*entrystore.Entry, error) {
	cur, err := e.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	var target [][]byte
	if v, ok := cur.Version(to); ok {
		target = append(target, v.Body)
	}
	if err := e.allowed(ctx, id, target...); err != nil {
		return nil, err
	}
	return e.Store.Rollback(ctx, id, to, exp, by, check)
}

func (e *siteEntries) Retire(ctx context.Context, id string, exp entrystore.Expect, by entrystore.Change, check entrystore.Check) (*entrystore.Entry, error) {
	if err := e.allowed(ctx, id); err != nil {
		return nil, err
	}
	return e.Store.Retire(ctx, id, exp, by, check)
}

// rollUp lists the sites whose records a site's pages count: the site and
// every site under it; a top-level site's also takes records kept before
// sites were recorded (site ""). An unknown site gives nil: every record.
func (s *Server) rollUp(id string) []string {
	sites := s.cfg.Searcher.Corpus().Sites
	site, ok := sites.Get(id)
	if !ok {
		return nil
	}
	var out []string
	if site.Parent == "" {
		out = append(out, "")
	}
	var walk func(string)
	walk = func(id string) {
		out = append(out, id)
		for _, ch := range sites.Children(id) {
			walk(ch.ID)
		}
	}
	walk(id)
	return out
}

// adminSites lists the sites whose records (feedback, questions) the
// request's admin sees: every record for an admin without a site, else
// the roll-up of theirs.
func (s *Server) adminSites(c echo.Context) []string {
	a := currentAdmin(c)
	if a.Site == "" {
		return nil
	}
	return s.rollUp(a.Site)
}
