package web

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"yicha/web/sitestore"
)

// The admins' side of residents' feedback: the queue on /admin, its API and
// the CSV download.

type policyCountsView struct {
	ID, Title, Category string
	Helpful, NotHelpful int
	ByReason            []int // in sitestore.Reasons order
	Open                int
}

type reportView struct {
	ID                              int64
	PolicyID, PolicyTitle, Category string
	Reason                          sitestore.Reason
	Comment                         string
	State                           sitestore.State
	Note                            string
	Created, Resolved               string
}

type stateLink struct {
	Label, Href string
	Current     bool
}

type adminFeedbackView struct {
	Reasons  []sitestore.Reason
	States   []sitestore.State
	Policies []policyCountsView
	Filters  []stateLink
	Reports  []reportView
	More     bool
	CSVHref  string
	MaxNote  int
}

// title is a policy's title, or its ID when the corpus no longer has it.
func (f *feedbackRoutes) title(id string) string {
	if p, err := f.s.cfg.Searcher.Policy(id); err == nil {
		return p.Title
	}
	return id
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(feedbackZone).Format("2006-01-02 15:04")
}

// stateFilter reads ?fstate= (empty: every state).
func stateFilter(v url.Values) (sitestore.State, error) {
	st := sitestore.State(v.Get("fstate"))
	if st != "" && !st.Valid() {
		return "", echo.NewHTTPError(http.StatusBadRequest, "unknown state "+strconv.Quote(string(st)))
	}
	return st, nil
}

// adminView is the template function behind the admin page's feedback
// section: here is the page's own URL, for the state filter.
func (f *feedbackRoutes) adminView(ctx context.Context, q url.Values, sites []string) (*adminFeedbackView, error) {
	state, _ := stateFilter(q)
	ctx, cancel := context.WithTimeout(ctx, f.s.cfg.SearchTimeout)
	defer cancel()
	counts, err := f.store.Counts(ctx)
	if err != nil {
		return nil, err
	}
	reports, err := f.store.Reports(ctx, sitestore.Filter{State: state, Sites: sites, Limit: queueLimit + 1})
	if err != nil {
		return nil, err
	}
	v := &adminFeedbackView{Reasons: sitestore.Reasons, States: sitestore.States, MaxNote: sitestore.MaxNote,
		CSVHref: "/admin/feedback.csv"}
	if state != "" {
		v.CSVHref += "?" + url.Values{"state": {string(state)}}.Encode()
	}
	for _, pc := range counts {
		pv := policyCountsView{ID: pc.PolicyID, Title: f.title(pc.PolicyID), Category: pc.Category,
			Helpful: pc.Helpful, NotHelpful: pc.NotHelpful, Open: pc.Open}
		for _, r := range sitestore.Reasons {
			pv.ByReason = append(pv.ByReason, pc.Reports[r])
		}
		v.Policies = append(v.Policies, pv)
	}
	v.Filters = append(v.Filters, stateLink{Label: "全部", Href: "/admin#fb-queue", Current: state == ""})
	for _, st := range sitestore.States {
		v.Filters = append(v.Filters, stateLink{Label: st.Label(), Href: "/admin?" + url.Values{"fstate": {string(st)}}.Encode() + "#fb-queue",
			Current: st == state})
	}
	if len(reports) > queueLimit {
		reports, v.More = reports[:queueLimit], true
	}
	for _, r := range reports {
		v.Reports = append(v.Reports, reportView{ID: r.ID, PolicyID: r.PolicyID, PolicyTitle: f.title(r.PolicyID), Category: r.Category,
			Reason: r.Reason, Comment: r.Comment, State: r.State, Note: r.Note, Created: formatTime(r.CreatedAt), Resolved: formatTime(r.ResolvedAt)})
	}
	return v, nil
}

// update changes a report's state and note from the admin page.
func (f *feedbackRoutes) update(c echo.Context) error {
	r, err := f.change(c)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("反馈 #%d 已标记为“%s”", r.ID, r.State.Label())
	return c.Redirect(http.StatusSeeOther, "/admin?msg="+url.QueryEscape(msg)+"#report-"+strconv.FormatInt(r.ID, 10))
}

// change applies the state and note a request carries to the report of its
// :id, as form values or JSON ({"state", "note"}).
func (f *feedbackRoutes) change(c echo.Context) (sitestore.Report, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return sitestore.Report{}, echo.NewHTTPError(http.StatusNotFound, "no such report")
	}
	var body struct {
		State string `json:"state" form:"state"`
		Note  string `json:"note" form:"note"`
	}
	if err := c.Bind(&body); err != nil {
		return sitestore.Report{}, err
	}
	ch := sitestore.Change{State: sitestore.State(body.State), Note: strings.TrimSpace(strings.ToValidUTF8(body.Note, ""))}
	r, err := f.store.Update(c.Request().Context(), id, ch, f.s.cfg.Now())
	if err == nil {
		f.s.audit(c, currentAdmin(c), AuditFeedback, r.PolicyID, fmt.Sprintf("#%d %s %s", r.ID, r.State, ch.Note))
	}
	switch {
	case errors.Is(err, sitestore.ErrNotFound):
		return r, echo.NewHTTPError(http.StatusNotFound, "no such report")
	case errors.Is(err, sitestore.ErrInvalid):
		return r, echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	return r, err
}

// FeedbackResponse is the JSON answer of GET /api/admin/feedback.
type FeedbackResponse struct {
	Policies []FeedbackCounts `json:"policies"`
	Reports  []FeedbackReport `json:"reports"`
}

// FeedbackCounts is what was said about one policy.
type FeedbackCounts struct {
	PolicyID   string `json:"policy_id"`
	Title      string `json:"title"`
	Category   string `json:"category"`
	Helpful    int    `json:"helpful"`
	NotHelpful int    `json:"not_helpful"`
	// Reports counts reports by reason (every reason present); Open counts
	// those still new.
	Reports map[sitestore.Reason]int `json:"reports"`
	Open    int                      `json:"open"`
}

// FeedbackReport is one report in the queue.
type FeedbackReport struct {
	ID          int64      `json:"id"`
	PolicyID    string     `json:"policy_id"`
	Title       string     `json:"title"`
	Category    string     `json:"category"`
	Reason      string     `json:"reason"`
	ReasonLabel string     `json:"reason_label"`
	Comment     string     `json:"comment"`
	State       string     `json:"state"`
	StateLabel  string     `json:"state_label"`
	Note        string     `json:"note"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
}

func (f *feedbackRoutes) toReport(r sitestore.Report) FeedbackReport {
	out := FeedbackReport{ID: r.ID, PolicyID: r.PolicyID, Title: f.title(r.PolicyID), Category: r.Category,
		Reason: string(r.Reason), ReasonLabel: r.Reason.Label(), Comment: r.Comment, State: string(r.State),
		StateLabel: r.State.Label(), Note: r.Note, CreatedAt: r.CreatedAt.In(feedbackZone), UpdatedAt: r.UpdatedAt.In(feedbackZone)}
	if !r.ResolvedAt.IsZero() {
		t := r.ResolvedAt.In(feedbackZone)
		out.ResolvedAt = &t
	}
	return out
}

// reportFilter reads ?state=, ?policy=, ?limit=, ?offset=.
func reportFilter(v url.Values) (sitestore.Filter, error) {
	f := sitestore.Filter{State: sitestore.State(v.Get("state")), PolicyID: v.Get("policy")}
	if f.State != "" && !f.State.Valid() {
		return f, echo.NewHTTPError(http.StatusBadRequest, "unknown state "+strconv.Quote(string(f.State)))
	}
	for name, dst := range map[string]*int{"limit": &f.Limit, "offset": &f.Offset} {
		if s := v.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return f, echo.NewHTTPError(http.StatusBadRequest, name+" must be a whole number")
			}
			*dst = n
		}
	}
	return f, nil
}

// apiList answers GET /api/admin/feedback: the counts of every policy and
// the reports, as JSON, or with ?format=csv the reports as CSV.
func (f *feedbackRoutes) apiList(c echo.Context) error {
	filter, err := reportFilter(c.QueryParams())
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	filter.Sites = f.s.adminSites(c)
	reports, err := f.store.Reports(ctx, filter)
	if err != nil {
		return err
	}
	switch c.QueryParam("format") {
	case "csv":
		return f.writeCSV(c, reports)
	case "", "json":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "format must be json or csv")
	}
	counts, err := f.store.Counts(ctx)
	if err != nil {
		return err
	}
	out := FeedbackResponse{Policies: []FeedbackCounts{}, Reports: []FeedbackReport{}}
	for _, pc := range counts {
		fc := FeedbackCounts{PolicyID: pc.PolicyID, Title: f.title(pc.PolicyID), Category: pc.Category, Helpful: pc.Helpful,
			NotHelpful: pc.NotHelpful, Reports: map[sitestore.Reason]int{}, Open: pc.Open}
		for _, r := range sitestore.Reasons {
			fc.Reports[r] = pc.Reports[r]
		}
		out.Policies = append(out.Policies, fc)
	}
	for _, r := range reports {
		out.Reports = append(out.Reports, f.toReport(r))
	}
	return c.JSON(http.StatusOK, out)
}

// apiUpdate answers POST /api/admin/feedback/:id with the changed report.
func (f *feedbackRoutes) apiUpdate(c echo.Context) error {
	r, err := f.change(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, f.toReport(r))
}

// adminCSV is the admin page's CSV download (session cookie).
func (f *feedbackRoutes) adminCSV(c echo.Context) error {
	filter, err := reportFilter(c.QueryParams())
	if err != nil {
		return err
	}
	filter.Sites = f.s.adminSites(c)
	reports, err := f.store.Reports(c.Request().Context(), filter)
	if err != nil {
		return err
	}
	return f.writeCSV(c, reports)
}

// csvHeader names the CSV columns.
var csvHeader = []string{"id", "created_at", "policy_id", "title", "category", "reason", "reason_label",
	"comment", "state", "state_label", "note", "updated_at", "resolved_at"}

// writeCSV sends reports as CSV in UTF-8 with a byte-order mark (so that
// spreadsheet programs read the Chinese right), every cell that a
// spreadsheet would take for a formula made inert.
func (f *feedbackRoutes) writeCSV(c echo.Context, reports []sitestore.Report) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="yicha-feedback-%s.csv"`,
		f.s.cfg.Now().In(feedbackZone).Format("20060102")))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	w.UseCRLF = true
	c.Response().Write([]byte("\uFEFF"))
	w.Write(csvHeader)
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(feedbackZone).Format(time.RFC3339)
	}
	for _, r := range reports {
		row := []string{strconv.FormatInt(r.ID, 10), stamp(r.CreatedAt), r.PolicyID, f.title(r.PolicyID), r.Category,
			string(r.Reason), r.Reason.Label(), r.Comment, string(r.State), r.State.Label(), r.Note, stamp(r.UpdatedAt), stamp(r.ResolvedAt)}
		for i, cell := range row {
			row[i] = csvSafe(cell)
		}
		w.Write(row)
	}
	w.Flush()
	return w.Error()
}

// csvSafe keeps a spreadsheet from running a cell as a formula: a cell
// starting with =, +, -, @, a tab or a carriage return gets a leading '.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
