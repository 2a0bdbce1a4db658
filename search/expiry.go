package search

import (
	blevesearch "github.com/blevesearch/bleve/v2/search"
)

// expiredLast orders current entries before expired ones. Which entries
// have expired depends on the time of the search, not on the index, so it
// is a sort of its own rather than a field of the documents.
type expiredLast struct {
	expired map[string]bool
	desc    bool
}

func newExpiredLast(ids []string) *expiredLast {
	s := &expiredLast{expired: make(map[string]bool, len(ids))}
	for _, id := range ids {
		s.expired[id] = true
	}
	return s
}

var _ blevesearch.SearchSort = (*expiredLast)(nil)

func (s *expiredLast) UpdateVisitor(string, []byte) {}

func (s *expiredLast) Value(m *blevesearch.DocumentMatch) string {
	if s.expired[m.ID] {
		return "1"
	}
	return "0"
}

func (s *expiredLast) DecodeValue(v string) string { return v }
func (s *expiredLast) Descending() bool            { return s.desc }
func (s *expiredLast) RequiresDocID() bool         { return true }
func (s *expiredLast) RequiresScoring() bool       { return false }
func (s *expiredLast) RequiresFields() []string    { return nil }
func (s *expiredLast) Reverse()                    { s.desc = !s.desc }
func (s *expiredLast) Copy() blevesearch.SearchSort {
	return &expiredLast{expired: s.expired, desc: s.desc}
}
