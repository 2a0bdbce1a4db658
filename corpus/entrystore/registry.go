package entrystore

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"yicha/corpus"
)

// ActionDocument adds a document to the registry (documents.yaml).
const ActionDocument = "document"

// ErrTaken says the registry holds a document of that id; it comes
// wrapped with ErrInvalid.
var ErrTaken = errors.New("the id is taken")

// withDocument returns the snapshot with doc added to its registry: the
// registry's text as it is (comments and order kept) and the document
// after it, as documents.yaml writes one. A document whose id the
// registry holds is refused.
func withDocument(s *Snapshot, doc *corpus.Document, by Change) (*Snapshot, AuditRecord, error) {
	if err := by.valid(); err != nil {
		return nil, AuditRecord{}, err
	}
	if doc == nil || !corpus.ValidID(doc.ID) {
		return nil, AuditRecord{}, fmt.Errorf("%w: a document needs an id of lower-case letters, digits and '-'", ErrInvalid)
	}
	reg := s.Support[corpus.DocumentsFile]
	if len(reg) > 0 {
		docs, probs := corpus.ParseDocuments(Prefix+"/"+corpus.DocumentsFile, reg)
		if len(probs) > 0 {
			return nil, AuditRecord{}, &corpus.CheckError{Problems: probs}
		}
		if _, ok := docs[doc.ID]; ok {
			return nil, AuditRecord{}, fmt.Errorf("%w: %w: the registry already holds a document %q", ErrInvalid, ErrTaken, doc.ID)
		}
	}
	var b bytes.Buffer
	b.Write(reg)
	if len(reg) > 0 && !bytes.HasSuffix(reg, []byte("\n")) {
		b.WriteByte('\n')
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(map[string]*corpus.Document{doc.ID: doc}); err != nil {
		return nil, AuditRecord{}, err
	}
	if err := enc.Close(); err != nil {
		return nil, AuditRecord{}, err
	}
	out := s.clone()
	out.Support[corpus.DocumentsFile] = b.Bytes()
	detail := strings.TrimSpace(fmt.Sprintf("%s %s %s. %s", doc.ID, doc.Title, doc.Number, by.Note))
	return out, AuditRecord{At: by.At, Admin: by.Author, Action: ActionDocument, Detail: detail}, nil
}
