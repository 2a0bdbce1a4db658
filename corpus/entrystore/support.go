package entrystore

import (
	"fmt"
	"strings"

	"yicha/corpus"
)

// ActionSupport replaces or adds an editable supporting file: the places
// file or a site's file.
const ActionSupport = "support"

// EditableSupport reports whether a supporting file may be replaced
// through PutSupport: places.yaml, the sites' files (sites/ID/site.yaml)
// and the entries' cases (cases/ID.yaml).
// The registry of documents grows through AddDocument only.
func EditableSupport(name string) bool {
	return IsSupportFile(name) && name != corpus.DocumentsFile && name != corpus.ReferralsFile
}

// withSupport returns the snapshot with the supporting file name set to
// body (a new site's file added).
func withSupport(s *Snapshot, name string, body []byte, by Change) (*Snapshot, AuditRecord, error) {
	if err := by.valid(); err != nil {
		return nil, AuditRecord{}, err
	}
	if !EditableSupport(name) {
		return nil, AuditRecord{}, fmt.Errorf("%w: %q is not a supporting file admins may change", ErrInvalid, name)
	}
	if len(body) == 0 || len(body) > MaxBody {
		return nil, AuditRecord{}, fmt.Errorf("%w: %s holds %d bytes (1 to %d)", ErrInvalid, name, len(body), MaxBody)
	}
	out := s.clone()
	out.Support[name] = body
	detail := strings.TrimSpace(name + ". " + by.Note)
	return out, AuditRecord{At: by.At, Admin: by.Author, Action: ActionSupport, Detail: detail}, nil
}
