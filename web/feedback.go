package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/web/sitestore"
)

// Residents tell us on every policy page whether it helped and where it
// falls short; admins work through the reports on /admin; observers see on
// /transparency how many came in and how quickly they were answered.
//
// The forms are plain POST forms. Each carries a token signed with the
// store's secret over the policy and the time it was issued, so a post forged
// elsewhere (or replayed much later) is refused. Each client may send
// ReportsPerDay reports and VotesPerDay votes a day, counted under a keyed
// hash of its address and the day: no address is stored.

// Bounds on what one client sends.
const (
	ReportsPerDay = 10
	VotesPerDay   = 30
	// formTokenLifetime is how long a feedback form may stay open.
	formTokenLifetime = 6 * time.Hour
	// queueLimit is how many reports the admin page lists at once.
	queueLimit = 200
)

// feedbackZone is the day the daily caps count in, and the time admins and
// observers read.
var feedbackZone = time.FixedZone("CST", 8*3600)

// feedbackRoutes serves the feedback forms, the admin queue and the public
// summary from a store.
type feedbackRoutes struct {
	s      *Server
	store  sitestore.Store
	secret []byte
}

// newFeedback reads the store's secret. The policy and admin pages show
// their feedback parts from the views their handlers fill in.
func (s *Server) newFeedback() (*feedbackRoutes, error) {
	secret, err := s.cfg.Feedback.Secret(context.Background())
	if err != nil {
		return nil, fmt.Errorf("feedback secret: %w", err)
	}
	return &feedbackRoutes{s: s, store: s.cfg.Feedback, secret: secret}, nil
}

// sign is a MAC over parts under the store's secret.
func (f *feedbackRoutes) sign(parts ...string) string {
	m := hmac.New(sha256.New, f.secret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// token is the form token of a policy's forms issued at now: the time, and
// a MAC over it and the policy.
func (f *feedbackRoutes) token(policyID string, now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 36)
	return ts + "." + f.sign("form", policyID, ts)
}

// tokenOK accepts a token issued for this policy within formTokenLifetime.
func (f *feedbackRoutes) tokenOK(policyID, token string, now time.Time) bool {
	ts, mac, ok := strings.Cut(token, ".")
	if !ok {
		return false
	}
	sec, err := strconv.ParseInt(ts, 36, 64)
	if err != nil {
		return false
	}
	age := now.Sub(time.Unix(sec, 0))
	if age < -time.Minute || age > formTokenLifetime {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(f.sign("form", policyID, ts)))
}

// quota counts a client's writes of one kind for today under a keyed hash
// of its address and the day.
func (f *feedbackRoutes) quota(c echo.Context, kind string, limit int) sitestore.Quota {
	day := f.s.cfg.Now().In(feedbackZone).Format(time.DateOnly)
	return sitestore.Quota{Key: f.sign("client", kind, c.RealIP(), day), Day: day, Limit: limit}
}

// feedbackFormView is what the policy page's feedback forms need.
type feedbackFormView struct {
	PolicyID     string
	Token        string
	VoteAction   string
	ReportAction string
	Reasons      []sitestore.Reason
	MaxComment   int
}

// form is the view of a policy page's feedback forms.
func (f *feedbackRoutes) form(p *corpus.Policy) feedbackFormView {
	base := "/policies/" + url.PathEscape(p.ID)
	return feedbackFormView{PolicyID: p.ID, Token: f.token(p.ID, f.s.cfg.Now()), VoteAction: base + "/helpful",
		ReportAction: base + "/feedback", Reasons: sitestore.Reasons, MaxComment: sitestore.MaxComment}
}

// feedbackDoneView is the page after a post, or the page saying why it was
// refused.
type feedbackDoneView struct {
	Heading, Message string
	PolicyID         string
	PolicyTitle      string
	// Report sends the link back to the report form.
	Report bool
}

// refuse answers a post that cannot be taken with a page that says why.
func (f *feedbackRoutes) refuse(c echo.Context, status int, p *corpus.Policy, msg string) error {
	v := feedbackDoneView{Heading: "没能提交", Message: msg, PolicyID: p.ID, PolicyTitle: p.Title, Report: true}
	return f.s.render.render(c, status, "feedback_done", f.s.page(c, "没能提交", v))
}

// postedPolicy finds the policy a form was posted for and checks the form's
// token; ok is false when a refusal has been sent.
func (f *feedbackRoutes) postedPolicy(c echo.Context) (p *corpus.Policy, ok bool, err error) {
	p, err = f.s.cfg.Searcher.Policy(c.Param("id"))
	if err != nil {
		return nil, false, err
	}
	if !f.tokenOK(p.ID, c.FormValue("token"), f.s.cfg.Now()) {
		return p, false, f.refuse(c, http.StatusForbidden, p, "表单已过期或无效，没有提交。请回到政策页面重新填写。")
	}
	return p, true, nil
}

// storeError answers what the store refused.
func (f *feedbackRoutes) storeError(c echo.Context, p *corpus.Policy, err error) error {
	switch {
	case errors.Is(err, sitestore.ErrLimit):
		return f.refuse(c, http.StatusTooManyRequests, p,
			fmt.Sprintf("今天从您这里提交的反馈已经很多了（每天最多 %d 条意见、%d 次评价），请明天再来。感谢您的耐心。", ReportsPerDay, VotesPerDay))
	case errors.Is(err, sitestore.ErrInvalid):
		return f.refuse(c, http.StatusBadRequest, p, "内容有误，没有提交。请回到政策页面重新填写。")
	}
	return err
}

// vote takes 「这条信息对您有帮助吗？」.
func (f *feedbackRoutes) vote(c echo.Context) error {
	p, ok, err := f.postedPolicy(c)
	if !ok {
		return err
	}
	var helpful bool
	switch c.FormValue("helpful") {
	case "yes":
		helpful = true
	case "no":
	default:
		return f.refuse(c, http.StatusBadRequest, p, "请选择“有帮助”或“没有帮助”。")
	}
	v := sitestore.Vote{PolicyID: p.ID, Category: p.Category, Helpful: helpful, At: f.s.cfg.Now()}
	if err := f.store.AddVote(c.Request().Context(), v, f.quota(c, "vote", VotesPerDay)); err != nil {
		return f.storeError(c, p, err)
	}
	kind := "helpful"
	if !helpful {
		kind = "unhelpful"
	}
	return c.Redirect(http.StatusSeeOther, "/policies/"+url.PathEscape(p.ID)+"/feedback/done?kind="+kind)
}

// report takes a report: a reason from the list and an optional comment.
// Only those two fields are read: nothing else a post carries is kept.
func (f *feedbackRoutes) report(c echo.Context) error {
	p, ok, err := f.postedPolicy(c)
	if !ok {
		return err
	}
	reason := sitestore.Reason(c.FormValue("reason"))
	if !reason.Valid() {
		return f.refuse(c, http.StatusBadRequest, p, "请选择一个原因。")
	}
	comment := sitestore.CleanComment(c.FormValue("comment"))
	if n := utf8.RuneCountInString(comment); n > sitestore.MaxComment {
		return f.refuse(c, http.StatusBadRequest, p, fmt.Sprintf("补充说明最多 %d 字，您写了 %d 字。", sitestore.MaxComment, n))
	}
	r := sitestore.Report{PolicyID: p.ID, Category: p.Category, Reason: reason, Comment: comment, CreatedAt: f.s.cfg.Now()}
	// The report is committed to disk before the answer goes out.
	if _, err := f.store.AddReport(c.Request().Context(), r, f.quota(c, "report", ReportsPerDay)); err != nil {
		return f.storeError(c, p, err)
	}
	return c.Redirect(http.StatusSeeOther, "/policies/"+url.PathEscape(p.ID)+"/feedback/done?kind=report")
}

// done thanks the person after a post.
func (f *feedbackRoutes) done(c echo.Context) error {
	p, err := f.s.cfg.Searcher.Policy(c.Param("id"))
	if err != nil {
		return err
	}
	v := feedbackDoneView{Heading: "谢谢您的反馈", PolicyID: p.ID, PolicyTitle: p.Title}
	switch c.QueryParam("kind") {
	case "report":
		v.Message = "您的意见已收到并保存，工作人员会核实处理。处理情况按分类公开。"
	case "unhelpful":
		v.Message = "已记下这条信息对您没有帮助。愿意的话，请告诉我们哪里不足。"
		v.Report = true
	default:
		v.Message = "已记下这条信息对您有帮助。"
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return f.s.render.render(c, http.StatusOK, "feedback_done", f.s.page(c, "谢谢您的反馈", v))
}

// ---- the public summary ----

type transparencyRow struct {
	Category                          string
	Received, Handled, Rejected, Open int
	Median                            string
}

type transparencyView struct {
	Rows  []transparencyRow
	Total transparencyRow
	AsOf  string
}

// transparencyRows lists every category of the corpus, in its order, then
// any other category that has reports, with the totals.
func transparencyRows(sum []sitestore.CategorySummary) ([]transparencyRow, transparencyRow) {
	by := map[string]sitestore.CategorySummary{}
	for _, s := range sum {
		by[s.Category] = s
	}
	cats := append([]string{}, corpus.Categories...)
	for _, s := range sum {
		if !slices.Contains(cats, s.Category) {
			cats = append(cats, s.Category)
		}
	}
	var rows []transparencyRow
	total := transparencyRow{Category: "合计", Median: "—"}
	for _, cat := range cats {
		s := by[cat]
		rows = append(rows, transparencyRow{Category: cat, Received: s.Received, Handled: s.Handled, Rejected: s.Rejected,
			Open: s.Open, Median: humanDuration(s.MedianResponse, s.Handled+s.Rejected > 0)})
		total.Received += s.Received
		total.Handled += s.Handled
		total.Rejected += s.Rejected
		total.Open += s.Open
	}
	return rows, total
}

// humanDuration says how long an answer took, in days and hours.
func humanDuration(d time.Duration, answered bool) string {
	if !answered {
		return "—"
	}
	if d < time.Hour {
		return "不到 1 小时"
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	switch {
	case days == 0:
		return fmt.Sprintf("%d 小时", hours)
	case hours == 0:
		return fmt.Sprintf("%d 天", days)
	}
	return fmt.Sprintf("%d 天 %d 小时", days, hours)
}

// transparency is the public page: per category, how many reports came in,
// how many were handled and how quickly. It shows no comment text.
func (f *feedbackRoutes) transparency(c echo.Context) error {
	sum, err := f.store.Summary(c.Request().Context())
	if err != nil {
		return err
	}
	v := transparencyView{AsOf: f.s.cfg.Now().In(feedbackZone).Format("2006-01-02 15:04")}
	v.Rows, v.Total = transparencyRows(sum)
	c.Response().Header().Set("Cache-Control", "public, max-age=60")
	return f.s.render.render(c, http.StatusOK, "transparency", f.s.page(c, "反馈处理公开", v))
}

// ---- the admins' side ----

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
func (f *feedbackRoutes) adminView(ctx context.Context, q url.Values) (*adminFeedbackView, error) {
	state, _ := stateFilter(q)
	ctx, cancel := context.WithTimeout(ctx, f.s.cfg.SearchTimeout)
	defer cancel()
	counts, err := f.store.Counts(ctx)
	if err != nil {
		return nil, err
	}
	reports, err := f.store.Reports(ctx, sitestore.Filter{State: state, Limit: queueLimit + 1})
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
	if !f.s.sessionOK(c) {
		return errUnauthorized
	}
	if !f.s.csrfOK(c) {
		return echo.NewHTTPError(http.StatusForbidden, "invalid form")
	}
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
	if !f.s.sessionOK(c) {
		return errUnauthorized
	}
	filter, err := reportFilter(c.QueryParams())
	if err != nil {
		return err
	}
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
