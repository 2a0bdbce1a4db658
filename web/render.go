package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
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
	// The editors' pages for entries (policies_pages.go).
	"admin_policies":       {"layout", "searchbox"},
	"admin_policy_edit":    {"layout", "searchbox"},
	"admin_policy_preview": {"layout", "searchbox"},
	// The feedback pages; policy and admin get their feedback parts in
	// feedback.go.
	"feedback_done": {"layout"},
	"transparency":  {"layout"},
	"updates":       {"layout"},
	// An entry's history (policies_history.go).
	"admin_history": {"layout"},
	"admin_audit":   {"layout"},
	"admin_diff":    {"layout"},
	"admin_import":  {"layout"},
	// The sites' pages (sites_admin.go).
	"admin_sites": {"layout"},
	"admin_site":  {"layout"},
	"list":        {"layout"},
}

// pageDescriptions describe each page, for search engines and link
// previews, unless its handler describes it more closely.
var pageDescriptions = map[string]string{
	"home":                 "易查汇集上海市虹口区居民常用的政策和服务：用一句话提问，或按分类、按自己的情况查找能享受的补贴和能办理的事项。",
	"search":               "在易查搜索虹口区居民常用的政策和服务，可按分类、类型、适用对象和主管部门筛选。",
	"policy":               "虹口区居民常用政策和服务的说明、办理条件、材料、步骤和地点。",
	"match":                "按年龄、户籍、残疾、家庭经济状况等情况，查一查您可能符合的政策和服务，不需要填写姓名、身份证号或电话。",
	"advanced":             "供工作人员使用的精确检索：按关键词、完整短语、标题、依据文号、主管部门和分类查找政策。",
	"document":             "政策文件的文号、发文机关、日期、现行状态，以及依据它的政策和服务。",
	"documents":            "易查引用的全部政策文件及其现行状态。",
	"error":                "易查：页面出错了，可以回到首页重新查找政策和服务。",
	"admin":                "易查管理：索引状态、信息是否及时、居民的问题和反馈。",
	"feedback_done":        "易查：对政策信息的反馈。",
	"admin_policies":       "易查管理：政策和服务条目的列表、草稿和审核。",
	"admin_policy_edit":    "易查管理：编辑一个政策或服务条目。",
	"admin_policy_preview": "易查管理：预览条目并按情形检验办理条件。",
	"transparency":         "易查公开居民反馈的数量和处理情况。",
	"updates":              "虹口区政策和服务信息最近的更新：新增、修改、恢复和撤下的条目，以及改了哪些内容。",
	"admin_history":        "易查管理：条目的每个已发布版本、比较、回滚和撤下。",
	"admin_audit":          "易查管理：每一次登录、保存、发布、回滚、重建索引和反馈处理的记录。",
	"admin_diff":           "易查管理：两个版本之间逐项的改动。",
	"admin_import":         "易查管理：从政策文件的全文读出标题、文号、发文机关、日期和条款，核对后新建条目。",
	"list":                 "办事清单：把要办的几项政策和服务的材料、地点和步骤合在一页，可以打印，也可以把链接发给家人。",
}

// maxDescription bounds a page description, in characters.
const maxDescription = 150

// shorten cuts s to at most n characters, ending it with 「…」 when cut,
// and joins its lines.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// renderer holds the parsed templates and the converter to traditional
// characters; both are built once at start-up.
type renderer struct {
	tmpl map[string]*template.Template
	s2t  func() (*opencc.OpenCC, error)
	// static are the embedded static files under their hashed names.
	static *staticAssets
}

func newRenderer() (*renderer, error) {
	r := &renderer{tmpl: map[string]*template.Template{}, s2t: sync.OnceValues(func() (*opencc.OpenCC, error) {
		return opencc.New("s2t")
	})}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	if r.static, err = loadStatic(sub); err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	// static gives a static file's hashed URL: {{static "style.css"}}.
	funcs := template.FuncMap{"static": r.static.URL}
	for name, partials := range pages {
		files := []string{"templates/" + name + ".html"}
		for _, p := range partials {
			files = append(files, "templates/"+p+".html")
		}
		t, err := template.New(name).Funcs(templateFuncs).Funcs(funcs).ParseFS(templateFS, files...)
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
	// Description is the page's <meta name="description">; empty means
	// the default of its template (pageDescriptions).
	Description string
	// Refresh, if set, reloads the page after so many seconds (a meta
	// refresh: no script needed).
	Refresh int
	Prefs   Prefs
	// Here is the path and query of this page, for links that come back.
	Here string
	// Site is the site the page is on, when it is not the default one:
	// its name heads the page.
	Site  string
	Query string
	// List is the 办事清单 being gathered (?list=), carried on by the
	// page's links and its search box.
	List []string
	Data any
	// Nonce-free: pages carry no inline script; app.js is loaded from /static.
}

// ListParam is the list as a ?list= value.
func (p Page) ListParam() string { return strings.Join(p.List, ",") }

// ListHref is the list's page.
func (p Page) ListHref() string { return listHref(p.List) }

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
	if p.Description == "" {
		p.Description = pageDescriptions[name]
	}
	p.Description = shorten(p.Description, maxDescription)
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
	if id, ok := pathSite(c); ok {
		conv, err := onSite(out, sitesPath+id)
		if err != nil {
			return err
		}
		out = conv
	}
	return c.HTMLBlob(status, out)
}

// text is a message in the person's script: converted to traditional
// characters when they asked for them.
func (r *renderer) text(c echo.Context, s string) string {
	if !prefs(c).Traditional {
		return s
	}
	cc, err := r.s2t()
	if err != nil {
		return s
	}
	if t, err := cc.Convert(s); err == nil {
		return t
	}
	return s
}

// convertedAttrs are the attributes whose text a person reads.
var convertedAttrs = map[string]bool{"title": true, "placeholder": true, "aria-label": true, "alt": true, "content": true, "data-label": true}

// toTraditional converts the text a person reads in an HTML page from
// simplified to traditional characters, leaving markup, links and form
// values alone (they carry the simplified values the server expects): a
// textarea's text is a form value too.
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
			if tok.Data == "script" || tok.Data == "style" || tok.Data == "textarea" {
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
			if string(name) == "script" || string(name) == "style" || string(name) == "textarea" {
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
