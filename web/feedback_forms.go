package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	// votePolicyQuota names the quota of one vote per policy a day.
	votePolicyQuota = "vote-policy"
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
	secret, err := s.cfg.Records.Secret(context.Background())
	if err != nil {
		return nil, fmt.Errorf("feedback secret: %w", err)
	}
	return &feedbackRoutes{s: s, store: s.cfg.Records, secret: secret}, nil
}

// routes are the residents' forms, the public summary and, with the admin
// token set, the admins' queue.
func (f *feedbackRoutes) routes() {
	s, e := f.s, f.s.echo
	e.POST("/policies/:id/helpful", f.vote)
	e.POST("/policies/:id/feedback", f.report)
	e.Match(getAndHead, "/policies/:id/feedback/done", f.done)
	e.Match(getAndHead, "/transparency", f.transparency)
	if s.adminOn() {
		e.Match(getAndHead, "/api/admin/feedback", f.apiList, s.requireBearer)
		e.POST("/api/admin/feedback/:id", f.apiUpdate, s.requireBearer)
		e.Match(getAndHead, "/admin/feedback.csv", f.adminCSV, s.signedIn)
		e.POST("/admin/feedback/:id", f.update, s.adminForm)
	}
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

// token is the form token of a policy's forms issued to a client at now:
// the time, and a MAC over it, the policy and the client's address (which
// the token does not reveal), so a token works for that client only.
func (f *feedbackRoutes) token(policyID, client string, now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 36)
	return ts + "." + f.sign("form", policyID, client, ts)
}

// tokenOK accepts a token issued for this policy to this client within
// formTokenLifetime.
func (f *feedbackRoutes) tokenOK(policyID, client, token string, now time.Time) bool {
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
	return hmac.Equal([]byte(mac), []byte(f.sign("form", policyID, client, ts)))
}

// quota counts a client's writes of one kind (and scope, such as a policy)
// for today under a keyed hash of its address and the day.
func (f *feedbackRoutes) quota(c echo.Context, kind, scope string, limit int) sitestore.Quota {
	day := f.s.cfg.Now().In(feedbackZone).Format(time.DateOnly)
	return sitestore.Quota{Key: f.sign("client", kind, scope, c.RealIP(), day), Day: day, Limit: limit, Name: kind}
}

// feedbackFormView is what the policy page's feedback forms need.
type feedbackFormView struct {
	PolicyID     string
	Token        string
	VoteAction   string
	ReportAction string
	Reasons      []sitestore.Reason
	MaxComment   int
	// Thanks, after a vote, thanks the person in place of the vote form.
	Thanks string
}

// Thanks after a vote, on the policy page itself.
const (
	thanksHelpful   = "谢谢！已记下这条信息对您有帮助。"
	thanksUnhelpful = "谢谢！已记下这条信息对您没有帮助。愿意的话，请在下面告诉我们哪里不足。"
)

// voteAnswer is the answer to a vote posted by app.js (Accept:
// application/json): the thanks to show, and whether to offer the report
// form.
type voteAnswer struct {
	Message string `json:"message"`
	Report  bool   `json:"report"`
}

// wantsJSON reports whether a form was posted by script, which asks for
// JSON so that the page can stay where it is.
func wantsJSON(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}

// form is the view of a policy page's feedback forms; voted is the page's
// ?voted= after a vote without script ("yes" or "no").
func (f *feedbackRoutes) form(p *corpus.Policy, client, voted string) feedbackFormView {
	base := "/policies/" + url.PathEscape(p.ID)
	v := feedbackFormView{PolicyID: p.ID, Token: f.token(p.ID, client, f.s.cfg.Now()), VoteAction: base + "/helpful",
		ReportAction: base + "/feedback", Reasons: sitestore.Reasons, MaxComment: sitestore.MaxComment}
	switch voted {
	case "yes":
		v.Thanks = thanksHelpful
	case "no":
		v.Thanks = thanksUnhelpful
	}
	return v
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
	if wantsJSON(c) {
		return c.JSON(status, errorBody{Error: errorDetail{Code: codeForStatus(status), Message: f.s.render.text(c, msg)}})
	}
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
	if !f.tokenOK(p.ID, c.RealIP(), c.FormValue("token"), f.s.cfg.Now()) {
		return p, false, f.refuse(c, http.StatusForbidden, p, "表单已过期或无效，没有提交。请回到政策页面重新填写。")
	}
	return p, true, nil
}

// storeError answers what the store refused.
func (f *feedbackRoutes) storeError(c echo.Context, p *corpus.Policy, err error) error {
	var limit *sitestore.LimitError
	switch {
	case errors.As(err, &limit) && limit.Name == votePolicyQuota:
		return f.refuse(c, http.StatusTooManyRequests, p, "今天您已经评价过这条信息了，谢谢。如有具体意见，可以在下方告诉我们。")
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
	// One vote per policy per client a day, and VotesPerDay in all.
	if err := f.store.AddVote(c.Request().Context(), v, f.quota(c, votePolicyQuota, p.ID, 1), f.quota(c, "vote", "", VotesPerDay)); err != nil {
		return f.storeError(c, p, err)
	}
	// The thanks shows where the person voted: in place with script, else
	// back on the policy page at its feedback section.
	if wantsJSON(c) {
		c.Response().Header().Set("Cache-Control", "no-store")
		if helpful {
			return c.JSON(http.StatusOK, voteAnswer{Message: f.s.render.text(c, thanksHelpful)})
		}
		return c.JSON(http.StatusOK, voteAnswer{Message: f.s.render.text(c, thanksUnhelpful), Report: true})
	}
	voted := "yes"
	if !helpful {
		voted = "no"
	}
	return c.Redirect(http.StatusSeeOther, "/policies/"+url.PathEscape(p.ID)+"?voted="+voted+"#feedback")
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
	if _, err := f.store.AddReport(c.Request().Context(), r, f.quota(c, "report", "", ReportsPerDay)); err != nil {
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
