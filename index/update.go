package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/blevesearch/bleve/v2"

	"yicha/corpus"
)

// ErrRebuild is returned by Update when the changes cannot be applied to
// the active index and a new one must be built: there is no active index,
// it was built by another mapping version or analysis, or it does not
// hold the corpus the changes start from.
var ErrRebuild = errors.New("the active index cannot be updated; build a new one")

// MaxUpdates is how many updates an index takes before Update asks for a
// rebuild, which folds them into one corpus file.
const MaxUpdates = 200

// Applied is one update of an index since it was built: the file beside
// the index holding the entries it added or changed (a corpus, packed as
// the index's own is, with the version's registry and sites; JSONL before
// it was), the ids it deleted, and the corpus it made.
type Applied struct {
	File        string   `json:"file"`
	SHA256      string   `json:"sha256,omitempty"`
	Deleted     []string `json:"deleted,omitempty"`
	Fingerprint string   `json:"fingerprint"`
	Version     int64    `json:"version,omitempty"`
}

// marker is stored inside the index, in the batch that changes it, so
// that the index itself says which corpus it holds: a crash between an
// update's batch and its manifest is rolled forward by Active.
type marker struct {
	Fingerprint string   `json:"fingerprint"`
	Version     int64    `json:"version,omitempty"`
	Docs        uint64   `json:"docs"`
	Update      *Applied `json:"update,omitempty"`
}

const markerKey = "yicha.corpus"

// setMarker records in idx which corpus it holds.
func setMarker(idx bleve.Index, c *corpus.Corpus) error {
	data, err := json.Marshal(marker{Fingerprint: c.Fingerprint, Version: c.Version, Docs: uint64(len(c.Policies))})
	if err != nil {
		return err
	}
	return idx.SetInternal([]byte(markerKey), data)
}

// reconcile compares the manifest with the corpus idx says it holds. An
// index an update changed after the manifest was last written (a crash
// between the two) names the update: its file is there, and the manifest
// is rolled forward to it. Any other difference is an error: the index
// is not served.
func (s *Store) reconcile(idx bleve.Index, m *Manifest) (*Manifest, error) {
	data, err := idx.GetInternal([]byte(markerKey))
	if err != nil || data == nil {
		return m, err // built before the marker: the manifest says
	}
	var mk marker
	if err := json.Unmarshal(data, &mk); err != nil {
		return nil, fmt.Errorf("index %s: %w", m.Dir, err)
	}
	if mk.Fingerprint == m.Fingerprint {
		return m, nil
	}
	u := mk.Update
	if u == nil || slices.ContainsFunc(m.Updates, func(a Applied) bool { return a.File == u.File }) {
		return nil, fmt.Errorf("index %s holds corpus %s, its manifest names %s", m.Dir, mk.Fingerprint, m.Fingerprint)
	}
	if _, err := os.Stat(filepath.Join(s.dir, m.Dir, u.File)); err != nil {
		return nil, fmt.Errorf("index %s holds corpus %s, its manifest names %s: %w", m.Dir, mk.Fingerprint, m.Fingerprint, err)
	}
	next := m.updated(*u, mk.Docs, time.Now())
	if err := s.writeManifest(next); err != nil {
		return nil, err
	}
	s.log().Warn("the index was updated after its manifest was written; the manifest now names its corpus", "dir", m.Dir, "fingerprint", mk.Fingerprint)
	return next, nil
}

// updated is m after the update u, which left docs entries.
func (m *Manifest) updated(u Applied, docs uint64, at time.Time) *Manifest {
	next := *m
	next.Updates = append(slices.Clone(m.Updates), u)
	next.Fingerprint, next.CorpusVersion, next.Docs = u.Fingerprint, u.Version, docs
	next.UpdatedAt = at.UTC()
	return &next
}

// corpusOf reads the corpus the index of m holds: the one it was built
// from, with each update applied in turn.
func (s *Store) corpusOf(m *Manifest) (*corpus.Corpus, error) {
	dir := filepath.Join(s.dir, m.Dir)
	file, err := s.readCorpus(filepath.Join(dir, m.corpusFile()), m.CorpusSHA256)
	if err != nil {
		return nil, err
	}
	c := file.Corpus(m.Fingerprint)
	for _, u := range m.Updates {
		f, err := s.readCorpus(filepath.Join(dir, u.File), u.SHA256)
		if err != nil {
			return nil, err
		}
		c = c.Apply(corpus.Changes{Changed: f.Policies, Deleted: u.Deleted}, u.Fingerprint, u.Version)
		c.Documents, c.Sites = f.Documents, f.SitesOrBuiltin()
	}
	c.Fingerprint, c.Version = m.Fingerprint, m.CorpusVersion
	if uint64(len(c.Policies)) != m.Docs {
		return nil, fmt.Errorf("the corpus of index %s holds %d entries, its manifest %d", m.Dir, len(c.Policies), m.Docs)
	}
	return c, nil
}

// PendingUpdate is an update of the active index, prepared by Update:
// Apply changes the index, then Activate(Manifest) records it.
type PendingUpdate struct {
	// Manifest is the manifest once the update is applied.
	Manifest *Manifest
	idx      bleve.Index
	batch    *bleve.Batch
	file     string
}

// Apply changes the index in one batch: the entries' documents are
// replaced, added or deleted, with the collection statistics and the
// marker of the corpus it now holds. Searches of the index see all of it
// or none.
func (u *PendingUpdate) Apply() error {
	if err := u.idx.Batch(u.batch); err != nil {
		return fmt.Errorf("update index: %w", err)
	}
	return nil
}

// Discard removes what Update wrote, for an update that is not applied.
func (u *PendingUpdate) Discard() { os.Remove(u.file) }

// Update prepares the changes ch, which make next of old (the corpus the
// active index idx holds), as an update of idx rather than a new index:
// it keeps the changed entries in a file beside the index and returns the
// batch and the manifest to apply. It returns an error wrapping
// ErrRebuild when the active index cannot take them.
func (s *Store) Update(idx bleve.Index, old, next *corpus.Corpus, ch corpus.Changes) (*PendingUpdate, error) {
	m, err := s.Manifest()
	switch {
	case err != nil:
		return nil, err
	case m == nil:
		return nil, fmt.Errorf("%w: there is none", ErrRebuild)
	case m.MappingVersion != MappingVersion || m.Analysis != AnalysisFingerprint():
		return nil, fmt.Errorf("%w: it was built by mapping version %d, analysis %.12s", ErrRebuild, m.MappingVersion, m.Analysis)
	case m.Fingerprint != old.Fingerprint:
		return nil, fmt.Errorf("%w: it holds corpus %s, not %s", ErrRebuild, m.Fingerprint, old.Fingerprint)
	case len(m.Updates) >= MaxUpdates:
		return nil, fmt.Errorf("%w: it has taken %d updates", ErrRebuild, len(m.Updates))
	}
	an, err := NewAnalyzer()
	if err != nil {
		return nil, err
	}
	stats, err := ReadStats(idx)
	if err != nil {
		return nil, err
	}
	subtract := func(id string) {
		if p, ok := old.Get(id); ok {
			_, lengths := an.Document(p)
			for f, n := range lengths {
				stats.Tokens[f] -= int64(n)
			}
		}
	}
	batch := idx.NewBatch()
	for _, id := range ch.Deleted {
		subtract(id)
		batch.Delete(id)
	}
	for _, p := range ch.Changed {
		subtract(p.ID)
		doc, lengths := an.Document(p)
		for f, n := range lengths {
			stats.Tokens[f] += int64(n)
		}
		if err := batch.IndexAdvanced(doc); err != nil {
			return nil, fmt.Errorf("index %s: %w", p.ID, err)
		}
	}
	stats.Docs = len(next.Policies)
	data, err := json.Marshal(stats)
	if err != nil {
		return nil, err
	}
	batch.SetInternal([]byte(statsKey), data)
	name := fmt.Sprintf("update-%d.packed", len(m.Updates)+1)
	path := filepath.Join(s.dir, m.Dir, name)
	sum, err := writeCorpus(path, &corpus.Corpus{Policies: ch.Changed, Documents: next.Documents, Sites: next.Sites})
	if err != nil {
		return nil, err
	}
	u := Applied{File: name, SHA256: sum, Deleted: ch.Deleted, Fingerprint: next.Fingerprint, Version: next.Version}
	docs := uint64(len(next.Policies))
	mk, err := json.Marshal(marker{Fingerprint: next.Fingerprint, Version: next.Version, Docs: docs, Update: &u})
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	batch.SetInternal([]byte(markerKey), mk)
	return &PendingUpdate{Manifest: m.updated(u, docs, time.Now()), idx: idx, batch: batch, file: path}, nil
}
