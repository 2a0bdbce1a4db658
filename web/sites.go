package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"yicha/corpus"
	"yicha/search"
)

// defaultSite is the site of a request that names none: the configured
// one, else the corpus's first district.
func (s *Server) defaultSite() string {
	if s.cfg.DefaultSite != "" {
		return s.cfg.DefaultSite
	}
	if d := s.cfg.Searcher.Corpus().Sites.Default(); d != nil {
		return d.ID
	}
	return ""
}

// siteParam is the site a request names with site=, else the default. It
// is checked against the corpus: an unknown site is a bad request.
func (s *Server) siteParam(v url.Values) (string, error) {
	site := v.Get("site")
	if len(v["site"]) > 1 {
		return "", fmt.Errorf("%w: site is given more than once", search.ErrBadRequest)
	}
	if site == "" {
		return s.defaultSite(), nil
	}
	if _, ok := s.cfg.Searcher.Corpus().Sites.Get(site); !ok {
		return "", fmt.Errorf("%w: unknown site %q; GET /api/sites lists them", search.ErrBadRequest, site)
	}
	return site, nil
}

// siteKey holds, in a request's context, the site its path named
// (/s/ID/…).
type siteKey struct{}

// pathSite is the site the request's path named, if it did.
func pathSite(c echo.Context) (string, bool) {
	id, ok := c.Request().Context().Value(siteKey{}).(string)
	return id, ok
}

// requestSite is the site a request is on: the one its path names
// (/s/ID/…), else its site= parameter, else the default.
func (s *Server) requestSite(c echo.Context) (string, error) {
	if id, ok := pathSite(c); ok {
		return id, nil
	}
	return s.siteParam(c.QueryParams())
}

// sitePrefix serves /s/ID/… as … on site ID: the path is routed without
// the prefix, the site goes in the request's context, and a redirect to a
// path of this server stays on the site. /s/ID (no slash) goes to /s/ID/;
// an unknown ID is left to the router (404).
func (s *Server) sitePrefix(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		rest, ok := strings.CutPrefix(req.URL.Path, sitesPath)
		if !ok {
			return next(c)
		}
		id, tail, slash := strings.Cut(rest, "/")
		if _, known := s.cfg.Searcher.Corpus().Sites.Get(id); !known {
			return next(c)
		}
		prefix := sitesPath + id
		if !slash {
			to := prefix + "/"
			if req.URL.RawQuery != "" {
				to += "?" + req.URL.RawQuery
			}
			return c.Redirect(http.StatusMovedPermanently, to)
		}
		// Echo routes the request it was given: its URL is changed in
		// place, as echo's own rewrite middleware does.
		req.URL.Path, req.URL.RawPath = "/"+tail, ""
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), siteKey{}, id)))
		c.Response().Before(func() {
			h := c.Response().Header()
			if loc := h.Get(echo.HeaderLocation); onThisSite(loc) {
				h.Set(echo.HeaderLocation, prefix+loc)
			}
		})
		return next(c)
	}
}

// sitesPath starts the paths of a site's pages.
const sitesPath = "/s/"

// onThisSite reports whether a link is to a page of this server that a
// site serves under its prefix: a path (not //host), not already on a
// site, and not a static file, the API, the admin pages or an ops route,
// which are the same on every site.
func onThisSite(link string) bool {
	if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") || strings.HasPrefix(link, sitesPath) {
		return false
	}
	for _, p := range []string{"/static/", "/favicon", "/api/", "/admin", "/healthz", "/readyz", "/metrics", "/openapi"} {
		if strings.HasPrefix(link, p) {
			return false
		}
	}
	return true
}

// linkAttrs are the attributes that hold a link a person follows or a
// form sends.
var linkAttrs = map[string]bool{"href": true, "action": true, "formaction": true}

// onSite rewrites a page's links to pages of this server so that they stay
// under the site's prefix (/s/ID): a street's pages lead to the street's
// pages. Links to static files, the API and the admin pages are left as
// they are.
func onSite(page []byte, prefix string) ([]byte, error) {
	z := html.NewTokenizer(bytes.NewReader(page))
	var out bytes.Buffer
	out.Grow(len(page) + 1024)
	for {
		switch tt := z.Next(); tt {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return out.Bytes(), nil
			}
			return nil, z.Err()
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			changed := false
			for i, a := range tok.Attr {
				if linkAttrs[a.Key] && onThisSite(a.Val) && !(tok.Data == "link" && a.Key == "href") {
					tok.Attr[i].Val = prefix + a.Val
					changed = true
				}
			}
			if changed {
				out.WriteString(tok.String())
			} else {
				out.Write(z.Raw())
			}
		default:
			out.Write(z.Raw())
		}
	}
}

// parseOnSite parses a search's parameters, on the site the request is
// on.
func (s *Server) parseOnSite(c echo.Context, v url.Values) (search.Request, error) {
	site, err := s.requestSite(c)
	if err != nil {
		return search.Request{}, err
	}
	v = maps.Clone(v)
	if site == "" {
		delete(v, "site")
	} else {
		v.Set("site", site)
	}
	return s.cfg.Searcher.ParseRequest(v)
}

// SiteResponse is one site in GET /api/sites.
type SiteResponse struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Level  string `json:"level"`
	Parent string `json:"parent,omitempty"`
	// Default is set on the site of requests that name none.
	Default bool            `json:"default,omitempty"`
	Hotline *corpus.Hotline `json:"hotline"`
	Intro   string          `json:"intro,omitempty"`
	Places  []PlaceResponse `json:"places"`
	// Entries counts the entries the site shows.
	Entries int `json:"entries"`
}

// PlaceResponse is an office that serves a site.
type PlaceResponse struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
	Hours   string `json:"hours"`
	Phone   string `json:"phone"`
}

// SitesResponse is the JSON answer of GET /api/sites.
type SitesResponse struct {
	Sites []SiteResponse `json:"sites"`
}

// apiSites lists the sites, parents before their children, with their
// hotline (the nearest ancestor's when a site has none of its own).
func (s *Server) apiSites(c echo.Context) error {
	cp := s.cfg.Searcher.Corpus()
	def := s.defaultSite()
	out := SitesResponse{Sites: []SiteResponse{}}
	for _, site := range cp.Sites.List {
		r := SiteResponse{ID: site.ID, Name: site.Name, Level: site.Level, Parent: site.Parent, Default: site.ID == def,
			Hotline: cp.Sites.HotlineOf(site.ID), Intro: site.Intro, Places: []PlaceResponse{}}
		for _, l := range site.Locations {
			r.Places = append(r.Places, PlaceResponse{ID: l.ID, Name: l.Name, Address: l.Address, Hours: l.Hours, Phone: l.Phone})
		}
		for _, p := range cp.Policies {
			if cp.Sites.ShownOn(p, site.ID) {
				r.Entries++
			}
		}
		out.Sites = append(out.Sites, r)
	}
	return c.JSON(http.StatusOK, out)
}
