package pgstore

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"yicha/corpus"
)

// jsonlOf is c as a JSONL corpus, to compare corpora.
func jsonlOf(t *testing.T, c *corpus.Corpus) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := corpus.WriteJSONL(&buf, c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLoadChanges: the changes from one version to the next are read
// entry by entry — the changed and added entries, the removed ids — and
// make the same corpus as loading the next version whole; changes of the
// registry, or from a version no longer stored, are ErrWhole.
func TestLoadChanges(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	emb, err := corpus.Embedded().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Push(ctx, emb, "test", anyBase); err != nil {
		t.Fatal(err)
	}
	base, err := db.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	changed := *base.Policies[0]
	changed.Title = "改过的标题"
	added := *base.Policies[1]
	added.ID = "zz-added"
	gone := base.Policies[2].ID
	next := base.Apply(corpus.Changes{Changed: []*corpus.Policy{&changed, &added}, Deleted: []string{gone}}, "", 0)
	if _, _, err := db.Push(ctx, next, "test", base.Version); err != nil {
		t.Fatal(err)
	}
	whole, err := db.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, ch, err := db.LoadChanges(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range ch.Changed {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []string{changed.ID, "zz-added"}) || !slices.Equal(ch.Deleted, []string{gone}) {
		t.Errorf("changes = %v, deleted %v", ids, ch.Deleted)
	}
	if got.Version != whole.Version || got.Fingerprint != whole.Fingerprint || !bytes.Equal(jsonlOf(t, got), jsonlOf(t, whole)) {
		t.Errorf("the corpus made of the changes (version %d, %s) differs from the version loaded whole (%d, %s)",
			got.Version, got.Fingerprint, whole.Version, whole.Fingerprint)
	}

	// A new registry of documents: the changes are not told entry by entry.
	docs := maps.Clone(whole.Documents)
	extra := *whole.Documents.Sorted()[0]
	extra.ID = "zz-doc"
	docs[extra.ID] = &extra
	renamed := whole.Apply(corpus.Changes{}, "", 0)
	renamed.Documents = docs
	if _, _, err := db.Push(ctx, renamed, "test", whole.Version); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.LoadChanges(ctx, whole); !errors.Is(err, ErrWhole) {
		t.Errorf("changes with a new registry = %v, want ErrWhole", err)
	}
	stale := *base
	stale.Version = 999
	if _, _, err := db.LoadChanges(ctx, &stale); !errors.Is(err, ErrWhole) {
		t.Errorf("changes since a version not stored = %v, want ErrWhole", err)
	}
}
