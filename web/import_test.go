package web

import (
	"context"
	"encoding/json"
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
	if len(list.Entries) != 154 || list.Drafts != 0 || len(after) != len(before) ||
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
	b := signIn(t, s.URL, editorToken)
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
	if e, _ := s.entries.List(context.Background()); len(e) != 154 {
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
