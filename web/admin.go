package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/search/live"
	"yicha/web/admins"
)

// Admin is what the admin API and page need of the index service.
type Admin interface {
	Reindex(ctx context.Context, wait bool) (live.Status, error)
	Status() live.Status
}

var errUnauthorized = echo.NewHTTPError(http.StatusUnauthorized, "a valid admin token is required")

// adminKey keeps the request's admin in its echo context.
const adminKey = "yicha.admin"

// verifyToken returns the admin a presented token belongs to.
func (s *Server) verifyToken(c echo.Context, given string) (admins.Admin, bool) {
	if s.admins == nil || given == "" {
		return admins.Admin{}, false
	}
	a, err := s.admins.Verify(c.Request().Context(), given)
	return a, err == nil
}

// requireBearer guards the admin API: Authorization: Bearer TOKEN, which
// names the admin every change is attributed to.
func (s *Server) requireBearer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		auth := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(auth, "Bearer ")
		a, known := s.verifyToken(c, strings.TrimSpace(token))
		if !ok || !known {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="yicha-admin"`)
			return errUnauthorized
		}
		c.Set(adminKey, a)
		return next(c)
	}
}

// currentAdmin returns the admin of a request that requireBearer, signedIn
// or adminForm let through.
func currentAdmin(c echo.Context) admins.Admin {
	a, _ := c.Get(adminKey).(admins.Admin)
	return a
}

// ReindexResponse is the JSON answer of POST /api/admin/reindex.
type ReindexResponse struct {
	Status live.Status `json:"status"`
}

// problemsBody is the 422 answer: every problem of the corpus.
type problemsBody struct {
	Error    errorDetail      `json:"error"`
	Problems []corpus.Problem `json:"problems"`
	Lines    []string         `json:"lines"`
}

// apiReindex validates the corpus and starts a build; with ?wait=true it
// answers when the new index serves. Problems → 422, nothing changes; a
// build already running → 409.
func (s *Server) apiReindex(c echo.Context) error {
	wait := c.QueryParam("wait") == "true" || c.QueryParam("wait") == "1"
	s.audit(c, currentAdmin(c), AuditReindex, "", "")
	st, err := s.cfg.Admin.Reindex(c.Request().Context(), wait)
	var ce *corpus.CheckError
	switch {
	case errors.As(err, &ce):
		body := problemsBody{Error: errorDetail{Code: "invalid_corpus", Message: ce.Error()}, Problems: ce.Problems}
		for _, p := range ce.Problems {
			body.Lines = append(body.Lines, p.String())
		}
		return c.JSON(http.StatusUnprocessableEntity, body)
	case errors.Is(err, live.ErrBusy):
		return c.JSON(http.StatusConflict, errorBody{Error: errorDetail{Code: "busy", Message: err.Error()}})
	case err != nil:
		return err
	}
	status := http.StatusOK
	if st.Building {
		status = http.StatusAccepted
	}
	return c.JSON(status, ReindexResponse{Status: st})
}

// StatusResponse is the JSON answer of /api/admin/status: the index
// service's status and, as of the server's clock, the corpus's freshness.
type StatusResponse struct {
	live.Status
	Freshness corpus.Freshness `json:"freshness"`
}

func (s *Server) apiStatus(c echo.Context) error {
	return c.JSON(http.StatusOK, StatusResponse{Status: s.cfg.Admin.Status(), Freshness: s.freshness()})
}

// freshness is how current the served corpus is, as of now.
func (s *Server) freshness() corpus.Freshness {
	return s.cfg.Searcher.Corpus().Freshness(s.cfg.Now())
}

type adminView struct {
	SignedIn bool
	Failed   bool
	CSRF     string
	Status   live.Status
	Message  string
	// TopQueries and ZeroQueries are what residents asked most, and what
	// found nothing, over the last days.
	TopQueries, ZeroQueries []QueryCount
	// Feedback is residents' feedback, when a store is configured.
	Feedback *adminFeedbackView
	// Freshness lists what is due for checking.
	Freshness corpus.Freshness
	// Entries is set when admins edit entries in the store.
	Entries bool
}

func (s *Server) adminPage(c echo.Context) error {
	se, signedIn := s.session(c)
	v := adminView{SignedIn: signedIn, Failed: c.QueryParam("failed") == "1", Message: c.QueryParam("msg"), Entries: s.cfg.Entries != nil}
	if v.SignedIn {
		v.CSRF = se.CSRF
		v.Status = s.cfg.Admin.Status()
		v.Freshness = s.freshness()
		var err error
		if v.TopQueries, v.ZeroQueries, err = s.queries.top(c.Request().Context(), 20); err != nil {
			return err
		}
		if s.feedback != nil {
			fb, err := s.feedback.adminView(c.Request().Context(), c.QueryParams())
			if err != nil {
				return err
			}
			v.Feedback = fb
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	page := s.page(c, "管理", v)
	if v.Status.Building {
		page.Refresh = 2 // follow the progress without script
	}
	return s.render.render(c, http.StatusOK, "admin", page)
}

func (s *Server) adminReindex(c echo.Context) error {
	msg := "已开始重建索引"
	s.audit(c, currentAdmin(c), AuditReindex, "", "")
	if _, err := s.cfg.Admin.Reindex(c.Request().Context(), false); err != nil {
		var ce *corpus.CheckError
		switch {
		case errors.As(err, &ce):
			msg = "语料有问题，未重建：见下方错误"
		case errors.Is(err, live.ErrBusy):
			msg = "已有重建在进行中"
		default:
			msg = "重建失败：" + err.Error()
		}
	}
	return c.Redirect(http.StatusSeeOther, "/admin?msg="+url.QueryEscape(msg))
}

// QueriesResponse is the JSON answer of /api/admin/queries.
type QueriesResponse struct {
	Top        []QueryCount `json:"top"`
	ZeroResult []QueryCount `json:"zero_result"`
}

// apiQueries lists the most asked questions and those that found nothing.
func (s *Server) apiQueries(c echo.Context) error {
	top, zero, err := s.queries.top(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, QueriesResponse{Top: top, ZeroResult: zero})
}
