package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"yicha/corpus/entrystore"
	"yicha/web/admins"
)

// Admin actions the server records itself; the entry store records those
// that change an entry (save, review, publish, rollback, retire, seed).
const (
	AuditLogin    = "login"
	AuditLogout   = "logout"
	AuditReindex  = "reindex"
	AuditFeedback = "feedback"
)

// auditLabels name the actions for people.
var auditLabels = map[string]string{
	AuditLogin: "登录", AuditLogout: "退出", AuditReindex: "重建索引", AuditFeedback: "处理反馈",
	entrystore.ActionSeed: "导入语料", entrystore.ActionSave: "保存草稿", entrystore.ActionReview: "提交审核",
	entrystore.ActionPublish: "发布", entrystore.ActionRollback: "回滚", entrystore.ActionRetire: "撤下",
	entrystore.ActionDocument: "登记政策文件", entrystore.ActionSupport: "修改站点、办事地点或检验情形",
	entrystore.ActionUnwritten: "修改未写入",
}

// audit records an action that changes no entry. Without an entry store
// there is no log; a failure to write is logged, and does not undo what
// the admin did.
func (s *Server) audit(c echo.Context, a admins.Admin, action, entry, detail string) {
	if s.cfg.Entries == nil || a.Name == "" {
		return
	}
	r := entrystore.AuditRecord{At: s.cfg.Now(), Admin: a.Name, Action: action, Entry: entry, Detail: detail}
	if err := s.cfg.Entries.Record(c.Request().Context(), r); err != nil {
		s.cfg.Logger.Error("writing the audit log", "action", action, "error", err)
	}
}

// AuditResponse is the JSON answer of GET /api/admin/audit: the newest
// records first; Next, when set, is the before= of the next page.
type AuditResponse struct {
	Records []AuditEntry `json:"records"`
	Next    int64        `json:"next,omitempty"`
}

// AuditEntry is one admin action.
type AuditEntry struct {
	entrystore.AuditRecord
	Label string `json:"label"`
}

// apiAudit lists the audit log: ?limit (1–1000, default 100), ?before (a
// seq), ?entry; ?format=csv downloads it (up to entrystore.MaxAuditList
// records) as CSV.
func (s *Server) apiAudit(c echo.Context) error {
	q := c.QueryParams()
	csvOut := false
	switch q.Get("format") {
	case "", "json":
	case "csv":
		csvOut = true
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "format must be json or csv")
	}
	if csvOut {
		return s.auditDownload(c)
	}
	query, recs, err := s.auditRecords(c, false)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	out := AuditResponse{Records: labelled(recs)}
	out.Next = nextBefore(recs, query.Limit)
	return c.JSON(http.StatusOK, out)
}

// auditQuery reads ?limit (1–1000, default 100; a download takes up to
// entrystore.MaxAuditList), ?before and ?entry.
func auditQuery(q url.Values, download bool) (entrystore.AuditQuery, error) {
	query := entrystore.AuditQuery{Limit: 100, Entry: q.Get("entry")}
	if download {
		query.Limit = entrystore.MaxAuditList
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return query, echo.NewHTTPError(http.StatusBadRequest, "limit must be a whole number from 1 to 1000")
		}
		query.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return query, echo.NewHTTPError(http.StatusBadRequest, "before must be a record's seq")
		}
		query.Before = n
	}
	return query, nil
}

// nextBefore is the before= of the page after a full one, else 0.
func nextBefore(recs []entrystore.AuditRecord, limit int) int64 {
	if len(recs) == limit && len(recs) > 0 {
		return recs[len(recs)-1].Seq
	}
	return 0
}

// auditPageView is what /admin/audit shows: a page of records, newest
// first, and the links around it.
type auditPageView struct {
	Records []AuditEntry
	// Entry narrows the log to one entry's records.
	Entry string
	// Older is the address of the next page of older records; CSV the
	// download of the same selection.
	Older, CSV string
}

// auditPage lists the audit log for signed-in admins, without JavaScript:
// 100 records a page (?before=, ?entry= as the API takes them), times in
// Beijing time, each entry linked to its history, and the download.
// /admin/audit.csv is that download for a session.
func (s *Server) auditPage(c echo.Context) error {
	query, recs, err := s.auditRecords(c, false)
	if err != nil {
		return err
	}
	v := auditPageView{Entry: query.Entry, CSV: "/admin/audit.csv", Records: labelled(recs)}
	if query.Entry != "" {
		v.CSV += "?entry=" + url.QueryEscape(query.Entry)
	}
	if next := nextBefore(recs, query.Limit); next > 0 {
		older := url.Values{"before": {strconv.FormatInt(next, 10)}}
		if query.Entry != "" {
			older.Set("entry", query.Entry)
		}
		v.Older = "/admin/audit?" + older.Encode()
	}
	return s.render.render(c, http.StatusOK, "admin_audit", s.page(c, "操作记录", v))
}

// auditDownload sends the records the request selects as CSV.
func (s *Server) auditDownload(c echo.Context) error {
	_, recs, err := s.auditRecords(c, true)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.writeAuditCSV(c, recs)
}

// auditRecords reads the records the request's parameters select.
func (s *Server) auditRecords(c echo.Context, download bool) (entrystore.AuditQuery, []entrystore.AuditRecord, error) {
	query, err := auditQuery(c.QueryParams(), download)
	if err != nil {
		return query, nil, err
	}
	recs, err := s.cfg.Entries.Audit(c.Request().Context(), query)
	return query, recs, err
}

// labelled names each record's action for people.
func labelled(recs []entrystore.AuditRecord) []AuditEntry {
	out := []AuditEntry{}
	for _, r := range recs {
		out = append(out, AuditEntry{AuditRecord: r, Label: auditLabels[r.Action]})
	}
	return out
}

// writeAuditCSV sends records as CSV, as the feedback download is: UTF-8
// with a byte-order mark, formula-like cells made inert.
func (s *Server) writeAuditCSV(c echo.Context, recs []entrystore.AuditRecord) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="yicha-audit-%s.csv"`, s.cfg.Now().In(feedbackZone).Format("20060102")))
	c.Response().WriteHeader(http.StatusOK)
	c.Response().Write([]byte("\uFEFF"))
	w := csv.NewWriter(c.Response())
	w.UseCRLF = true
	w.Write([]string{"seq", "at", "admin", "action", "action_label", "entry", "version", "detail"})
	for _, r := range recs {
		version := ""
		if r.Version > 0 {
			version = strconv.Itoa(r.Version)
		}
		row := []string{strconv.FormatInt(r.Seq, 10), r.At.In(feedbackZone).Format(time.RFC3339), r.Admin, r.Action, auditLabels[r.Action], r.Entry, version, r.Detail}
		for i, cell := range row {
			row[i] = csvSafe(cell)
		}
		w.Write(row)
	}
	w.Flush()
	return w.Error()
}
