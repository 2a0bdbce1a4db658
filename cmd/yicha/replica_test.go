package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
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
	Database        *struct {
		Reachable        bool      `json:"reachable"`
		Error            string    `json:"error"`
		Listening        bool      `json:"listening"`
		LastHeartbeat    time.Time `json:"last_heartbeat"`
		Reconnects       int       `json:"listener_reconnects"`
		LastNotification time.Time `json:"last_notification"`
		LagVersions      int64     `json:"lag_versions"`
	} `json:"database"`
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

// TestConcurrentCorpusPushesOneRefused runs two `corpus push` at once,
// each with an edit of its own and both based on version 1: one stores
// version 2, the other is refused with a message naming both versions.
func TestConcurrentCorpusPushesOneRefused(t *testing.T) {
	db := clusterDB(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	replicaCorpus(t, bin, db, filepath.Join(dir, "v1.jsonl"), "最低生活保障 第一版")
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i, title := range []string{"最低生活保障 甲的修改", "最低生活保障 乙的修改"} {
		file := filepath.Join(dir, fmt.Sprintf("edit%d.jsonl", i))
		replicaCorpus(t, bin, "", file, title)
		cmd := exec.Command(bin, "corpus", "push", "--db", db, "--corpus", file, "--based-on", "1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmds, outs = append(cmds, cmd), append(outs, &out)
	}
	for _, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	var pushed, refused int
	for i, cmd := range cmds {
		err := cmd.Wait()
		out := outs[i].String()
		switch {
		case err == nil && strings.Contains(out, "as version 2"):
			pushed++
		case err != nil && strings.Contains(out, "version 2 was stored since version 1") && strings.Contains(out, "nothing pushed"):
			refused++
		default:
			t.Errorf("push %d: %v\n%s", i, err, out)
		}
	}
	if pushed != 1 || refused != 1 {
		t.Fatalf("%d pushed, %d refused; want one each", pushed, refused)
	}
	store, err := pgstore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if v, _ := store.Version(context.Background()); v != 2 {
		t.Errorf("the store holds version %d, want 2", v)
	}
}

// TestReplicaPushRefusedWhenStale: an admin's reindex on a replica that
// pushes its --corpus is based on the version the replica serves; while
// it still builds a newer one (held here by the test hook), the push is
// refused: 409 with both versions, and nothing is stored.
func TestReplicaPushRefusedWhenStale(t *testing.T) {
	db := clusterDB(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "corpus.jsonl")
	// Large enough to be built in several batches, so that a build holds.
	push := func(file, title string) {
		bigCorpus(t, file, 4, title)
		if out, err := exec.Command(bin, "corpus", "push", "--db", db, "--corpus", file).CombinedOutput(); err != nil {
			t.Fatalf("corpus push: %v\n%s", err, out)
		}
	}
	push(file, "最低生活保障 第一版")
	r := &replica{addr: freeAddr(t)}
	r.args = []string{"serve", "--db", db, "--addr", r.addr, "--data", filepath.Join(dir, "data"), "--corpus", file, "--rate-limit", "0"}
	os.Setenv(HoldBuildEnv, "2") // the first build is at start; hold the second
	r.start(t, bin)
	os.Unsetenv(HoldBuildEnv)
	waitUntil(t, "ready", r.logs, 90*time.Second, r.ready)
	push(filepath.Join(dir, "other.jsonl"), "最低生活保障 别人的修改")
	r.logs.WaitFor(t, "build held", "build=2")

	bigCorpus(t, file, 4, "最低生活保障 本机的修改")
	req, _ := http.NewRequest("POST", "http://"+r.addr+"/api/admin/reindex", nil)
	req.Header.Set("Authorization", "Bearer cluster-token-of-thirty-two-characters")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error struct {
			Code, Message string
		}
		BasedOn int64 `json:"based_on"`
		Latest  int64 `json:"latest"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusConflict || body.Error.Code != "stale" || body.BasedOn != 1 || body.Latest != 2 {
		t.Errorf("reindex while version 2 is still being built = %d %+v, want 409 stale based on 1, latest 2", resp.StatusCode, body)
	}
	store, err := pgstore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if v, _ := store.Version(context.Background()); v != 2 {
		t.Errorf("the store holds version %d after a refused push, want 2", v)
	}
}

// TestReplicaDatabaseHealth reads the database's health in status and
// metrics: reachable, listening with heartbeats, the last notification;
// the listener's backend killed is noticed and reconnected within the
// heartbeat; the database closed to connections shows as unreachable
// while /readyz stays 200, and reachable again once it is open.
func TestReplicaDatabaseHealth(t *testing.T) {
	db := clusterDB(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "corpus.jsonl")
	replicaCorpus(t, bin, db, file, "最低生活保障 第一版")
	const beat = 300 * time.Millisecond
	r := startReplica(t, bin, db, filepath.Join(dir, "data"), "--db-heartbeat", beat.String(), "--poll", "200ms")
	waitUntil(t, "ready", r.logs, 90*time.Second, r.ready)
	healthy := func() bool {
		h := r.status(t).Database
		return h != nil && h.Reachable && h.Listening && !h.LastHeartbeat.IsZero()
	}
	waitUntil(t, "reachable and listening", r.logs, 10*time.Second, healthy)
	first := r.status(t).Database.LastHeartbeat
	waitUntil(t, "a later heartbeat", r.logs, 10*beat, func() bool { return r.status(t).Database.LastHeartbeat.After(first) })
	if r.metric(t, "yicha_db_reachable") != 1 || r.metric(t, "yicha_db_listener_up") != 1 || r.metric(t, "yicha_db_last_heartbeat_timestamp_seconds") <= 0 {
		t.Errorf("metrics of a healthy database:\n%v %v", r.metric(t, "yicha_db_reachable"), r.metric(t, "yicha_db_listener_up"))
	}
	if h := r.status(t).Database; !h.LastNotification.IsZero() || h.LagVersions != 0 {
		t.Errorf("before any push: %+v", h)
	}
	replicaCorpus(t, bin, db, file, "最低生活保障 第二版")
	waitUntil(t, "the notification recorded and served", r.logs, 30*time.Second, func() bool {
		st := r.status(t)
		return !st.Database.LastNotification.IsZero() && st.IndexVersion == 2
	})
	if r.metric(t, "yicha_db_last_notification_timestamp_seconds") <= 0 {
		t.Error("no yicha_db_last_notification_timestamp_seconds after a push")
	}

	// The listener's backend killed: noticed and reconnected within the
	// heartbeat bound.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var killed bool
	if err := conn.QueryRow(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
		pgstore.ListenerName).Scan(&killed); err != nil || !killed {
		t.Fatalf("killing the listener: %v, %v", killed, err)
	}
	took := waitUntil(t, "the killed listener reconnected", r.logs, 2*beat+2*time.Second, func() bool {
		h := r.status(t).Database
		return h.Reconnects == 1 && h.Listening
	})
	t.Logf("the killed listener was back in %s", took.Round(time.Millisecond))
	if r.metric(t, "yicha_db_listener_reconnects") != 1 {
		t.Errorf("yicha_db_listener_reconnects = %v", r.metric(t, "yicha_db_listener_reconnects"))
	}

	allowConnections(t, db, false)
	waitUntil(t, "unreachable shown", r.logs, 10*time.Second, func() bool {
		h := r.status(t).Database
		return !h.Reachable && !h.Listening && h.Error != ""
	})
	if r.metric(t, "yicha_db_reachable") != 0 || r.metric(t, "yicha_db_listener_up") != 0 {
		t.Error("metrics of an unreachable database")
	}
	if code := r.readyz(); code != 200 {
		t.Errorf("/readyz = %d while the database is closed", code)
	}
	allowConnections(t, db, true)
	waitUntil(t, "reachable and listening again", r.logs, 15*time.Second, healthy)
	if n := strings.Count(r.logs.String(), "the corpus store cannot be read"); n != 1 {
		t.Errorf("%d log lines on the outage, want 1:\n%s", n, r.logs)
	}
}
