package sitestore_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yicha/corpus/pgstore"
	"yicha/corpus/pgtest"
	"yicha/web/sitestore"
	"yicha/web/sitestore/sitestoretest"
)

// testDB returns the URL of a fresh database, dropped after the test.
func testDB(t *testing.T) string { return pgtest.DB(t, "yicha_fb") }

func openPostgres(t *testing.T, dbURL string) *sitestore.Postgres {
	t.Helper()
	s, err := sitestore.OpenPostgres(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgresStore(t *testing.T) {
	sitestoretest.TestStore(t, func(t *testing.T) sitestore.Store {
		return openPostgres(t, testDB(t))
	})
}

// TestPostgresSharedByReplicas opens the database from several replicas at
// once: they migrate without racing, make one secret between them, see each
// other's reports and share one quota.
func TestPostgresSharedByReplicas(t *testing.T) {
	dbURL := testDB(t)
	const replicas = 4
	stores := make([]*sitestore.Postgres, replicas)
	secrets := make([][]byte, replicas)
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sitestore.OpenPostgres(ctx, dbURL)
			if err != nil {
				errs[i] = err
				return
			}
			stores[i] = s
			secrets[i], errs[i] = s.Secret(ctx)
		}()
	}
	wg.Wait()
	for i, s := range stores {
		if s != nil {
			t.Cleanup(func() { s.Close() })
		}
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
	}
	for i := range secrets {
		if len(secrets[i]) < 16 || string(secrets[i]) != string(secrets[0]) {
			t.Fatalf("replica %d has secret %x, replica 0 %x", i, secrets[i], secrets[0])
		}
	}
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	q := sitestore.Quota{Key: "k", Day: "2026-01-05", Limit: 2}
	r, err := stores[0].AddReport(ctx, sitestore.Report{PolicyID: "dibao", Category: "社会救助", Reason: sitestore.ReasonWrong, Comment: "电话打不通", CreatedAt: at}, q)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stores[1].Update(ctx, r.ID, sitestore.Change{State: sitestore.StateHandled, Note: "已更正"}, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	back, err := stores[2].Report(ctx, r.ID)
	if err != nil || back.State != sitestore.StateHandled || back.Note != "已更正" || !back.ResolvedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("another replica reads %+v, %v", back, err)
	}
	if _, err := stores[1].AddReport(ctx, sitestore.Report{PolicyID: "dibao", Category: "社会救助", Reason: sitestore.ReasonOther, CreatedAt: at}, q); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[3].AddReport(ctx, sitestore.Report{PolicyID: "dibao", Category: "社会救助", Reason: sitestore.ReasonOther, CreatedAt: at}, q); err == nil {
		t.Error("the quota is not shared between replicas")
	}
}

// TestPostgresBesideCorpus opens the feedback and corpus stores in one
// database: their tables and schema versions do not clash, and a reopen
// keeps everything.
func TestPostgresBesideCorpus(t *testing.T) {
	dbURL := testDB(t)
	cs, err := pgstore.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	s := openPostgres(t, dbURL)
	if v, err := s.Version(ctx); err != nil || v != sitestore.PostgresSchemaVersion {
		t.Errorf("version %d, %v; want %d", v, err, sitestore.PostgresSchemaVersion)
	}
	secret, err := s.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddVote(ctx, sitestore.Vote{PolicyID: "dibao", Category: "社会救助", Helpful: true, At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}, sitestore.Quota{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if again, err := pgstore.Open(ctx, dbURL); err != nil {
		t.Fatalf("the corpus store does not reopen beside feedback: %v", err)
	} else {
		again.Close()
	}
	s = openPostgres(t, dbURL)
	if again, _ := s.Secret(ctx); string(again) != string(secret) {
		t.Error("the secret changed across a reopen")
	}
	if c, _ := s.Counts(ctx); len(c) != 1 || c[0].Helpful != 1 {
		t.Errorf("counts after reopen: %+v", c)
	}
}

// TestPostgresRefusesNewerSchema: a schema written by a newer version is
// refused rather than misread.
func TestPostgresRefusesNewerSchema(t *testing.T) {
	dbURL := testDB(t)
	openPostgres(t, dbURL).Close()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE feedback_schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	if s, err := sitestore.OpenPostgres(ctx, dbURL); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Errorf("a newer schema opened: %v", err)
	}
}

// TestPostgresUnavailableThenBack closes the store's database to
// connections and cuts the ones open, as a restart or an outage does: a
// write fails as Unavailable, and once the database is open again the next
// write succeeds on the same store, without a stale pooled connection.
func TestPostgresUnavailableThenBack(t *testing.T) {
	dbURL := testDB(t)
	s := openPostgres(t, dbURL)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := pgx.Connect(ctx, os.Getenv("YICHA_TEST_DB"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	vote := func(id string) error {
		return s.AddVote(ctx, sitestore.Vote{PolicyID: id, Category: "社会救助", Helpful: true, At: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}, sitestore.Quota{})
	}
	if err := vote("dibao"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS false`,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `' AND pid <> pg_backend_pid()`} {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	err = vote("dibao")
	if err == nil || !sitestore.Unavailable(err) {
		t.Fatalf("a write while the database is closed = %v, want an Unavailable error", err)
	}
	if _, err := admin.Exec(ctx, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS true`); err != nil {
		t.Fatal(err)
	}
	if err := vote("linshi-jiuzhu"); err != nil {
		t.Errorf("a write once the database is open again: %v", err)
	}
	// Connections cut while the database stays open (a restart): the
	// next write does not fail on a stale pooled connection.
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '`+name+`' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if err := vote("dibao"); err != nil {
		t.Errorf("the first write after the connections were cut: %v", err)
	}
	if sitestore.Unavailable(errors.New("quota exceeded")) {
		t.Error("an ordinary error was called Unavailable")
	}
}
