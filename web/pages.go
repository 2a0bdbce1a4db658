package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/search/live"
)

// phaseTexts name the phases of a reindex (live.Phase…).
var phaseTexts = map[string]string{
	live.PhaseValidating: "校验语料",
	live.PhaseIndexing:   "建立索引",
	live.PhaseChecking:   "检查新索引",
	live.PhaseSwapping:   "切换到新索引",
}

var templateFuncs = template.FuncMap{
	// fact shows a fact, or 「暂未核实」 where the data says it is unknown.
	"fact": func(s string) string {
		if s == corpus.Unknown || strings.TrimSpace(s) == "" {
			return "暂未核实"
		}
		return s
	},
	"known": func(s string) bool { return s != corpus.Unknown && strings.TrimSpace(s) != "" },
	// tel turns a phone number into a tel: link target.
	"tel": func(s string) template.URL {
		var b strings.Builder
		for _, r := range s {
			if unicode.IsDigit(r) || r == '+' {
				b.WriteRune(r)
			}
		}
		return template.URL("tel:" + b.String())
	},
	// dateText writes a corpus date the way residents read it:
	// 2026年12月2日 (or 「暂未核实」).
	"dateText": dateText,
	// inForce is whether a document's status is 现行有效.
	"inForce": func(status string) bool { return status == corpus.StatusInForce },
	// statusText is a document's status as pages show it.
	"statusText": func(status string) string {
		if status == corpus.Unknown || status == "" {
			return "状态暂未核实"
		}
		return status
	},
	// portalSearch is where a search link (online.search) leads.
	"portalSearch": func() string { return corpus.PortalSearchURL },
	"add":          func(a, b int) int { return a + b },
	"maxList":      func() int { return MaxListEntries },
	// entryNumbers writes the numbers of a list's entries: 第1、3项.
	"entryNumbers": func(ns []int) string {
		s := make([]string, len(ns))
		for i, n := range ns {
			s[i] = strconv.Itoa(n)
		}
		return "第" + strings.Join(s, "、") + "项"
	},
	"join": func(sep string, items []string) string {
		return strings.Join(items, sep)
	},
	// beijingTime writes a time in Beijing time, as every time on the
	// admin pages is.
	"beijingTime": func(t time.Time) string {
		if t.IsZero() {
			return "无"
		}
		return t.In(corpus.Zone).Format("2006-01-02 15:04:05")
	},
	// phaseText names a phase of a reindex in Chinese.
	"phaseText": func(p string) string {
		if t, ok := phaseTexts[p]; ok {
			return t
		}
		return p
	},
	// sourceText names the corpus source in Chinese where it has a name.
	"sourceText": func(s string) string {
		if s == "embedded" {
			return "内置语料"
		}
		return s
	},
	// paragraphs are an entry's text as paragraphs (paragraphs.go).
	"paragraphs": paragraphs,
	"searchURL":  func(q string) string { return "/search?" + url.Values{"q": {q}}.Encode() },
	"categoryURL": func(c string) string {
		return "/search?" + url.Values{"category": {c}}.Encode()
	},
	// fieldLabelOf names an entry's field in Chinese (policies_history.go).
	"fieldLabelOf": func(f string) string { return fieldLabel(f) },
	"fieldLabel": func(name string) string {
		if f, ok := corpus.FieldByName(name); ok {
			return f.Label
		}
		return name
	},
}

// prefs reads the display preferences from their cookies.
func prefs(c echo.Context) Prefs {
	var p Prefs
	if ck, err := c.Cookie(cookieScript); err == nil && ck.Value == "t" {
		p.Traditional = true
	}
	if ck, err := c.Cookie(cookieSize); err == nil && ck.Value == "l" {
		p.Large = true
	}
	return p
}

const (
	cookieScript = "yc_script"
	cookieSize   = "yc_size"
)

// page fills what every page has.
func (s *Server) page(c echo.Context, title string, data any) Page {
	p := Page{Title: title, Prefs: prefs(c), Here: c.Request().URL.RequestURI(), Query: c.QueryParam("q"), List: pageList(c), Data: data}
	if id, err := s.requestSite(c); err == nil && id != s.defaultSite() {
		if site, ok := s.cfg.Searcher.Corpus().Sites.Get(id); ok {
			p.Site = site.Name
		}
	}
	return p
}

// setPrefs stores a display preference in a cookie and goes back to the
// page the person came from. It works as a plain link, without JavaScript.
func (s *Server) setPrefs(c echo.Context) error {
	set := func(name, value string) {
		c.SetCookie(&http.Cookie{Name: name, Value: value, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.IsTLS()})
	}
	switch c.QueryParam("script") {
	case "t":
		set(cookieScript, "t")
	case "s":
		set(cookieScript, "s")
	}
	switch c.QueryParam("size") {
	case "l":
		set(cookieSize, "l")
	case "n":
		set(cookieSize, "n")
	}
	return c.Redirect(http.StatusSeeOther, localReturn(c.QueryParam("return")))
}

// localReturn accepts only a path on this site, so the preference links
// cannot send anyone elsewhere.
func localReturn(r string) string {
	u, err := url.Parse(r)
	if err != nil || r == "" || !strings.HasPrefix(r, "/") || strings.HasPrefix(r, "//") || strings.HasPrefix(r, "/\\") ||
		u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return u.RequestURI()
}

// links builds the URLs of a results page from its parameters.
type links struct {
	path string
	v    url.Values
}

func (l links) url(change func(v url.Values)) string {
	v := url.Values{}
	for k, vals := range l.v {
		v[k] = slices.Clone(vals)
	}
	v.Del("page")
	change(v)
	if len(v) == 0 {
		return l.path
	}
	return l.path + "?" + v.Encode()
}

func (l links) toggle(key, val string) string {
	return l.url(func(v url.Values) {
		vals := v[key]
		if i := slices.Index(vals, val); i >= 0 {
			v[key] = slices.Delete(vals, i, i+1)
		} else {
			v[key] = append(vals, val)
		}
	})
}

func (l links) without(key string) string { return l.url(func(v url.Values) { v.Del(key) }) }

func (l links) page(n int) string {
	return l.url(func(v url.Values) {
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
	})
}

// htmlError renders the error page for page routes.
func (s *Server) htmlError(c echo.Context, status int, msg string) {
	data := struct {
		Status  int
		Message string
	}{status, msg}
	if err := s.render.render(c, status, "error", s.page(c, fmt.Sprintf("出错了（%d）", status), data)); err != nil {
		c.String(status, msg)
	}
}

// dateText writes a YYYY-MM-DD date as 2026年12月2日; anything else as
// given, and unknown as 「暂未核实」.
func dateText(s string) string {
	if s == corpus.Unknown || strings.TrimSpace(s) == "" {
		return "暂未核实"
	}
	t, err := corpus.ParseDate(s)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}
