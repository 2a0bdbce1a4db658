package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// Static files are served under content-hashed names
// (/static/style.1a2b3c4d5e.css), computed at start-up from the embedded
// bytes, so browsers may keep them for a year: a changed file gets a new
// name. The plain names keep working with a short cache, for pages
// rendered by an older binary and for bookmarks.

// Cache lifetimes of static files under their hashed and plain names.
const (
	immutableCache = "public, max-age=31536000, immutable"
	shortCache     = "public, max-age=300"
)

// staticAsset is one embedded static file.
type staticAsset struct {
	name   string // plain name, e.g. style.css
	hashed string // hashed name, e.g. style.1a2b3c4d5e.css
	etag   string // the hash, quoted
	body   []byte
	ctype  string
}

// staticAssets are the embedded static files by plain and by hashed name.
type staticAssets struct {
	byName   map[string]*staticAsset
	byHashed map[string]*staticAsset
}

// contentHash is the first ten hex digits of the SHA-256 of body.
func contentHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])[:10]
}

// hashedName puts a hash before the name's extension.
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// loadStatic reads the files of fsys (flat, no folders) and names them.
func loadStatic(fsys fs.FS) (*staticAssets, error) {
	a := &staticAssets{byName: map[string]*staticAsset{}, byHashed: map[string]*staticAsset{}}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		ctype := mime.TypeByExtension(path.Ext(e.Name()))
		if ctype == "" {
			ctype = http.DetectContentType(body)
		}
		hash := contentHash(body)
		f := &staticAsset{name: e.Name(), hashed: hashedName(e.Name(), hash), etag: `"` + hash + `"`, body: body, ctype: ctype}
		a.byName[f.name] = f
		a.byHashed[f.hashed] = f
	}
	return a, nil
}

// URL is the hashed URL of a static file by its plain name; a name that is
// not embedded gets its plain URL, which answers 404.
func (a *staticAssets) URL(name string) string {
	if f, ok := a.byName[name]; ok {
		return "/static/" + f.hashed
	}
	return "/static/" + name
}

// handler serves a static file by hashed name (cached for a year) or by
// plain name (cached briefly).
func (a *staticAssets) handler() echo.HandlerFunc {
	return func(c echo.Context) error {
		name := c.Param("*")
		f, cache := a.byHashed[name], immutableCache
		if f == nil {
			f, cache = a.byName[name], shortCache
		}
		if f == nil {
			return echo.ErrNotFound
		}
		return a.serve(c, f, cache)
	}
}

// serve writes one file; HEAD gets the headers only.
func (a *staticAssets) serve(c echo.Context, f *staticAsset, cache string) error {
	h := c.Response().Header()
	h.Set("Cache-Control", cache)
	h.Set("ETag", f.etag)
	if c.Request().Header.Get("If-None-Match") == f.etag {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, f.ctype, f.body)
}

// favicon serves the site's icon at /favicon.ico, where browsers look for
// it when a page names none.
func (a *staticAssets) favicon() echo.HandlerFunc {
	return func(c echo.Context) error {
		f, ok := a.byName["favicon.svg"]
		if !ok {
			return echo.ErrNotFound
		}
		return a.serve(c, f, shortCache)
	}
}
