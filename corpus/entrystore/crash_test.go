package entrystore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"yicha/corpus"
)

var errCrash = errors.New("crash")

func seededFiles(t *testing.T) (*Files, string, *Snapshot) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "entries")
	s, err := OpenFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := SnapshotOf(context.Background(), corpus.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Seed(context.Background(), snap, Change{Author: "seed", At: time.Unix(1e9, 0)}); err != nil {
		t.Fatal(err)
	}
	return s, dir, snap
}

// TestCrashMidPublishKeepsTheLastPublishedVersion stops a publish where a
// crash would — its file written and synced, not yet renamed into place —
// and opens the store again, as a restart does: the last published
// version is what it serves, and the half-done write is gone.
func TestCrashMidPublishKeepsTheLastPublishedVersion(t *testing.T) {
	ctx := context.Background()
	s, dir, snap := seededFiles(t)
	v1 := snap.Entries["dibao"]
	v2 := bytes.Replace(v1, []byte("title: 最低生活保障"), []byte("title: 第二版"), 1)
	if _, err := s.SaveDraft(ctx, "dibao", v2, Expect{Version: 1}, Change{Author: "王芳", At: time.Unix(1e9+60, 0)}); err != nil {
		t.Fatal(err)
	}
	s.beforeRename = func(string) error { return errCrash }
	check := func(ctx context.Context, s *Snapshot) (*corpus.Corpus, error) { return s.Corpus(ctx) }
	if _, err := s.Publish(ctx, "dibao", Expect{Version: 1, Draft: 1}, Change{Author: "李强", At: time.Unix(1e9+120, 0)}, check); !errors.Is(err, errCrash) {
		t.Fatalf("Publish = %v, want the crash", err)
	}
	// What a crash leaves: the synced temporary file beside the entry.
	leftover := filepath.Join(dir, entriesDir, ".tmp-crashed")
	if err := os.WriteFile(leftover, []byte(`{"id":"dibao","versions":[`), 0o644); err != nil {
		t.Fatal(err)
	}
	// And an audit line cut short.
	if err := os.WriteFile(filepath.Join(dir, auditFile), append(mustRead(t, filepath.Join(dir, auditFile)), `{"seq":99,"act`...), 0o644); err != nil {
		t.Fatal(err)
	}

	again, err := OpenFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := again.Snapshot(ctx)
	if !bytes.Equal(got.Entries["dibao"], v1) {
		t.Error("after the crash the store does not serve the last published version")
	}
	e, _ := again.Get(ctx, "dibao")
	if len(e.Versions) != 1 || e.Draft == nil || !bytes.Equal(e.Draft.Body, v2) {
		t.Errorf("after the crash: %d versions, draft %+v", len(e.Versions), e.Draft)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Error("the temporary file a crash left is still there")
	}
	recs, _ := again.Audit(ctx, AuditQuery{})
	if len(recs) != 2 || recs[0].Action != ActionSave || recs[1].Action != ActionSeed {
		t.Errorf("audit after the crash = %+v", recs)
	}
	// The publish goes through once retried.
	if _, err := again.Publish(ctx, "dibao", Expect{Version: 1, Draft: 1}, Change{Author: "李强", At: time.Unix(1e9+180, 0)}, check); err != nil {
		t.Fatal(err)
	}
	if err := again.Record(ctx, AuditRecord{At: time.Unix(1e9+240, 0), Admin: "李强", Action: "reindex"}); err != nil {
		t.Fatal(err)
	}
	third, err := OpenFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if recs, _ := third.Audit(ctx, AuditQuery{}); len(recs) != 4 || recs[0].Action != "reindex" || recs[1].Version != 2 {
		t.Errorf("audit = %+v", recs)
	}
}

// TestCrashMidSeedLeavesAnEmptyStore: a seed interrupted before its rename
// leaves nothing a restart would take for a store.
func TestCrashMidSeedLeavesAnEmptyStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "entries")
	if err := os.MkdirAll(filepath.Join(dir+".seeding", entriesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir+".seeding", entriesDir, "dibao.json"), []byte(`{"id":"dibao"}`), 0o644)
	s, err := OpenFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if empty, _ := s.Empty(context.Background()); !empty {
		t.Error("a half-written seed counts as a store")
	}
	if _, err := os.Stat(dir + ".seeding"); !errors.Is(err, os.ErrNotExist) {
		t.Error("the half-written seed is still there")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// changedPlaces is the embedded places file with one more comment line: a
// change of a supporting file any check accepts.
func changedPlaces(t *testing.T, snap *Snapshot) (before, after []byte) {
	t.Helper()
	before = snap.Support[corpus.PlacesFile]
	if len(before) == 0 {
		t.Fatal("the seeded store holds no places file")
	}
	return before, append(slices.Clone(before), "\n# 改过一次\n"...)
}

// TestASupportChangeThatNeverReachedItsFileIsRecorded: the places file
// changed through the store, then put back as a crash that lost the
// file's rename would leave it: opening the store again serves the file
// as it is, keeps the change's record and adds one saying the change was
// not written; opening once more adds nothing.
func TestASupportChangeThatNeverReachedItsFileIsRecorded(t *testing.T) {
	ctx := context.Background()
	s, dir, snap := seededFiles(t)
	before, after := changedPlaces(t, snap)
	if err := s.PutSupport(ctx, corpus.PlacesFile, after, Change{Author: "李强", At: time.Unix(1e9+60, 0)}, nil); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, supportDir, corpus.PlacesFile)
	if !bytes.Equal(mustRead(t, file), after) {
		t.Fatal("the change is not in the places file")
	}
	if err := os.WriteFile(file, before, 0o644); err != nil {
		t.Fatal(err)
	}

	again, err := OpenFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := again.Snapshot(ctx)
	if !bytes.Equal(got.Support[corpus.PlacesFile], before) {
		t.Error("the store does not serve the places file as it is")
	}
	recs, _ := again.Audit(ctx, AuditQuery{})
	if len(recs) != 3 || recs[0].Action != ActionUnwritten || !strings.Contains(recs[0].Detail, corpus.PlacesFile) ||
		!strings.Contains(recs[0].Detail, fmt.Sprintf("第%d条", recs[1].Seq)) || recs[1].Action != ActionSupport || recs[1].Admin != "李强" {
		t.Errorf("audit after the lost change = %+v", recs)
	}
	third, err := OpenFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if recs, _ := third.Audit(ctx, AuditQuery{}); len(recs) != 3 {
		t.Errorf("opened once more, the audit holds %d records, want 3: %+v", len(recs), recs)
	}
}

// TestASupportChangeCutShortIsRecorded: a change of the places file
// stopped where a crash would (written, not renamed into place) fails,
// leaves the file as it was, and the audit says both that it was made and
// that it was not written, in order, before and after opening again.
func TestASupportChangeCutShortIsRecorded(t *testing.T) {
	ctx := context.Background()
	s, dir, snap := seededFiles(t)
	before, after := changedPlaces(t, snap)
	s.beforeRename = func(string) error { return errCrash }
	if err := s.PutSupport(ctx, corpus.PlacesFile, after, Change{Author: "李强", At: time.Unix(1e9+60, 0)}, nil); !errors.Is(err, errCrash) {
		t.Fatalf("PutSupport = %v, want the crash", err)
	}
	for _, st := range []*Files{s, mustOpen(t, dir)} {
		got, _ := st.Snapshot(ctx)
		if !bytes.Equal(got.Support[corpus.PlacesFile], before) {
			t.Error("the places file is not as it was")
		}
		recs, _ := st.Audit(ctx, AuditQuery{})
		if len(recs) != 3 || recs[0].Action != ActionUnwritten || recs[1].Action != ActionSupport || recs[2].Action != ActionSeed {
			t.Errorf("audit = %+v", recs)
		}
	}
	if !bytes.Equal(mustRead(t, filepath.Join(dir, supportDir, corpus.PlacesFile)), before) {
		t.Error("the places file on disk changed")
	}
}

func mustOpen(t *testing.T, dir string) *Files {
	t.Helper()
	s, err := OpenFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCasesAreKeptAsSupportingFiles: a store seeded from a directory
// holds its entries' cases; a publisher's replacement of one is kept
// across a restart and exported with the directory, and a retired
// entry's cases are left out of the export.
func TestCasesAreKeptAsSupportingFiles(t *testing.T) {
	ctx := context.Background()
	s, dir, snap := seededFiles(t)
	name := corpus.CasesFilePath("dibao")
	if len(snap.Support[name]) == 0 || !EditableSupport(name) || !IsSupportFile(name) {
		t.Fatalf("the seed's cases of dibao: %d bytes", len(snap.Support[name]))
	}
	body := []byte("eligible:\n  - {hukou: 本市户籍, residence: 嘉兴路街道, economic: 低保}\n")
	if err := s.PutSupport(ctx, name, body, Change{Author: "李强", At: time.Unix(1e9+60, 0)}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retire(ctx, "falv-yuanzhu", Expect{Version: 1}, Change{Author: "李强", At: time.Unix(1e9+120, 0)}, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := mustOpen(t, dir).Snapshot(ctx)
	if !bytes.Equal(got.Support[name], body) || len(got.Support[corpus.CasesFilePath("falv-yuanzhu")]) == 0 {
		t.Fatal("the cases are not kept across a restart")
	}
	out := filepath.Join(t.TempDir(), "export")
	if err := got.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, filepath.Join(out, name)), body) {
		t.Error("the export lacks dibao's cases")
	}
	if _, err := os.Stat(filepath.Join(out, corpus.CasesFilePath("falv-yuanzhu"))); !errors.Is(err, os.ErrNotExist) {
		t.Error("the export holds a retired entry's cases")
	}
	if _, err := corpus.Dir(out).Load(ctx); err != nil {
		t.Errorf("the export does not load: %v", err)
	}
}
