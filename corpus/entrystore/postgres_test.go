package entrystore_test

import (
	"context"
	"testing"

	"yicha/corpus"
	"yicha/corpus/entrystore"
	"yicha/corpus/entrystore/entrystoretest"
	"yicha/corpus/pgstore"
	"yicha/corpus/pgtest"
)

func openPG(t *testing.T, url string) *entrystore.Postgres {
	t.Helper()
	s, err := entrystore.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgres(t *testing.T) {
	entrystoretest.TestStore(t, func(t *testing.T) (entrystore.Store, func() entrystore.Store) {
		url := pgtest.DB(t, "yicha_es")
		return openPG(t, url), func() entrystore.Store { return openPG(t, url) }
	})
}

// TestPostgresPublishPushesTheCorpus: with PushCorpus a publish stores the
// published corpus as a new version of the replicas' corpus store in the
// same transaction; a refused one stores nothing.
func TestPostgresPublishPushesTheCorpus(t *testing.T) {
	ctx := context.Background()
	url := pgtest.DB(t, "yicha_es")
	s := openPG(t, url)
	s.PushCorpus = true
	pg, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	snap := entrystoretest.Seed(t)
	if err := s.Seed(ctx, snap, entrystore.Change{Author: "seed", At: corpusNow()}); err != nil {
		t.Fatal(err)
	}
	if v, _ := pg.Version(ctx); v != 1 {
		t.Fatalf("after seeding the corpus store is at version %d", v)
	}
	body := []byte(string(snap.Entries["dibao"])[:0] + "title: 低保（新）\n" + string(snap.Entries["dibao"])[len("title: 最低生活保障\n"):])
	if _, err := s.SaveDraft(ctx, "dibao", body, entrystore.Expect{Version: 1}, entrystore.Change{Author: "王芳", At: corpusNow()}); err != nil {
		t.Fatal(err)
	}
	refuse := func(context.Context, *entrystore.Snapshot) (*corpus.Corpus, error) { return nil, &corpus.CheckError{} }
	if _, err := s.Publish(ctx, "dibao", entrystore.Expect{Version: 1, Draft: 1}, entrystore.Change{Author: "李强", At: corpusNow()}, refuse); err == nil {
		t.Fatal("a refused publish went through")
	}
	if v, _ := pg.Version(ctx); v != 1 {
		t.Fatalf("a refused publish pushed version %d", v)
	}
	if _, err := s.Publish(ctx, "dibao", entrystore.Expect{Version: 1, Draft: 1}, entrystore.Change{Author: "李强", At: corpusNow()}, nil); err != nil {
		t.Fatal(err)
	}
	c, err := pg.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := c.Get("dibao"); c.Version != 2 || p == nil || p.Title != "低保（新）" {
		t.Errorf("the corpus store holds version %d with %+v", c.Version, p)
	}
}
