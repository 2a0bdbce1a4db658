package corpus

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DocumentsFile is the registry of policy documents of a corpus directory:
// entries' basis items cite its documents by id.
const DocumentsFile = "documents.yaml"

// Statuses of a document.
const (
	StatusInForce  = "现行有效"
	StatusRevised  = "已修订"
	StatusRepealed = "已废止"
	StatusLapsed   = "已失效"
)

// DocumentStatuses is the allowed set of a document's status (or Unknown).
var DocumentStatuses = []string{StatusInForce, StatusRevised, StatusRepealed, StatusLapsed, Unknown}

// Document is one policy document of the registry (documents.yaml).
type Document struct {
	ID         string      `json:"id" yaml:"-"`
	Title      string      `json:"title" yaml:"title"`
	Number     string      `json:"number" yaml:"number"`
	Issuer     string      `json:"issuer" yaml:"issuer"`
	Adopted    string      `json:"adopted" yaml:"adopted"`
	Effective  string      `json:"effective" yaml:"effective"`
	Status     string      `json:"status" yaml:"status"`
	Expires    string      `json:"expires,omitempty" yaml:"expires,omitempty"`
	Amendments []Amendment `json:"amendments,omitempty" yaml:"amendments,omitempty"`
	Successor  string      `json:"successor,omitempty" yaml:"successor,omitempty"`
	URL        string      `json:"url" yaml:"url"`
	Source     *Citation   `json:"source,omitempty" yaml:"source,omitempty"`
	// File and Line say where the document is defined, for problems.
	File  string `json:"-" yaml:"-"`
	Line  int    `json:"-" yaml:"-"`
	lines map[string]int
	// rebuilt marks a document rebuilt from resolved basis items, which
	// know only part of it: it is not written out (a reader rebuilds it
	// the same way).
	rebuilt bool
}

// Amendment is one revision of a document.
type Amendment struct {
	Date string `json:"date" yaml:"date"`
	Note string `json:"note" yaml:"note"`
}

// Date is the document's date as a basis item shows it: the day it took
// effect, else the day it was adopted (or Unknown).
func (d *Document) Date() string {
	if d.Effective != "" && d.Effective != Unknown {
		return d.Effective
	}
	if d.Adopted != "" {
		return d.Adopted
	}
	return Unknown
}

// ExpiresAt returns the end of the document's last day of validity.
func (d *Document) ExpiresAt() (time.Time, bool) { return endOfDay(d.Expires) }

// NotInForce reports whether, as of now, the document is repealed, lapsed
// or past its validity period.
func (d *Document) NotInForce(now time.Time) bool {
	if d.Status == StatusRepealed || d.Status == StatusLapsed {
		return true
	}
	at, ok := d.ExpiresAt()
	return ok && !now.Before(at)
}

func (d *Document) line(path string) int { return lineIn(d.lines, path, d.Line) }

// Documents is the registry of documents by id.
type Documents map[string]*Document

// Sorted returns the documents ordered by id.
func (ds Documents) Sorted() []*Document {
	out := make([]*Document, 0, len(ds))
	for _, d := range ds {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b *Document) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// ParseDocuments decodes and checks a registry of documents: a mapping
// from id to document.
func ParseDocuments(file string, data []byte) (Documents, Problems) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Problems{yamlProblem(file, err)}
	}
	docs := Documents{}
	if len(doc.Content) == 0 {
		return docs, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, Problems{{File: file, Line: root.Line, Message: "documents must be a mapping from id to document"}}
	}
	var probs Problems
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		var d Document
		if err := decodeStrict(v, &d); err != nil {
			probs = append(probs, Problem{File: file, Line: v.Line, Message: fmt.Sprintf("document %s: %v", k.Value, err)})
			continue
		}
		d.ID, d.File, d.Line = k.Value, file, k.Line
		d.lines = map[string]int{}
		collectLines(v, "", d.lines)
		if _, dup := docs[k.Value]; dup {
			probs = append(probs, Problem{File: file, Line: k.Line, Message: fmt.Sprintf("document %q defined twice", k.Value)})
			continue
		}
		docs[k.Value] = &d
	}
	return docs, append(probs, CheckDocuments(docs)...)
}

// CheckDocuments checks each document of a registry on its own and its
// successor against the registry.
func CheckDocuments(docs Documents) Problems {
	var probs Problems
	for _, d := range docs.Sorted() {
		report := func(path, format string, args ...any) {
			probs = append(probs, Problem{File: d.File, Line: d.line(path), Message: fmt.Sprintf("document %s: ", d.ID) + fmt.Sprintf(format, args...)})
		}
		if !slugRE.MatchString(d.ID) {
			report("", "id %q must be lower-case letters, digits and '-'", d.ID)
		}
		requireText(report, "title", d.Title, 120)
		requireText(report, "number", d.Number, 120)
		requireText(report, "issuer", d.Issuer, 120)
		checkDate(report, "adopted", d.Adopted, true, true)
		checkDate(report, "effective", d.Effective, true, true)
		checkDate(report, "expires", d.Expires, false, true)
		oneOf(report, "status", d.Status, DocumentStatuses)
		if d.Status == StatusLapsed && d.Expires == "" {
			report("expires", "a document that is %s needs expires (the last day of its validity)", StatusLapsed)
		}
		for i, a := range d.Amendments {
			at := fmt.Sprintf("amendments[%d]", i)
			checkDate(report, at+".date", a.Date, true, true)
			requireText(report, at+".note", a.Note, 200)
		}
		if d.Successor != "" {
			if d.Successor == d.ID {
				report("successor", "successor names the document itself")
			} else if _, ok := docs[d.Successor]; !ok {
				report("successor", "successor %q is not a document of %s", d.Successor, DocumentsFile)
			}
		}
		switch {
		case strings.TrimSpace(d.URL) == "":
			report("url", "url is empty (write %s if it is not known)", Unknown)
		case d.URL != Unknown:
			if err := checkHTTPS(d.URL); err != nil {
				report("url", "url: %v", err)
			}
		}
		if d.Source != nil {
			checkCitation(report, "source", *d.Source)
		}
	}
	sortProblems(probs)
	return probs
}

// checkHTTPS reports why a link is not an https link to a host.
func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q does not parse", raw)
	}
	if u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an https link", raw)
	}
	return nil
}

// checkCitation checks a source: title and publisher, an https url, and
// its dates.
func checkCitation(report reporter, at string, c Citation) {
	requireText(report, at+".title", c.Title, 200)
	requireText(report, at+".publisher", c.Publisher, 100)
	if strings.TrimSpace(c.URL) == "" {
		report(at+".url", "%s.url is empty: a source needs an https url", at)
	} else if err := checkHTTPS(c.URL); err != nil {
		report(at+".url", "%s.url: %v", at, err)
	}
	checkDate(report, at+".date", c.Date, false, true)
	checkDate(report, at+".retrieved", c.Retrieved, false, false)
}

// documentsFromBasis rebuilds a registry from resolved basis items, for
// corpora written before the registry travelled with them.
func documentsFromBasis(ps []*Policy) Documents {
	docs := Documents{}
	for _, p := range ps {
		for _, b := range p.Basis {
			if b.Document == "" || docs[b.Document] != nil {
				continue
			}
			status := b.Status
			if status == "" {
				status = Unknown
			}
			docs[b.Document] = &Document{ID: b.Document, Title: b.Title, Number: b.Number, Issuer: b.Issuer,
				Adopted: Unknown, Effective: b.Date, Status: status, URL: Unknown, rebuilt: true}
		}
	}
	return docs
}

// resolveBasis fills each basis item that cites a document from the
// registry, reporting items that cite none of its documents.
func resolveBasis(p *Policy, docs Documents, report reporter) {
	for i := range p.Basis {
		b := &p.Basis[i]
		at := fmt.Sprintf("basis[%d]", i)
		if b.Document == "" {
			continue
		}
		d, ok := docs[b.Document]
		if !ok {
			report(at+".document", "basis document %q is not in %s", b.Document, DocumentsFile)
			continue
		}
		b.Title, b.Number, b.Issuer, b.Date, b.Status = d.Title, d.Number, d.Issuer, d.Date(), d.Status
	}
}

// CitedBy returns the entries whose basis cites the document, by id.
func (c *Corpus) CitedBy(id string) []*Policy {
	var out []*Policy
	for _, p := range c.Policies {
		for _, b := range p.Basis {
			if b.Document == id {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// Document returns the registry's document with that id.
func (c *Corpus) Document(id string) (*Document, bool) {
	d, ok := c.Documents[id]
	return d, ok
}
