package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Admins sign in on /admin with the token once and then carry a session
// cookie; the admin pages and form posts pass through the middleware here,
// which checks the session and, on every post, its CSRF value.

// The admin page signs in with the token once and then carries a session
// cookie derived from it (HttpOnly, SameSite=Strict); every form post also
// carries a CSRF value derived from the session.
const adminCookie = "yc_admin"

func (s *Server) mac(purpose string) string {
	m := hmac.New(sha256.New, []byte(s.cfg.AdminToken))
	m.Write([]byte(purpose))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) sessionOK(c echo.Context) bool {
	ck, err := c.Cookie(adminCookie)
	return err == nil && hmac.Equal([]byte(ck.Value), []byte(s.mac("session")))
}

func (s *Server) csrfOK(c echo.Context) bool {
	return hmac.Equal([]byte(c.FormValue("csrf")), []byte(s.mac("csrf")))
}

func (s *Server) adminLogin(c echo.Context) error {
	if !s.tokenOK(strings.TrimSpace(c.FormValue("token"))) {
		time.Sleep(200 * time.Millisecond) // slow down guessing
		return c.Redirect(http.StatusSeeOther, "/admin?failed=1")
	}
	c.SetCookie(&http.Cookie{Name: adminCookie, Value: s.mac("session"), Path: "/", MaxAge: 8 * 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.IsTLS()})
	return c.Redirect(http.StatusSeeOther, "/admin")
}

func (s *Server) adminLogout(c echo.Context) error {
	c.SetCookie(&http.Cookie{Name: adminCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// signedIn lets a request through only with an admin session.
func (s *Server) signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.sessionOK(c) {
			return errUnauthorized
		}
		return next(c)
	}
}

// adminForm lets a form post through only with an admin session and the
// session's CSRF value.
func (s *Server) adminForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.sessionOK(c) {
			return errUnauthorized
		}
		if !s.csrfOK(c) {
			return echo.NewHTTPError(http.StatusForbidden, "invalid form")
		}
		return next(c)
	}
}
