package web

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"yicha/corpus"
	"yicha/corpus/entrystore"
)

// pageClient is a person's browser without script: cookies, forms, no
// redirects followed unless asked.
type pageClient struct {
	t    *testing.T
	s    *entryServer
	http *http.Client
	csrf string
}

// signIn signs in on /admin with a token and reads the session's CSRF
// value from the entries list.
func signIn(t *testing.T, s *entryServer, token string) *pageClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &pageClient{t: t, s: s, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := c.http.PostForm(s.URL+"/admin/login", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, page := c.get("/admin/policies")
	if code != 200 {
		t.Fatalf("/admin/policies after sign-in: %d", code)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF value on /admin/policies")
	}
	c.csrf = m[1]
	return c
}

func (c *pageClient) get(path string) (int, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.s.URL + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends a form with the session's CSRF value; it returns the status,
// the page and where a redirect leads.
func (c *pageClient) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	form = cloneValues(form)
	form.Set("csrf", c.csrf)
	resp, err := c.http.PostForm(c.s.URL+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// formValues reads the values a browser would send from the first form
// of a page whose action is action: inputs (checked boxes only), selects
// (the selected option, else the first) and textareas.
func formValues(t *testing.T, page, action string) url.Values {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	text := func(n *html.Node) string {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
		}
		return b.String()
	}
	var form *html.Node
	var find func(n *html.Node)
	find = func(n *html.Node) {
		if form != nil {
			return
		}
		if n.Type == html.ElementNode && n.Data == "form" {
			if a, _ := attr(n, "action"); a == action {
				form = n
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if form == nil {
		t.Fatalf("no form with action %s", action)
	}
	v := url.Values{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			name, named := attr(n, "name")
			switch n.Data {
			case "input":
				typ, _ := attr(n, "type")
				_, checked := attr(n, "checked")
				val, _ := attr(n, "value")
				if named && (typ != "checkbox" || checked) && typ != "submit" {
					v.Add(name, val)
				}
			case "textarea":
				if named {
					v.Add(name, strings.TrimPrefix(text(n), "\n"))
				}
			case "select":
				var first, sel *html.Node
				for o := n.FirstChild; o != nil; o = o.NextSibling {
					if o.Type == html.ElementNode && o.Data == "option" {
						if first == nil {
							first = o
						}
						if _, ok := attr(o, "selected"); ok {
							sel = o
						}
					}
				}
				if sel == nil {
					sel = first
				}
				if named && sel != nil {
					val, ok := attr(sel, "value")
					if !ok {
						val = text(sel)
					}
					v.Add(name, val)
				}
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return v
}

// TestPolicyFormRoundTrip: an entry's form, sent back unchanged, saves
// the same body as a draft — every field survives the form, the
// eligibility tree included — and its preview runs the entry's cases,
// which all pass; a draft whose rule turns them away fails them.
func TestPolicyFormRoundTrip(t *testing.T) {
	s := newEntryServer(t, false)
	ed := signIn(t, s, editorToken)
	for _, id := range []string{"dibao", "shequ-shitang", "ruxue-jiezhongzheng-chayan", "falv-yuanzhu"} {
		before, err := s.entries.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		code, page := ed.get(policiesPages + "/" + id)
		if code != 200 {
			t.Fatalf("GET %s: %d", id, code)
		}
		form := formValues(t, page, policiesPages+"/"+id)
		form.Set("act", "save")
		code, page, loc := ed.post(policiesPages+"/"+id, form)
		if code != http.StatusSeeOther {
			t.Fatalf("save %s unchanged: %d\n%s", id, code, problemsOf(page))
		}
		if !strings.HasPrefix(loc, policiesPages+"/"+id+"?msg=") {
			t.Errorf("save → %s", loc)
		}
		after, _ := s.entries.Get(t.Context(), id)
		if after.Draft == nil || after.Draft.Author != "王芳" {
			t.Fatalf("%s: no draft by 王芳 after the save: %+v", id, after.Draft)
		}
		if changes, _ := entrystore.Diff(before.Current().Body, after.Draft.Body); len(changes) > 0 {
			t.Errorf("%s: the unchanged form changed %+v", id, changes)
		}
	}

	// dibao's cases all pass on its draft.
	code, page := ed.get(policiesPages + "/dibao/preview")
	if code != 200 {
		t.Fatalf("preview: %d", code)
	}
	if !strings.Contains(page, `<h1>最低生活保障</h1>`) || !strings.Contains(page, "能得到：") {
		t.Error("the preview does not show the public page")
	}
	m := regexp.MustCompile(`(\d+) / (\d+) 个情形通过`).FindStringSubmatch(page)
	if m == nil || m[1] != m[2] || m[1] == "0" {
		t.Fatalf("dibao's cases: %v", m)
	}
	if strings.Contains(page, `id="publish"`) {
		t.Error("an editor is offered 发布")
	}

	// A rule that turns away 本市户籍 fails the 符合 cases.
	_, page = ed.get(policiesPages + "/dibao")
	form := formValues(t, page, policiesPages+"/dibao")
	if form.Get("c.0.field") != "hukou" || form.Get("c.0.value") != "本市户籍" || form.Get("c.2.type") != "any" || form.Get("c.5.depth") != "3" {
		t.Fatalf("dibao's rows: %v", form)
	}
	form.Set("c.0.value", "非本市户籍")
	form.Set("act", "save")
	if code, page, _ := ed.post(policiesPages+"/dibao", form); code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", code, problemsOf(page))
	}
	_, page = ed.get(policiesPages + "/dibao/preview")
	if !strings.Contains(page, "✗ 不通过") || !strings.Contains(page, `class="case fail"`) {
		t.Error("a rule that turns away the eligible shows no failing case")
	}
	// A situation added on the page joins the cases, in the address.
	resp, err := ed.http.Get(s.URL + policiesPages + "/dibao/preview?expect=" + url.QueryEscape("符合") + "&hukou=" + url.QueryEscape("非本市户籍") +
		"&residence=" + url.QueryEscape("曲阳路街道") + "&economic=" + url.QueryEscape("低保"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "case=") {
		t.Fatalf("adding a case = %d → %s", resp.StatusCode, loc)
	}
	_, page = ed.get(loc)
	if !strings.Contains(page, "户籍：非本市户籍，居住地：曲阳路街道，家庭经济状况：低保；应当“符合”，结果“符合”") {
		t.Error("the added case is not run")
	}

	// The editor asks for review from the preview.
	form = formValues(t, page, policiesPages+"/dibao/review")
	form.Set("note", "请审核")
	if code, _, loc := ed.post(policiesPages+"/dibao/review", form); code != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape("已提交审核")) {
		t.Fatalf("review = %d → %s", code, loc)
	}
	if e, _ := s.entries.Get(t.Context(), "dibao"); e.Draft == nil || e.Draft.Review == nil || e.Draft.Review.By != "王芳" || e.Draft.Review.Note != "请审核" {
		t.Errorf("after the review request: %+v", e.Draft)
	}
	_, page = ed.get(policiesPages)
	if !strings.Contains(page, `<tr data-id="dibao" class="review">`) || !strings.Contains(page, `<span id="reviews">1</span>`) {
		t.Error("the list does not show dibao waiting for review")
	}
	_, page = ed.get(policiesPages + "?show=review")
	if n := strings.Count(page, "<tr data-id="); n != 1 || !strings.Contains(page, `<tr data-id="dibao" class="review">`) {
		t.Errorf("待审核 lists %d entries", n)
	}
	_, page = ed.get(policiesPages + "?show=retired")
	if n := strings.Count(page, "<tr data-id="); n != 0 || !strings.Contains(page, "没有这种状态的条目") {
		t.Errorf("已撤下 lists %d entries", n)
	}
}

// problemsOf extracts the problems listed on a form page, for failures.
func problemsOf(page string) string {
	if i := strings.Index(page, `id="problems"`); i >= 0 {
		end := min(len(page), i+1500)
		return page[i:end]
	}
	return "(no problems listed)"
}

// TestPolicyFormRefusesInvalid: a draft with an invalid field is refused
// with the message `yicha check` gives shown at that field, what was typed
// kept, and nothing saved; an editor cannot publish; a post without the
// session's CSRF value is refused.
func TestPolicyFormRefusesInvalid(t *testing.T) {
	s := newEntryServer(t, false)
	ed := signIn(t, s, editorToken)
	_, page := ed.get(policiesPages + "/dibao")
	form := formValues(t, page, policiesPages+"/dibao")
	form.Set("title", "")
	form.Set("sources.0.url", "http://example.org/x")
	form.Set("c.1.op", "gte")
	form.Set("keywords", "低保\n新说法")
	form.Set("act", "save")
	code, page, _ := ed.post(policiesPages+"/dibao", form)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("an invalid draft = %d", code)
	}
	for _, c := range []struct{ slot, message string }{
		{`id="slot-title"`, "title"},
		{`id="slot-sources-0"`, "https"},
		{`id="cond-1"`, `operator &#34;gte&#34; does not apply to field residence`},
	} {
		i := strings.Index(page, c.slot)
		if i < 0 {
			t.Fatalf("no %s on the page", c.slot)
		}
		end := strings.Index(page[i:], "field-errors")
		if end < 0 || end > 20000 || !strings.Contains(page[i:i+end+600], c.message) {
			t.Errorf("the problem %q is not shown at %s", c.message, c.slot)
		}
	}
	if !strings.Contains(page, "低保\n新说法") {
		t.Error("what was typed is lost")
	}
	if e, _ := s.entries.Get(t.Context(), "dibao"); e.Draft != nil {
		t.Error("an invalid draft was saved")
	}

	// A new entry with an id that is not one.
	_, page = ed.get(policiesPages + "/new")
	form = formValues(t, page, policiesPages+"/new")
	form.Set("id", "新条目")
	form.Set("act", "save")
	if code, page, _ := ed.post(policiesPages+"/new", form); code != http.StatusUnprocessableEntity || !strings.Contains(page, "must be lower-case letters") {
		t.Errorf("a bad id = %d", code)
	}

	// 添加条件 adds an empty row and keeps the rest.
	_, page = ed.get(policiesPages + "/new")
	form = formValues(t, page, policiesPages+"/new")
	form.Set("title", "少儿围棋培训补贴")
	form.Set("act", "test:-1")
	code, page, _ = ed.post(policiesPages+"/new", form)
	if code != 200 || !strings.Contains(page, `id="cond-0"`) || !strings.Contains(page, `value="少儿围棋培训补贴"`) {
		t.Errorf("添加条件 = %d", code)
	}

	if code, _, _ := ed.post(policiesPages+"/dibao/publish", url.Values{"bv": {"1"}}); code != http.StatusForbidden {
		t.Errorf("an editor's publish = %d", code)
	}
	ed.csrf = "forged"
	if code, _, _ := ed.post(policiesPages+"/dibao/review", url.Values{"bv": {"1"}}); code != http.StatusForbidden {
		t.Errorf("a post without the CSRF value = %d", code)
	}
	// Without a session the pages send to the sign-in form.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(s.URL + policiesPages)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Errorf("signed out: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestPolicyFormBuilder builds a rule with the builder's buttons alone: a
// test, a 「满足其一」 group holding a test and a question; a question
// that is not one is refused at its row; the saved draft holds the tree.
// A row whose field changes shows its old values as typed text. A long
// entry is not refused for its size.
func TestPolicyFormBuilder(t *testing.T) {
	s := newEntryServer(t, false)
	ed := signIn(t, s, editorToken)
	_, page := ed.get(policiesPages + "/dibao")
	form := formValues(t, page, policiesPages+"/dibao")
	for k := range form {
		if strings.HasPrefix(k, "c.") || k == "bv" || k == "bd" {
			delete(form, k)
		}
	}
	form.Set("id", "weiqi-test")
	form.Set("title", "少儿围棋培训补贴")
	form.Set("guide.eligibility", "本市户籍\n低保或特困，或者有特殊困难")
	step := func(act string, set map[string]string) string {
		t.Helper()
		form.Set("act", act)
		code, page, _ := ed.post(policiesPages+"/new", form)
		if code != 200 {
			t.Fatalf("%s: %d %s", act, code, problemsOf(page))
		}
		form = formValues(t, page, policiesPages+"/new")
		for k, v := range set {
			form.Set(k, v)
		}
		return page
	}
	step("test:-1", map[string]string{"c.0.field": "hukou", "c.0.op": "eq", "c.0.text": "本市户籍"})
	step("any:-1", nil)
	step("test:1", map[string]string{"c.2.field": "economic", "c.2.op": "in", "c.2.text": "低保、特困供养"})
	page = step("ask:1", map[string]string{"c.3.ask": "有困难吗"})
	if !strings.Contains(page, `class="cond depth-2 ask" id="cond-3"`) {
		t.Fatal("the question is not added inside the group")
	}
	form.Set("act", "save")
	code, page, _ := ed.post(policiesPages+"/new", form)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("a question without ？ = %d", code)
	}
	i := strings.Index(page, `id="cond-3"`)
	if i < 0 || !strings.Contains(page[i:i+2000], "must be a question of 4 to 60 characters") || !strings.Contains(page, "eligibility.all[1].any[1]") {
		t.Error("the bad question's problem is not shown at its row")
	}
	form = formValues(t, page, policiesPages+"/new")
	form.Set("c.3.ask", "家里是否有特殊困难？")
	form.Set("act", "save")
	if code, page, loc := ed.post(policiesPages+"/new", form); code != http.StatusSeeOther || loc != policiesPages+"/weiqi-test?msg="+url.QueryEscape("草稿已保存") {
		t.Fatalf("save = %d → %s %s", code, loc, problemsOf(page))
	}
	e, err := s.entries.Get(t.Context(), "weiqi-test")
	if err != nil || e.Draft == nil || e.Draft.Author != "王芳" {
		t.Fatalf("the new entry's draft: %v %+v", err, e)
	}
	want := "eligibility:\n    all:\n        - {field: hukou, op: eq, value: 本市户籍}\n        - any:\n            - {field: economic, op: in, value: [低保, 特困供养]}\n            - {ask: 家里是否有特殊困难？}\n"
	if body := string(e.Draft.Body); !strings.HasSuffix(body, want) {
		t.Errorf("the saved rule:\n%s\nwant it to end with:\n%s", body[strings.Index(body, "eligibility:"):], want)
	}

	// A changed field: the old values show as text, for the admin to fix.
	_, page = ed.get(policiesPages + "/weiqi-test")
	form = formValues(t, page, policiesPages+"/weiqi-test")
	form.Set("c.0.field", "age")
	form.Set("act", "refresh")
	_, page, _ = ed.post(policiesPages+"/weiqi-test", form)
	if !strings.Contains(page, `id="c-0-text" name="c.0.text" value="本市户籍" inputmode="numeric"`) {
		t.Error("the old value of a changed field is not shown")
	}

	// A form far larger than other posts may be (64 KiB) reaches the
	// check, which names the field that is too long.
	_, page = ed.get(policiesPages + "/weiqi-test")
	form = formValues(t, page, policiesPages+"/weiqi-test")
	form.Set("content", strings.Repeat("政策说明的内容。", 4000))
	form.Set("act", "save")
	if code, page, _ := ed.post(policiesPages+"/weiqi-test", form); code != http.StatusUnprocessableEntity || !strings.Contains(page, "content is 32000 characters long") {
		t.Errorf("a long entry = %d %s", code, problemsOf(page))
	}
}

// TestPolicyFormConflict: a save based on a stale read is refused with a
// message, what was typed kept; saved again, it goes through.
func TestPolicyFormConflict(t *testing.T) {
	s := newEntryServer(t, false)
	a, b := signIn(t, s, editorToken), signIn(t, s, publisherToken)
	_, pageA := a.get(policiesPages + "/dibao")
	_, pageB := b.get(policiesPages + "/dibao")
	formB := formValues(t, pageB, policiesPages+"/dibao")
	formB.Set("title", "最低生活保障（李强改）")
	formB.Set("act", "save")
	if code, _, _ := b.post(policiesPages+"/dibao", formB); code != http.StatusSeeOther {
		t.Fatalf("the first save = %d", code)
	}
	formA := formValues(t, pageA, policiesPages+"/dibao")
	formA.Set("title", "最低生活保障（王芳改）")
	formA.Set("act", "save")
	code, page, _ := a.post(policiesPages+"/dibao", formA)
	if code != http.StatusConflict || !strings.Contains(page, `id="conflict"`) || !strings.Contains(page, "李强") || !strings.Contains(page, `value="最低生活保障（王芳改）"`) {
		t.Fatalf("a stale save = %d", code)
	}
	formA = formValues(t, page, policiesPages+"/dibao")
	formA.Set("act", "save")
	if code, _, _ := a.post(policiesPages+"/dibao", formA); code != http.StatusSeeOther {
		t.Fatalf("saving again = %d", code)
	}
	if e, _ := s.entries.Get(t.Context(), "dibao"); e.Draft == nil || e.Draft.Author != "王芳" || !strings.Contains(string(e.Draft.Body), "王芳改") {
		t.Error("the second save is not the draft")
	}

	// A publish from a stale page is refused with a message; from the
	// page as it is now it publishes, with its note.
	code, _, loc := b.post(policiesPages+"/dibao/publish", url.Values{"bv": {"1"}, "bd": {"1"}, "note": {"旧页面"}})
	if code != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape("条目已被他人修改")) {
		t.Errorf("a stale publish = %d → %s", code, loc)
	}
	_, page = b.get(policiesPages + "/dibao/preview")
	form := formValues(t, page, policiesPages+"/dibao/publish")
	form.Set("note", "核对无误")
	code, _, loc = b.post(policiesPages+"/dibao/publish", form)
	if code != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape("已发布")) {
		t.Fatalf("publish = %d → %s", code, loc)
	}
	e, _ := s.entries.Get(t.Context(), "dibao")
	if v := e.Current(); v.Number != 2 || v.Author != "李强" || v.Note != "核对无误" || e.Draft != nil {
		t.Errorf("after the publish: %+v, draft %v", v, e.Draft)
	}
	var pol struct{ Title string }
	if code, _ := s.call(t, "GET", "/api/policies/dibao", "", nil, &pol); code != 200 || pol.Title != "最低生活保障（王芳改）" {
		t.Errorf("served after the publish: %d %q", code, pol.Title)
	}
}

// TestPolicyFormTraditional: in traditional characters the form reads in
// traditional, but what it sends back — values, options, textareas — stays
// as stored, so saving it unchanged changes nothing.
func TestPolicyFormTraditional(t *testing.T) {
	s := newEntryServer(t, false)
	ed := signIn(t, s, editorToken)
	u, _ := url.Parse(s.URL)
	ed.http.Jar.SetCookies(u, []*http.Cookie{{Name: cookieScript, Value: "t", Path: "/"}})
	_, page := ed.get(policiesPages + "/dibao")
	if !strings.Contains(page, "政策說明") || !strings.Contains(page, "（與 <code>yicha check</code>") && !strings.Contains(page, "辦理條件規則") {
		t.Fatal("the form is not in traditional characters")
	}
	form := formValues(t, page, policiesPages+"/dibao")
	if !strings.HasPrefix(form.Get("content"), "最低生活保障（俗称“低保”）") || form.Get("category") != "社会救助" {
		t.Fatalf("the form's values are converted: %q %q", form.Get("category"), form.Get("content")[:30])
	}
	before, _ := s.entries.Get(t.Context(), "dibao")
	form.Set("act", "save")
	if code, page, _ := ed.post(policiesPages+"/dibao", form); code != http.StatusSeeOther {
		t.Fatalf("save = %d %s", code, problemsOf(page))
	}
	after, _ := s.entries.Get(t.Context(), "dibao")
	if changes, _ := entrystore.Diff(before.Current().Body, after.Draft.Body); len(changes) > 0 {
		t.Errorf("saving the traditional form unchanged changed %+v", changes)
	}
}

// TestCasesGateAPublish: an entry's eligibility changed so that its cases
// fail cannot be published (from the page or the API); the publisher
// keeps the cases that hold on the preview, and the publish goes through;
// cases that fail are not kept, and a street's publisher cannot change a
// city entry's cases.
func TestCasesGateAPublish(t *testing.T) {
	s := newEntryServer(t, false)
	pub := signIn(t, s, publisherToken)
	snap, err := s.entries.Snapshot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := snap.Support[corpus.CasesFilePath("dibao")]; !ok {
		t.Fatal("the seeded store holds no cases of dibao")
	}
	_, page := pub.get(policiesPages + "/dibao")
	form := formValues(t, page, policiesPages+"/dibao")
	if form.Get("c.0.field") != "hukou" || form.Get("c.0.value") != "本市户籍" {
		t.Fatalf("dibao's first condition: %v", form)
	}
	form.Set("c.0.value", "非本市户籍")
	form.Set("act", "save")
	if code, page, _ := pub.post(policiesPages+"/dibao", form); code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", code, problemsOf(page))
	}
	page = mustPage(t, pub, policiesPages+"/dibao/preview")
	publish := formValues(t, page, policiesPages+"/dibao/publish")
	code, _, loc := pub.post(policiesPages+"/dibao/publish", publish)
	if msg, _ := url.QueryUnescape(loc); code != http.StatusSeeOther || !strings.Contains(msg, "未发布") || !strings.Contains(msg, "cases/dibao.yaml") {
		t.Errorf("publishing a rule its cases fail = %d → %s", code, msg)
	}
	var r ChangeResponse
	if code, body := s.call(t, "POST", policiesAPI+"/dibao/publish", publisherToken, changeRequest{BasedOn: entrystore.Expect{Version: 1, Draft: 1}}, &r); code != http.StatusUnprocessableEntity {
		t.Errorf("the API publishes a rule its cases fail: %d %s", code, body)
	}
	if e, _ := s.entries.Get(t.Context(), "dibao"); e.Current().Number != 1 {
		t.Fatalf("dibao was published: version %d", e.Current().Number)
	}

	// The preview offers the cases that hold ticked, those that fail not.
	cases := formValues(t, page, policiesPages+"/dibao/cases")
	kept := cases["keep"]
	if n := strings.Count(page, `name="keep"`); len(kept) == 0 || len(kept) >= n {
		t.Fatalf("%d of %d cases ticked; want those that hold", len(kept), n)
	}
	failing := regexp.MustCompile(`name="keep" value="([^"]+)">`).FindStringSubmatch(page)
	if failing == nil {
		t.Fatal("no failing case unticked")
	}
	bad := cloneValues(cases)
	bad.Add("keep", html.UnescapeString(failing[1]))
	if code, _, loc := pub.post(policiesPages+"/dibao/cases", bad); code != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape("未保存")) {
		t.Errorf("keeping a case that fails = %d → %s", code, loc)
	}
	sp := signIn(t, s, streetPublisherToken)
	if code, _, _ := sp.post(policiesPages+"/dibao/cases", formValues(t, mustPage(t, sp, policiesPages+"/dibao/preview"), policiesPages+"/dibao/cases")); code != http.StatusForbidden {
		t.Errorf("a street's publisher keeps a city entry's cases: %d", code)
	}
	if code, _, loc := pub.post(policiesPages+"/dibao/cases", cases); code != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape(fmt.Sprintf("已保存 %d 个检验情形", len(kept)))) {
		t.Fatalf("keeping the cases that hold = %d → %s", code, loc)
	}
	snap, _ = s.entries.Snapshot(t.Context())
	stored, err := corpus.ParseCases(snap.Support[corpus.CasesFilePath("dibao")])
	if list, lerr := stored.List(); err != nil || lerr != nil || len(list) != len(kept) {
		t.Fatalf("the stored cases: %d (%v, %v), want %d", len(list), err, lerr, len(kept))
	}
	page = mustPage(t, pub, policiesPages+"/dibao/preview")
	if m := regexp.MustCompile(`(\d+) / (\d+) 个情形通过`).FindStringSubmatch(page); m == nil || m[1] != m[2] || !strings.Contains(page, "现在用的是已保存的情形") {
		t.Errorf("the preview after keeping the cases: %v", m)
	}
	if code, _, loc := pub.post(policiesPages+"/dibao/publish", formValues(t, page, policiesPages+"/dibao/publish")); code != http.StatusSeeOther || !strings.Contains(loc, url.QueryEscape("已发布")) {
		t.Fatalf("publishing once its cases hold = %d → %s", code, loc)
	}
	if e, _ := s.entries.Get(t.Context(), "dibao"); e.Current().Number != 2 {
		t.Errorf("dibao after the publish: version %d", e.Current().Number)
	}
}
