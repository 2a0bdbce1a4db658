package live

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"

	"yicha/corpus"
	"yicha/index"
	"yicha/search"
)

// ErrBusy is returned when a reindex is asked for while one runs.
var ErrBusy = errors.New("a reindex is already running")

// ErrLoadTimeout is returned when loading the corpus takes longer than
// its deadline (ServiceOptions.LoadTimeout).
var ErrLoadTimeout = errors.New("loading the corpus timed out")

// DefaultLoadTimeout is how long loading the corpus may take unless
// ServiceOptions says otherwise.
const DefaultLoadTimeout = 2 * time.Minute

// Phases of a reindex.
const (
	PhaseValidating = "validating"
	PhaseIndexing   = "indexing"
	PhaseChecking   = "checking"
	PhaseSwapping   = "swapping"
)

// Status is what admins see of the index and its builds.
type Status struct {
	Source         string    `json:"source"`
	Docs           int       `json:"docs"`
	Fingerprint    string    `json:"fingerprint"`
	MappingVersion int       `json:"mapping_version"`
	BuiltAt        time.Time `json:"built_at"`
	BuildSeconds   float64   `json:"build_seconds"`
	Reindexes      int       `json:"reindexes"`
	// Updates counts those of the Reindexes applied to the served index as
	// updates of their entries rather than as new indexes.
	Updates     int       `json:"updates"`
	Building    bool      `json:"building"`
	Phase       string    `json:"phase,omitempty"`
	Done        int       `json:"done,omitempty"`
	Total       int       `json:"total,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// Problems are those of the last corpus that failed validation.
	Problems []corpus.Problem `json:"problems,omitempty"`
	// IndexVersion and StoreVersion are set when replicas follow a shared
	// corpus store: the version the served index was built from, and the
	// store's latest (see Follower).
	IndexVersion int64 `json:"index_version,omitempty"`
	StoreVersion int64 `json:"store_version,omitempty"`
	// RejectedVersion is the latest store version this replica refused
	// because its corpus has problems (LastError and Problems say which),
	// until a newer version serves.
	RejectedVersion int64 `json:"rejected_version,omitempty"`
	// Store is the shared corpus store's health, as the replica sees it.
	Store *StoreHealth `json:"database,omitempty"`
}

// Service keeps an engine serving the active index of a data directory and
// rebuilds it from the corpus source when asked, one build at a time:
// validate the corpus, build a new index beside the old one, check it,
// record it in the manifest, swap it in under live searches, then close
// and remove the old one. A corpus with problems changes nothing.
type Service struct {
	Engine *search.Engine
	store  *index.Store
	source corpus.Source
	log    *slog.Logger
	now    func() time.Time
	// progress, if set, is told of every batch a build indexes.
	progress    index.Progress
	loadTimeout time.Duration
	snapshots   string
	snapEvery   time.Duration
	// lastSnapshot is when the service last wrote a snapshot.
	lastSnapshot time.Time

	mu     sync.Mutex
	status Status
	done   chan struct{} // closed when the running build ends
	builds sync.WaitGroup
}

// ServiceOptions are the optional parts of a Service.
type ServiceOptions struct {
	// Log receives what the service does; nil means slog.Default().
	Log *slog.Logger
	// Now is the clock that decides which entries have expired; nil means
	// time.Now.
	Now func() time.Time
	// Progress, if set, is told of every batch a build indexes, after the
	// status shows it, and of an update before and after its batch.
	Progress index.Progress
	// LoadTimeout bounds loading (and so validating) the corpus, at start,
	// when catching up and on every reindex; zero means DefaultLoadTimeout.
	LoadTimeout time.Duration
	// Followed says a Follower keeps the index in step with the source:
	// the active index serves without the service catching up on its own.
	Followed bool
	// Offline says the source cannot be read now (its database is down):
	// the active index serves without catching up (a Follower does once
	// the source can be read), and without one OpenService returns
	// ErrNoIndex instead of trying to load the source.
	Offline bool
	// Snapshots, if set, is a directory (a volume replicas share) of index
	// snapshots: with no index of its own the service restores the newest
	// of its mapping and analysis instead of building, and it writes one
	// after every build, and after an update when its last is older than
	// SnapshotEvery (default DefaultSnapshotEvery).
	Snapshots     string
	SnapshotEvery time.Duration
}

// DefaultSnapshotEvery is how old a service's last snapshot may get before
// an update writes a new one, unless ServiceOptions says otherwise.
const DefaultSnapshotEvery = 10 * time.Minute

// ErrNoIndex is returned by OpenService, offline, when the data directory
// holds no index to serve.
var ErrNoIndex = errors.New("no index to serve in the data directory")

// OpenService serves the active index of store if there is one (so a
// restart answers at once, on the last good index), else builds one from
// source. If the source has changed since the active index was built, it
// is rebuilt in the background.
func OpenService(ctx context.Context, store *index.Store, source corpus.Source, opts ServiceOptions) (*Service, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LoadTimeout == 0 {
		opts.LoadTimeout = DefaultLoadTimeout
	}
	s := &Service{store: store, source: source, log: log, now: opts.Now, progress: opts.Progress, loadTimeout: opts.LoadTimeout,
		snapshots: opts.Snapshots, snapEvery: cmp.Or(opts.SnapshotEvery, DefaultSnapshotEvery)}
	if store.Log == nil {
		store.Log = log
	}
	s.status.Source = source.String()
	s.status.MappingVersion = index.MappingVersion
	if err := store.Clean(); err != nil {
		log.Warn("cleaning the data directory", "error", err)
	}
	idx, c, m, err := store.Active()
	if err != nil {
		log.Warn("the active index cannot be opened; building a new one", "error", err)
	}
	if idx == nil && opts.Snapshots != "" {
		if idx, c, m, err = s.restore(); err != nil {
			log.Warn("no index snapshot could be restored; building a new index", "error", err)
		}
	}
	if idx != nil {
		if s.Engine, err = search.New(idx, c, s.now); err != nil {
			idx.Close()
			return nil, err
		}
		s.record(c, m)
		log.Info("serving the active index", "docs", m.Docs, "dir", m.Dir, "built", m.BuiltAt)
		if opts.Offline || opts.Followed {
			return s, nil
		}
		s.builds.Add(1)
		go func() {
			defer s.builds.Done()
			s.catchUp()
		}()
		return s, nil
	}
	if opts.Offline {
		return nil, ErrNoIndex
	}
	c, err = s.load(ctx)
	if err != nil {
		return nil, err
	}
	idx, m, err = store.Build(ctx, c, s.progress)
	if err != nil {
		return nil, err
	}
	if s.Engine, err = search.New(idx, c, s.now); err != nil {
		idx.Close()
		return nil, err
	}
	if err := store.Activate(m); err != nil {
		idx.Close()
		return nil, err
	}
	s.record(c, m)
	log.Info("index built", "docs", m.Docs, "dir", m.Dir, "seconds", m.BuildSeconds)
	s.snapshotAfter(true)
	return s, nil
}

// restore restores the newest index snapshot of the snapshot directory
// that can be served into the data directory and opens it; nils when
// there is none.
func (s *Service) restore() (bleve.Index, *corpus.Corpus, *index.Manifest, error) {
	start := time.Now()
	idx, c, m, err := s.store.RestoreSnapshot(s.snapshots)
	if err != nil || idx == nil {
		return nil, nil, nil, err
	}
	s.lastSnapshot = start // the snapshot it came from is as recent
	s.log.Info("serving an index snapshot", "version", m.CorpusVersion, "docs", m.Docs, "took", time.Since(start).Round(time.Millisecond))
	return idx, c, m, nil
}

// snapshotAfter writes a snapshot of the served index to the snapshot
// directory, if there is one: after a build (full), or after an update
// when the last is older than SnapshotEvery. It runs while no build or
// update can change the index. A failure is logged: it serves on.
func (s *Service) snapshotAfter(full bool) {
	if s.snapshots == "" || (!full && time.Since(s.lastSnapshot) < s.snapEvery) {
		return
	}
	start := time.Now()
	m, err := s.store.Manifest()
	if err == nil && m != nil {
		var path string
		path, err = s.store.WriteSnapshot(s.Engine.Index(), m, s.snapshots)
		if err == nil {
			s.lastSnapshot = start
			s.log.Info("wrote an index snapshot", "path", path, "version", m.CorpusVersion, "took", time.Since(start).Round(time.Millisecond))
			return
		}
	}
	s.log.Warn("writing an index snapshot failed", "error", err)
}

// catchUp rebuilds when the source differs from what is served.
func (s *Service) catchUp() {
	c, err := s.load(context.Background())
	if err != nil {
		s.fail(err)
		s.log.Error("the corpus source cannot be loaded; serving the last good index", "error", err)
		return
	}
	s.mu.Lock()
	same := c.Fingerprint == s.status.Fingerprint
	s.mu.Unlock()
	if same {
		return
	}
	s.log.Info("rebuilding: the corpus changed since the index was built")
	if _, err := s.Reindex(context.Background(), true); err != nil && !errors.Is(err, ErrBusy) {
		s.log.Error("rebuild failed; serving the last good index", "error", err)
	}
}

// ChangeSource is a corpus source that can also read what changed since
// a version it gave: the corpus after the changes (checked as Load checks
// it) and the changes, entry by entry. An error that is not a
// *corpus.CheckError means the changes cannot be told (the base version
// is gone, the registry or the sites changed): the whole corpus is loaded.
type ChangeSource interface {
	corpus.Source
	LoadChanges(ctx context.Context, base *corpus.Corpus) (*corpus.Corpus, corpus.Changes, error)
}

// load loads the source within the load deadline. A source that does not
// end when its context does (a read stuck in the kernel) is left to end on
// its own, and what it yields is dropped: the caller goes on at once.
func (s *Service) load(ctx context.Context) (*corpus.Corpus, error) {
	c, _, err := s.loadSince(ctx, nil)
	return c, err
}

// loadSince is load, reading only the changes since base when the source
// can (a ChangeSource, base from it): the changes come back too, else nil.
func (s *Service) loadSince(ctx context.Context, base *corpus.Corpus) (*corpus.Corpus, *corpus.Changes, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, s.loadTimeout, fmt.Errorf("%w after %s", ErrLoadTimeout, s.loadTimeout))
	defer cancel()
	type loaded struct {
		c   *corpus.Corpus
		ch  *corpus.Changes
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		if cs, ok := s.source.(ChangeSource); ok && base != nil && base.Version > 0 {
			c, ch, err := cs.LoadChanges(ctx, base)
			var ce *corpus.CheckError
			if err == nil || errors.As(err, &ce) || ctx.Err() != nil {
				done <- loaded{c, &ch, err}
				return
			}
			s.log.Info("loading the whole corpus", "reason", err)
		}
		c, err := s.source.Load(ctx)
		done <- loaded{c, nil, err}
	}()
	select {
	case l := <-done:
		if err := ctx.Err(); err != nil && errors.Is(l.err, err) {
			return nil, nil, fmt.Errorf("corpus %s: %w", s.source, context.Cause(ctx))
		}
		return l.c, l.ch, l.err
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("corpus %s: %w", s.source, context.Cause(ctx))
	}
}

func (s *Service) record(c *corpus.Corpus, m *index.Manifest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.Docs = len(c.Policies)
	s.status.Fingerprint = c.Fingerprint
	s.status.IndexVersion = c.Version
	s.status.BuiltAt = m.BuiltAt
	s.status.BuildSeconds = m.BuildSeconds
}

func (s *Service) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.LastError = err.Error()
	s.status.LastErrorAt = s.now().UTC()
	s.status.Problems = nil
	var ce *corpus.CheckError
	if errors.As(err, &ce) {
		s.status.Problems = ce.Problems
	}
}

// Status returns the current status.
func (s *Service) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	st.Problems = append([]corpus.Problem(nil), st.Problems...)
	return st
}

func (s *Service) phase(p string, done, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.Phase, s.status.Done, s.status.Total = p, done, total
}

// Reindex validates the source corpus and, if it has no problems, builds
// and swaps in a new index. Problems come back as a *corpus.CheckError and
// change nothing; a second call while a build runs gets ErrBusy. Loading
// the corpus that takes longer than the load deadline ends the reindex
// with ErrLoadTimeout. With wait it returns when the new index serves (or
// ctx ends); without, once the corpus is validated and the build has
// started.
func (s *Service) Reindex(ctx context.Context, wait bool) (Status, error) {
	s.mu.Lock()
	if s.status.Building {
		s.mu.Unlock()
		return s.Status(), ErrBusy
	}
	s.status.Building = true
	s.status.Phase, s.status.Done, s.status.Total = PhaseValidating, 0, 0
	done := make(chan struct{})
	s.done = done
	s.mu.Unlock()

	finish := func(err error) {
		s.mu.Lock()
		s.status.Building = false
		s.status.Phase, s.status.Done, s.status.Total = "", 0, 0
		s.mu.Unlock()
		if err != nil {
			s.fail(err)
		}
		close(done)
	}
	var base *corpus.Corpus
	if s.Engine != nil {
		base = s.Engine.Corpus()
	}
	c, ch, err := s.loadSince(ctx, base)
	if err != nil {
		finish(err)
		return s.Status(), err
	}
	var buildErr error
	s.builds.Add(1)
	go func() {
		defer s.builds.Done()
		if s.update(c, ch) {
			finish(nil)
			return
		}
		buildErr = s.build(c)
		finish(buildErr)
	}()
	if !wait {
		return s.Status(), nil
	}
	select {
	case <-done:
		return s.Status(), buildErr
	case <-ctx.Done():
		return s.Status(), ctx.Err()
	}
}

// MinUpdate and UpdateShare bound the changes applied to the served index
// as an update: at most MinUpdate entries, or UpdateShare of the corpus if
// that is more. More changes than that are a rebuild.
const (
	MinUpdate   = 1000
	UpdateShare = 0.1
)

// update applies c to the served index as an update — the changed
// entries' documents replaced, added or deleted in one batch, the index
// directory, mapping and analysis unchanged — when it can, and reports
// whether it did. ch are the changes from the served corpus, if the
// source told them; else they are found by comparing the two corpora. It
// cannot when the registry of documents or the sites differ, there are
// too many changes, or the active index cannot take them (index.Update):
// then the caller builds a new index.
func (s *Service) update(c *corpus.Corpus, ch *corpus.Changes) bool {
	if s.Engine == nil {
		return false
	}
	start := time.Now()
	old := s.Engine.Corpus()
	if ch == nil {
		same, err := corpus.SameSetting(old, c)
		if err != nil || !same {
			return false
		}
		d, err := corpus.Diff(old, c)
		if err != nil {
			return false
		}
		ch = &d
	}
	if ch.Len() > max(MinUpdate, int(UpdateShare*float64(len(old.Policies)))) {
		s.log.Info("rebuilding: too many entries changed for an update", "changed", ch.Len())
		return false
	}
	pu, err := s.store.Update(s.Engine.Index(), old, c, *ch)
	if err != nil {
		s.log.Info("rebuilding instead of updating", "reason", err)
		return false
	}
	s.phase(PhaseIndexing, 0, ch.Len())
	if s.progress != nil {
		s.progress(0, ch.Len())
	}
	if err := s.Engine.Update(context.Background(), c, *ch, pu.Apply); err != nil {
		pu.Discard()
		s.log.Warn("updating the index failed; rebuilding", "error", err)
		return false
	}
	if err := s.store.Activate(pu.Manifest); err != nil {
		s.log.Warn("recording the update failed; rebuilding", "error", err)
		return false
	}
	if s.progress != nil {
		s.progress(ch.Len(), ch.Len())
	}
	s.record(c, pu.Manifest)
	s.mu.Lock()
	s.status.Reindexes++
	s.status.Updates++
	s.status.LastError, s.status.LastErrorAt, s.status.Problems = "", time.Time{}, nil
	s.mu.Unlock()
	s.log.Info("index updated", "changed", len(ch.Changed), "deleted", len(ch.Deleted), "docs", len(c.Policies),
		"version", c.Version, "dir", pu.Manifest.Dir, "took", time.Since(start).Round(time.Millisecond))
	s.snapshotAfter(false)
	return true
}

// build indexes c, checks the new index and swaps it in.
func (s *Service) build(c *corpus.Corpus) error {
	ctx := context.Background()
	start := time.Now()
	s.phase(PhaseIndexing, 0, len(c.Policies))
	idx, m, err := s.store.Build(ctx, c, func(done, total int) {
		s.phase(PhaseIndexing, done, total)
		if s.progress != nil {
			s.progress(done, total)
		}
	})
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	s.phase(PhaseChecking, len(c.Policies), len(c.Policies))
	discard := func(err error) error {
		idx.Close()
		if cerr := s.store.Clean(); cerr != nil {
			s.log.Warn("removing the failed build", "error", cerr)
		}
		return err
	}
	if err := s.Engine.Verify(ctx, idx, c); err != nil {
		return discard(fmt.Errorf("check new index: %w", err))
	}
	if err := s.store.Activate(m); err != nil {
		return discard(err)
	}
	s.phase(PhaseSwapping, len(c.Policies), len(c.Policies))
	old, err := s.Engine.Replace(ctx, idx, c)
	if err != nil {
		idx.Close()
		return fmt.Errorf("swap: %w", err)
	}
	s.record(c, m)
	if old != nil {
		if err := old.Close(); err != nil {
			s.log.Warn("closing the old index", "error", err)
		}
	}
	if err := s.store.Clean(); err != nil {
		s.log.Warn("removing old indexes", "error", err)
	}
	s.mu.Lock()
	s.status.Reindexes++
	// The last error is over once a build succeeds.
	s.status.LastError, s.status.LastErrorAt, s.status.Problems = "", time.Time{}, nil
	s.mu.Unlock()
	s.log.Info("reindexed", "docs", m.Docs, "dir", m.Dir, "took", time.Since(start).Round(time.Millisecond))
	s.snapshotAfter(true)
	return nil
}

// Close waits for a running build to end; the caller closes the store.
func (s *Service) Close() error {
	s.builds.Wait()
	if s.Engine == nil {
		return nil
	}
	return s.Engine.Close()
}

// StoreDir returns the data directory the service builds in.
func (s *Service) StoreDir() string { return s.store.Dir() }
