package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"gopkg.in/yaml.v3"

	"yicha/corpus"
	"yicha/corpus/entrystore"
	"yicha/web/admins"
)

// The editors' pages for entries: the list (/admin/policies), the form of
// an entry (/admin/policies/new, /admin/policies/{id}) and its preview
// (/admin/policies/{id}/preview). They are plain HTML forms that work
// without script: every post carries the session's CSRF value and ends in
// a redirect, or shows the form again with what was typed and the problems
// next to their fields. Saving, asking for review and publishing go
// through the same checks and store operations as the entries API.

const policiesPages = "/admin/policies"

// formRow is what a row template of the form receives: its index, the
// row (nil for the empty row at the end) and the page's view.
type formRow struct {
	I   int
	Row any
	V   *editView
}

func init() {
	// has reports whether a list holds a value: a ticked checkbox.
	templateFuncs["has"] = func(list []string, v string) bool { return slices.Contains(list, v) }
	templateFuncs["rowOf"] = func(i int, row any, v *editView) formRow { return formRow{I: i, Row: row, V: v} }
}

// MaxEntryForm bounds a post of the entry form: an entry of
// entrystore.MaxBody, form-encoded (a Chinese character takes 9 bytes).
const MaxEntryForm = "10M"

func (s *Server) policyPageRoutes() {
	e := s.echo
	limit := middleware.BodyLimit(MaxEntryForm)
	e.Match(getAndHead, policiesPages, s.policiesListPage, s.signedInPage)
	e.Match(getAndHead, policiesPages+"/new", s.policyNewPage, s.signedInPage)
	e.POST(policiesPages+"/new", s.policyFormPost, limit, s.adminForm)
	e.Match(getAndHead, policiesPages+"/:id", s.policyEditPage, s.signedInPage)
	e.POST(policiesPages+"/:id", s.policyFormPost, limit, s.adminForm)
	e.Match(getAndHead, policiesPages+"/:id/preview", s.policyPreviewPage, s.signedInPage)
	small := middleware.BodyLimit("64K") // as every other post
	e.POST(policiesPages+"/:id/review", s.policyReviewPost, small, s.adminForm)
	e.POST(policiesPages+"/:id/publish", s.policyPublishPost, small, s.adminForm)
	e.POST(policiesPages+"/:id/cases", s.policyCasesPost, small, s.adminForm)
}

// signedInPage sends a person without a session to the sign-in form.
func (s *Server) signedInPage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.sessionOK(c) {
			return c.Redirect(http.StatusSeeOther, "/admin")
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// Status labels of entries, as the pages show them.
func statusLabel(e *entrystore.Entry) string {
	switch e.Status() {
	case entrystore.StatusDraft:
		return "未发布（草稿）"
	case entrystore.StatusRetired:
		return "已撤下"
	}
	return "已发布"
}

func draftLabel(d *entrystore.Draft) string {
	if d == nil {
		return ""
	}
	if d.Review != nil {
		return fmt.Sprintf("待审核（%s 于 %s 提交）", d.Review.By, formatTime(d.Review.At))
	}
	return fmt.Sprintf("草稿（%s 于 %s 保存）", d.Author, formatTime(d.At))
}

type policyRowView struct {
	ID, Title, Category, Status, Verified, Draft string
	Review                                       bool
	Version                                      int
}

type policiesListView struct {
	Admin   admins.Admin
	CSRF    string
	Message string
	Rows    []policyRowView
	// Total counts every entry; Drafts and Reviews those with an open
	// draft and those waiting for review.
	Total   int
	Drafts  int
	Reviews int
	// Filters narrow the list (?show=): every entry, open drafts, those
	// waiting for review, retired ones.
	Filters []stateLink
}

// listFilters are the list's filters: ?show= and their labels.
var listFilters = []struct{ show, label string }{
	{"", "全部"}, {"draft", "有未发布的修改"}, {"review", "待审核"}, {"retired", "已撤下"},
}

// shown reports whether a row passes the ?show= filter.
func (r policyRowView) shown(show string, retired bool) bool {
	switch show {
	case "draft":
		return r.Draft != ""
	case "review":
		return r.Review
	case "retired":
		return retired
	}
	return true
}

func (s *Server) policiesListPage(c echo.Context) error {
	es, err := s.entriesOf(c).List(c.Request().Context())
	if err != nil {
		return err
	}
	se, _ := s.session(c)
	v := policiesListView{Admin: currentAdmin(c), CSRF: se.CSRF, Message: c.QueryParam("msg"), Total: len(es)}
	show := c.QueryParam("show")
	for _, f := range listFilters {
		href := policiesPages
		if f.show != "" {
			href += "?show=" + f.show
		}
		v.Filters = append(v.Filters, stateLink{Label: f.label, Href: href, Current: f.show == show})
	}
	for _, e := range es {
		r := policyRowView{ID: e.ID, Status: statusLabel(e), Draft: draftLabel(e.Draft)}
		body := []byte(nil)
		if cur := e.Current(); cur != nil {
			r.Version, body = cur.Number, cur.Body
		}
		if e.Draft != nil {
			v.Drafts++
			r.Review = e.Draft.Review != nil
			if r.Review {
				v.Reviews++
			}
			if body == nil {
				body = e.Draft.Body
			}
		}
		sum := entrystore.Summarize(e.ID, body)
		r.Title, r.Category, r.Verified = sum.Title, sum.Category, sum.Verified
		if r.Title == "" {
			r.Title = e.ID
		}
		if r.shown(show, e.Status() == entrystore.StatusRetired) {
			v.Rows = append(v.Rows, r)
		}
	}
	// Those waiting for review first, then open drafts, then by id.
	slices.SortStableFunc(v.Rows, func(a, b policyRowView) int {
		rank := func(r policyRowView) int {
			switch {
			case r.Review:
				return 0
			case r.Draft != "":
				return 1
			}
			return 2
		}
		return rank(a) - rank(b)
	})
	return s.render.render(c, http.StatusOK, "admin_policies", s.page(c, "条目管理", v))
}

// choice is an option of a select or a checkbox; Kinds, for an
// operator, are the kinds of field it applies to (for the script that
// narrows the operators to a chosen field's).
type choice struct {
	Value, Label string
	Kinds        string
}

func init() {
	for i, o := range opLabels {
		var kinds []string
		for _, k := range []corpus.FieldKind{corpus.KindNumber, corpus.KindChoice, corpus.KindSet} {
			if slices.Contains(corpus.Operators(k), o.Value) {
				kinds = append(kinds, string(k))
			}
		}
		opLabels[i].Kinds = strings.Join(kinds, " ")
	}
}

// opLabels name the operators in plain words.
var opLabels = []choice{
	{Value: corpus.OpEq, Label: "等于"}, {Value: corpus.OpNe, Label: "不等于"},
	{Value: corpus.OpIn, Label: "是以下之一"}, {Value: corpus.OpNotIn, Label: "不是以下任何一个"},
	{Value: corpus.OpGte, Label: "大于或等于（≥）"}, {Value: corpus.OpGt, Label: "大于（>）"},
	{Value: corpus.OpLte, Label: "小于或等于（≤）"}, {Value: corpus.OpLt, Label: "小于（<）"},
	{Value: corpus.OpHas, Label: "包括以下之一"}, {Value: corpus.OpNotHas, Label: "不包括以下任何一个"},
}

// editView is what the form page shows.
type editView struct {
	Admin    admins.Admin
	CSRF     string
	New      bool
	ID       string
	Status   string
	Draft    string
	HasDraft bool
	Form     entryForm
	Message  string
	// Conflict says the entry changed since the form was read.
	Conflict string
	// Problems are every problem of the last save; Errors the same by the
	// slot of the form they concern ("title", "basis[0]", a row's path).
	Problems []corpus.Problem
	Errors   map[string][]string
	// Rows are the eligibility rows with what the template needs.
	Rows []condRowView
	// Choices of the selects and checkboxes.
	Kinds, Categories, Audiences, Regions []string
	Scopes                                []string
	Sites                                 []choice
	Documents, Places                     []choice
	Fields                                []corpus.Field
	Ops                                   []choice
}

type condRowView struct {
	condRow
	Index  int
	Indent int
	// Def is the situation field the row tests, once chosen; Ops are the
	// operators, those of other kinds of field off (but the row's own,
	// so that it shows).
	Def    *corpus.Field
	Ops    []opView
	Errors []string
	Group  bool
}

// opView is an operator of a row: Off when it does not apply to the
// row's field.
type opView struct {
	choice
	Off bool
}

// Regions an entry may apply to.
var regions = []string{"上海市", "上海市虹口区"}

// choices fills the view's lists from the store's registry and places.
func (s *Server) choices(ctx context.Context, v *editView) error {
	snap, err := s.cfg.Entries.Snapshot(ctx)
	if err != nil {
		return err
	}
	v.Kinds, v.Categories, v.Regions, v.Scopes = corpus.Kinds, corpus.Categories, regions, corpus.Scopes
	for _, site := range s.cfg.Searcher.Corpus().Sites.List {
		v.Sites = append(v.Sites, choice{Value: site.ID, Label: site.Name})
	}
	v.Audiences = chosenFirst(v.Form.Audiences, corpus.Audiences)
	v.Fields, v.Ops = corpus.Fields, opLabels
	places, _ := corpus.ParsePlaces(entrystore.Prefix+"/"+corpus.PlacesFile, snap.Support[corpus.PlacesFile])
	for id, l := range places {
		v.Places = append(v.Places, choice{Value: id, Label: l.Name})
	}
	slices.SortFunc(v.Places, func(a, b choice) int {
		// The entry's places first, in its order (which pages keep), then
		// the others by id.
		ia, ib := slices.Index(v.Form.Places, a.Value), slices.Index(v.Form.Places, b.Value)
		switch {
		case ia >= 0 && ib >= 0:
			return ia - ib
		case ia >= 0:
			return -1
		case ib >= 0:
			return 1
		}
		return strings.Compare(a.Value, b.Value)
	})
	if data, ok := snap.Support[corpus.DocumentsFile]; ok {
		docs, _ := corpus.ParseDocuments(entrystore.Prefix+"/"+corpus.DocumentsFile, data)
		for id, d := range docs {
			label := d.Title
			if corpus.Unknown != d.Number && d.Number != "" {
				label += "（" + d.Number + "）"
			}
			if d.Status != "" && d.Status != corpus.StatusInForce {
				label += " [" + d.Status + "]"
			}
			v.Documents = append(v.Documents, choice{Value: id, Label: label})
		}
		slices.SortFunc(v.Documents, func(a, b choice) int { return strings.Compare(a.Label, b.Label) })
	}
	return nil
}

// chosenFirst lists the chosen values in their order, then the others.
func chosenFirst(chosen, all []string) []string {
	out := slices.Clone(chosen)
	for _, a := range all {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// showForm renders the form page with the form as given and the problems.
func (s *Server) showForm(c echo.Context, status int, v editView) error {
	if err := s.choices(c.Request().Context(), &v); err != nil {
		return err
	}
	se, _ := s.session(c)
	v.Admin, v.CSRF = currentAdmin(c), se.CSRF
	v.Form.tree() // the rows' paths
	v.Errors = map[string][]string{}
	slots := []string{"id", "title", "kind", "category", "audiences", "summary", "content", "benefit", "amounts", "sources", "basis",
		"verified", "guide.eligibility", "guide.materials", "guide.steps", "guide.time_limit", "guide.fee", "places", "locations",
		"online", "agency", "region", "scope", "site", "effective", "expires", "updated", "keywords", "eligibility"}
	for i := range v.Form.Basis {
		slots = append(slots, fmt.Sprintf("basis[%d]", i))
	}
	for i := range v.Form.Amounts {
		slots = append(slots, fmt.Sprintf("amounts[%d]", i))
	}
	for i := range v.Form.Sources {
		slots = append(slots, fmt.Sprintf("sources[%d]", i))
	}
	for _, r := range v.Form.Conds {
		slots = append(slots, r.Path)
	}
	for _, p := range v.Problems {
		slot := slotOf(p.Field, slots)
		v.Errors[slot] = append(v.Errors[slot], p.Message)
	}
	for i, r := range v.Form.Conds {
		rv := condRowView{condRow: r, Index: i, Indent: r.Depth - 1, Errors: v.Errors[r.Path], Group: r.Type == rowAll || r.Type == rowAny}
		f, known := corpus.FieldByName(r.Field)
		if known {
			rv.Def = &f
		}
		for _, o := range opLabels {
			off := known && o.Value != r.Op && !slices.Contains(corpus.Operators(f.Kind), o.Value)
			rv.Ops = append(rv.Ops, opView{choice: o, Off: off})
		}
		v.Rows = append(v.Rows, rv)
	}
	title := "新建条目"
	if !v.New {
		title = "编辑：" + v.Form.Title
	}
	return s.render.render(c, status, "admin_policy_edit", s.page(c, title, &v))
}

// slotOf is the slot of the form a problem's field path falls in: the
// longest slot it starts with, else the entry as a whole ("").
func slotOf(field string, slots []string) string {
	best := ""
	for _, s := range slots {
		if s == "" || len(s) <= len(best) {
			continue
		}
		if field == s || strings.HasPrefix(field, s+".") || strings.HasPrefix(field, s+"[") {
			best = s
		}
	}
	return best
}

func (s *Server) policyNewPage(c echo.Context) error {
	f := entryForm{Root: rowAll, Kind: corpus.KindPolicy, Region: "上海市虹口区"}
	today := corpus.Today(s.cfg.Now())
	f.Updated, f.Verified = today, today
	prefillFromImport(c.QueryParams(), &f)
	return s.showForm(c, http.StatusOK, editView{New: true, Form: f})
}

// editable reads an entry and the body the form starts from: its draft,
// else its current version.
func (s *Server) editable(ctx context.Context, id string) (*entrystore.Entry, []byte, error) {
	e, err := s.cfg.Entries.Get(ctx, id)
	if err != nil {
		return nil, nil, entryError(err)
	}
	if e.Draft != nil {
		return e, e.Draft.Body, nil
	}
	if cur := e.Current(); cur != nil {
		return e, cur.Body, nil
	}
	return e, nil, nil
}

func (s *Server) policyEditPage(c echo.Context) error {
	e, body, err := s.editable(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	p, probs := corpus.ParsePolicy(entrystore.File(e.ID), e.ID, body)
	f := entryForm{ID: e.ID, Root: rowAll}
	if p != nil {
		f = formOf(p)
	}
	v := editView{ID: e.ID, Form: f, Problems: probs, Message: c.QueryParam("msg")}
	s.describeEntry(&v, e)
	return s.showForm(c, http.StatusOK, v)
}

// describeEntry sets what the form says of the stored entry and what a
// change is based on.
func (s *Server) describeEntry(v *editView, e *entrystore.Entry) {
	v.ID, v.Status, v.Draft, v.HasDraft = e.ID, statusLabel(e), draftLabel(e.Draft), e.Draft != nil
	v.Form.ID = e.ID
	v.Form.BasedVersion, v.Form.BasedRev = 0, 0
	if cur := e.Current(); cur != nil {
		v.Form.BasedVersion = cur.Number
	}
	if e.Draft != nil {
		v.Form.BasedRev = e.Draft.Rev
	}
}

// policyFormPost handles every button of the form: adding a row shows the
// form again with it; saving (and asking for review) checks the entry as
// the API does and saves it as the draft, or shows the problems.
func (s *Server) policyFormPost(c echo.Context) error {
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the form could not be read")
	}
	f := readForm(form)
	isNew := c.Param("id") == ""
	v := editView{New: isNew, Form: f}
	var e *entrystore.Entry
	if !isNew {
		v.ID, v.Form.ID = c.Param("id"), c.Param("id")
		if e, err = s.cfg.Entries.Get(ctx, v.ID); err != nil {
			return entryError(err)
		}
		v.Status, v.Draft, v.HasDraft = statusLabel(e), draftLabel(e.Draft), e.Draft != nil
	}
	act := form.Get("act")
	if kind, group, ok := strings.Cut(act, ":"); ok && kind != "" {
		// 添加条件 and its kin: one more empty row, nothing saved.
		n, err := strconv.Atoi(group)
		if err != nil {
			n = -1
		}
		if slices.Contains([]string{rowTest, rowAsk, rowAll, rowAny}, kind) {
			v.Form.addRow(kind, n)
		}
		return s.showForm(c, http.StatusOK, v)
	}
	switch act {
	case "save", "review":
	default: // 更新: show the form again (values for a changed field)
		return s.showForm(c, http.StatusOK, v)
	}
	id := v.Form.ID
	if isNew && !corpus.ValidID(id) {
		v.Problems = corpus.Problems{badID(id)}
		return s.showForm(c, http.StatusUnprocessableEntity, v)
	}
	data, err := v.Form.entryJSON()
	if err != nil {
		return err
	}
	body, probs := entrystore.BodyFromJSON(id, data)
	if len(probs) == 0 {
		if probs, err = s.checkEntry(ctx, id, body); err != nil {
			return err
		}
	}
	if len(probs) > 0 {
		v.Problems = probs
		v.Message = fmt.Sprintf("有 %d 处问题，未保存。请按各项下面的说明修改。", len(probs))
		return s.showForm(c, http.StatusUnprocessableEntity, v)
	}
	exp := entrystore.Expect{Version: v.Form.BasedVersion, Draft: v.Form.BasedRev}
	if isNew {
		exp = entrystore.Expect{}
	}
	saved, err := s.entriesOf(c).SaveDraft(ctx, id, body, exp, s.change(c, v.Form.Note))
	if err != nil {
		return s.formConflict(c, v, err)
	}
	msg := "草稿已保存"
	if act == "review" {
		exp = entrystore.Expect{Draft: saved.Draft.Rev}
		if cur := saved.Current(); cur != nil {
			exp.Version = cur.Number
		}
		if _, err := s.entriesOf(c).RequestReview(ctx, id, exp, s.change(c, v.Form.Note)); err != nil {
			return s.formConflict(c, v, err)
		}
		msg = "草稿已保存，并已提交审核"
	}
	return c.Redirect(http.StatusSeeOther, policiesPages+"/"+id+"?msg="+url.QueryEscape(msg))
}

// formConflict shows the form again after the store refused a save: on a
// stale read, with what was typed, what changed, and a fresh base.
func (s *Server) formConflict(c echo.Context, v editView, err error) error {
	var ce *entrystore.ConflictError
	switch {
	case errors.As(err, &ce):
		if v.New {
			v.Problems = corpus.Problems{{Field: "id", Message: fmt.Sprintf("id %q is taken by another entry", v.Form.ID)}}
			v.Message = "这个编号已被其他条目使用，未保存"
			return s.showForm(c, http.StatusConflict, v)
		}
		v.Conflict = fmt.Sprintf("条目在您打开之后已被修改（%s），未保存。下面仍是您填写的内容；再次保存将以您的内容为准。", draftLabel(ce.Current.Draft))
		f := v.Form
		s.describeEntry(&v, ce.Current)
		f.BasedVersion, f.BasedRev = v.Form.BasedVersion, v.Form.BasedRev
		v.Form = f
		return s.showForm(c, http.StatusConflict, v)
	case errors.Is(err, entrystore.ErrInvalid):
		v.Problems = corpus.Problems{{Message: err.Error()}}
		return s.showForm(c, http.StatusUnprocessableEntity, v)
	}
	return entryError(err)
}

// caseView is one case run against the draft.
type caseView struct {
	Expect, Situation, Got string
	Pass                   bool
	Reasons                []string
	// Value is the case as the forms carry it: expectation|situation.
	Value string
}

type previewView struct {
	Admin    admins.Admin
	CSRF     string
	ID       string
	Title    string
	Status   string
	Draft    string
	HasDraft bool
	Review   bool
	// Which is what is previewed: 草稿 or 当前发布版本.
	Which    string
	Message  string
	Problems []corpus.Problem
	// Page is the public page, rendered from the draft.
	Page template.HTML
	// Cases are the entry's cases and those added on the page, run
	// against the draft; Passed counts those that pass.
	Cases  []caseView
	Passed int
	// CasesStored: the cases are the store's, not the built-in ones.
	CasesStored bool
	TrialFields []fieldView
	TrialCases  []string
	Expects     []string
	BasedOn     entrystore.Expect
}

// previewed loads the body a preview shows, checked as a save is, with
// places and documents resolved from the store's snapshot.
func previewed(snap *entrystore.Snapshot, id string, body []byte) (*corpus.Policy, corpus.Problems) {
	places, _ := corpus.ParsePlaces(entrystore.Prefix+"/"+corpus.PlacesFile, snap.Support[corpus.PlacesFile])
	docs := corpus.Documents{}
	if data, ok := snap.Support[corpus.DocumentsFile]; ok {
		docs, _ = corpus.ParseDocuments(entrystore.Prefix+"/"+corpus.DocumentsFile, data)
	}
	p, probs := corpus.ParsePolicy(entrystore.File(id), id, body)
	if p == nil {
		return nil, probs
	}
	probs = append(probs, corpus.Check([]*corpus.Policy{p}, places, docs)...)
	return p, probs
}

func (s *Server) policyPreviewPage(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	// A situation added with the trial form joins the cases in the
	// address, and the page is shown again from there.
	if expect := q.Get("expect"); slices.Contains(corpus.Expectations, expect) {
		sit, err := corpus.ParseSituation(q)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "情形填写有误："+err.Error())
		}
		cases := append(slices.Clone(q["case"]), expect+"|"+sit.Query().Encode())
		return c.Redirect(http.StatusSeeOther, policiesPages+"/"+c.Param("id")+"/preview?"+url.Values{"case": cases}.Encode()+"#cases")
	}
	e, body, err := s.editable(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	se, _ := s.session(c)
	v := previewView{Admin: currentAdmin(c), CSRF: se.CSRF, ID: e.ID, Status: statusLabel(e), Draft: draftLabel(e.Draft),
		HasDraft: e.Draft != nil, Review: e.Draft != nil && e.Draft.Review != nil, Which: "当前发布版本", Message: q.Get("msg"),
		Expects: corpus.Expectations, TrialCases: q["case"]}
	if e.Draft != nil {
		v.Which = "草稿"
		v.BasedOn.Draft = e.Draft.Rev
	}
	if cur := e.Current(); cur != nil {
		v.BasedOn.Version = cur.Number
	}
	snap, err := s.cfg.Entries.Snapshot(ctx)
	if err != nil {
		return err
	}
	p, probs := previewed(snap, e.ID, body)
	v.Problems = probs
	if p != nil {
		v.Title = p.Title
		pv := policyView{P: p, Expired: p.Expired(s.cfg.Now()), Conditions: corpus.Describe(p.Eligible)}
		pv.arrangePlaces("")
		var buf bytes.Buffer
		if err := s.render.tmpl["policy"].ExecuteTemplate(&buf, "content", s.page(c, p.Title, pv)); err != nil {
			return fmt.Errorf("render the preview of %s: %w", e.ID, err)
		}
		v.Page = template.HTML(buf.String())
		if err := v.runCases(snap, p); err != nil {
			return err
		}
	}
	for _, f := range corpus.Fields {
		v.TrialFields = append(v.TrialFields, fieldView{Field: f, Selected: map[string]bool{}})
	}
	return s.render.render(c, http.StatusOK, "admin_policy_preview", s.page(c, "预览："+v.Title, v))
}

// runCases runs the entry's cases (the store's, else the built-in ones)
// and those in the address against the previewed entry.
func (v *previewView) runCases(snap *entrystore.Snapshot, p *corpus.Policy) error {
	var cs corpus.Cases
	_, data, stored, ok := entryCases(snap, p.ID)
	v.CasesStored = stored
	if ok {
		var err error
		if cs, err = corpus.ParseCases(data); err != nil {
			return fmt.Errorf("the cases of %s: %w", p.ID, err)
		}
	}
	list, err := cs.List()
	if err != nil {
		return err
	}
	for _, raw := range v.TrialCases {
		expect, query, _ := strings.Cut(raw, "|")
		vals, err := url.ParseQuery(query)
		if err != nil || !slices.Contains(corpus.Expectations, expect) {
			continue
		}
		sit, err := corpus.ParseSituation(vals)
		if err != nil {
			continue
		}
		list = append(list, corpus.Case{Expect: expect, Situation: sit})
	}
	for _, k := range list {
		m := corpus.Evaluate(p.Eligible, k.Situation)
		cv := caseView{Expect: k.Expect, Situation: k.Situation.Words(), Got: m.Outcome.String(), Pass: corpus.Meets(k.Expect, m.Outcome),
			Value: k.Expect + "|" + k.Situation.Query().Encode()}
		for _, r := range m.Reasons {
			cv.Reasons = append(cv.Reasons, r.Text)
		}
		if cv.Pass {
			v.Passed++
		}
		v.Cases = append(v.Cases, cv)
	}
	return nil
}

// basedOnForm reads what a review or publish form was based on.
func basedOnForm(c echo.Context) entrystore.Expect {
	v, _ := strconv.Atoi(c.FormValue("bv"))
	d, _ := strconv.Atoi(c.FormValue("bd"))
	return entrystore.Expect{Version: v, Draft: d}
}

// pageChangeError maps a store error of a review or publish form to a
// message on the entry's page.
func pageChangeError(err error) (string, bool) {
	var ce *entrystore.ConflictError
	var pe *corpus.CheckError
	switch {
	case errors.As(err, &ce):
		return "条目已被他人修改，请看过最新内容后再操作", true
	case errors.Is(err, entrystore.ErrNoDraft):
		return "条目没有草稿：先保存草稿", true
	case errors.As(err, &pe):
		var b strings.Builder
		fmt.Fprintf(&b, "发布后的语料有 %d 处问题，未发布：", len(pe.Problems))
		for i, p := range pe.Problems {
			if i == 3 {
				b.WriteString("……")
				break
			}
			b.WriteString(p.String() + "；")
		}
		return b.String(), true
	}
	return "", false
}

func (s *Server) policyReviewPost(c echo.Context) error {
	id := c.Param("id")
	note := clean(c.FormValue("note"))
	_, err := s.entriesOf(c).RequestReview(c.Request().Context(), id, basedOnForm(c), s.change(c, note))
	msg := "已提交审核"
	if err != nil {
		m, ok := pageChangeError(err)
		if !ok {
			return entryError(err)
		}
		msg = m
	}
	return c.Redirect(http.StatusSeeOther, policiesPages+"/"+id+"/preview?msg="+url.QueryEscape(msg))
}

// policyCasesPost keeps the ticked cases of the preview as the entry's
// cases (cases/ID.yaml in the store), which every later publish of it
// must meet. They must hold for what the preview shows (the draft, else
// the published version): cases that fail are not kept.
func (s *Server) policyCasesPost(c echo.Context) error {
	if !currentAdmin(c).CanPublish() {
		return echo.NewHTTPError(http.StatusForbidden, "只有发布人可以修改检验情形")
	}
	ctx := c.Request().Context()
	e, body, err := s.editable(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	back := func(msg string) error {
		return c.Redirect(http.StatusSeeOther, policiesPages+"/"+e.ID+"/preview?msg="+url.QueryEscape(msg)+"#cases")
	}
	snap, err := s.cfg.Entries.Snapshot(ctx)
	if err != nil {
		return err
	}
	p, probs := previewed(snap, e.ID, body)
	if p == nil || len(probs) > 0 {
		return back("条目内容有问题，先修改条目再保存检验情形")
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "表单无法读取")
	}
	var list []corpus.Case
	for _, raw := range form["keep"] {
		expect, query, _ := strings.Cut(raw, "|")
		vals, err := url.ParseQuery(query)
		if err != nil || !slices.Contains(corpus.Expectations, expect) {
			return echo.NewHTTPError(http.StatusBadRequest, "情形填写有误")
		}
		sit, err := corpus.ParseSituation(vals)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "情形填写有误："+err.Error())
		}
		list = append(list, corpus.Case{Expect: expect, Situation: sit})
	}
	if len(list) == 0 {
		return back("没有勾选情形：至少保留一个")
	}
	data, err := yaml.Marshal(corpus.CasesOf(list))
	if err != nil {
		return err
	}
	if cp := corpus.CheckCases(corpus.CasesFilePath(e.ID), p, data); len(cp) > 0 {
		return back(fmt.Sprintf("有 %d 个勾选的情形与条目的办理条件不符，未保存：%s", len(cp), cp[0].Message))
	}
	err = s.entriesOf(c).PutSupport(ctx, corpus.CasesFilePath(e.ID), data, s.change(c, clean(c.FormValue("note"))), loadCheck)
	if err != nil {
		if m, ok := pageChangeError(err); ok {
			return back(m)
		}
		return entryError(err)
	}
	return back(fmt.Sprintf("已保存 %d 个检验情形；以后发布本条目时都须成立", len(list)))
}

// policyPublishPost publishes the draft through the API's path: the
// corpus checked with it, the version written, the index rebuilt.
func (s *Server) policyPublishPost(c echo.Context) error {
	if !currentAdmin(c).CanPublish() {
		return echo.NewHTTPError(http.StatusForbidden, "只有发布人可以发布")
	}
	ctx := c.Request().Context()
	id := c.Param("id")
	note := clean(c.FormValue("note"))
	_, err := s.entriesOf(c).Publish(ctx, id, basedOnForm(c), s.change(c, note), s.publishCheck(id))
	if err != nil {
		m, ok := pageChangeError(err)
		if !ok {
			return entryError(err)
		}
		return c.Redirect(http.StatusSeeOther, policiesPages+"/"+id+"/preview?msg="+url.QueryEscape(m))
	}
	msg := "已发布，搜索已更新"
	if _, err := s.rebuild(ctx); err != nil {
		s.cfg.Logger.Error("rebuilding after a publish", "entry", id, "error", err)
		msg = "已发布；索引重建失败，将在下次重建时更新：" + err.Error()
	}
	return c.Redirect(http.StatusSeeOther, policiesPages+"/"+id+"/preview?msg="+url.QueryEscape(msg))
}
