package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/search"
)

// The registry of policy documents: GET /api/documents, /api/documents/{id}
// and their pages /documents, /documents/{id}.

// DocumentsResponse is the JSON answer of /api/documents.
type DocumentsResponse struct {
	Documents []DocumentSummary `json:"documents"`
}

// DocumentSummary is one document of the registry and how many entries
// cite it.
type DocumentSummary struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Number    string `json:"number"`
	Issuer    string `json:"issuer"`
	Adopted   string `json:"adopted"`
	Effective string `json:"effective"`
	Status    string `json:"status"`
	Expires   string `json:"expires,omitempty"`
	Successor string `json:"successor,omitempty"`
	URL       string `json:"url"`
	CitedBy   int    `json:"cited_by"`
}

// DocumentResponse is the JSON answer of /api/documents/{id}: the document
// and the entries citing it.
type DocumentResponse struct {
	DocumentSummary
	Amendments []Amendment `json:"amendments"`
	Source     *Source     `json:"source,omitempty"`
	Citing     []Citing    `json:"citing"`
}

// Amendment is one revision of a document.
type Amendment struct {
	Date string `json:"date"`
	Note string `json:"note"`
}

// Citing is an entry that cites a document, with the articles it cites.
type Citing struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Articles string `json:"articles,omitempty"`
	Expired  bool   `json:"expired"`
}

func toDocumentSummary(d *corpus.Document, citedBy int) DocumentSummary {
	return DocumentSummary{ID: d.ID, Title: d.Title, Number: d.Number, Issuer: d.Issuer, Adopted: d.Adopted,
		Effective: d.Effective, Status: d.Status, Expires: d.Expires, Successor: d.Successor, URL: d.URL, CitedBy: citedBy}
}

// citing lists the entries of c that cite the document, and whether each
// has expired.
func citing(c *corpus.Corpus, id string, isExpired func(*corpus.Policy) bool) []Citing {
	out := []Citing{}
	for _, p := range c.CitedBy(id) {
		var arts []string
		for _, b := range p.Basis {
			if b.Document == id && b.Articles != "" {
				arts = append(arts, b.Articles)
			}
		}
		out = append(out, Citing{ID: p.ID, Title: p.Title, Articles: strings.Join(arts, "；"), Expired: isExpired(p)})
	}
	return out
}

// citedBy counts, in one pass over the entries, how many cite each
// document.
func citedBy(c *corpus.Corpus) map[string]int {
	n := map[string]int{}
	for _, p := range c.Policies {
		seen := map[string]bool{}
		for _, b := range p.Basis {
			if b.Document != "" && !seen[b.Document] {
				seen[b.Document] = true
				n[b.Document]++
			}
		}
	}
	return n
}

func (s *Server) expiredNow() func(*corpus.Policy) bool {
	now := s.cfg.Now()
	return func(p *corpus.Policy) bool { return p.Expired(now) }
}

// document finds a document of the served registry, or a 404.
func (s *Server) document(id string) (*corpus.Corpus, *corpus.Document, error) {
	c := s.cfg.Searcher.Corpus()
	d, ok := c.Document(id)
	if !ok {
		return nil, nil, fmt.Errorf("document %q: %w", id, search.ErrNotFound)
	}
	return c, d, nil
}

func (s *Server) apiDocuments(c echo.Context) error {
	corp := s.cfg.Searcher.Corpus()
	out := DocumentsResponse{Documents: []DocumentSummary{}}
	cited := citedBy(corp)
	for _, d := range corp.Documents.Sorted() {
		out.Documents = append(out.Documents, toDocumentSummary(d, cited[d.ID]))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiDocument(c echo.Context) error {
	corp, d, err := s.document(c.Param("id"))
	if err != nil {
		return err
	}
	cites := citing(corp, d.ID, s.expiredNow())
	out := DocumentResponse{DocumentSummary: toDocumentSummary(d, len(cites)), Amendments: []Amendment{}, Citing: cites}
	for _, a := range d.Amendments {
		out.Amendments = append(out.Amendments, Amendment(a))
	}
	if d.Source != nil {
		src := toSource(*d.Source)
		out.Source = &src
	}
	return c.JSON(http.StatusOK, out)
}

// documentView is what the page of one document shows.
type documentView struct {
	D         *corpus.Document
	Successor *corpus.Document
	// Replaces are the documents that name this one as their successor.
	Replaces []*corpus.Document
	Citing   []Citing
}

func (s *Server) documentPage(c echo.Context) error {
	corp, d, err := s.document(c.Param("id"))
	if err != nil {
		return err
	}
	v := documentView{D: d, Citing: citing(corp, d.ID, s.expiredNow())}
	if d.Successor != "" {
		v.Successor = corp.Documents[d.Successor]
	}
	for _, o := range corp.Documents.Sorted() {
		if o.Successor == d.ID {
			v.Replaces = append(v.Replaces, o)
		}
	}
	page := s.page(c, d.Title, v)
	page.Description = "《" + d.Title + "》的文号、发文机关、日期、现行状态，以及依据它的政策和服务。"
	return s.render.render(c, http.StatusOK, "document", page)
}

// documentGroup is the documents of one status on the list page.
type documentGroup struct {
	Status string
	// Warn marks the groups of documents no longer in force as they stand.
	Warn bool
	Docs []documentRow
}

type documentRow struct {
	D       *corpus.Document
	CitedBy int
}

// documentStatusOrder is the order of the groups on /documents: what is no
// longer in force first, so that it is seen.
var documentStatusOrder = []string{corpus.StatusRepealed, corpus.StatusLapsed, corpus.StatusRevised, corpus.StatusInForce, corpus.Unknown}

// documentGroups groups the registry by status, in documentStatusOrder.
func documentGroups(c *corpus.Corpus) []documentGroup {
	by := map[string][]documentRow{}
	cited := citedBy(c)
	for _, d := range c.Documents.Sorted() {
		st := d.Status
		if !slices.Contains(documentStatusOrder, st) {
			st = corpus.Unknown
		}
		by[st] = append(by[st], documentRow{D: d, CitedBy: cited[d.ID]})
	}
	var out []documentGroup
	for _, st := range documentStatusOrder {
		if len(by[st]) == 0 {
			continue
		}
		out = append(out, documentGroup{Status: st, Warn: st != corpus.StatusInForce && st != corpus.Unknown, Docs: by[st]})
	}
	return out
}

type documentsView struct {
	Groups []documentGroup
	Total  int
}

func (s *Server) documentsPage(c echo.Context) error {
	corp := s.cfg.Searcher.Corpus()
	v := documentsView{Groups: documentGroups(corp), Total: len(corp.Documents)}
	return s.render.render(c, http.StatusOK, "documents", s.page(c, "政策文件", v))
}
