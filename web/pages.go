package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/index"
	"yicha/search"
)

// Labels of the facets, in the order the results page shows them.
var facetLabels = []struct{ field, label string }{
	{index.FieldCategory, "分类"},
	{index.FieldKind, "类型"},
	{index.FieldAudience, "适用对象"},
	{index.FieldAgency, "主管部门"},
}

// CommonQuestions are shown on the home page as ready-made searches.
var CommonQuestions = []string{
	"老人吃饭有补贴吗", "残疾证怎么办", "失业了能领钱吗", "长护险怎么申请",
	"低保申请条件", "公租房怎么申请", "生孩子有什么补贴", "退役军人优待证",
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
	"add": func(a, b int) int { return a + b },
	"join": func(sep string, items []string) string {
		return strings.Join(items, sep)
	},
	"searchURL": func(q string) string { return "/search?" + url.Values{"q": {q}}.Encode() },
	"categoryURL": func(c string) string {
		return "/search?" + url.Values{"category": {c}}.Encode()
	},
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
	return Page{Title: title, Prefs: prefs(c), Here: c.Request().URL.RequestURI(), Query: c.QueryParam("q"), Data: data}
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

type categoryCount struct {
	Name  string
	Count int
	Href  string
}

type homeView struct {
	Categories []categoryCount
	Questions  []string
	Total      uint64
	Online     int
}

func (s *Server) home(c echo.Context) error {
	res, err := s.cfg.Searcher.Search(c.Request().Context(), search.Request{Page: 1, Size: 1, Sort: search.SortRelevance})
	if err != nil {
		return err
	}
	v := homeView{Questions: CommonQuestions, Total: res.Total}
	counts := map[string]int{}
	for _, f := range res.Facets[index.FieldCategory] {
		counts[f.Value] = f.Count
	}
	for _, cat := range corpus.Categories {
		v.Categories = append(v.Categories, categoryCount{Name: cat, Count: counts[cat], Href: "/search?" + url.Values{"category": {cat}}.Encode()})
	}
	on, err := s.cfg.Searcher.Search(c.Request().Context(), search.Request{Page: 1, Size: 1, Sort: search.SortRelevance, Filters: search.Filters{Online: true}})
	if err != nil {
		return err
	}
	v.Online = int(on.Total)
	return s.render.render(c, http.StatusOK, "home", s.page(c, "", v))
}

// hitView is one hit as a page shows it.
type hitView struct {
	ID, Title, Category, Kind, Agency, Updated, Summary string
	Snippet                                             template.HTML
	Online, Expired                                     bool
	Eligibility                                         string
	Reasons                                             []corpus.Reason
	Missing                                             []string
}

func toHitView(h search.Hit) hitView {
	p := h.Policy
	v := hitView{ID: p.ID, Title: p.Title, Category: p.Category, Kind: p.Kind, Agency: p.Agency, Updated: p.Updated,
		Summary: p.Summary, Snippet: h.Snippet, Online: p.HasOnline(), Expired: h.Expired}
	if h.Match != nil {
		v.Eligibility = h.Match.Outcome.String()
		v.Reasons = h.Match.Reasons
		v.Missing = h.Match.Missing
	}
	return v
}

type facetValueView struct {
	Value  string
	Count  int
	Href   string
	Active bool
}

type facetView struct {
	Field, Label string
	Values       []facetValueView
}

type chipView struct {
	Label string
	Href  string
}

type pageLink struct {
	N       int
	Href    string
	Current bool
}

type searchView struct {
	Q        string
	Total    uint64
	From, To int
	Hits     []hitView
	Facets   []facetView
	Chips    []chipView
	Sort     string
	SortHref map[string]string
	Pages    []pageLink
	Prev     string
	Next     string
	// Help is set when nothing was found.
	Help          *noResultHelp
	Situation     bool
	AdvancedQuery bool
}

type noResultHelp struct {
	Terms        []string
	ClearFilters string
	Categories   []categoryCount
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

func (s *Server) searchPage(c echo.Context) error {
	params := c.QueryParams()
	req, res, err := s.runSearch(c, params)
	if err != nil {
		return err
	}
	v := s.searchView(c, req, res, links{path: c.Path(), v: params})
	s.countSearch(req.Query, res.Total == 0)
	if v.Total == 0 {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.SearchTimeout)
		defer cancel()
		if v.Help, err = s.noResultHelp(ctx, req, links{path: c.Path(), v: params}); err != nil {
			return err
		}
	}
	title := "搜索结果"
	if req.Query != "" {
		title = req.Query + " - 搜索结果"
	}
	return s.render.render(c, http.StatusOK, "search", s.page(c, title, v))
}

func (s *Server) searchView(c echo.Context, req search.Request, res *search.Result, l links) searchView {
	v := searchView{Q: req.Query, Total: res.Total, Sort: req.Sort, Situation: !req.Situation.Empty()}
	for _, h := range res.Hits {
		v.Hits = append(v.Hits, toHitView(h))
	}
	if len(v.Hits) > 0 {
		v.From = req.From() + 1
		v.To = req.From() + len(v.Hits)
	}
	active := map[string][]string{
		index.FieldCategory: req.Filters.Category, index.FieldKind: req.Filters.Kind,
		index.FieldAudience: req.Filters.Audience, index.FieldAgency: req.Filters.Agency,
	}
	for _, fl := range facetLabels {
		fv := facetView{Field: fl.field, Label: fl.label}
		for _, val := range res.Facets[fl.field] {
			fv.Values = append(fv.Values, facetValueView{Value: val.Value, Count: val.Count,
				Href: l.toggle(fl.field, val.Value), Active: slices.Contains(active[fl.field], val.Value)})
		}
		if len(fv.Values) > 0 {
			v.Facets = append(v.Facets, fv)
		}
		for _, a := range active[fl.field] {
			v.Chips = append(v.Chips, chipView{Label: fl.label + "：" + a, Href: l.toggle(fl.field, a)})
		}
	}
	f := req.Filters
	for _, x := range []struct {
		on         bool
		key, label string
	}{
		{f.Online, "online", "可网上办理"},
		{f.ExcludeExpired, "expired", "不含已失效"},
		{f.Phrase != "", "phrase", "短语：" + f.Phrase},
		{f.Title != "", "title", "标题含：" + f.Title},
		{f.DocNumber != "", "number", "文号：" + f.DocNumber},
	} {
		if x.on {
			v.Chips = append(v.Chips, chipView{Label: x.label, Href: l.without(x.key)})
			v.AdvancedQuery = true
		}
	}
	if !req.Situation.Empty() {
		v.Chips = append(v.Chips, chipView{Label: "按我的情况", Href: l.url(func(u url.Values) {
			for _, fd := range corpus.Fields {
				u.Del(fd.Name)
			}
		})})
	}
	v.SortHref = map[string]string{
		search.SortRelevance: l.url(func(u url.Values) { u.Del("sort") }),
		search.SortDate:      l.url(func(u url.Values) { u.Set("sort", search.SortDate) }),
	}
	pages := int((res.Total + uint64(req.Size) - 1) / uint64(req.Size))
	pages = min(pages, search.MaxPage)
	if pages > 1 {
		lo, hi := max(1, req.Page-4), min(pages, req.Page+4)
		for n := lo; n <= hi; n++ {
			v.Pages = append(v.Pages, pageLink{N: n, Href: l.page(n), Current: n == req.Page})
		}
		if req.Page > 1 {
			v.Prev = l.page(req.Page - 1)
		}
		if req.Page < pages {
			v.Next = l.page(req.Page + 1)
		}
	}
	return v
}

// noResultHelp offers ways on when nothing was found: each word alone,
// dropping the filters, and the categories.
func (s *Server) noResultHelp(ctx context.Context, req search.Request, l links) (*noResultHelp, error) {
	h := &noResultHelp{}
	if req.Query != "" {
		h.Terms = s.cfg.Searcher.Terms(req.Query)
	}
	if !req.Filters.Empty() || !req.Situation.Empty() {
		h.ClearFilters = "/search?" + url.Values{"q": {req.Query}}.Encode()
	}
	res, err := s.cfg.Searcher.Search(ctx, search.Request{Page: 1, Size: 1, Sort: search.SortRelevance})
	if err != nil {
		return nil, err
	}
	for _, f := range res.Facets[index.FieldCategory] {
		h.Categories = append(h.Categories, categoryCount{Name: f.Value, Count: f.Count, Href: "/search?" + url.Values{"category": {f.Value}}.Encode()})
	}
	return h, nil
}

type policyView struct {
	P       *corpus.Policy
	Expired bool
	Related []hitView
	// Conditions explains the structured eligibility in words.
	Conditions []string
	// Feedback holds the feedback forms, when a store is configured.
	Feedback *feedbackFormView
}

func (s *Server) policyPage(c echo.Context) error {
	p, err := s.cfg.Searcher.Policy(c.Param("id"))
	if err != nil {
		return err
	}
	v := policyView{P: p, Expired: p.Expired(s.cfg.Now()), Conditions: corpus.Describe(p.Eligible)}
	if s.feedback != nil {
		form := s.feedback.form(p)
		v.Feedback = &form
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.SearchTimeout)
	defer cancel()
	rel, err := s.cfg.Searcher.Search(ctx, search.Request{Query: p.Title + " " + strings.Join(p.Keywords, " "), Page: 1, Size: 6,
		Sort: search.SortRelevance, Filters: search.Filters{ExcludeExpired: true}})
	if err != nil {
		return err
	}
	for _, h := range rel.Hits {
		if h.Policy.ID != p.ID && len(v.Related) < 4 {
			v.Related = append(v.Related, toHitView(h))
		}
	}
	return s.render.render(c, http.StatusOK, "policy", s.page(c, p.Title, v))
}

type fieldView struct {
	corpus.Field
	Value    string
	Selected map[string]bool
}

type matchView struct {
	Fields   []fieldView
	Q        string
	Given    bool
	Eligible []hitView
	Maybe    []hitView
	Total    int
	None     string
}

func (s *Server) matchPage(c echo.Context) error {
	params := c.QueryParams()
	sit, err := corpus.ParseSituation(params)
	if err != nil {
		return err
	}
	v := matchView{Q: strings.TrimSpace(c.QueryParam("q")), Given: !sit.Empty(), None: corpus.NoneOption}
	for _, f := range corpus.Fields {
		fv := fieldView{Field: f, Selected: map[string]bool{}}
		for _, x := range sit.Values(f.Name) {
			fv.Selected[x] = true
			fv.Value = x
		}
		v.Fields = append(v.Fields, fv)
	}
	if v.Given {
		if v.Q != "" {
			req, err := search.ParseRequest(url.Values{"q": {v.Q}, "size": {"50"}})
			if err != nil {
				return err
			}
			req.Situation = sit
			ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.SearchTimeout)
			defer cancel()
			res, err := s.cfg.Searcher.Search(ctx, req)
			if err != nil {
				return err
			}
			for _, h := range res.Hits {
				hv := toHitView(h)
				if h.Match != nil && h.Match.Outcome == corpus.Eligible {
					v.Eligible = append(v.Eligible, hv)
				} else {
					v.Maybe = append(v.Maybe, hv)
				}
			}
		} else {
			m := s.cfg.Searcher.Match(sit)
			for _, list := range []struct {
				in  []search.Matched
				out *[]hitView
			}{{m.Eligible, &v.Eligible}, {m.Maybe, &v.Maybe}} {
				for _, x := range list.in {
					mm := x.Match
					*list.out = append(*list.out, toHitView(search.Hit{Policy: x.Policy, Match: &mm,
						Snippet: template.HTML(template.HTMLEscapeString(x.Policy.Summary))}))
				}
			}
		}
		v.Total = len(v.Eligible) + len(v.Maybe)
	}
	return s.render.render(c, http.StatusOK, "match", s.page(c, "按我的情况查", v))
}

type advancedView struct {
	searchView
	Phrase, Title, Number string
	Agencies              []string
	Categories            []string
	Agency, Category      []string
	IncludeExpired        bool
	Searched              bool
}

// advancedPage is the caseworkers' search: exact phrases, title words, a
// document number, agencies and categories, expired entries on request,
// and a dense table of results.
func (s *Server) advancedPage(c echo.Context) error {
	// echo caches the query parameters: change a copy, never them.
	params := url.Values{}
	for k, v := range c.QueryParams() {
		params[k] = slices.Clone(v)
	}
	searched := len(params) > 0
	if params.Get("expired") == "" {
		params.Set("expired", "false")
	}
	if params.Get("size") == "" {
		params.Set("size", "50")
	}
	req, err := search.ParseRequest(params)
	if err != nil {
		return err
	}
	v := advancedView{Phrase: req.Filters.Phrase, Title: req.Filters.Title, Number: req.Filters.DocNumber,
		Agencies: s.cfg.Searcher.Agencies(), Categories: corpus.Categories, Agency: req.Filters.Agency,
		Category: req.Filters.Category, IncludeExpired: !req.Filters.ExcludeExpired}
	v.Searched = searched
	if v.Searched {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.SearchTimeout)
		defer cancel()
		res, err := s.cfg.Searcher.Search(ctx, req)
		if err != nil {
			return err
		}
		v.searchView = s.searchView(c, req, res, links{path: c.Path(), v: params})
	}
	return s.render.render(c, http.StatusOK, "advanced", s.page(c, "精确检索（工作人员）", v))
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
