package live

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/index"
	"yicha/search"
)

// swapSource is a corpus source whose corpus the test replaces.
type swapSource struct {
	mu    sync.Mutex
	c     *corpus.Corpus
	loads int
}

func (s *swapSource) String() string { return "test corpus" }

func (s *swapSource) Load(context.Context) (*corpus.Corpus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	if s.c == nil {
		return nil, errors.New("this source may not be loaded")
	}
	return s.c, nil
}

func (s *swapSource) set(c *corpus.Corpus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c = c
}

// openAt serves src from the data directory dir with the given snapshot
// directory ("" for none).
// The returned func closes both, once.
func openAt(t *testing.T, dir, snapshots string, src corpus.Source) (*Service, *index.Store, func()) {
	t.Helper()
	return openLogged(t, dir, snapshots, src, io.Discard)
}

// openLogged is openAt, logging to log.
func openLogged(t *testing.T, dir, snapshots string, src corpus.Source, log io.Writer) (*Service, *index.Store, func()) {
	t.Helper()
	store, err := index.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := OpenService(context.Background(), store, src, ServiceOptions{
		Log: slog.New(slog.NewTextHandler(log, nil)), Now: corpustest.Pinned(t).Now, Snapshots: snapshots,
	})
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	closeAll := sync.OnceFunc(func() { svc.Close(); store.Close() })
	t.Cleanup(closeAll)
	return svc, store, closeAll
}

// testCorpus is the embedded corpus's first n entries.
func testCorpus(t *testing.T, n int) *corpus.Corpus {
	t.Helper()
	full, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := corpus.NewCorpus(slices.Clone(full.Policies[:n]), "base")
	c.Documents, c.Sites = full.Documents, full.Sites
	return c
}

// edited is c with entry 0's title changed, entry 1 removed and a copy of
// entry 2 added under a new id and title.
func edited(c *corpus.Corpus, fingerprint string) *corpus.Corpus {
	changed := *c.Policies[0]
	changed.Title = "鹦鹉螺专项补贴（已改）"
	added := *c.Policies[2]
	added.ID, added.Title = "zz-added", "蜂鸟临时津贴"
	return c.Apply(corpus.Changes{Changed: []*corpus.Policy{&changed, &added}, Deleted: []string{c.Policies[1].ID}}, fingerprint, c.Version+1)
}

// hits returns the ids of the first hits of q.
func hits(t *testing.T, e *search.Engine, q string) []string {
	t.Helper()
	req, err := e.ParseRequest(map[string][]string{"q": {q}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Search(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.Policy.ID)
	}
	return ids
}

// TestReindexAppliesChangesAsAnUpdate: a version that changes, adds and
// removes an entry is applied to the served index in place — same index
// directory and index, no build — while searches run; the index then
// holds the same documents and statistics as a build of the new corpus,
// the changed title finds its entry, the removed entry is gone, and a
// restart serves the updated index and corpus.
func TestReindexAppliesChangesAsAnUpdate(t *testing.T) {
	base := testCorpus(t, 30)
	src := &swapSource{c: base}
	dir := t.TempDir()
	svc, store, closeFirst := openAt(t, dir, "", src)
	before, err := store.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	idx := svc.Engine.Index()
	removed := base.Policies[1]

	var stop atomic.Bool
	var searches, failures atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			req, _ := svc.Engine.ParseRequest(map[string][]string{"q": {"补贴"}})
			if _, err := svc.Engine.Search(context.Background(), req); err != nil {
				failures.Add(1)
			}
			searches.Add(1)
		}
	}()
	next := edited(base, "next")
	src.set(next)
	err = reindexWithin(t, svc)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if failures.Load() != 0 {
		t.Errorf("%d of %d searches failed during the update", failures.Load(), searches.Load())
	}

	st := svc.Status()
	if st.Updates != 1 || st.Reindexes != 1 || st.Docs != 30 || st.Fingerprint != "next" {
		t.Errorf("status after the update: %+v", st)
	}
	after, err := store.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if after.Dir != before.Dir || svc.Engine.Index() != idx || len(after.Updates) != 1 || after.Fingerprint != "next" || after.Docs != 30 {
		t.Errorf("manifest after the update = %+v, before %+v; same index: %v", after, before, svc.Engine.Index() == idx)
	}
	if n, err := idx.DocCount(); err != nil || n != 30 {
		t.Errorf("the index holds %d documents (%v), want 30", n, err)
	}
	if got := hits(t, svc.Engine, "鹦鹉螺专项补贴"); len(got) == 0 || got[0] != base.Policies[0].ID {
		t.Errorf("the changed title finds %v, want %s first", got, base.Policies[0].ID)
	}
	if got := hits(t, svc.Engine, "蜂鸟临时津贴"); !slices.Contains(got, "zz-added") {
		t.Errorf("the added title finds %v", got)
	}
	if got := hits(t, svc.Engine, removed.Title); slices.Contains(got, removed.ID) {
		t.Errorf("the removed entry %s is still found: %v", removed.ID, got)
	}
	if _, err := svc.Engine.Policy(removed.ID); err == nil {
		t.Errorf("the removed entry %s is still served", removed.ID)
	}
	built, err := index.BuildAt(context.Background(), filepath.Join(t.TempDir(), "fresh"), next, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	want, _ := index.ReadStats(built)
	got, err := index.ReadStats(idx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("statistics after the update = %+v (%v), a build of the same corpus has %+v", got, err, want)
	}

	// A restart serves the updated index and its corpus without building.
	closeFirst()
	src.set(nil)
	svc2, store2, _ := openAt(t, dir, "", src)
	m, _ := store2.Manifest()
	if m.Dir != before.Dir || svc2.Status().Fingerprint != "next" || svc2.Engine.Documents() != 30 {
		t.Errorf("after a restart: manifest %+v, status %+v", m, svc2.Status())
	}
	if p, err := svc2.Engine.Policy(base.Policies[0].ID); err != nil || p.Title != "鹦鹉螺专项补贴（已改）" {
		t.Errorf("after a restart the changed entry is %+v (%v)", p, err)
	}
}

// TestReindexRebuildsForAnotherMapping: when the active index was built
// by another mapping version, a version changing one entry is not applied
// as an update: a new index is built.
func TestReindexRebuildsForAnotherMapping(t *testing.T) {
	base := testCorpus(t, 20)
	src := &swapSource{c: base}
	dir := t.TempDir()
	svc, store, _ := openAt(t, dir, "", src)
	m, err := store.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	older := *m
	older.MappingVersion--
	if err := store.Activate(&older); err != nil {
		t.Fatal(err)
	}
	src.set(edited(base, "next"))
	if err := reindexWithin(t, svc); err != nil {
		t.Fatal(err)
	}
	after, _ := store.Manifest()
	if st := svc.Status(); st.Updates != 0 || st.Reindexes != 1 || after.Dir == m.Dir || after.MappingVersion != index.MappingVersion || len(after.Updates) != 0 {
		t.Errorf("after the reindex: status %+v, manifest %+v (was %s)", st, after, m.Dir)
	}
	if got := hits(t, svc.Engine, "鹦鹉螺专项补贴"); len(got) == 0 || got[0] != base.Policies[0].ID {
		t.Errorf("the changed title finds %v", got)
	}
}

// TestServiceStartsFromASnapshot: a service writes a snapshot of its index
// after building it; a new service with an empty data directory and the
// same snapshot directory serves it without loading its source or
// building, then applies the next version as an update.
func TestServiceStartsFromASnapshot(t *testing.T) {
	base := testCorpus(t, 20)
	snaps := t.TempDir()
	openAt(t, t.TempDir(), snaps, &swapSource{c: base})
	entries, err := os.ReadDir(snaps)
	if err != nil || len(entries) != 1 {
		t.Fatalf("snapshot directory holds %v (%v), want one snapshot", entries, err)
	}

	src := &swapSource{} // loading it fails
	svc, store, _ := openAt(t, t.TempDir(), snaps, src)
	st := svc.Status()
	if st.Reindexes != 0 || st.Docs != 20 || st.Fingerprint != "base" {
		t.Errorf("status of the service started from the snapshot: %+v", st)
	}
	if got := hits(t, svc.Engine, base.Policies[3].Title); len(got) == 0 || got[0] != base.Policies[3].ID {
		t.Errorf("searching %q on the restored index finds %v", base.Policies[3].Title, got)
	}
	m, _ := store.Manifest()
	// The catch-up that follows the start tried the source, which may not
	// be loaded, before it changes: it cannot start a reindex of its own
	// beside the one below.
	waitFor(t, "the catch-up after the restore", reindexWait, func() bool { return svc.Status().LastError != "" })
	src.set(edited(base, "next"))
	if err := reindexWithin(t, svc); err != nil {
		t.Fatal(err)
	}
	after, _ := store.Manifest()
	if st := svc.Status(); st.Updates != 1 || after.Dir != m.Dir {
		t.Errorf("the next version on the restored index: status %+v, manifest %+v", st, after)
	}
}

// answer is what e answers to the request v, to compare between engines:
// the result without its timing, each entry (hit or matched) by id.
func answer(t *testing.T, e *search.Engine, v url.Values) (ids []string, res *search.Result) {
	t.Helper()
	req, err := e.ParseRequest(v)
	if err != nil {
		t.Fatal(err)
	}
	if res, err = e.Search(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	res.Took, res.Request = 0, search.Request{}
	for i := range res.Hits {
		ids = append(ids, res.Hits[i].Policy.ID)
		res.Hits[i].Policy = nil
	}
	if res.Match != nil {
		for _, l := range [][]search.Matched{res.Match.Eligible, res.Match.Maybe} {
			for i := range l {
				ids = append(ids, "matched:"+l[i].Policy.ID)
				l[i].Policy = nil
			}
		}
	}
	return ids, res
}

// TestRestoredServiceAnswersAsTheBuilder: a service started from a
// snapshot answers every request as the service that built the index
// does — the same hits, scores, snippets, facets and confidence, and the
// same outcome of a situation, numbers (ages) included.
func TestRestoredServiceAnswersAsTheBuilder(t *testing.T) {
	full, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := testCorpus(t, len(full.Policies))
	snaps := t.TempDir()
	builder, _, _ := openAt(t, t.TempDir(), snaps, &swapSource{c: base})
	restored, _, _ := openAt(t, t.TempDir(), snaps, &swapSource{})
	if st := restored.Status(); st.Reindexes != 0 || st.Docs != len(base.Policies) {
		t.Fatalf("the second service did not start from the snapshot: %+v", st)
	}
	var requests []url.Values
	for i := 0; i < len(base.Policies); i += 7 {
		p := base.Policies[i]
		requests = append(requests, url.Values{"q": {p.Title}})
		if len(p.Keywords) > 0 {
			requests = append(requests, url.Values{"q": {"我想问" + p.Keywords[0] + "怎么办"}})
		}
	}
	for _, age := range []string{"8", "30", "59", "60", "75"} {
		requests = append(requests, url.Values{"q": {"补贴"}, "age": {age}}, url.Values{"q": {"养老服务"}, "age": {age}, "hukou": {"本市户籍"}})
	}
	for _, v := range requests {
		wantIDs, want := answer(t, builder.Engine, v)
		gotIDs, got := answer(t, restored.Engine, v)
		if !reflect.DeepEqual(got, want) || !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("%s: the restored service answers %v, the builder %v", v.Encode(), gotIDs, wantIDs)
		}
	}
}

// TestADamagedSnapshotIsBuilt: a snapshot whose corpus was cut short is
// not served: the service says so and builds from its source.
func TestADamagedSnapshotIsBuilt(t *testing.T) {
	base := testCorpus(t, 20)
	snaps := t.TempDir()
	openAt(t, t.TempDir(), snaps, &swapSource{c: base})
	files, err := filepath.Glob(filepath.Join(snaps, "snap-*", "index", "corpus.packed"))
	if err != nil || len(files) != 1 {
		t.Fatalf("the snapshot's corpus: %v, %v", files, err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// Written anew, not through the link the builder's index shares.
	os.Remove(files[0])
	if err := os.WriteFile(files[0], data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	src := &swapSource{c: base}
	svc, _, _ := openLogged(t, t.TempDir(), snaps, src, logs)
	if !strings.Contains(logs.String(), "no index snapshot could be restored; building a new index") || !strings.Contains(logs.String(), "cut short or damaged") {
		t.Errorf("no log line of the damaged snapshot:\n%s", logs)
	}
	if st := svc.Status(); st.Docs != 20 || src.loads == 0 {
		t.Errorf("status %+v after %d loads of the source; want a build", st, src.loads)
	}
	if got := hits(t, svc.Engine, base.Policies[3].Title); len(got) == 0 || got[0] != base.Policies[3].ID {
		t.Errorf("searching %q on the built index finds %v", base.Policies[3].Title, got)
	}
}

// damageCorpus cuts the corpus file of the snapshot snap to two thirds,
// written anew, not through the link an index may share.
func damageCorpus(t *testing.T, snap string) {
	t.Helper()
	file := filepath.Join(snap, "index", "corpus.packed")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(file)
	if err := os.WriteFile(file, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
}

// indexDirs lists the index directories in the data directory dir.
func indexDirs(t *testing.T, dir string) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(dir, "idx-*"))
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// twoSnapshots writes into a new snapshot directory a snapshot of base and
// one of its next version (built elsewhere and moved in), and returns the
// directory and the newer snapshot's path.
func twoSnapshots(t *testing.T, base *corpus.Corpus) (string, string) {
	t.Helper()
	snaps, other := t.TempDir(), t.TempDir()
	openAt(t, t.TempDir(), snaps, &swapSource{c: base})
	openAt(t, t.TempDir(), other, &swapSource{c: edited(base, "next")})
	moved, err := filepath.Glob(filepath.Join(other, "snap-*"))
	if err != nil || len(moved) != 1 {
		t.Fatalf("snapshots of the next version: %v, %v", moved, err)
	}
	newest := filepath.Join(snaps, filepath.Base(moved[0]))
	if err := os.Rename(moved[0], newest); err != nil {
		t.Fatal(err)
	}
	if all, _ := filepath.Glob(filepath.Join(snaps, "snap-*")); len(all) != 2 {
		t.Fatalf("snapshots %v, want two", all)
	}
	return snaps, newest
}

// TestADamagedNewestSnapshotGivesWayToAnOlder: when the newest snapshot
// cannot be served, a new service passes over it (and says so) and
// restores the next older one instead of building, leaving no copy of
// the damaged one behind.
func TestADamagedNewestSnapshotGivesWayToAnOlder(t *testing.T) {
	base := testCorpus(t, 20)
	snaps, newest := twoSnapshots(t, base)
	damageCorpus(t, newest)

	logs := &lockedBuffer{}
	dir := t.TempDir()
	svc, _, _ := openLogged(t, dir, snaps, &swapSource{}, logs) // loading it fails
	if st := svc.Status(); st.Reindexes != 0 || st.Docs != 20 || st.Fingerprint != "base" {
		t.Errorf("status %+v; want the older snapshot served", st)
	}
	if !strings.Contains(logs.String(), "passing over an index snapshot that cannot be served") || !strings.Contains(logs.String(), filepath.Base(newest)) || !strings.Contains(logs.String(), "cut short or damaged") {
		t.Errorf("no log line of the damaged snapshot %s:\n%s", newest, logs)
	}
	if got := hits(t, svc.Engine, base.Policies[1].Title); len(got) == 0 || got[0] != base.Policies[1].ID {
		t.Errorf("searching %q on the restored index finds %v", base.Policies[1].Title, got)
	}
	if dirs := indexDirs(t, dir); len(dirs) != 1 {
		t.Errorf("the data directory holds the index directories %v; want only the served one", dirs)
	}
}

// TestNoUsableSnapshotLeavesNothingBehind: when no snapshot can be
// served, the service builds, and the copies of the snapshots it tried
// are gone from its data directory.
func TestNoUsableSnapshotLeavesNothingBehind(t *testing.T) {
	base := testCorpus(t, 20)
	snaps, _ := twoSnapshots(t, base)
	all, _ := filepath.Glob(filepath.Join(snaps, "snap-*"))
	for _, snap := range all {
		damageCorpus(t, snap)
	}
	logs := &lockedBuffer{}
	dir := t.TempDir()
	src := &swapSource{c: base}
	svc, store, _ := openLogged(t, dir, snaps, src, logs)
	if st := svc.Status(); st.Docs != 20 || src.loads == 0 {
		t.Errorf("status %+v after %d loads; want a build", st, src.loads)
	}
	if n := strings.Count(logs.String(), "passing over an index snapshot that cannot be served"); n != len(all) {
		t.Errorf("%d snapshots passed over, want %d:\n%s", n, len(all), logs)
	}
	m, err := store.Manifest()
	if err != nil || m == nil {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	if dirs := indexDirs(t, dir); len(dirs) != 1 || filepath.Base(dirs[0]) != m.Dir {
		t.Errorf("the data directory holds the index directories %v; want only the built one, %s", dirs, m.Dir)
	}
}

// TestASnapshotWithADamagedSegmentGivesWay: a newest snapshot whose index
// segments were cut short is passed over as one whose corpus was.
func TestASnapshotWithADamagedSegmentGivesWay(t *testing.T) {
	base := testCorpus(t, 20)
	snaps, newest := twoSnapshots(t, base)
	zaps, err := filepath.Glob(filepath.Join(newest, "index", "store", "*.zap"))
	if err != nil || len(zaps) == 0 {
		t.Fatalf("the newest snapshot's segments: %v, %v", zaps, err)
	}
	for _, z := range zaps {
		data, err := os.ReadFile(z)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(z) // not through the link the builder's index shares
		if err := os.WriteFile(z, data[:len(data)/2], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	logs := &lockedBuffer{}
	dir := t.TempDir()
	svc, _, _ := openLogged(t, dir, snaps, &swapSource{}, logs) // loading it fails
	if st := svc.Status(); st.Reindexes != 0 || st.Docs != 20 || st.Fingerprint != "base" {
		t.Errorf("status %+v; want the older snapshot served", st)
	}
	if !strings.Contains(logs.String(), "passing over an index snapshot that cannot be served") || !strings.Contains(logs.String(), filepath.Base(newest)) {
		t.Errorf("no log line of the damaged snapshot %s:\n%s", newest, logs)
	}
	if dirs := indexDirs(t, dir); len(dirs) != 1 {
		t.Errorf("the data directory holds the index directories %v; want only the served one", dirs)
	}
}
