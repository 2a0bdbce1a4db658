// Package pgtest gives tests a fresh PostgreSQL database in the throwaway
// cluster that `make test` starts (deploy/dev/with-postgres.sh), named by
// YICHA_TEST_DB.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DB returns the URL of a new database, dropped when the test ends. Without
// YICHA_TEST_DB the test is skipped, or fails when YICHA_REQUIRE_DB=1.
func DB(t testing.TB, prefix string) string {
	t.Helper()
	admin := os.Getenv("YICHA_TEST_DB")
	if admin == "" {
		if os.Getenv("YICHA_REQUIRE_DB") == "1" {
			t.Fatal("YICHA_TEST_DB is not set (make test starts a throwaway PostgreSQL)")
		}
		t.Skip("YICHA_TEST_DB is not set; make test starts a throwaway PostgreSQL")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Log(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Log(err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
