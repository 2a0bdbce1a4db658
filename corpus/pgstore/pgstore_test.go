package pgstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/corpus/pgtest"
)

// testDB returns the URL of a fresh database, dropped after the test.
func testDB(t *testing.T) string { return pgtest.DB(t, "yicha_t") }

func openTestDB(t *testing.T) *Store {
	t.Helper()
	db, err := Open(context.Background(), testDB(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// putRaw stores JSONL lines unchecked as a new version, as a careless
// writer might, so that the suite can see Load refuse bad entries.
func putRaw(t *testing.T, db *Store, jsonl []byte) {
	t.Helper()
	ctx := context.Background()
	lines := bytes.Split(bytes.TrimSpace(jsonl), []byte("\n"))
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var v int64
		sum := sha256.Sum256(jsonl)
		fp := hex.EncodeToString(sum[:8])
		var latest string
		tx.QueryRow(ctx, `SELECT fingerprint FROM corpus_versions ORDER BY version DESC LIMIT 1`).Scan(&latest)
		if latest == fp {
			return nil // the same content is not stored twice, as Push does
		}
		if err := tx.QueryRow(ctx, `INSERT INTO corpus_versions (fingerprint, entries, origin) VALUES ($1, $2, 'test') RETURNING version`, fp, len(lines)).Scan(&v); err != nil {
			return err
		}
		for _, l := range lines {
			var e struct{ ID string }
			if err := json.Unmarshal(l, &e); err != nil {
				return err
			}
			if e.ID == "" && bytes.HasPrefix(l, []byte(`{"documents":`)) {
				e.ID = documentsRow // the registry line, as Push stores it
			}
			if e.ID == "" && bytes.HasPrefix(l, []byte(`{"sites":`)) {
				e.ID = sitesRow // the sites line, as Push stores it
			}
			if _, err := tx.Exec(ctx, `INSERT INTO corpus_policies (version, id, body) VALUES ($1, $2, $3)`, v, e.ID, string(l)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPostgresStore(t *testing.T) {
	db := openTestDB(t)
	corpustest.StoreSuite(t, func(t *testing.T, jsonl []byte) corpus.Source {
		putRaw(t, db, jsonl)
		return db
	})
}

func TestPostgresPushNotifiesAndPrunes(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	if _, err := db.Load(ctx); !errors.Is(err, ErrNoCorpus) {
		t.Fatalf("Load of an empty database = %v, want ErrNoCorpus", err)
	}
	// A second open migrates nothing and keeps what is there.
	again, err := Open(ctx, db.URL())
	if err != nil {
		t.Fatal(err)
	}
	again.Close()

	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan int64, 16)
	go db.Listen(lctx, func(v int64) { got <- v }, nil)
	if v := <-got; v != 0 {
		t.Fatalf("first version on connect = %d, want 0", v)
	}

	emb, err := corpus.Embedded().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v1, stored, err := db.Push(ctx, emb, "test")
	if err != nil || !stored || v1 == 0 {
		t.Fatalf("Push = %d, %v, %v", v1, stored, err)
	}
	select {
	case v := <-got:
		if v != v1 {
			t.Errorf("notified %d, pushed %d", v, v1)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after a push")
	}
	if v, stored, err := db.Push(ctx, emb, "test"); err != nil || stored || v != v1 {
		t.Errorf("pushing the same corpus again = %d, %v, %v; want %d, false", v, stored, err, v1)
	}
	c, err := db.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != v1 {
		t.Errorf("loaded version %d, pushed %d", c.Version, v1)
	}

	var last int64
	for i := range KeepVersions + 2 {
		cp := *emb.Policies[0]
		cp.Title = fmt.Sprintf("标题第%d版", i)
		ps := append([]*corpus.Policy{&cp}, emb.Policies[1:]...)
		if last, _, err = db.Push(ctx, corpus.NewCorpus(ps, ""), "test"); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM corpus_versions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != KeepVersions {
		t.Errorf("%d versions kept, want %d", n, KeepVersions)
	}
	if v, _ := db.Version(ctx); v != last {
		t.Errorf("Version = %d, want %d", v, last)
	}
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := db.Load(cctx); err == nil {
		t.Error("Load with a cancelled context succeeded")
	}
}

// TestPushRefusesAShrunkenCorpus pushes the embedded corpus, then one of
// its entries alone: refused with both counts, until pushed as meant.
func TestPushRefusesAShrunkenCorpus(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	emb, err := corpus.Embedded().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v1, _, err := db.Push(ctx, emb, "test")
	if err != nil {
		t.Fatal(err)
	}
	one := corpus.NewCorpus(emb.Policies[:1], "one")
	one.Documents = emb.Documents
	var shrink *ShrinkError
	if _, _, err := db.Push(ctx, one, "test"); !errors.As(err, &shrink) || shrink.Latest != len(emb.Policies) || shrink.Entries != 1 || shrink.Version != v1 {
		t.Fatalf("pushing 1 entry over %d = %v, want a ShrinkError", len(emb.Policies), err)
	}
	if v, _ := db.Version(ctx); v != v1 {
		t.Errorf("a refused push stored version %d", v)
	}
	// Dropping a few entries is an edit, not a mistake.
	most := corpus.NewCorpus(emb.Policies[:len(emb.Policies)-3], "most")
	most.Documents = emb.Documents
	if _, stored, err := db.Push(ctx, most, "test"); err != nil || !stored {
		t.Errorf("pushing %d of %d entries = %v, %v", len(most.Policies), len(emb.Policies), stored, err)
	}
	if _, stored, err := db.PushShrinking(ctx, one, "test"); err != nil || !stored {
		t.Errorf("PushShrinking = %v, %v", stored, err)
	}
}

// TestPostgresPushCarriesSites: a pushed corpus with a site of its own is
// loaded back with it, so replicas serve the same sites.
func TestPostgresPushCarriesSites(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	emb, err := corpus.Embedded().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	extra := *emb.Sites.List[len(emb.Sites.List)-1]
	extra.ID, extra.Name = "test-street", "测试街道"
	emb.Sites = corpus.NewSites(append(append([]*corpus.Site{}, emb.Sites.List...), &extra))
	if _, stored, err := db.Push(ctx, emb, "test"); err != nil || !stored {
		t.Fatalf("Push = %v, %v", stored, err)
	}
	c, err := db.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := c.Sites.Get("test-street"); !ok || s.Name != "测试街道" || len(s.Locations) == 0 {
		t.Errorf("test-street loaded as %+v", s)
	}
}
