package entrystore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
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
