package sitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yicha/web/sitestore"
	"yicha/web/sitestore/sitestoretest"
)

var ctx = context.Background()

func openSQLite(t *testing.T, path string) *sitestore.SQLite {
	t.Helper()
	s, err := sitestore.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLiteStore(t *testing.T) {
	sitestoretest.TestStore(t, func(t *testing.T) sitestore.Store {
		return openSQLite(t, filepath.Join(t.TempDir(), "feedback.db"))
	})
}

// TestSQLiteKeepsEverythingAcrossReopen writes, closes and reopens: the
// reports, their states, the votes, the quotas and the secret are all there.
func TestSQLiteKeepsEverythingAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedback.db")
	s, err := sitestore.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := s.Secret(ctx)
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	q := sitestore.Quota{Key: "k", Day: "2026-01-05", Limit: 2}
	r, err := s.AddReport(ctx, sitestore.Report{PolicyID: "dibao", Category: "社会救助", Reason: sitestore.ReasonWrong, Comment: "电话打不通", CreatedAt: at}, q)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, r.ID, sitestore.Change{State: sitestore.StateHandled, Note: "已更正"}, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddVote(ctx, sitestore.Vote{PolicyID: "dibao", Category: "社会救助", Helpful: true, At: at}, sitestore.Quota{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddReport(ctx, sitestore.Report{PolicyID: "dibao", Category: "社会救助", Reason: sitestore.ReasonOther, CreatedAt: at}, q); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openSQLite(t, path)
	if again, _ := s.Secret(ctx); string(again) != string(secret) {
		t.Error("the secret changed across a reopen")
	}
	back, err := s.Report(ctx, r.ID)
	if err != nil || back.Comment != "电话打不通" || back.State != sitestore.StateHandled || back.Note != "已更正" || !back.ResolvedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("after reopen: %+v, %v", back, err)
	}
	if cs, _ := s.Counts(ctx); len(cs) != 1 || cs[0].Helpful != 1 || cs[0].TotalReports() != 2 {
		t.Errorf("counts after reopen: %+v", cs)
	}
	// The quota used before the reopen still counts.
	if _, err := s.AddReport(ctx, sitestore.Report{PolicyID: "dibao", Category: "社会救助", Reason: sitestore.ReasonOther, CreatedAt: at}, q); err == nil {
		t.Error("the quota was forgotten across a reopen")
	}
}

// TestSQLiteDurability checks the settings that make an acknowledged write
// survive a crash: WAL and synchronous=FULL on every connection.
func TestSQLiteDurability(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedback.db")
	openSQLite(t, path)
	db, err := sql.Open("sqlite", path+"?_synchronous=FULL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q, %v; want wal", mode, err)
	}
	// synchronous is per connection: check the store's own.
	s := openSQLite(t, filepath.Join(t.TempDir(), "other.db"))
	if sync, err := sitestore.Synchronous(s); err != nil || sync != 2 {
		t.Errorf("synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
}

// TestSQLiteMigrates opens a database left at schema version 1 and finds it
// brought up to date with its data kept; a newer schema is refused.
func TestSQLiteMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedback.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range append([]string{`CREATE TABLE schema_version (version INTEGER NOT NULL)`, `INSERT INTO schema_version VALUES (1)`}, sitestore.Migrations()[0]...) {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO reports (policy_id, category, reason, comment, state, note, created_at, updated_at)
		VALUES ('dibao', '社会救助', 'wrong', '旧版本写的', 'new', '', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := openSQLite(t, path)
	if v, err := s.Version(ctx); err != nil || v != sitestore.SchemaVersion || v < 2 {
		t.Errorf("version %d, %v; want %d", v, err, sitestore.SchemaVersion)
	}
	if rs, err := s.Reports(ctx, sitestore.Filter{}); err != nil || len(rs) != 1 || rs[0].Comment != "旧版本写的" {
		t.Errorf("reports after migration: %+v, %v", rs, err)
	}
	s.Close()

	db, _ = sql.Open("sqlite", path)
	db.Exec(`UPDATE schema_version SET version = 99`)
	db.Close()
	if _, err := sitestore.OpenSQLite(path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a newer schema opened: %v", err)
	}
}
