package main

import (
	"bytes"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRedactHidesEveryPasswordForm checks each way a PostgreSQL URL can
// carry a password: none of them reaches the text logged.
func TestRedactHidesEveryPasswordForm(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://yicha:s3cret@db:5432/yicha?sslmode=disable", "postgres://yicha:REDACTED@db:5432/yicha?sslmode=disable"},
		{"postgres://db/yicha?user=yicha&password=s3cret", "postgres://db/yicha?password=REDACTED&user=yicha"},
		{"postgresql://yicha@db/yicha?sslpassword=s3cret&sslmode=require", "postgresql://yicha@db/yicha?sslmode=require&sslpassword=REDACTED"},
		{"postgres://yicha:s3cret@db/yicha?PASSWORD=s3cret", "postgres://yicha:REDACTED@db/yicha?PASSWORD=REDACTED"},
		{"postgres://db/yicha", "postgres://db/yicha"},
		{"host=db user=yicha password=s3cret dbname=yicha", "host=db user=yicha password=REDACTED dbname=yicha"},
		{"host=db password = 's3 \\' cret' dbname=yicha", "host=db password=REDACTED dbname=yicha"},
		{"s3cret", "REDACTED"},
	} {
		got := redact(tc.in)
		if got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "s3") {
			t.Errorf("redact(%q) = %q still holds the password", tc.in, got)
		}
	}
}

// TestConfigurationLineHidesThePassword logs the configuration of a
// server given its database URL with ?password=, as `serve` does at start.
func TestConfigurationLineHidesThePassword(t *testing.T) {
	var buf bytes.Buffer
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	db := fs.String("db", "", "")
	*db = "postgres://yicha@db/yicha?password=s3cret"
	logConfig(slog.New(slog.NewTextHandler(&buf, nil)), fs, false)
	if strings.Contains(buf.String(), "s3cret") || !strings.Contains(buf.String(), "REDACTED") {
		t.Errorf("the configuration line shows the password: %s", buf.String())
	}
}

// TestDatabaseURLFromAFile reads --db-file, refuses it beside --db, and
// says which file is empty or missing.
func TestDatabaseURLFromAFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "db-url")
	if err := os.WriteFile(file, []byte("postgres://yicha:s3cret@db/yicha\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if u, err := databaseURL("", file); err != nil || u != "postgres://yicha:s3cret@db/yicha" {
		t.Errorf("databaseURL from a file = %q, %v", u, err)
	}
	if u, err := databaseURL("postgres://db/yicha", ""); err != nil || u != "postgres://db/yicha" {
		t.Errorf("databaseURL from --db = %q, %v", u, err)
	}
	if _, err := databaseURL("postgres://db/yicha", file); err == nil {
		t.Error("--db and --db-file together were accepted")
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := databaseURL("", empty); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("an empty file: %v", err)
	}
	if _, err := databaseURL("", filepath.Join(dir, "missing")); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("a missing file: %v", err)
	}
}
