package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/corpus/entrystore"
)

// The history pages of an entry, for signed-in admins and without
// JavaScript: every published version (who, when, why), the changes
// between any two versions field by field in plain Chinese, and the forms
// with which a publisher rolls back to an old version or retires the
// entry. Rollback and retire go the way the API's do: the store checks
// the corpus it would serve, records the version and its audit line, and
// the index serves it before the page answers.

func (s *Server) historyRoutes() {
	e := s.echo
	e.Match(getAndHead, "/admin/policies/:id/history", s.historyPage, s.signedInPage)
	e.Match(getAndHead, "/admin/policies/:id/diff", s.diffPage, s.signedInPage)
	e.POST("/admin/policies/:id/rollback", s.rollbackForm, s.adminForm, publisherOnly)
	e.POST("/admin/policies/:id/retire", s.retireForm, s.adminForm, publisherOnly)
	e.Match(getAndHead, "/admin/audit", s.auditPage, s.signedInPage)
	e.Match(getAndHead, "/admin/audit.csv", s.auditDownload, s.signedInPage)
}

// fieldLabels name an entry's fields as the pages show them.
var fieldLabels = map[string]string{
	"title":             "标题",
	"kind":              "类型",
	"category":          "分类",
	"audiences":         "适用对象",
	"summary":           "简介",
	"content":           "政策说明",
	"basis":             "政策依据",
	"benefit":           "标准和金额",
	"amounts":           "金额明细",
	"sources":           "信息来源",
	"verified":          "核对日期",
	"guide":             "办事指南",
	"guide.eligibility": "申请条件",
	"guide.materials":   "办理材料",
	"guide.steps":       "办理步骤",
	"guide.time_limit":  "办理时限",
	"guide.fee":         "收费",
	"places":            "受理地点",
	"locations":         "受理地点",
	"online":            "网上办理",
	"agency":            "主管部门",
	"region":            "适用区域",
	"effective":         "施行日期",
	"expires":           "有效期至",
	"updated":           "更新日期",
	"keywords":          "关键词",
	"eligibility":       "适用条件",
}

// fieldLabel names a field in Chinese; an unknown one keeps its name.
func fieldLabel(f string) string {
	if l, ok := fieldLabels[f]; ok {
		return l
	}
	return f
}

// changedFields lists the labels of the fields that changed, each once,
// in order: 「办理材料、受理地点」.
func changedFields(ds []entrystore.FieldDiff) []string {
	var out []string
	for _, d := range ds {
		if l := fieldLabel(d.Field); !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// actionText says what a version did.
func actionText(v entrystore.Version) string {
	switch v.Action {
	case entrystore.ActionSeed:
		return "初始导入"
	case entrystore.ActionPublish:
		return "发布"
	case entrystore.ActionRollback:
		return fmt.Sprintf("回滚（恢复第 %d 版）", v.From)
	case entrystore.ActionRetire:
		return "撤下"
	}
	return v.Action
}

type versionRow struct {
	Number int
	Action string
	Author string
	At     time.Time
	Note   string
	// Prev is the version before (0 for the first): the diff link.
	Prev    int
	Retired bool
}

type historyView struct {
	ID, Title, Status string
	Current           int
	// Versions, newest first.
	Versions []versionRow
	Draft    *entrystore.Draft
	// Restorable are the versions a rollback may restore: those not
	// retiring the entry, other than the current one.
	Restorable []int
	CanPublish bool
	CSRF       string
	Message    string
}

// entryTitle is an entry's title from its latest body (published, else
// the draft).
func entryTitle(e *entrystore.Entry) string {
	var body []byte
	if v := e.Current(); v != nil {
		body = v.Body
	} else if e.Draft != nil {
		body = e.Draft.Body
	}
	if t := entrystore.Summarize(e.ID, body).Title; t != "" {
		return t
	}
	return e.ID
}

// historyOf decides what the history page shows of an entry.
func historyOf(e *entrystore.Entry) historyView {
	v := historyView{ID: e.ID, Title: entryTitle(e), Status: e.Status(), Draft: e.Draft}
	if cur := e.Current(); cur != nil {
		v.Current = cur.Number
	}
	for i := len(e.Versions) - 1; i >= 0; i-- {
		ver := e.Versions[i]
		v.Versions = append(v.Versions, versionRow{Number: ver.Number, Action: actionText(ver), Author: ver.Author,
			At: ver.At, Note: ver.Note, Prev: ver.Number - 1, Retired: ver.Retired()})
		if !ver.Retired() && ver.Number != v.Current {
			v.Restorable = append(v.Restorable, ver.Number)
		}
	}
	return v
}

func (s *Server) historyPage(c echo.Context) error {
	e, err := s.cfg.Entries.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return entryError(err)
	}
	se, _ := s.session(c)
	v := historyOf(e)
	v.CanPublish, v.CSRF, v.Message = currentAdmin(c).CanPublish(), se.CSRF, c.QueryParam("msg")
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render.render(c, http.StatusOK, "admin_history", s.page(c, "修改历史："+v.Title, v))
}

type fieldChangeView struct {
	Label          string
	List           bool
	Reordered      bool
	Added, Removed []string
	From, To       string
	HasFrom, HasTo bool
}

// fieldChanges turns the store's field diffs into what the page shows.
func fieldChanges(ds []entrystore.FieldDiff) []fieldChangeView {
	out := make([]fieldChangeView, 0, len(ds))
	for _, d := range ds {
		fc := fieldChangeView{Label: fieldLabel(d.Field), List: d.List, Reordered: d.Reordered(), Added: d.Added, Removed: d.Removed}
		if d.From != nil {
			fc.From, fc.HasFrom = *d.From, true
		}
		if d.To != nil {
			fc.To, fc.HasTo = *d.To, true
		}
		out = append(out, fc)
	}
	return out
}

// describeRules writes a change of the eligibility rule as the lines
// residents read (「年龄：60 岁及以上」), added and removed, rather than as
// the rule's fields; a body that does not parse keeps the fields.
func describeRules(id string, from, to []byte, ds []entrystore.FieldDiff) []entrystore.FieldDiff {
	for i, d := range ds {
		if d.Field != "eligibility" {
			continue
		}
		lines := func(body []byte) ([]string, bool) {
			if body == nil {
				return nil, true
			}
			p, _ := corpus.ParsePolicy(entrystore.File(id), id, body)
			if p == nil {
				return nil, false
			}
			// Checking reads the rule's values (its problems, if any, are
			// the draft's business, not the diff's).
			corpus.Check([]*corpus.Policy{p}, map[string]corpus.Location{}, corpus.Documents{})
			return corpus.Describe(p.Eligible), true
		}
		a, okA := lines(from)
		b, okB := lines(to)
		if okA && okB {
			nd := entrystore.FieldDiff{Field: d.Field, List: true}
			nd.Added, nd.Removed = entrystore.ListDiff(a, b)
			ds[i] = nd
		}
	}
	return ds
}

type diffChoice struct {
	Value, Label string
}

type diffView struct {
	ID, Title string
	From, To  diffChoice
	Choices   []diffChoice
	Changes   []fieldChangeView
}

// versionLabel names a version, or the draft, on the page.
func versionLabel(which string) string {
	if which == "draft" {
		return "草稿"
	}
	return "第 " + which + " 版"
}

// diffSides picks the two sides of a diff from ?from= and ?to= (version
// numbers or draft); by default the latest version (or the draft) and the
// one before it.
func diffSides(e *entrystore.Entry, from, to string) (string, string) {
	if to == "" {
		switch {
		case e.Draft != nil:
			to = "draft"
		case len(e.Versions) > 0:
			to = strconv.Itoa(len(e.Versions))
		}
	}
	if from == "" {
		switch n, err := strconv.Atoi(to); {
		case to == "draft" && e.Draft != nil && e.Draft.Base > 0:
			from = strconv.Itoa(e.Draft.Base)
		case err == nil && n > 1:
			from = strconv.Itoa(n - 1)
		default:
			from = to
		}
	}
	return from, to
}

// bodyOf returns the body of a version (by number) or of the draft.
func bodyOf(e *entrystore.Entry, which string) ([]byte, error) {
	if which == "draft" {
		if e.Draft == nil {
			return nil, echo.NewHTTPError(http.StatusNotFound, "the entry has no draft")
		}
		return e.Draft.Body, nil
	}
	n, err := strconv.Atoi(which)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "from and to are version numbers or draft")
	}
	v, ok := e.Version(n)
	if !ok {
		return nil, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("the entry has no version %d", n))
	}
	return v.Body, nil
}

func (s *Server) diffPage(c echo.Context) error {
	e, err := s.cfg.Entries.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return entryError(err)
	}
	from, to := diffSides(e, c.QueryParam("from"), c.QueryParam("to"))
	a, err := bodyOf(e, from)
	if err != nil {
		return err
	}
	b, err := bodyOf(e, to)
	if err != nil {
		return err
	}
	ds, err := entrystore.CompareFields(a, b)
	if err != nil {
		return err
	}
	ds = describeRules(e.ID, a, b, ds)
	v := diffView{ID: e.ID, Title: entryTitle(e), From: diffChoice{from, versionLabel(from)}, To: diffChoice{to, versionLabel(to)},
		Changes: fieldChanges(ds)}
	for _, ver := range e.Versions {
		n := strconv.Itoa(ver.Number)
		v.Choices = append(v.Choices, diffChoice{n, versionLabel(n) + "（" + actionText(ver) + "）"})
	}
	if e.Draft != nil {
		v.Choices = append(v.Choices, diffChoice{"draft", "草稿"})
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render.render(c, http.StatusOK, "admin_diff", s.page(c, "版本比较："+v.Title, v))
}

// formChange reads what a rollback or retire form sends: the version the
// admin saw and a note, which the form requires.
func formChange(c echo.Context) (entrystore.Expect, string, error) {
	n, err := strconv.Atoi(c.Request().PostFormValue("version"))
	if err != nil || n < 1 {
		return entrystore.Expect{}, "", errors.New("表单缺少版本号，请从修改历史页面重新操作")
	}
	draft, _ := strconv.Atoi(c.Request().PostFormValue("draft"))
	note := formText(c, "note")
	if note == "" {
		return entrystore.Expect{}, "", errors.New("请填写说明：为什么这样改")
	}
	return entrystore.Expect{Version: n, Draft: draft}, note, nil
}

// formPublished runs a rollback or retire from a form, has the index serve
// the result, and goes back to the history page saying what happened.
func (s *Server) formPublished(c echo.Context, done string, op func(ctx context.Context, exp entrystore.Expect, by entrystore.Change, check entrystore.Check) (*entrystore.Entry, error)) error {
	id := c.Param("id")
	back := func(msg string) error {
		return c.Redirect(http.StatusSeeOther, "/admin/policies/"+url.PathEscape(id)+"/history?msg="+url.QueryEscape(msg))
	}
	exp, note, err := formChange(c)
	if err != nil {
		return back(err.Error())
	}
	ctx := c.Request().Context()
	_, err = op(ctx, exp, s.change(c, note), s.publishCheck(id))
	var ce *entrystore.ConflictError
	var pe *corpus.CheckError
	switch {
	case errors.Is(err, entrystore.ErrNotFound):
		return entryError(err)
	case errors.As(err, &ce):
		return back("条目已被他人修改，未执行：请查看下面的最新历史后重试")
	case errors.As(err, &pe):
		msg := fmt.Sprintf("未执行：这样改后语料有 %d 处问题", len(pe.Problems))
		if len(pe.Problems) > 0 {
			msg += "，例如 " + pe.Problems[0].Message
		}
		return back(msg)
	case errors.Is(err, entrystore.ErrInvalid):
		return back("未执行：" + err.Error())
	case err != nil:
		return err
	}
	if _, err := s.rebuild(ctx); err != nil {
		s.cfg.Logger.Error("rebuilding after a change", "entry", id, "error", err)
		return back(done + "，但索引尚未更新（" + err.Error() + "），稍后会自动补上")
	}
	return back(done)
}

func (s *Server) rollbackForm(c echo.Context) error {
	to, err := strconv.Atoi(c.Request().PostFormValue("to"))
	if err != nil || to < 1 {
		return c.Redirect(http.StatusSeeOther, "/admin/policies/"+url.PathEscape(c.Param("id"))+"/history?msg="+url.QueryEscape("请选择要恢复的版本"))
	}
	return s.formPublished(c, fmt.Sprintf("已恢复第 %d 版，作为新版本发布", to), func(ctx context.Context, exp entrystore.Expect, by entrystore.Change, check entrystore.Check) (*entrystore.Entry, error) {
		return s.entriesOf(c).Rollback(ctx, c.Param("id"), to, exp, by, check)
	})
}

func (s *Server) retireForm(c echo.Context) error {
	return s.formPublished(c, "已撤下：不再出现在搜索中，公开页面说明已撤下", func(ctx context.Context, exp entrystore.Expect, by entrystore.Change, check entrystore.Check) (*entrystore.Entry, error) {
		return s.entriesOf(c).Retire(ctx, c.Param("id"), exp, by, check)
	})
}
