package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"yicha/corpus"
	"yicha/corpus/entrystore"
)

// importNotice is a notice issuing a 办法 the registry does not hold.
const importNotice = `上海市人民政府办公厅文件
沪府办规[2099]7号
上海市人民政府办公厅关于印发《上海市少儿围棋培训补贴办法》的通知
各区人民政府：
现将《上海市少儿围棋培训补贴办法》印发给你们，请认真按照执行。
上海市人民政府办公厅
2099年5月20日
第一章　总则
第一条　为了支持少儿围棋培训，制定本办法。
第二条　本办法自2099年6月1日起施行。
`

// importKnown carries the number of a document the registry holds.
const importKnown = `社会救助暂行办法
（2014年2月21日中华人民共和国国务院令第649号公布）
第一条　（测试用的条文）
`

// completed fills what the proposal leaves to the admin from dibao's
// entry, keeping the proposal's title, basis and dates.
func completed(t *testing.T, s *entryServer, p ImportResponse, title string) map[string]any {
	t.Helper()
	e := newEntry(t, s, title)
	for k, v := range p.Entry {
		e[k] = v
	}
	e["title"] = title
	delete(e, "expires")
	return e
}

// TestImportAPI: the proposal an imported document makes — the document
// for the registry or the registry's own, and the start of an entry that,
// completed, saves as a draft — and that nothing is saved by importing.
func TestImportAPI(t *testing.T) {
	s := newEntryServer(t, false)
	ctx := context.Background()
	before, _ := s.entries.Audit(ctx, entrystore.AuditQuery{})
	snapBefore, _ := s.entries.Snapshot(ctx)

	var p ImportResponse
	if code, body := s.call(t, "POST", policiesAPI+"/import", editorToken, ImportRequest{Text: importNotice}, &p); code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	r := p.Read
	if r.Number != "沪府办规〔2099〕7号" || r.Issuer != "上海市人民政府办公厅" || r.Adopted != "2099-05-20" || r.Effective != "2099-06-01" || len(r.Articles) != 2 {
		t.Errorf("read: %+v", r)
	}
	if p.Known != nil || p.Document == nil {
		t.Fatalf("a new document: known %v, proposed %v", p.Known, p.Document)
	}
	d := p.Document
	if d.ID != "hfbg-2099-7" || d.Title != "上海市少儿围棋培训补贴办法" || d.Number != r.Number || d.Status != corpus.Unknown || d.URL != corpus.Unknown ||
		!strings.Contains(p.YAML, "hfbg-2099-7:\n  title: 上海市少儿围棋培训补贴办法\n  number: 沪府办规〔2099〕7号\n") || len(p.DocumentProblems) != 0 {
		t.Errorf("proposed document %+v, problems %v\n%s", d, p.DocumentProblems, p.YAML)
	}
	basis, _ := json.Marshal(p.Entry["basis"])
	if string(basis) != `[{"date":"2099-06-01","issuer":"上海市人民政府办公厅","number":"沪府办规〔2099〕7号","title":"上海市少儿围棋培训补贴办法"}]` ||
		p.Entry["title"] != "上海市少儿围棋培训补贴办法" || p.Entry["effective"] != "2099-06-01" || !strings.Contains(strings.Join(p.Missing, " "), "category") {
		t.Errorf("proposed entry %s %v, missing %v", basis, p.Entry, p.Missing)
	}

	// Nothing was saved: no entry, no draft, no audit record, the same
	// registry.
	var list EntriesResponse
	s.call(t, "GET", policiesAPI, editorToken, nil, &list)
	after, _ := s.entries.Audit(ctx, entrystore.AuditQuery{})
	snapAfter, _ := s.entries.Snapshot(ctx)
	if len(list.Entries) != 155 || list.Drafts != 0 || len(after) != len(before) ||
		string(snapAfter.Support[corpus.DocumentsFile]) != string(snapBefore.Support[corpus.DocumentsFile]) {
		t.Errorf("importing saved something: %d entries, %d drafts, %d audit records (was %d)", len(list.Entries), list.Drafts, len(after), len(before))
	}

	// A document the registry holds is cited by its id; completed by the
	// admin, the proposal saves as a draft.
	var ch ChangeResponse
	p = ImportResponse{}
	if code, body := s.call(t, "POST", policiesAPI+"/import", publisherToken, ImportRequest{Text: importKnown}, &p); code != 200 {
		t.Fatalf("import: %d %s", code, body)
	}
	if p.Known == nil || p.Known.ID != "shehui-jiuzhu-zanxing-banfa" || p.Document != nil || p.YAML != "" {
		t.Fatalf("a registered document: known %+v, proposed %+v", p.Known, p.Document)
	}
	if basis, _ := json.Marshal(p.Entry["basis"]); string(basis) != `[{"document":"shehui-jiuzhu-zanxing-banfa"}]` {
		t.Errorf("basis %s", basis)
	}
	if code, body := s.call(t, "POST", policiesAPI, editorToken, map[string]any{"id": "jiuzhu-import", "entry": completed(t, s, p, "社会救助测试条目")}, &ch); code != http.StatusCreated {
		t.Errorf("saving the completed proposal: %d %s", code, body)
	}

	for _, c := range []struct {
		token string
		body  any
		want  int
	}{
		{editorToken, ImportRequest{Text: "  \n "}, 400},
		{editorToken, []byte(`{"text": "x", "extra": 1}`), 400},
		{editorToken, []byte(`{"text": `), 400},
		{editorToken, ImportRequest{Text: strings.Repeat("文", corpus.MaxImportText/3+1)}, 400},
		{"", ImportRequest{Text: importNotice}, 401},
	} {
		if code, body := s.call(t, "POST", policiesAPI+"/import", c.token, c.body, nil); code != c.want {
			t.Errorf("%.60v = %d, want %d: %.200s", c.body, code, c.want, body)
		}
	}
	req, _ := http.NewRequest("POST", s.URL+policiesAPI+"/import", strings.NewReader("text=x"))
	req.Header.Set("Authorization", "Bearer "+editorToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a form post = %v %v", resp.StatusCode, err)
	}
}

// TestImportPage: the import page without JavaScript shows what was read,
// where each date came from, what could not be read, the document
// proposed for the registry, and a link that starts a new entry with it.
func TestImportPage(t *testing.T) {
	s := newEntryServer(t, false)
	b := adminSignIn(t, s.URL, editorToken)
	if _, admin := b.get("/admin"); !strings.Contains(admin, `<a href="/admin/policies/import">从政策文件导入</a>`) {
		t.Error("the admin page does not link to the import")
	}
	code, page := b.get("/admin/policies/import")
	if code != 200 || !strings.Contains(page, `id="import-form"`) {
		t.Fatalf("import page: %d", code)
	}
	csrf := csrfOf(t, page)
	if code, _ := b.post("/admin/policies/import", url.Values{"text": {importNotice}}); code != http.StatusForbidden {
		t.Errorf("an import without CSRF = %d", code)
	}
	resp, err := b.client.PostForm(s.URL+"/admin/policies/import", url.Values{"csrf": {csrf}, "text": {importNotice}})
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("import = %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{
		"<dt>文号</dt><dd>沪府办规〔2099〕7号</dd>",
		"<dt>发文机关</dt><dd>上海市人民政府办公厅</dd>",
		"<dt>施行日期</dt><dd>2099年6月1日 <span class=\"meta\">（原文：2099年6月1日起施行）</span>",
		"<dt>通过或印发日期</dt><dd>2099年5月20日",
		"第一章　总则</span> 第一条",
		"hfbg-2099-7:\n  title: 上海市少儿围棋培训补贴办法",
		"不会自动保存任何内容",
	} {
		if !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("the proposal lacks %q", want)
		}
	}
	link := html.UnescapeString(regexpFind(t, `id="import-new-entry"`, `href="([^"]+)" id="import-new-entry"`, body))
	u, _ := url.Parse(link)
	if q := u.Query(); u.Path != "/admin/policies/new" || q.Get("title") != "上海市少儿围棋培训补贴办法" || q.Get("basis.number") != "沪府办规〔2099〕7号" || q.Get("effective") != "2099-06-01" {
		t.Errorf("new-entry link %s", link)
	}
	// A text that reads nothing useful says what is missing.
	resp, _ = b.client.PostForm(s.URL+"/admin/policies/import", url.Values{"csrf": {csrf}, "text": {"随便写的一段话"}})
	if body := readBody(t, resp); !strings.Contains(body, "没有读到本文件的文号") || !strings.Contains(body, "没有读到条款结构") {
		t.Errorf("notes missing:\n%s", body)
	}
	resp, _ = b.client.PostForm(s.URL+"/admin/policies/import", url.Values{"csrf": {csrf}, "text": {"  "}})
	if body := readBody(t, resp); resp.StatusCode != 400 || !strings.Contains(body, "请粘贴文件的文字") {
		t.Errorf("an empty text = %d", resp.StatusCode)
	}
	if e, _ := s.entries.List(context.Background()); len(e) != 155 {
		t.Errorf("the page saved entries: %d", len(e))
	}
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// regexpFind returns the first group of re in s, failing (and naming
// what) when it is not there.
func regexpFind(t *testing.T, what, re, s string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", what, s)
	}
	return m[1]
}

// testImportRegistersDocument: a publisher confirms the proposed document
// and it joins the registry (served at once); an import of the same text
// then cites it, and the completed proposal saves as a draft. Editors may
// not register; a taken id or a bad value changes nothing.
func TestImportRegistersDocumentFiles(t *testing.T) {
	testImportRegistersDocument(t, newEntryServer(t, false))
}

// With PostgreSQL, the registry's change is pushed as a corpus version the
// replicas follow (here the server's own follower).
func TestImportRegistersDocumentPostgres(t *testing.T) {
	testImportRegistersDocument(t, newEntryServer(t, true))
}

func testImportRegistersDocument(t *testing.T, s *entryServer) {
	var p ImportResponse
	if code, body := s.call(t, "POST", policiesAPI+"/import", editorToken, ImportRequest{Text: importNotice}, &p); code != 200 || p.Document == nil {
		t.Fatalf("import: %d %s", code, body)
	}
	doc := *p.Document
	bad := doc
	bad.Effective = "2099-13-01"
	var invalid InvalidEntryResponse
	for _, c := range []struct {
		token string
		body  any
		want  int
	}{
		{editorToken, AddDocumentRequest{Document: doc}, 403},
		{publisherToken, AddDocumentRequest{Document: bad}, 422},
		{publisherToken, []byte(`{"document": {"id": "x"}, "extra": 1}`), 400},
		{publisherToken, AddDocumentRequest{Document: corpus.Document{ID: "../x"}}, 400},
	} {
		if code, body := s.call(t, "POST", "/api/admin/documents", c.token, c.body, &invalid); code != c.want {
			t.Errorf("%.80v = %d, want %d: %.300s", c.body, code, c.want, body)
		}
	}
	if len(invalid.Fields) == 0 && len(invalid.Problems) == 0 {
		t.Error("a bad date is refused without its problem")
	}
	if code, _ := s.call(t, "GET", "/api/documents/"+doc.ID, "", nil, nil); code != 404 {
		t.Fatalf("a refused document is served: %d", code)
	}
	var added AddDocumentResponse
	if code, body := s.call(t, "POST", "/api/admin/documents", publisherToken, AddDocumentRequest{Document: doc, Note: "从文件导入"}, &added); code != http.StatusCreated || added.Index == nil {
		t.Fatalf("register: %d %s", code, body)
	}
	var served struct{ Title, Number string }
	if code, body := s.call(t, "GET", "/api/documents/"+doc.ID, "", nil, &served); code != 200 || served.Title != doc.Title || served.Number != doc.Number {
		t.Errorf("the registered document is served as %d %s", code, body)
	}
	if code, _ := s.call(t, "POST", "/api/admin/documents", publisherToken, AddDocumentRequest{Document: doc}, nil); code != http.StatusConflict {
		t.Errorf("a taken id = %d, want 409", code)
	}
	recs, _ := s.entries.Audit(context.Background(), entrystore.AuditQuery{Limit: 1})
	if len(recs) != 1 || recs[0].Action != entrystore.ActionDocument || recs[0].Admin != "李强" {
		t.Errorf("audit: %+v", recs)
	}

	p = ImportResponse{}
	s.call(t, "POST", policiesAPI+"/import", editorToken, ImportRequest{Text: importNotice}, &p)
	if p.Known == nil || p.Known.ID != doc.ID || p.Document != nil {
		t.Fatalf("after registering, the import proposes %+v / %+v", p.Known, p.Document)
	}
	if code, body := s.call(t, "POST", policiesAPI, editorToken, map[string]any{"id": "weiqi-import", "entry": completed(t, s, p, "少儿围棋培训补贴")}, nil); code != http.StatusCreated {
		t.Errorf("saving the completed proposal: %d %s", code, body)
	}
}

// TestImportPageRegisters: the proposal page's registration form, for
// publishers only, with the values the admin corrected.
func TestImportPageRegisters(t *testing.T) {
	s := newEntryServer(t, false)
	editor := adminSignIn(t, s.URL, editorToken)
	_, page := editor.get("/admin/policies/import")
	csrf := csrfOf(t, page)
	resp, _ := editor.client.PostForm(s.URL+"/admin/policies/import", url.Values{"csrf": {csrf}, "text": {importNotice}})
	if body := readBody(t, resp); strings.Contains(body, `id="register-form"`) || !strings.Contains(body, "须由发布人员确认") {
		t.Error("an editor is offered the registration form")
	}
	form := url.Values{"csrf": {csrf}, "text": {importNotice}, "id": {"weiqi-banfa"}, "title": {"上海市少儿围棋培训补贴办法"}, "number": {"沪府办规〔2099〕7号"},
		"issuer": {"上海市人民政府办公厅"}, "adopted": {"2099-05-20"}, "effective": {"2099-06-01"}, "status": {"现行有效"}, "url": {"unknown"}}
	if code, _ := editor.post("/admin/policies/import/document", form); code != http.StatusForbidden {
		t.Errorf("an editor's registration = %d", code)
	}

	pub := adminSignIn(t, s.URL, publisherToken)
	_, page = pub.get("/admin/policies/import")
	csrf = csrfOf(t, page)
	resp, _ = pub.client.PostForm(s.URL+"/admin/policies/import", url.Values{"csrf": {csrf}, "text": {importNotice}})
	body := readBody(t, resp)
	if !strings.Contains(body, `id="register-form"`) || !strings.Contains(body, `name="id" value="hfbg-2099-7"`) || !strings.Contains(body, `name="number" value="沪府办规〔2099〕7号"`) {
		t.Fatalf("the publisher's proposal has no filled registration form:\n%s", body)
	}
	form.Set("csrf", csrf)
	form.Set("adopted", "2099-02-30")
	resp, _ = pub.client.PostForm(s.URL+"/admin/policies/import/document", form)
	if body := readBody(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "未登记") || !strings.Contains(body, `value="2099-02-30"`) {
		t.Errorf("a bad date = %d:\n%s", resp.StatusCode, body)
	}
	form.Set("adopted", "2099-05-20")
	resp, _ = pub.client.PostForm(s.URL+"/admin/policies/import/document", form)
	body = readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, "已登记政策文件 weiqi-banfa") || !strings.Contains(body, `登记表中已有这份文件：<a href="/documents/weiqi-banfa">`) {
		t.Fatalf("registering = %d:\n%s", resp.StatusCode, body)
	}
	link := html.UnescapeString(regexpFind(t, "the new-entry link", `href="([^"]+)" id="import-new-entry"`, body))
	if u, _ := url.Parse(link); u.Query().Get("basis.document") != "weiqi-banfa" {
		t.Errorf("the new-entry link %s does not cite the registered document", link)
	}
	if code, page := s.call(t, "GET", "/documents/weiqi-banfa", "", nil, nil); code != 200 || !strings.Contains(string(page), "上海市少儿围棋培训补贴办法") {
		t.Errorf("the document's page = %d", code)
	}
	// The link opens the new-entry form with the title, the day it takes effect and
	// the registered document as its basis.
	code, newForm := pub.get(link)
	if code != 200 || !strings.Contains(newForm, `id="title" name="title" value="上海市少儿围棋培训补贴办法"`) ||
		!regexp.MustCompile(`name="basis.0.document">.*<option value="weiqi-banfa" selected>`).MatchString(newForm) ||
		!strings.Contains(newForm, `value="2099-06-01"`) {
		t.Errorf("the new-entry form from the import = %d:\n%s", code, newForm)
	}
}

// TestImportPageLongText: a long statute pasted on the page (here 300 KB,
// over 2 MB as the form sends it) is read whole; one over the limit is
// refused with a message.
func TestImportPageLongText(t *testing.T) {
	s := newEntryServer(t, false)
	b := adminSignIn(t, s.URL, editorToken)
	_, page := b.get("/admin/policies/import")
	csrf := csrfOf(t, page)
	var text strings.Builder
	text.WriteString("测试条例\n")
	for i := 1; i <= 2000; i++ {
		fmt.Fprintf(&text, "第%d条　%s\n", i, strings.Repeat("为了保障居民的基本生活，", 4))
	}
	resp, err := b.client.PostForm(s.URL+"/admin/policies/import", url.Values{"csrf": {csrf}, "text": {text.String()}})
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, "条款结构（2000 项）") {
		t.Errorf("a %d KB text = %d", text.Len()>>10, resp.StatusCode)
	}
	resp, err = b.client.PostForm(s.URL+"/admin/policies/import", url.Values{"csrf": {csrf}, "text": {strings.Repeat("文", 1<<19)}})
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != http.StatusRequestEntityTooLarge && !strings.Contains(body, "文字太长") {
		t.Errorf("a text over the limit = %d", resp.StatusCode)
	}
}
