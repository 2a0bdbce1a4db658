package index

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"yicha/corpus"
	"yicha/corpus/durable"
)

// ErrLocked is returned when another process holds the data directory.
var ErrLocked = errors.New("data directory is in use by another yicha process")

// Manifest records which index directory is active. It is written
// atomically, only after the index it names is complete.
type Manifest struct {
	Dir            string `json:"dir"`
	MappingVersion int    `json:"mapping_version"`
	// Analysis identifies the analysis (dictionary) the index was built with.
	Analysis    string `json:"analysis"`
	Fingerprint string `json:"fingerprint"`
	// CorpusVersion is the shared store's version of the corpus, if it
	// came from one.
	CorpusVersion int64  `json:"corpus_version,omitempty"`
	Docs          uint64 `json:"docs"`
	// CorpusFile names the file beside the index holding the corpus it
	// was built from; none means corpus.jsonl, as indexes built before
	// the corpus was kept packed have. CorpusSHA256 is its hash.
	CorpusFile   string    `json:"corpus_file,omitempty"`
	CorpusSHA256 string    `json:"corpus_sha256,omitempty"`
	BuiltAt      time.Time `json:"built_at"`
	BuildSeconds float64   `json:"build_seconds"`
	// Updates are the changes applied to the index since it was built,
	// in order (see Update); Fingerprint, CorpusVersion and Docs are
	// those of the corpus after the last.
	Updates   []Applied `json:"updates,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

const (
	manifestName = "manifest.json"
	lockName     = "lock"
	indexPrefix  = "idx-"
)

// Store is a data directory holding built indexes and the manifest naming
// the active one. Only one process may use a data directory at a time.
type Store struct {
	// Log receives what the store falls back to; nil means slog.Default().
	Log *slog.Logger

	dir  string
	lock *os.File
}

// OpenStore creates dir if needed and locks it for this process.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return &Store{dir: dir, lock: f}, nil
}

// Close releases the data directory.
func (s *Store) Close() error { return s.lock.Close() }

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// Manifest reads the manifest; it returns nil when there is none.
func (s *Store) Manifest() (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", filepath.Join(s.dir, manifestName), err)
	}
	return &m, nil
}

func (s *Store) writeManifest(m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return s.replaceManifest(data)
}

// replaceManifest writes the manifest's bytes atomically.
func (s *Store) replaceManifest(data []byte) error {
	return durable.Replace(s.dir, manifestName, manifestName+".tmp-*", data, nil)
}

// writeCorpus keeps the corpus beside its index, packed, durably, and
// returns the SHA-256 of the file. A file there before is removed first,
// not written over: a snapshot may share it (a hard link).
func writeCorpus(path string, c *corpus.Corpus) (string, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	h := sha256.New()
	err := durable.Create(path, func(w io.Writer) error { return corpus.WritePacked(io.MultiWriter(w, h), c) })
	return hex.EncodeToString(h.Sum(nil)), err
}

// Active opens the active index and the corpus it was built from (kept
// beside it), if it was built by this mapping version and analysis. It
// returns nils when there is none to serve.
func (s *Store) Active() (bleve.Index, *corpus.Corpus, *Manifest, error) {
	m, err := s.Manifest()
	if err != nil || m == nil {
		return nil, nil, nil, err
	}
	if m.MappingVersion != MappingVersion || m.Analysis != AnalysisFingerprint() {
		return nil, nil, nil, nil
	}
	idx, err := bleve.Open(filepath.Join(s.dir, m.Dir))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open index %s: %w", m.Dir, err)
	}
	fail := func(err error) (bleve.Index, *corpus.Corpus, *Manifest, error) {
		idx.Close()
		return nil, nil, nil, err
	}
	if m, err = s.reconcile(idx, m); err != nil {
		return fail(err)
	}
	served, err := s.corpusOf(m)
	if err != nil {
		return fail(fmt.Errorf("corpus of index %s: %w", m.Dir, err))
	}
	return idx, served, m, nil
}

// readCorpus reads and checks the corpus kept beside an index. A packed
// file (corpus.WritePacked) must have the SHA-256 sum, as written: one
// cut short or damaged is an error. A JSONL file, as indexes built before
// kept, whose SHA-256 is sum, as written once its corpus was checked, is
// only decoded (corpus.DecodeJSONL). Any other is decoded and checked,
// and read as a hand-made JSONL corpus (corpus.ReadJSONLEntries, ten
// times slower) when that fails or the corpus has problems, so that they
// name their lines.
func (s *Store) readCorpus(path, sum string) (corpus.JSONLFile, error) {
	data, got, err := readFile(path)
	if err != nil {
		return corpus.JSONLFile{}, err
	}
	if corpus.IsPacked(data) {
		if got != sum {
			return corpus.JSONLFile{}, fmt.Errorf("%s is cut short or damaged: its SHA-256 is %.12s, written %.12s", path, got, sum)
		}
		return corpus.DecodePacked(path, data)
	}
	if sum != "" && got == sum {
		if file, err := corpus.DecodeJSONL(context.Background(), path, strings.NewReader(data)); err == nil {
			return file, nil
		}
	}
	file, probs, err := corpus.ReadWritten(context.Background(), path, strings.NewReader(data), corpus.JSONLFile.Check, func(reason error) {
		s.log().Info("reading the index's corpus as YAML", "file", path, "reason", reason)
	})
	if err == nil && len(probs) > 0 {
		err = &corpus.CheckError{Problems: probs}
	}
	return file, err
}

// readFile reads a file as one string, which its decoded corpus's strings
// are parts of, and its SHA-256 as it goes.
func readFile(path string) (string, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", "", err
	}
	var b strings.Builder
	b.Grow(int(info.Size()))
	h := sha256.New()
	if _, err := io.CopyBuffer(io.MultiWriter(&b, h), f, make([]byte, 1<<20)); err != nil {
		return "", "", fmt.Errorf("read %s: %w", path, err)
	}
	return b.String(), hex.EncodeToString(h.Sum(nil)), nil
}

func (s *Store) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// corpusName is the file beside an index holding the corpus it was built
// from (Manifest.CorpusFile); jsonlCorpusName is the one of indexes built
// before it was kept packed.
const (
	corpusName      = "corpus.packed"
	jsonlCorpusName = "corpus.jsonl"
)

// corpusFile is the file beside the index of m holding the corpus it was
// built from.
func (m *Manifest) corpusFile() string { return cmp.Or(m.CorpusFile, jsonlCorpusName) }

// Progress is told how many documents have been indexed so far.
type Progress func(done, total int)

// Build indexes the corpus into a new directory beside the active one and
// keeps the corpus with it. It returns the new index, open, and the
// manifest that Activate records once the caller has checked it. Older
// index directories are left for Clean once nothing reads them. The index
// does not depend on the date: whether an entry has expired is decided at
// search time.
func (s *Store) Build(ctx context.Context, c *corpus.Corpus, progress Progress) (bleve.Index, *Manifest, error) {
	start := time.Now()
	name := fmt.Sprintf("%s%d", indexPrefix, start.UnixNano())
	path := filepath.Join(s.dir, name)
	idx, err := BuildAt(ctx, path, c, progress)
	if err != nil {
		os.RemoveAll(path)
		return nil, nil, err
	}
	var sum string
	err = setMarker(idx, c)
	if err == nil {
		sum, err = writeCorpus(filepath.Join(path, corpusName), c)
	}
	if err != nil {
		idx.Close()
		os.RemoveAll(path)
		return nil, nil, err
	}
	m := &Manifest{
		Dir:            name,
		MappingVersion: MappingVersion,
		Analysis:       AnalysisFingerprint(),
		Fingerprint:    c.Fingerprint,
		CorpusVersion:  c.Version,
		Docs:           uint64(len(c.Policies)),
		CorpusFile:     corpusName,
		CorpusSHA256:   sum,
		BuiltAt:        start.UTC(),
		BuildSeconds:   time.Since(start).Seconds(),
	}
	return idx, m, nil
}

// Activate makes a built index the active one: the manifest naming it is
// written atomically, so a crash before leaves the previous index active
// and a crash after leaves this one.
func (s *Store) Activate(m *Manifest) error {
	if err := s.writeManifest(m); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// BuildAt builds a complete index of the corpus at path, stores the
// collection statistics with it, and checks it.
func BuildAt(ctx context.Context, path string, c *corpus.Corpus, progress Progress) (bleve.Index, error) {
	an, err := NewAnalyzer()
	if err != nil {
		return nil, err
	}
	idx, err := bleve.NewUsing(path, NewMapping(), scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("create index: %w", err)
	}
	fail := func(err error) (bleve.Index, error) {
		idx.Close()
		return nil, err
	}
	stats := Stats{Tokens: map[string]int64{}}
	const batchSize = 500
	workers := max(1, runtime.GOMAXPROCS(0))
	for start := 0; start < len(c.Policies); start += batchSize {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		part := c.Policies[start:min(start+batchSize, len(c.Policies))]
		docs := make([]*document.Document, len(part))
		lengths := make([]Lengths, len(part))
		// Segmenting is the costly part: spread it over the cores.
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(part); i += workers {
					docs[i], lengths[i] = an.Document(part[i])
				}
			}()
		}
		wg.Wait()
		batch := idx.NewBatch()
		for i, d := range docs {
			if err := batch.IndexAdvanced(d); err != nil {
				return fail(fmt.Errorf("index %s: %w", part[i].ID, err))
			}
			for f, n := range lengths[i] {
				stats.Tokens[f] += int64(n)
			}
		}
		if err := idx.Batch(batch); err != nil {
			return fail(fmt.Errorf("index batch: %w", err))
		}
		if progress != nil {
			progress(start+len(part), len(c.Policies))
		}
	}
	stats.Docs = len(c.Policies)
	data, err := json.Marshal(stats)
	if err != nil {
		return fail(err)
	}
	if err := idx.SetInternal([]byte(statsKey), data); err != nil {
		return fail(fmt.Errorf("store statistics: %w", err))
	}
	n, err := idx.DocCount()
	if err != nil {
		return fail(err)
	}
	if n != uint64(len(c.Policies)) {
		return fail(fmt.Errorf("index holds %d documents, corpus has %d", n, len(c.Policies)))
	}
	if err := settle(ctx, idx); err != nil {
		return fail(fmt.Errorf("merge the index: %w", err))
	}
	return idx, nil
}

// settle waits until every segment of a new index is on disk, then merges
// them into one. Searches then read one segment's postings per term, and
// the index does not change under its first searches: scorch would
// otherwise go on merging in the background after the build, taking a
// core from them and making each merged snapshot a new view to build.
func settle(ctx context.Context, idx bleve.Index) error {
	adv, err := idx.Advanced()
	if err != nil {
		return err
	}
	sc, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	for {
		r, err := sc.Reader()
		if err != nil {
			return err
		}
		persisted := true
		if snap, ok := r.(*scorch.IndexSnapshot); ok {
			for _, s := range snap.Segments() {
				if _, ok := s.Segment().(segment.PersistedSegment); !ok {
					persisted = false
				}
			}
		}
		r.Close()
		if persisted {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return sc.ForceMerge(ctx, &mergeplan.SingleSegmentMergePlanOptions)
}

const statsKey = "yicha.stats"

// ReadStats returns the collection statistics stored with an index.
func ReadStats(idx bleve.Index) (*Stats, error) {
	data, err := idx.GetInternal([]byte(statsKey))
	if err != nil {
		return nil, fmt.Errorf("read statistics: %w", err)
	}
	if data == nil {
		return nil, errors.New("the index has no statistics; rebuild it")
	}
	var s Stats
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("read statistics: %w", err)
	}
	return &s, nil
}

// Clean removes index directories other than the active one, and any
// temporary files left by an interrupted build.
func (s *Store) Clean() error {
	m, err := s.Manifest()
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		stale := strings.HasPrefix(name, manifestName+".tmp-") || strings.HasPrefix(name, preparedName+".tmp-") ||
			(strings.HasPrefix(name, indexPrefix) && (m == nil || name != m.Dir))
		if stale {
			errs = append(errs, os.RemoveAll(filepath.Join(s.dir, name)))
		}
	}
	return errors.Join(errs...)
}
