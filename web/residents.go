package web

import (
	"context"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/index"
	"yicha/search"
)

// The residents' pages: the home page, results, a policy and the situation
// wizard. Each handler parses what it is asked, decides what the page shows
// with a pure function of the request and the results, and renders it.

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
	// Street is the street the page is on, with its offices; nil on a
	// district.
	Street *streetView
}

// streetView is what a street's home page says of it.
type streetView struct {
	Name, Intro string
	Places      []corpus.Location
	Hotline     *corpus.Hotline
}

func (s *Server) home(c echo.Context) error {
	site, err := s.requestSite(c)
	if err != nil {
		return err
	}
	res, err := s.cfg.Searcher.Search(c.Request().Context(), search.Request{Page: 1, Size: 1, Sort: search.SortRelevance, Filters: search.Filters{Site: site}})
	if err != nil {
		return err
	}
	v := homeView{Questions: CommonQuestions, Total: res.Total}
	sites := s.cfg.Searcher.Corpus().Sites
	if st, ok := sites.Get(site); ok && st.Level == corpus.LevelStreet {
		v.Street = &streetView{Name: st.Name, Intro: st.Intro, Places: st.Locations, Hotline: sites.HotlineOf(st.ID)}
	}
	counts := map[string]int{}
	for _, f := range res.Facets[index.FieldCategory] {
		counts[f.Value] = f.Count
	}
	for _, cat := range corpus.Categories {
		v.Categories = append(v.Categories, categoryCount{Name: cat, Count: counts[cat], Href: "/search?" + url.Values{"category": {cat}}.Encode()})
	}
	on, err := s.cfg.Searcher.Search(c.Request().Context(), search.Request{Page: 1, Size: 1, Sort: search.SortRelevance, Filters: search.Filters{Online: true, Site: site}})
	if err != nil {
		return err
	}
	v.Online = int(on.Total)
	return s.render.render(c, http.StatusOK, "home", s.page(c, "", v))
}

// hitView is one hit as a page shows it.
type hitView struct {
	ID, Title, Category, Kind, Agency, Updated, Summary string
	// Benefit is what a person gets, in one line, when the entry says.
	Benefit         string
	Snippet         template.HTML
	Online, Expired bool
	Eligibility     string
	Reasons         []corpus.Reason
	Missing         []string
	// Query is added to the entry's link: the wizard passes the street it
	// was told, so the entry's page shows that street's centre first, and
	// pages pass the 办事清单 being gathered.
	Query string
	// List is the entry's 加入清单 link (worklist.go).
	List *listAdd
}

func toHitView(h search.Hit) hitView {
	p := h.Policy
	v := hitView{ID: p.ID, Title: p.Title, Category: p.Category, Kind: p.Kind, Agency: p.Agency, Updated: p.Updated,
		Summary: p.Summary, Benefit: p.Benefit, Snippet: h.Snippet, Online: p.HasOnline(), Expired: h.Expired}
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
	Q string
	// Searched is what was searched: the question, or the Chinese a
	// question typed in pinyin was taken for (Spelled).
	Searched, Spelled string
	// NotAnswered is set when a question's first hit does not surely
	// answer it: the page says so and lists Referrals first.
	NotAnswered bool
	Referrals   []Referral
	// Portal is the 一网通办 portal, to search the question there.
	Portal string
	// Stated is the wizard's link with what the question states about the
	// person (an age, living alone…), when it states anything.
	Stated   *statedView
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

func (s *Server) searchPage(c echo.Context) error {
	params := c.QueryParams()
	req, err := s.parseOnSite(c, params)
	if err != nil {
		return err
	}
	res, err := s.search(c, req)
	if err != nil {
		return err
	}
	v := resultsView(req, res, links{path: c.Path(), v: params})
	s.countSearch(req, res.Total == 0)
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
	page := s.page(c, title, v)
	if req.Query != "" {
		page.Description = fmt.Sprintf("易查里与“%s”有关的政策和服务，共 %d 项。", req.Query, v.Total)
	}
	return s.render.render(c, http.StatusOK, "search", page)
}

// resultsView decides what a results page shows — hits, facets with the
// links that toggle them, chips of the active filters, paging — from the
// request and its results alone.
func resultsView(req search.Request, res *search.Result, l links) searchView {
	v := searchView{Q: req.Query, Searched: req.Query, Spelled: res.Spelled, Total: res.Total, Sort: req.Sort, Situation: !req.Situation.Empty(),
		NotAnswered: res.Confidence == search.Weak || res.Confidence == search.None, Referrals: toReferrals(res.Referrals), Portal: corpus.PortalSearchURL}
	if res.Spelled != "" {
		v.Searched = res.Spelled
	}
	if req.Situation.Empty() {
		if stated, facts := req.Question.Stated(); len(facts) > 0 {
			v.Stated = &statedView{Facts: facts, Href: "/match?" + stated.Encode() + "#results"}
		}
	}
	for _, h := range res.Hits {
		v.Hits = append(v.Hits, toHitView(h))
	}
	list, _ := parseListIDs(l.v.Get("list"))
	withList(v.Hits, list)
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
	h.Terms = req.Question.Terms()
	if !req.Filters.Empty() || !req.Situation.Empty() {
		h.ClearFilters = "/search?" + url.Values{"q": {req.Query}}.Encode()
	}
	res, err := s.cfg.Searcher.Search(ctx, search.Request{Page: 1, Size: 1, Sort: search.SortRelevance, Filters: search.Filters{Site: req.Filters.Site}})
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
	// Places are the places shown open: the resident's own street's
	// centre first when the street is known, then every place that is not
	// a street's centre. Folded are the other streets' centres, shown
	// folded under one line, so that a page does not repeat eight centres.
	Places []corpus.Location
	Folded []corpus.Location
	// Street is the street the resident chose (?residence=), Streets the
	// choices of the form that sets it.
	Street  string
	Streets []string
	// List is the 加入清单 link.
	List *listAdd
}

// streetOf returns the street whose 社区事务受理服务中心 a place is, or "".
func streetOf(l corpus.Location, streets []string) string {
	if !strings.Contains(l.Name, "社区事务受理服务中心") {
		return ""
	}
	for _, s := range streets {
		if strings.HasPrefix(l.Name, s) {
			return s
		}
	}
	return ""
}

// arrangePlaces puts the resident's own street's centre first and folds
// the other streets' centres; with no street known, an entry handled at
// any of several street centres shows them folded, the others open.
func (v *policyView) arrangePlaces(street string) {
	v.Streets = corpus.Subdistricts
	if !slices.Contains(v.Streets, street) {
		street = ""
	}
	v.Street = street
	var own, open, centres []corpus.Location
	for _, l := range v.P.Locations {
		switch s := streetOf(l, v.Streets); {
		case s == "":
			open = append(open, l)
		case s == street:
			own = append(own, l)
		default:
			centres = append(centres, l)
		}
	}
	if street == "" && len(centres) < 2 {
		open, centres = v.P.Locations, nil
	}
	v.Places = append(own, open...)
	v.Folded = centres
}

func (s *Server) policyPage(c echo.Context) error {
	p, err := s.cfg.Searcher.Policy(c.Param("id"))
	if err != nil {
		if v, ok := s.withdrawn(c.Request().Context(), c.Param("id")); ok {
			s.htmlError(c, http.StatusGone, withdrawnText(v))
			return nil
		}
		return err
	}
	v := policyView{P: p, Expired: p.Expired(s.cfg.Now()), Conditions: corpus.Describe(p.Eligible)}
	v.arrangePlaces(c.QueryParam("residence"))
	v.List = addToList(pageList(c), p.ID)
	if s.feedback != nil {
		form := s.feedback.form(p, c.RealIP(), c.QueryParam("voted"))
		v.Feedback = &form
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.SearchTimeout)
	defer cancel()
	site, err := s.requestSite(c)
	if err != nil {
		return err
	}
	rel, err := s.cfg.Searcher.Search(ctx, search.Request{Query: p.Title + " " + strings.Join(p.Keywords, " "), Page: 1, Size: 6,
		Sort: search.SortRelevance, Filters: search.Filters{ExcludeExpired: true, Site: site}})
	if err != nil {
		return err
	}
	for _, h := range rel.Hits {
		if h.Policy.ID != p.ID && len(v.Related) < 4 {
			v.Related = append(v.Related, toHitView(h))
		}
	}
	page := s.page(c, p.Title, v)
	page.Description = p.Title + "：" + p.Summary
	return s.render.render(c, http.StatusOK, "policy", page)
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
	// MaybeTotal counts every 可能符合 entry; the page lists the first
	// maybeShown of them, best first, and MoreHref lists them all.
	MaybeTotal int
	MoreHref   string
	Total      int
	None       string
	// Facts are the given facts in words, shown above the folded form.
	Facts []string
	// Next are one-tap follow-up questions: the facts that would settle
	// the most 可能符合 entries.
	Next []nextView
}

// nextView is a follow-up question: a link per answer, or (for a number)
// a small form that keeps the facts already given.
type nextView struct {
	Field, Label, Kind string
	Answers            []answerLink
	Hidden             []hiddenField
}

type answerLink struct{ Label, Href string }

type hiddenField struct{ Name, Value string }

// with returns a copy of the given facts with one more set.
func with(given url.Values, key, value string) url.Values {
	q := url.Values{}
	for k, x := range given {
		q[k] = slices.Clone(x)
	}
	q.Set(key, value)
	return q
}

// nextViews turns follow-up questions into links that add one answer to
// the facts already given and land on the results.
func nextViews(next []search.NextQuestion, given url.Values) []nextView {
	var out []nextView
	for _, n := range next {
		v := nextView{Field: n.Field.Name, Label: n.Field.Label, Kind: string(n.Field.Kind)}
		if n.Field.Kind == corpus.KindNumber {
			for _, k := range slices.Sorted(maps.Keys(given)) {
				for _, x := range given[k] {
					v.Hidden = append(v.Hidden, hiddenField{k, x})
				}
			}
		} else {
			options := n.Field.Options
			if n.Field.Kind == corpus.KindSet {
				options = append(slices.Clone(options), corpus.NoneOption)
			}
			for _, o := range options {
				q := with(given, n.Field.Name, o)
				label := o
				if o == corpus.NoneOption {
					label = "以上都没有"
				}
				v.Answers = append(v.Answers, answerLink{label, "/match?" + q.Encode() + "#results"})
			}
		}
		out = append(out, v)
	}
	return out
}

// maybeShown is how many 可能符合 entries the wizard's page lists before a
// link to the rest: the likeliest first, so that a phone shows what most
// probably applies without scrolling past a hundred entries that only ask.
const maybeShown = 20

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
		given := sit.Query()
		if v.Q != "" {
			given.Set("q", v.Q)
		}
		for _, f := range corpus.Fields {
			if vals := sit.Values(f.Name); len(vals) > 0 {
				v.Facts = append(v.Facts, f.Label+"："+strings.Join(vals, "、"))
			}
		}
		site, err := s.requestSite(c)
		if err != nil {
			return err
		}
		m, err := s.cfg.Searcher.MatchOn(sit, site)
		if err != nil {
			return err
		}
		v.Next = nextViews(m.Next, given)
		if v.Q != "" {
			req, err := s.cfg.Searcher.ParseRequest(url.Values{"q": {v.Q}, "size": {"50"}, "site": {site}})
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
		if street := sit.Values("residence"); len(street) == 1 && slices.Contains(corpus.Subdistricts, street[0]) {
			for _, list := range [][]hitView{v.Eligible, v.Maybe} {
				for i := range list {
					list[i].Query = "?" + url.Values{"residence": street}.Encode()
				}
			}
		}
		list := pageList(c)
		withList(v.Eligible, list)
		withList(v.Maybe, list)
		v.Total = len(v.Eligible) + len(v.Maybe)
		v.MaybeTotal = len(v.Maybe)
		if len(v.Maybe) > maybeShown && c.QueryParam("all") != "1" {
			v.Maybe = v.Maybe[:maybeShown]
			v.MoreHref = "/match?" + with(given, "all", "1").Encode() + "#maybe-title"
		}
	}
	return s.render.render(c, http.StatusOK, "match", s.page(c, "按我的情况查", v))
}

// statedView is a link to the wizard filled in with what a question
// states about the person.
type statedView struct {
	Facts []string
	Href  string
}
