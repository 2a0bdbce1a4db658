package web

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"yicha/corpus"
	"yicha/corpus/entrystore"
	"yicha/web/admins"
)

// sitesPages is the path of the sites' admin pages: the list, with the
// form that adds a street, and each site's form (its name, intro,
// hotline and offices). A save is published at once: the site's file
// and the places file are supporting files of the entry store
// (entrystore.PutSupport), checked with the corpus they make, and the
// index is rebuilt, so a street added here is served at /s/ID/.
const sitesPages = "/admin/sites"

func (s *Server) siteAdminRoutes() {
	e := s.echo
	small := middleware.BodyLimit("64K") // as every other post
	e.Match(getAndHead, sitesPages, s.sitesListPage, s.signedInPage)
	e.POST(sitesPages, s.siteNewPost, small, s.adminForm, publisherOnly)
	e.Match(getAndHead, sitesPages+"/:id", s.siteEditPage, s.signedInPage)
	e.POST(sitesPages+"/:id", s.siteEditPost, small, s.adminForm, publisherOnly)
}

// loadCheck is what a change of a supporting file checks: the corpus it
// makes loads (every entry, the places, the documents and the sites).
func loadCheck(ctx context.Context, snap *entrystore.Snapshot) (*corpus.Corpus, error) {
	return snap.Corpus(ctx)
}

// problemText is a refused change's reason for a page, and whether the
// error is a refusal (problems or invalid input) at all.
func problemText(err error) (string, bool) {
	var ce *corpus.CheckError
	switch {
	case errors.As(err, &ce):
		msgs := make([]string, 0, len(ce.Problems))
		for _, p := range ce.Problems {
			msgs = append(msgs, p.Message)
		}
		return strings.Join(msgs, "；"), true
	case errors.Is(err, entrystore.ErrInvalid):
		return err.Error(), true
	}
	return "", false
}

type siteRowView struct {
	ID, Name, Level, Parent string
}

type sitesListView struct {
	Admin   admins.Admin
	CSRF    string
	Message string
	// Error is why the new street was refused; Form what was sent.
	Error string
	Form  url.Values
	Rows  []siteRowView
	// CanAdd: a publisher of the district (or of every site) may add a
	// street; Parents are the sites a new street may belong to.
	CanAdd  bool
	Parents []*corpus.Site
}

// mayAddSite reports whether an admin may add a site: a publisher
// without a site or of a district.
func (s *Server) mayAddSite(a admins.Admin) bool { return a.CanPublish() && s.mayChange(a, "") }

func (s *Server) sitesListPage(c echo.Context) error {
	return s.renderSites(c, http.StatusOK, "", nil)
}

func (s *Server) renderSites(c echo.Context, status int, problem string, form url.Values) error {
	se, _ := s.session(c)
	a := currentAdmin(c)
	v := sitesListView{Admin: a, CSRF: se.CSRF, Message: c.QueryParam("msg"), Error: problem, Form: form, CanAdd: s.mayAddSite(a)}
	sites := s.cfg.Searcher.Corpus().Sites
	for _, site := range sites.List {
		if !s.mayChange(a, site.ID) {
			continue
		}
		r := siteRowView{ID: site.ID, Name: site.Name, Level: site.Level}
		if p, ok := sites.Get(site.Parent); ok {
			r.Parent = p.Name
		}
		v.Rows = append(v.Rows, r)
		if site.Level == corpus.LevelDistrict {
			v.Parents = append(v.Parents, site)
		}
	}
	return s.render.render(c, status, "admin_sites", s.page(c, "站点管理", v))
}

// formText is a form field, trimmed and valid UTF-8.
func formText(c echo.Context, name string) string {
	return clean(c.Request().PostFormValue(name))
}

// siteNewPost adds a street under a district: its file with name, parent,
// intro and the source of its name; its offices are added on its own
// form.
func (s *Server) siteNewPost(c echo.Context) error {
	if !s.mayAddSite(currentAdmin(c)) {
		return errOutsideSite
	}
	ctx := c.Request().Context()
	id := formText(c, "id")
	site := &corpus.Site{ID: id, Name: formText(c, "name"), Level: corpus.LevelStreet, Parent: formText(c, "parent"), Intro: formText(c, "intro"),
		Sources: []corpus.Citation{{Title: formText(c, "source-title"), URL: formText(c, "source-url"), Publisher: formText(c, "source-publisher"),
			Date: formText(c, "source-date"), Retrieved: corpus.Today(s.cfg.Now())}}}
	refuse := func(msg string) error {
		c.Request().PostForm.Del("csrf")
		return s.renderSites(c, http.StatusUnprocessableEntity, "未新增："+msg, c.Request().PostForm)
	}
	if _, ok := corpus.SiteIDOf(corpus.SiteFilePath(id)); !ok {
		return refuse("站点编号只能用小写字母、数字和 -")
	}
	if _, ok := s.cfg.Searcher.Corpus().Sites.Get(id); ok {
		return refuse("已有编号为 " + id + " 的站点")
	}
	body, err := corpus.EncodeSite(site, nil)
	if err != nil {
		return err
	}
	if err := s.cfg.Entries.PutSupport(ctx, corpus.SiteFilePath(id), body, s.change(c, formText(c, "note")), loadCheck); err != nil {
		if msg, ok := problemText(err); ok {
			return refuse(msg)
		}
		return err
	}
	s.rebuildAfterSupport(ctx, id)
	return c.Redirect(http.StatusSeeOther, sitesPages+"/"+id+"?msg="+url.QueryEscape("已新增并发布站点 "+site.Name+"：请添加它的办事地点"))
}

// rebuildAfterSupport rebuilds the index after a supporting file changed;
// a failure is logged and shows in the index status.
func (s *Server) rebuildAfterSupport(ctx context.Context, what string) {
	if _, err := s.rebuild(ctx); err != nil {
		s.cfg.Logger.Error("rebuilding after a supporting file changed", "site", what, "error", err)
	}
}

type placeFormView struct {
	ID string
	corpus.Location
	// Shared: another site lists the office too, and the admin may not
	// change that site, so the form shows its facts without fields.
	Shared bool
}

// sourceFormView is one of a site's sources on its form, by its index.
type sourceFormView struct {
	Index int
	corpus.Citation
}

// citationFields are the fields of a source on the site form, after its
// prefix.
var citationFields = []string{"title", "url", "publisher", "date", "retrieved", "note"}

// placeFields are the fields of an office on the site form, after its
// prefix.
var placeFields = []string{"name", "address", "hours", "phone", "note"}

// sentAny reports whether the form sent any of the fields after prefix:
// it did not when it showed them without fields.
func sentAny(c echo.Context, prefix string, fields []string) bool {
	return slices.ContainsFunc(fields, func(f string) bool { return c.Request().PostForm.Has(prefix + f) })
}

// citationForm reads the source whose fields start with prefix; sent is
// false when none of them was sent (the form did not show them).
func citationForm(c echo.Context, prefix string) (cit corpus.Citation, sent bool) {
	sent = sentAny(c, prefix, citationFields)
	cit = corpus.Citation{Title: formText(c, prefix+"title"), URL: formText(c, prefix+"url"), Publisher: formText(c, prefix+"publisher"),
		Date: formText(c, prefix+"date"), Retrieved: formText(c, prefix+"retrieved"), Note: formText(c, prefix+"note")}
	return cit, sent
}

// sameLocation compares two places by their facts and their sources'.
func sameLocation(a, b corpus.Location) bool {
	as, bs := a.Source, b.Source
	a.Source, b.Source = nil, nil
	return a == b && (as == nil) == (bs == nil) && (as == nil || *as == *bs)
}

type siteEditView struct {
	CSRF, Message, Error string
	Site                 *corpus.Site
	Sources              []sourceFormView
	Hotline              corpus.Hotline
	// Inherited is the hotline the site answers with when it sets none.
	Inherited  *corpus.Hotline
	Places     []placeFormView
	CanPublish bool
}

// mayChangePlace reports whether an admin may change an office's facts:
// every site that lists it is one the admin may change (an office a
// street shares with its district is the district's to change).
func (s *Server) mayChangePlace(a admins.Admin, id string) bool {
	for _, site := range s.cfg.Searcher.Corpus().Sites.List {
		if slices.Contains(site.Places, id) && !s.mayChange(a, site.ID) {
			return false
		}
	}
	return true
}

// siteFiles reads a site as the store publishes it: its file and the
// places file.
func (s *Server) siteFiles(ctx context.Context, id string) (*entrystore.Snapshot, *corpus.Site, map[string]corpus.Location, error) {
	snap, err := s.cfg.Entries.Snapshot(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	data, ok := snap.Support[corpus.SiteFilePath(id)]
	if !ok {
		return nil, nil, nil, echo.NewHTTPError(http.StatusNotFound, "没有这个站点")
	}
	site, probs := corpus.ParseSite(corpus.SiteFilePath(id), id, data)
	places, p := corpus.ParsePlaces(corpus.PlacesFile, snap.Support[corpus.PlacesFile])
	if probs = append(probs, p...); len(probs) > 0 {
		return nil, nil, nil, &corpus.CheckError{Problems: probs}
	}
	return snap, site, places, nil
}

func (s *Server) siteEditPage(c echo.Context) error {
	return s.renderSite(c, http.StatusOK, "")
}

func (s *Server) renderSite(c echo.Context, status int, problem string) error {
	id := c.Param("id")
	if !s.mayChange(currentAdmin(c), id) {
		return errOutsideSite
	}
	_, site, places, err := s.siteFiles(c.Request().Context(), id)
	if err != nil {
		return err
	}
	se, _ := s.session(c)
	v := siteEditView{CSRF: se.CSRF, Message: c.QueryParam("msg"), Error: problem, Site: site, CanPublish: currentAdmin(c).CanPublish()}
	if site.Hotline != nil {
		v.Hotline = *site.Hotline
	} else {
		v.Inherited = s.cfg.Searcher.Corpus().Sites.HotlineOf(site.Parent)
	}
	for i, src := range site.Sources {
		v.Sources = append(v.Sources, sourceFormView{Index: i, Citation: src})
	}
	for _, p := range site.Places {
		v.Places = append(v.Places, placeFormView{ID: p, Location: places[p], Shared: !s.mayChangePlace(currentAdmin(c), p)})
	}
	return s.render.render(c, status, "admin_site", s.page(c, "站点："+site.Name, v))
}

// siteEditPost saves a site's form: its name, intro, hotline and sources
// (each as sent, a ticked 删除 dropping it, and a new one), each of its
// offices whose fields were sent, with its source (a ticked 移除 takes
// one off its list, the place itself stays), and a new office. The places
// file is written first, so the site's file names only places it holds.
func (s *Server) siteEditPost(c echo.Context) error {
	id := c.Param("id")
	if !s.mayChange(currentAdmin(c), id) {
		return errOutsideSite
	}
	ctx := c.Request().Context()
	snap, site, places, err := s.siteFiles(ctx, id)
	if err != nil {
		return err
	}
	prev := snap.Support[corpus.SiteFilePath(id)]
	site.Name, site.Intro = formText(c, "name"), formText(c, "intro")
	site.Hotline = nil
	if h := (corpus.Hotline{Name: formText(c, "hotline-name"), Phone: formText(c, "hotline-phone")}); h != (corpus.Hotline{}) {
		site.Hotline = &h
	}
	// Its sources: each as sent (a ticked 删除 drops it), then a new one.
	var sources []corpus.Citation
	for i, src := range site.Sources {
		prefix := fmt.Sprintf("src-%d-", i)
		cit, sent := citationForm(c, prefix)
		switch {
		case !sent:
			sources = append(sources, src)
		case c.Request().PostFormValue("remove-"+prefix[:len(prefix)-1]) == "":
			sources = append(sources, cit)
		}
	}
	if cit, _ := citationForm(c, "src-new-"); cit != (corpus.Citation{}) {
		cit.Retrieved = cmp.Or(cit.Retrieved, corpus.Today(s.cfg.Now()))
		sources = append(sources, cit)
	}
	site.Sources = sources
	placesFile := snap.Support[corpus.PlacesFile]
	setPlace := func(pid string, loc corpus.Location) error {
		if placesFile, err = corpus.SetPlace(placesFile, pid, loc); err != nil {
			return echo.NewHTTPError(http.StatusUnprocessableEntity, err.Error())
		}
		return nil
	}
	var keep []string
	for _, pid := range site.Places {
		if c.Request().PostFormValue("remove-"+pid) != "" {
			continue
		}
		keep = append(keep, pid)
		if !sentAny(c, "place-"+pid+"-", placeFields) {
			continue // shown without fields (Shared): as it stands
		}
		loc := places[pid]
		loc.Name, loc.Address, loc.Hours, loc.Phone, loc.Note = formText(c, "place-"+pid+"-name"), formText(c, "place-"+pid+"-address"),
			formText(c, "place-"+pid+"-hours"), formText(c, "place-"+pid+"-phone"), formText(c, "place-"+pid+"-note")
		if cit, sent := citationForm(c, "place-"+pid+"-src-"); sent {
			loc.Source = nil
			if cit != (corpus.Citation{}) {
				loc.Source = &cit
			}
		}
		if !sameLocation(loc, places[pid]) {
			if !s.mayChangePlace(currentAdmin(c), pid) {
				return errOutsideSite
			}
			if err := setPlace(pid, loc); err != nil {
				return err
			}
		}
	}
	if pid := formText(c, "new-id"); pid != "" {
		if _, taken := places[pid]; taken && !slices.Contains(site.Places, pid) {
			// An office another site already lists: this site lists it
			// too, as it stands.
			keep = append(keep, pid)
		} else if !slices.Contains(keep, pid) {
			loc := corpus.Location{Name: formText(c, "new-name"), Address: formText(c, "new-address"), Hours: formText(c, "new-hours"),
				Phone: formText(c, "new-phone"), Note: formText(c, "new-note")}
			if err := setPlace(pid, loc); err != nil {
				return err
			}
			keep = append(keep, pid)
		}
	}
	site.Places = keep
	body, err := corpus.EncodeSite(site, prev)
	if err != nil {
		return err
	}
	by := s.change(c, formText(c, "note"))
	if !bytes.Equal(placesFile, snap.Support[corpus.PlacesFile]) {
		err = s.cfg.Entries.PutSupport(ctx, corpus.PlacesFile, placesFile, by, loadCheck)
	}
	if err == nil && !bytes.Equal(body, prev) {
		err = s.cfg.Entries.PutSupport(ctx, corpus.SiteFilePath(id), body, by, loadCheck)
	}
	if err != nil {
		if msg, ok := problemText(err); ok {
			s.rebuildAfterSupport(ctx, id) // the places file may have been saved
			return s.renderSite(c, http.StatusUnprocessableEntity, "未保存："+msg)
		}
		return err
	}
	s.rebuildAfterSupport(ctx, id)
	return c.Redirect(http.StatusSeeOther, sitesPages+"/"+id+"?msg="+url.QueryEscape("已保存并发布"))
}
