package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yicha/corpus/pgstore"
)

// replicaStatus is what these tests read of /api/admin/status.
type replicaStatus struct {
	IndexVersion    int64  `json:"index_version"`
	StoreVersion    int64  `json:"store_version"`
	RejectedVersion int64  `json:"rejected_version"`
	LastError       string `json:"last_error"`
	Problems        []any  `json:"problems"`
}

func (r *replica) status(t *testing.T) replicaStatus {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+r.addr+"/api/admin/status", nil)
	req.Header.Set("Authorization", "Bearer cluster-token-of-thirty-two-characters")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st replicaStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// metric returns the value of a series on /metrics (-1 when absent).
func (r *replica) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + r.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// storeBadVersion writes, straight into the store as another tool or an
// older binary might, a copy of the latest version in which dibao has no
// title, and notifies it; it returns the new version.
func storeBadVersion(t *testing.T, db string) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int64
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var latest int64
		var entries int
		if err := tx.QueryRow(ctx, `SELECT version, entries FROM corpus_versions ORDER BY version DESC LIMIT 1`).Scan(&latest, &entries); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO corpus_versions (fingerprint, entries, origin) VALUES ('written-directly', $1, 'test') RETURNING version`, entries).Scan(&v); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO corpus_policies (version, id, body)
			SELECT $1, id, CASE WHEN id = 'dibao' THEN jsonb_set(body::jsonb, '{title}', '""')::text ELSE body END
			FROM corpus_policies WHERE version = $2`, v, latest); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, pgstore.Channel, strconv.FormatInt(v, 10))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestReplicaRejectsABadVersion writes a version that fails validation
// straight into the store: the replica refuses it, marks it rejected in
// status and metrics with one log line, and stays ready on the old index
// well past --max-lag. A push that fixes it serves within seconds (the
// notification ends the wait), and the error is gone.
func TestReplicaRejectsABadVersion(t *testing.T) {
	db := clusterDB(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "corpus.jsonl")
	replicaCorpus(t, bin, db, file, "最低生活保障 第一版")
	const maxLag = time.Second
	r := startReplica(t, bin, db, filepath.Join(dir, "data"), "--max-lag", maxLag.String(), "--poll", "100ms")
	waitUntil(t, "ready", r.logs, 90*time.Second, r.ready)

	bad := storeBadVersion(t, db)
	stored := time.Now()
	waitUntil(t, "the bad version rejected", r.logs, 30*time.Second, func() bool { return r.status(t).RejectedVersion == bad })
	waitUntil(t, "three times --max-lag", nil, 10*time.Second, func() bool {
		if code := r.readyz(); code != 200 {
			t.Fatalf("/readyz = %d with a rejected version:\n%s", code, r.logs)
		}
		return time.Since(stored) > 3*maxLag
	})
	st := r.status(t)
	if st.IndexVersion != bad-1 || st.StoreVersion != bad || st.LastError == "" || len(st.Problems) == 0 {
		t.Errorf("status with a rejected version: %+v", st)
	}
	if got := r.metric(t, "yicha_corpus_rejected_version"); got != float64(bad) {
		t.Errorf("yicha_corpus_rejected_version = %v, want %d", got, bad)
	}
	if n := strings.Count(r.logs.String(), "corpus version rejected"); n != 1 {
		t.Errorf("%d log lines on the rejection, want 1:\n%s", n, r.logs)
	}
	if got := r.title("dibao"); got != "最低生活保障 第一版" {
		t.Errorf("serves %q", got)
	}

	replicaCorpus(t, bin, db, file, "最低生活保障 修好的版本")
	took := waitUntil(t, "the fixing push serves", r.logs, 10*time.Second, func() bool { return r.title("dibao") == "最低生活保障 修好的版本" })
	t.Logf("the fixing push served in %s", took.Round(time.Millisecond))
	waitUntil(t, "the error cleared", r.logs, 10*time.Second, func() bool {
		st := r.status(t)
		return st.RejectedVersion == 0 && st.LastError == "" && len(st.Problems) == 0 && st.IndexVersion == bad+1
	})
	if got := r.metric(t, "yicha_corpus_rejected_version"); got != 0 {
		t.Errorf("yicha_corpus_rejected_version = %v after the fix", got)
	}
}
