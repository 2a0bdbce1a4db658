package pgstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

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

// explain returns the plan PostgreSQL makes for query with args, after
// prepare ran in the same transaction.
func explain(t *testing.T, db *Store, prepare func(context.Context, pgx.Tx) error, query string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	var plan strings.Builder
	err := pgx.BeginTxFunc(ctx, db.pool, readOnly, func(tx pgx.Tx) error {
		if err := prepare(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "EXPLAIN "+query, args...)
		if err != nil {
			return err
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		plan.WriteString(strings.Join(lines, "\n"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

// TestChangesPlannedWhateverTheStatistics: a push leaves the planner's
// statistics knowing the new version, and LoadChanges compares two
// versions without a nested loop even when the statistics do not know
// the latest one (stored by a writer that does not analyse, autovacuum
// not yet by). With statistics from before a version, PostgreSQL took it
// for a row or two and planned the comparison as a nested loop over every
// pair of entries: at 100,000 entries a replica's load ran into its
// two-minute deadline.
func TestChangesPlannedWhateverTheStatistics(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	if _, err := db.pool.Exec(ctx, `ALTER TABLE corpus_policies SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	emb, err := corpus.Embedded().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v1, _, err := db.Push(ctx, emb, "test", anyBase)
	if err != nil {
		t.Fatal(err)
	}
	changed := *emb.Policies[0]
	changed.Title = "改过的标题"
	v2, _, err := db.Push(ctx, emb.Apply(corpus.Changes{Changed: []*corpus.Policy{&changed}}, "", 0), "test", v1)
	if err != nil {
		t.Fatal(err)
	}
	base, err := db.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var estimate float64
	var plan string
	if err := db.pool.QueryRow(ctx, `EXPLAIN (FORMAT JSON) SELECT id FROM corpus_policies WHERE version = $1`, v2).Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var parsed []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal([]byte(plan), &parsed); err != nil || len(parsed) != 1 {
		t.Fatalf("plan %s: %v", plan, err)
	}
	estimate = parsed[0].Plan.Rows
	if n := float64(len(emb.Policies)); estimate < n/2 {
		t.Errorf("after a push the planner expects %.0f rows of version %d, which holds %.0f: its statistics were not brought up to date", estimate, v2, n)
	}

	// A version stored without analysing, as another writer might: v2
	// without one entry. The statistics know only v1 and v2.
	gone := emb.Policies[1].ID
	var v3 int64
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO corpus_versions (fingerprint, entries, origin) VALUES ('raw', $1, 'test') RETURNING version`,
			len(emb.Policies)-1).Scan(&v3); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO corpus_policies (version, id, body, digest)
			SELECT $1, id, body, digest FROM corpus_policies WHERE version = $2 AND id <> $3`, v3, v2, gone)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	noPlan := func(context.Context, pgx.Tx) error { return nil }
	if p := explain(t, db, noPlan, changedSQL, v2, v3); !strings.Contains(p, "Nested Loop") {
		t.Logf("without planChanges the stale statistics no longer give a nested loop here:\n%s", p)
	}
	for _, q := range []string{changedSQL, goneSQL} {
		if p := explain(t, db, planChanges, q, v2, v3); strings.Contains(p, "Nested Loop") {
			t.Errorf("LoadChanges' query is planned as a nested loop:\n%s\n%s", q, p)
		}
	}
	got, ch, err := db.LoadChanges(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != v3 || !slices.Equal(ch.Deleted, []string{gone}) || len(ch.Changed) != 0 {
		t.Errorf("LoadChanges from %d = version %d, %d changed, deleted %v; want %d, none changed, %s deleted",
			v2, got.Version, len(ch.Changed), ch.Deleted, v3, gone)
	}
}
