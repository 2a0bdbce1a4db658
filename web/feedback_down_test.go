package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yicha/corpus/corpustest"
	"yicha/corpus/pgtest"
	"yicha/web/sitestore"
)

// TestFeedbackWhileItsDatabaseIsDown starts a server whose feedback
// database (PostgreSQL) is closed to connections, as during an outage: it
// starts, policy pages are served without their feedback forms, and a
// post answers 503 with Retry-After; once the database is open again the
// forms come back and a vote is taken.
func TestFeedbackWhileItsDatabaseIsDown(t *testing.T) {
	db := pgtest.DB(t, "yicha_fbdown")
	ctx := context.Background()
	u, _ := url.Parse(db)
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := pgx.Connect(ctx, os.Getenv("YICHA_TEST_DB"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	allow := func(on bool) {
		t.Helper()
		q := `ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS false`
		if on {
			q = `ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`
		}
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	allow(false)
	defer allow(true)

	store, err := sitestore.OpenPostgres(ctx, db)
	if err != nil {
		t.Fatalf("opening the feedback store while its database is down: %v", err)
	}
	defer store.Close()
	clock := corpustest.Pinned(t)
	svc := feedbackService(t, clock.Now)
	h, err := NewServer(Config{Searcher: svc.Engine, Suggester: svc.Engine, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Records: store, Now: clock.Now})
	if err != nil {
		t.Fatalf("a server whose feedback database is down: %v", err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := noFollow(nil)
	get := func(path string) (int, string) {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, page := get("/policies/dibao")
	if code != 200 || formsIn(t, page)["vote"] != nil {
		t.Fatalf("policy page while the database is down: %d, forms %v", code, formsIn(t, page))
	}
	resp, err := client.PostForm(srv.URL+"/policies/dibao/helpful", url.Values{"token": {"x"}, "helpful": {"yes"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a vote while the database is down: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	allow(true)
	var vote *pageForm
	corpustest.Eventually(t, keyRetry+10*time.Second, "the feedback forms back once the database is open", func() bool {
		if code, page := get("/policies/dibao"); code == 200 {
			vote = formsIn(t, page)["vote"]
		}
		return vote != nil
	})
	resp, err = client.PostForm(srv.URL+vote.action, url.Values{"token": vote.hidden["token"], "helpful": {"yes"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a vote once the database is open: %d", resp.StatusCode)
	}
}
