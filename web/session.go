package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"yicha/web/sitestore"
)

// Admins sign in on /admin with the token once and then carry a session:
// a random id in a cookie (HttpOnly, SameSite=Strict, Secure over TLS),
// kept server-side in the site store as its hash with a CSRF value of its
// own, ended after SessionIdle without use or SessionLifetime in all, and
// on signing out. Signing in again starts a new session. The admin pages
// and form posts pass through the middleware here, which checks the
// session and, on every post, its CSRF value.

// Bounds of an admin session.
const (
	SessionIdle     = 30 * time.Minute
	SessionLifetime = 8 * time.Hour
	// MinAdminToken is the shortest admin token the server accepts.
	MinAdminToken = 32
)

const adminCookie = "yc_admin"

// sessionKey keeps the request's session in its echo context.
const sessionKey = "yicha.session"

// randomValue returns 32 random bytes, base64url-encoded.
func randomValue() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashID is what the store keeps of a session id.
func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// session returns the request's admin session, if it has a live one whose
// admin is still listed; the request then carries that admin, with the
// role the admins file gives it now.
func (s *Server) session(c echo.Context) (sitestore.Session, bool) {
	if se, ok := c.Get(sessionKey).(sitestore.Session); ok {
		return se, true
	}
	ck, err := c.Cookie(adminCookie)
	if err != nil || ck.Value == "" || s.cfg.Records == nil || s.admins == nil {
		return sitestore.Session{}, false
	}
	se, err := s.cfg.Records.UseSession(c.Request().Context(), hashID(ck.Value), s.cfg.Now())
	if err != nil {
		if !errors.Is(err, sitestore.ErrNotFound) {
			s.cfg.Logger.Error("reading an admin session", "error", err)
		}
		return sitestore.Session{}, false
	}
	a, ok := s.admins.Lookup(se.Admin)
	if !ok {
		return sitestore.Session{}, false
	}
	c.Set(sessionKey, se)
	c.Set(adminKey, a)
	return se, true
}

func (s *Server) sessionOK(c echo.Context) bool {
	_, ok := s.session(c)
	return ok
}

// csrfOK checks the form's CSRF value against the session's.
func (s *Server) csrfOK(c echo.Context) bool {
	se, ok := s.session(c)
	given := c.Request().PostFormValue("csrf")
	return ok && given != "" && hmac.Equal([]byte(given), []byte(se.CSRF))
}

// secure reports whether the person reaches the site over TLS: directly,
// through a trusted proxy that says so (X-Forwarded-Proto: https), or by
// configuration (--cookie-secure). Cookies are then Secure.
func (s *Server) secure(c echo.Context) bool {
	if c.IsTLS() || s.cfg.CookieSecure {
		return true
	}
	r := c.Request()
	return s.cfg.TrustProxyHeader != "" && s.trustedPeer(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// adminLogin signs in with the token, given in the form's body only, and
// starts a new session (ending the one the browser had, if any).
func (s *Server) adminLogin(c echo.Context) error {
	if c.QueryParams().Has("token") {
		return echo.NewHTTPError(http.StatusBadRequest, "the token goes in the form, never in the address")
	}
	a, ok := s.verifyToken(c, strings.TrimSpace(c.Request().PostFormValue("token")))
	if !ok {
		time.Sleep(200 * time.Millisecond) // slow down guessing
		return c.Redirect(http.StatusSeeOther, "/admin?failed=1")
	}
	ctx := c.Request().Context()
	if old, err := c.Cookie(adminCookie); err == nil && old.Value != "" {
		if err := s.cfg.Records.DeleteSession(ctx, hashID(old.Value)); err != nil {
			return err
		}
	}
	id, now := randomValue(), s.cfg.Now()
	se := sitestore.Session{IDHash: hashID(id), CSRF: randomValue(), Admin: a.Name, Created: now,
		Expires: now.Add(SessionLifetime), IdleFor: SessionIdle}
	if err := s.cfg.Records.CreateSession(ctx, se); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: adminCookie, Value: id, Path: "/", MaxAge: int(SessionLifetime.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(c)})
	s.audit(c, a, AuditLogin, "", "")
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// adminLogout ends the session (adminForm has checked it and its CSRF).
func (s *Server) adminLogout(c echo.Context) error {
	s.audit(c, currentAdmin(c), AuditLogout, "", "")
	if ck, err := c.Cookie(adminCookie); err == nil {
		if err := s.cfg.Records.DeleteSession(c.Request().Context(), hashID(ck.Value)); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: adminCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secure(c)})
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
