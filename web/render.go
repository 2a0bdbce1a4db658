package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/longbridgeapp/opencc"
	"golang.org/x/net/html"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages lists each page template with the partials it uses.
var pages = map[string][]string{
	"home":      {"layout", "searchbox"},
	"search":    {"layout", "searchbox", "hits"},
	"policy":    {"layout", "searchbox", "feedback_form"},
	"match":     {"layout", "searchbox", "hits"},
	"advanced":  {"layout", "searchbox", "hits"},
	"document":  {"layout", "searchbox"},
	"documents": {"layout", "searchbox"},
	"error":     {"layout", "searchbox"},
	"admin":     {"layout", "searchbox", "admin_feedback"},
	// The feedback pages; policy and admin get their feedback parts in
	// feedback.go.
	"feedback_done": {"layout"},
	"transparency":  {"layout"},
}

// renderer holds the parsed templates and the converter to traditional
// characters; both are built once at start-up.
type renderer struct {
	tmpl map[string]*template.Template
	s2t  func() (*opencc.OpenCC, error)
}

func newRenderer() (*renderer, error) {
	r := &renderer{tmpl: map[string]*template.Template{}, s2t: sync.OnceValues(func() (*opencc.OpenCC, error) {
		return opencc.New("s2t")
	})}
	for name, partials := range pages {
		files := []string{"templates/" + name + ".html"}
		for _, p := range partials {
			files = append(files, "templates/"+p+".html")
		}
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		r.tmpl[name] = t
	}
	return r, nil
}

// Prefs are a person's display preferences, kept in cookies.
type Prefs struct {
	Traditional bool
	Large       bool
}

// Page is what every page template receives.
type Page struct {
	Title string
	Prefs Prefs
	// Here is the path and query of this page, for links that come back.
	Here  string
	Query string
	Data  any
	// Nonce-free: pages carry no inline script; app.js is loaded from /static.
}

// Lang is the page's language tag.
func (p Page) Lang() string {
	if p.Prefs.Traditional {
		return "zh-Hant"
	}
	return "zh-CN"
}

// render executes a page into a buffer first, so a template error never
// sends half a page, converts it to traditional characters when the person
// asked for them, and writes it.
func (r *renderer) render(c echo.Context, status int, name string, p Page) error {
	t, ok := r.tmpl[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	out := buf.Bytes()
	if p.Prefs.Traditional {
		cc, err := r.s2t()
		if err != nil {
			return err
		}
		conv, err := toTraditional(cc, out)
		if err != nil {
			return err
		}
		out = conv
	}
	return c.HTMLBlob(status, out)
}

// convertedAttrs are the attributes whose text a person reads.
var convertedAttrs = map[string]bool{"title": true, "placeholder": true, "aria-label": true, "alt": true}

// toTraditional converts the text a person reads in an HTML page from
// simplified to traditional characters, leaving markup, links and form
// values alone (they carry the simplified values the server expects).
func toTraditional(cc *opencc.OpenCC, page []byte) ([]byte, error) {
	z := html.NewTokenizer(bytes.NewReader(page))
	var out bytes.Buffer
	inScript := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() == io.EOF {
				return out.Bytes(), nil
			}
			return nil, z.Err()
		case html.TextToken:
			raw := z.Raw()
			if inScript || !hasHan(raw) {
				out.Write(raw)
				continue
			}
			s, err := cc.Convert(string(raw))
			if err != nil {
				return nil, err
			}
			out.WriteString(s)
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "script" || tok.Data == "style" {
				inScript = tt == html.StartTagToken
			}
			changed := false
			for i, a := range tok.Attr {
				if convertedAttrs[a.Key] && hasHan([]byte(a.Val)) {
					s, err := cc.Convert(a.Val)
					if err != nil {
						return nil, err
					}
					tok.Attr[i].Val = s
					changed = true
				}
			}
			if changed {
				out.WriteString(tok.String())
			} else {
				out.Write(z.Raw())
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == "script" || string(name) == "style" {
				inScript = false
			}
			out.Write(z.Raw())
		default:
			out.Write(z.Raw())
		}
	}
}

func hasHan(b []byte) bool {
	for _, r := range string(b) {
		if r >= 0x3400 && r <= 0x9FFF {
			return true
		}
	}
	return false
}

// staticHandler serves the embedded assets with a long cache lifetime.
func staticHandler() echo.HandlerFunc {
	sub, _ := fs.Sub(staticFS, "static")
	fileServer := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return func(c echo.Context) error {
		if strings.HasSuffix(c.Request().URL.Path, "/") {
			return echo.ErrNotFound
		}
		c.Response().Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
