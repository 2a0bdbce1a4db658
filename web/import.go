package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/mozillazg/go-pinyin"
	"gopkg.in/yaml.v3"

	"yicha/corpus"
	"yicha/corpus/entrystore"
	"yicha/search/live"
)

// Import from an official document: an admin pastes the text of a
// policy document (通知, 办法, 规定 …) and gets back what could be read
// reliably (corpus.ReadDocument) as a proposal — the document for the
// registry, or the registry's own when it already lists it, and the start
// of a new entry citing it. Nothing is saved: the admin corrects and
// confirms the values, then saves the entry as a draft the usual way
// (POST /api/admin/policies, or the new-entry page), where it is checked
// as every draft is.

// MaxImportRequest bounds an import request: the text with room to
// spare; MaxImportForm the page's form, where each character of the text
// comes percent-encoded (up to 9 bytes).
const (
	MaxImportRequest = "2M"
	MaxImportForm    = "4M"
)

// importPage is the import page's path (and its forms').
const importPage = "/admin/policies/import"

func (s *Server) importRoutes(api *echo.Group) {
	api.POST("/policies/import", s.apiImport, middleware.BodyLimit(MaxImportRequest))
	s.echo.Match(getAndHead, importPage, s.importPage, s.signedInPage)
	s.echo.POST(importPage, s.importForm, middleware.BodyLimit(MaxImportForm), s.adminForm)
	api.POST("/documents", s.apiAddDocument, publisherOnly)
	s.echo.POST(importPage+"/document", s.importDocumentForm, middleware.BodyLimit(MaxImportForm), s.adminForm, publisherOnly)
}

// ImportRequest is the body of POST /api/admin/policies/import.
type ImportRequest struct {
	Text string `json:"text"`
}

// ImportResponse is the proposal an imported document makes.
type ImportResponse struct {
	// Read is everything read from the text, with the words each date
	// was read from and notes on what could not be read.
	Read corpus.ImportedDocument `json:"read"`
	// Known is the registry's document with the same number or title,
	// when it lists it already: the entry cites it, and nothing is
	// proposed for the registry.
	Known *corpus.Document `json:"known,omitempty"`
	// Document is the document proposed for the registry (status and url
	// unknown until the admin checks them), with its problems as the
	// registry's checks see them; YAML is it as documents.yaml writes it.
	Document         *corpus.Document `json:"document,omitempty"`
	DocumentProblems []string         `json:"document_problems"`
	YAML             string           `json:"yaml,omitempty"`
	// Entry is the start of a new entry in the fields of its file: its
	// title and its basis (citing the registry's document, or inline),
	// and the dates read; Missing lists the fields the admin must still
	// write before it can be saved as a draft.
	Entry   map[string]any `json:"entry"`
	Missing []string       `json:"missing"`
}

// entryFieldsToWrite are the fields an entry needs that no document says.
var entryFieldsToWrite = []string{"kind", "category", "audiences", "summary", "content", "guide", "agency", "region", "updated", "keywords"}

// registry returns the documents the store's corpus registers.
func (s *Server) registry(ctx context.Context) (corpus.Documents, error) {
	snap, err := s.cfg.Entries.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	docs := corpus.Documents{}
	if data, ok := snap.Support[corpus.DocumentsFile]; ok {
		docs, _ = corpus.ParseDocuments(entrystore.Prefix+"/"+corpus.DocumentsFile, data)
	}
	return docs, nil
}

// sameNumber compares two 文号 as written in different hands: brackets,
// spaces and the state's name aside.
func sameNumber(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimPrefix(strings.Join(strings.Fields(s), ""), "中华人民共和国")
		return strings.NewReplacer("[", "〔", "]", "〕", "［", "〔", "］", "〕", "(", "〔", ")", "〕", "（", "〔", "）", "〕", "【", "〔", "】", "〕").Replace(s)
	}
	return a != "" && b != "" && a != corpus.Unknown && norm(a) == norm(b)
}

// suggestedID proposes a registry id: the initials of the number's
// prefix with its year and serial (沪府办规〔2021〕12号: hfbg-2021-12), else
// of the title.
func suggestedID(d corpus.ImportedDocument) string {
	initials := func(s string) string {
		a := pinyin.NewArgs()
		a.Style = pinyin.FirstLetter
		var b strings.Builder
		for _, r := range pinyin.LazyPinyin(s, a) {
			b.WriteString(r)
		}
		return b.String()
	}
	if pre, rest, ok := strings.Cut(d.Number, "〔"); ok {
		year, n, _ := strings.Cut(rest, "〕")
		if id := initials(pre) + "-" + year + "-" + strings.TrimSuffix(n, "号"); corpus.ValidID(id) {
			return id
		}
	}
	title := d.Title
	if d.Attached != "" {
		title = d.Attached
	}
	id := initials(title)
	if len(id) > 24 {
		id = id[:24]
	}
	if !corpus.ValidID(id) {
		return ""
	}
	return id
}

// importProposal decides what an imported text proposes, against the
// registry.
func importProposal(text string, docs corpus.Documents) ImportResponse {
	d := corpus.ReadDocument(text)
	out := ImportResponse{Read: d, DocumentProblems: []string{}, Missing: append([]string{}, entryFieldsToWrite...)}
	// A notice that issues a 办法 is registered as the 办法 it issues,
	// under the notice's number.
	title := d.Title
	if d.Attached != "" {
		title = d.Attached
	}
	for _, doc := range docs.Sorted() {
		if sameNumber(doc.Number, d.Number) || title != "" && doc.Title == title {
			out.Known = doc
			break
		}
	}
	basis := map[string]any{}
	if out.Known != nil {
		basis["document"] = out.Known.ID
	} else {
		doc := &corpus.Document{ID: suggestedID(d), Title: title, Number: d.Number, Issuer: d.Issuer, Adopted: d.Adopted,
			Effective: d.Effective, Expires: d.Expires, Status: corpus.Unknown, URL: corpus.Unknown}
		for _, a := range d.Amended {
			doc.Amendments = append(doc.Amendments, corpus.Amendment{Date: a, Note: "修正或修订（据原文，内容待核实）"})
		}
		for _, f := range []*string{&doc.Number, &doc.Issuer, &doc.Adopted, &doc.Effective} {
			if *f == "" {
				*f = corpus.Unknown // not read: written as unknown until checked
			}
		}
		out.Document = doc
		for _, p := range corpus.CheckDocuments(corpus.Documents{doc.ID: doc}) {
			out.DocumentProblems = append(out.DocumentProblems, p.Message)
		}
		var y strings.Builder
		enc := yaml.NewEncoder(&y)
		enc.SetIndent(2) // as documents.yaml is written
		if enc.Encode(map[string]*corpus.Document{doc.ID: doc}) == nil && enc.Close() == nil {
			out.YAML = y.String()
		}
		basis["title"], basis["number"], basis["issuer"], basis["date"] = doc.Title, doc.Number, doc.Issuer, doc.Date()
	}
	out.Entry = map[string]any{"basis": []any{basis}}
	if title != "" {
		out.Entry["title"] = title
	} else {
		out.Missing = append([]string{"title"}, out.Missing...)
	}
	if d.Effective != "" {
		out.Entry["effective"] = d.Effective
	}
	if d.Expires != "" {
		out.Entry["expires"] = d.Expires
	}
	return out
}

// importText checks the text to read.
func importText(text string) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", errors.New("请粘贴文件的文字")
	case len(text) > corpus.MaxImportText:
		return "", errors.New("文字太长：一份文件最多 1 MiB")
	case !utf8.ValidString(text):
		return "", errors.New("文字不是有效的 UTF-8 编码")
	}
	return text, nil
}

func (s *Server) apiImport(c echo.Context) error {
	if !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the text as application/json")
	}
	var r ImportRequest
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the request is larger than "+MaxImportRequest+"B")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "the body is not {\"text\": …}: "+err.Error())
	}
	text, err := importText(r.Text)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	docs, err := s.registry(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, importProposal(text, docs))
}

type importView struct {
	CSRF, Text, Message string
	// Done says what was saved; CanPublish whether the admin may register
	// the document; Statuses are the registry's statuses to choose from.
	Done       string
	CanPublish bool
	Statuses   []string
	Proposal   *ImportResponse
	// NewEntry is the new-entry page's address with the proposal's
	// values as its fields (named as in the entry's file).
	NewEntry string
	// Labels of what was read.
	Read []importFact
}

type importFact struct {
	Label, Value, From string
}

// eventLabels name the events of a date.
var eventLabels = map[string]string{
	corpus.EventAdopted:   "通过",
	corpus.EventIssued:    "印发或公布",
	corpus.EventEffective: "施行",
	corpus.EventAmended:   "修正或修订",
	corpus.EventExpires:   "有效期至",
	"":                    "（原文没有说明）",
}

// factsOf lists what was read, each with the words it came from.
func factsOf(d corpus.ImportedDocument) []importFact {
	from := func(day, event string) string {
		for _, dt := range d.Dates {
			if dt.Date == day && (dt.Event == event || event == "") {
				return dt.From
			}
		}
		return ""
	}
	adoptedFrom := from(d.Adopted, "")
	facts := []importFact{
		{"标题", d.Title, ""},
		{"所印发的文件", d.Attached, ""},
		{"文件类型", d.Kind, ""},
		{"文号", d.Number, ""},
		{"发文机关", d.Issuer, ""},
		{"通过或印发日期", dateText(d.Adopted), adoptedFrom},
		{"施行日期", dateText(d.Effective), from(d.Effective, corpus.EventEffective)},
		{"有效期至", dateText(d.Expires), from(d.Expires, corpus.EventExpires)},
	}
	out := facts[:0]
	for _, f := range facts {
		if f.Value != "" && f.Value != dateText("") {
			out = append(out, f)
		}
	}
	for _, a := range d.Amended {
		out = append(out, importFact{"修正或修订", dateText(a), from(a, corpus.EventAmended)})
	}
	if len(d.Cited) > 0 {
		out = append(out, importFact{"正文引用的文号", strings.Join(d.Cited, "、"), ""})
	}
	return out
}

// newEntryLink is the new-entry page's address with the proposal's
// values: title, effective, expires and the basis, in the fields of the
// entry's file (basis.document, or basis.title, basis.number,
// basis.issuer, basis.date).
func newEntryLink(p ImportResponse) string {
	q := url.Values{"from": {"import"}}
	for _, k := range []string{"title", "effective", "expires"} {
		if v, ok := p.Entry[k].(string); ok {
			q.Set(k, v)
		}
	}
	if b, ok := p.Entry["basis"].([]any); ok && len(b) > 0 {
		for k, v := range b[0].(map[string]any) {
			q.Set("basis."+k, v.(string))
		}
	}
	return "/admin/policies/new?" + q.Encode()
}

func (s *Server) newImportView(c echo.Context, csrf, text string) importView {
	return importView{CSRF: csrf, Text: text, CanPublish: currentAdmin(c).CanPublish(), Statuses: corpus.DocumentStatuses}
}

func (s *Server) importPage(c echo.Context) error {
	se, _ := s.session(c)
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render.render(c, http.StatusOK, "admin_import", s.page(c, "从政策文件导入", s.newImportView(c, se.CSRF, "")))
}

// importForm reads the pasted text and shows the proposal; it saves
// nothing.
func (s *Server) importForm(c echo.Context) error {
	v, text, err := s.postedImport(c)
	if err != nil {
		return s.render.render(c, http.StatusBadRequest, "admin_import", s.page(c, "从政策文件导入", v))
	}
	return s.showProposal(c, http.StatusOK, v, text, nil)
}

// postedImport reads a posted import page: its view and the pasted text;
// an error means the text cannot be read, and the view says why.
func (s *Server) postedImport(c echo.Context) (importView, string, error) {
	se, _ := s.session(c)
	raw := c.Request().PostFormValue("text")
	v := s.newImportView(c, se.CSRF, raw)
	c.Response().Header().Set("Cache-Control", "no-store")
	text, err := importText(raw)
	if err != nil {
		v.Message = err.Error()
	}
	return v, text, err
}

// showProposal reads the text against the registry and shows what it
// proposes; sent, when not nil, is the document the admin sent, shown
// instead of the one read so that it can be corrected.
func (s *Server) showProposal(c echo.Context, status int, v importView, text string, sent *corpus.Document) error {
	docs, err := s.registry(c.Request().Context())
	if err != nil {
		return err
	}
	p := importProposal(text, docs)
	if sent != nil && p.Document != nil {
		p.Document = sent
	}
	v.Proposal, v.Read, v.NewEntry = &p, factsOf(p.Read), newEntryLink(p)
	return s.render.render(c, status, "admin_import", s.page(c, "从政策文件导入", v))
}

// AddDocumentRequest is the body of POST /api/admin/documents: a document
// for the registry, as the admin confirmed it, and why.
type AddDocumentRequest struct {
	Document corpus.Document `json:"document"`
	Note     string          `json:"note"`
}

// AddDocumentResponse answers an added document with the index serving
// the corpus that holds it.
type AddDocumentResponse struct {
	Document corpus.Document `json:"document"`
	Index    *live.Status    `json:"index,omitempty"`
}

// addDocument adds a confirmed document to the store's registry: the
// corpus with it must load (the registry's checks), then the index is
// rebuilt so the documents' pages list it.
func (s *Server) addDocument(c echo.Context, doc corpus.Document, note string) (*live.Status, error) {
	doc.Source, doc.Successor = nil, strings.TrimSpace(doc.Successor)
	if err := s.cfg.Entries.AddDocument(c.Request().Context(), &doc, s.change(c, note), loadCheck); err != nil {
		return nil, err
	}
	st, err := s.rebuild(c.Request().Context())
	if err != nil {
		s.cfg.Logger.Error("rebuilding after adding a document", "document", doc.ID, "error", err)
		if st.LastError == "" {
			st.LastError = err.Error()
		}
	}
	return &st, nil
}

func (s *Server) apiAddDocument(c echo.Context) error {
	if !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the document as application/json")
	}
	var r AddDocumentRequest
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the body is not {\"document\": …, \"note\": …}: "+err.Error())
	}
	st, err := s.addDocument(c, r.Document, strings.TrimSpace(r.Note))
	var ce *corpus.CheckError
	switch {
	case errors.Is(err, entrystore.ErrTaken):
		return c.JSON(http.StatusConflict, errorBody{Error: errorDetail{Code: "conflict", Message: err.Error()}})
	case errors.As(err, &ce):
		return c.JSON(http.StatusUnprocessableEntity, invalidEntry(r.Document.ID, ce.Problems))
	case errors.Is(err, entrystore.ErrInvalid):
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	case err != nil:
		return err
	}
	return c.JSON(http.StatusCreated, AddDocumentResponse{Document: r.Document, Index: st})
}

// documentOfForm reads the document the registration form confirms.
func documentOfForm(c echo.Context) corpus.Document {
	f := func(name string) string { return formText(c, name) }
	return corpus.Document{ID: f("id"), Title: f("title"), Number: f("number"), Issuer: f("issuer"), Adopted: f("adopted"),
		Effective: f("effective"), Expires: f("expires"), Status: f("status"), URL: f("url")}
}

// importDocumentForm registers the document a proposal confirmed, then
// shows the proposal again: the entry now cites it.
func (s *Server) importDocumentForm(c echo.Context) error {
	v, text, err := s.postedImport(c)
	if err != nil {
		return s.render.render(c, http.StatusBadRequest, "admin_import", s.page(c, "从政策文件导入", v))
	}
	status := http.StatusOK
	doc := documentOfForm(c)
	_, err = s.addDocument(c, doc, strings.TrimSpace(c.Request().PostFormValue("note")))
	if err == nil {
		v.Done = "已登记政策文件 " + doc.ID + "：新条目将引用它"
	} else if msg, ok := problemText(err); ok {
		status, v.Message = http.StatusUnprocessableEntity, "未登记："+msg
	} else {
		return err
	}
	var sent *corpus.Document
	if status != http.StatusOK {
		sent = &doc // show what the admin sent, to correct it
	}
	return s.showProposal(c, status, v, text, sent)
}

// prefillFromImport starts the new-entry form with what an import
// proposed (newEntryLink): the title, the dates and the basis. Nothing is
// saved: the form is checked on saving as any other.
func prefillFromImport(q url.Values, f *entryForm) {
	if q.Get("from") != "import" {
		return
	}
	get := func(k string) string { return strings.TrimSpace(strings.ToValidUTF8(q.Get(k), "")) }
	f.Title, f.Effective, f.Expires = get("title"), get("effective"), get("expires")
	b := basisRow{Document: get("basis.document"), Title: get("basis.title"), Number: get("basis.number"), Issuer: get("basis.issuer"), Date: get("basis.date")}
	if b != (basisRow{}) {
		f.Basis = []basisRow{b}
	}
}
