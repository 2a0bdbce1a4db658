package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"yicha/corpus"
	"yicha/web/admins"
)

// replicaCorpus writes the embedded corpus with dibao's title changed to a
// JSONL file and pushes it to db.
func replicaCorpus(t *testing.T, bin, db, file, title string, extra ...string) {
	t.Helper()
	emb, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ps := slices.Clone(emb.Policies)
	for i, p := range ps {
		if p.ID == "dibao" {
			cp := *p
			cp.Title = title
			ps[i] = &cp
		}
	}
	c := corpus.NewCorpus(ps, "")
	c.Documents = emb.Documents
	var buf bytes.Buffer
	if err := corpus.WriteJSONL(&buf, c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if db == "" {
		return
	}
	args := append([]string{"corpus", "push", "--db", db, "--corpus", file}, extra...)
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("corpus push: %v\n%s", err, out)
	}
}

// startReplica starts `yicha serve --db db` on data.
func startReplica(t *testing.T, bin, db, data string, extra ...string) *replica {
	t.Helper()
	r := &replica{addr: freeAddr(t)}
	r.args = append([]string{"serve", "--db", db, "--addr", r.addr, "--data", data, "--rate-limit", "0", "--poll", "200ms"}, extra...)
	r.start(t, bin)
	return r
}

func (r *replica) stop() {
	r.cmd.Process.Kill()
	r.cmd.Wait()
}

// readyz returns the replica's /readyz status (0 when it does not answer).
func (r *replica) readyz() int {
	resp, err := http.Get("http://" + r.addr + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// allowConnections opens or closes the database to connections, cutting
// the open ones when it closes it: to its replicas, the database is down.
func allowConnections(t *testing.T, db string, allow bool) {
	t.Helper()
	ctx := context.Background()
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := pgx.Connect(ctx, os.Getenv("YICHA_TEST_DB"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	qs := []string{fmt.Sprintf("ALTER DATABASE %s ALLOW_CONNECTIONS %t", name, allow)}
	if !allow {
		qs = append(qs, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '`+name+`' AND pid <> pg_backend_pid()`)
	}
	for _, q := range qs {
		if _, err := admin.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

// silentListener accepts connections and never answers, as a database
// host that hangs does; it returns its address.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // read nothing, write nothing
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// TestReplicaStartsWithoutTheDatabase starts a replica that has served
// version 1 while its database cannot be reached — refused, accepting but
// never answering, and a real PostgreSQL closed to connections: each time
// it serves its local index and is ready, saying so in one line; once the
// database is back it catches up with version 2, pushed meanwhile. With no
// local index it stays unready (503, alive) until the database is back.
func TestReplicaStartsWithoutTheDatabase(t *testing.T) {
	db := clusterDB(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "corpus.jsonl")
	replicaCorpus(t, bin, db, file, "最低生活保障 第一版")
	data := filepath.Join(dir, "data")
	r := startReplica(t, bin, db, data)
	waitUntil(t, "first start ready", r.logs, 90*time.Second, r.ready)
	r.stop()
	replicaCorpus(t, bin, db, file, "最低生活保障 第二版")

	const line = "the corpus store cannot be reached; serving the local index and connecting in the background"
	refused := "postgres://postgres@" + freeAddr(t) + "/yicha?sslmode=disable"
	silent := "postgres://postgres@" + silentListener(t) + "/yicha?sslmode=disable&connect_timeout=1"
	hash, err := admins.HashTokenWith("named-admin-token-of-thirty-two-chars", admins.Params{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	adminsFile := filepath.Join(dir, "admins.yaml")
	if err := os.WriteFile(adminsFile, []byte(fmt.Sprintf("admins: [{name: 李强, role: publisher, token_hash: '%s'}]\n", hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, db string
		extra    []string
	}{
		{"refused", refused, nil},
		{"silent", silent, nil},
		{"silent, with named admins (the entry store in the database too)", silent, []string{"--admins", adminsFile}},
	} {
		r := startReplica(t, bin, c.db, data, c.extra...)
		took := waitUntil(t, c.name+": ready on the local index", r.logs, 30*time.Second, r.ready)
		if got := r.title("dibao"); got != "最低生活保障 第一版" {
			t.Errorf("%s: serves %q", c.name, got)
		}
		if n := strings.Count(r.logs.String(), line); n != 1 {
			t.Errorf("%s: %d lines saying the store cannot be reached, want 1:\n%s", c.name, n, r.logs)
		}
		t.Logf("%s: ready in %s", c.name, took.Round(time.Millisecond))
		r.stop()
	}

	// A real PostgreSQL closed to connections, then open again.
	allowConnections(t, db, false)
	r = startReplica(t, bin, db, data)
	waitUntil(t, "ready while the database is closed", r.logs, 30*time.Second, r.ready)
	if got := r.title("dibao"); got != "最低生活保障 第一版" {
		t.Errorf("while the database is closed, serves %q", got)
	}
	// Without a local index: alive, not ready, until the database is back.
	empty := startReplica(t, bin, db, filepath.Join(dir, "empty"))
	empty.logs.WaitFor(t, "there is no local index; not ready until it can be")
	if code := empty.readyz(); code != http.StatusServiceUnavailable {
		t.Errorf("with no index and no database /readyz = %d, want 503", code)
	}
	if resp, err := http.Get("http://" + empty.addr + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("with no index and no database /healthz = %v, %v", resp, err)
	}
	if !r.ready() {
		t.Error("the replica with an index became unready while the database is closed")
	}
	allowConnections(t, db, true)
	waitUntil(t, "caught up with version 2", r.logs, 60*time.Second, func() bool { return r.title("dibao") == "最低生活保障 第二版" })
	waitUntil(t, "the replica without an index ready on version 2", empty.logs, 90*time.Second, func() bool {
		return empty.ready() && empty.title("dibao") == "最低生活保障 第二版"
	})
	if !r.ready() {
		t.Errorf("not ready after catching up:\n%s", r.logs)
	}
}
