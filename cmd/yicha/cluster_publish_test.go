package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"os/exec"

	"yicha/corpus"
	"yicha/web/admins"
)

// TestClusterPublish: two replicas with named admins on one PostgreSQL
// store; an editor drafts a new title for an entry on one, a publisher
// publishes it there, and both replicas serve it. How soon is reported
// (a figure, not a pass mark); the test fails only if it never happens.
func TestClusterPublish(t *testing.T) {
	if os.Getenv("YICHA_TEST_CLUSTER") != "1" {
		t.Skip("set YICHA_TEST_CLUSTER=1 (make test-cluster) to run replicas on a throwaway PostgreSQL")
	}
	db := clusterDB(t)
	bin := buildBinary(t)
	dir := t.TempDir()

	emb, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	corpusFile := filepath.Join(dir, "corpus.jsonl")
	var buf bytes.Buffer
	if err := corpus.WriteJSONL(&buf, emb); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(corpusFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "corpus", "push", "--db", db, "--corpus", corpusFile).CombinedOutput(); err != nil {
		t.Fatalf("corpus push: %v\n%s", err, out)
	}

	const editor, publisher = "editor-token-of-thirty-two-characters", "publisher-token-of-thirty-two-chars!"
	cheap := admins.Params{Memory: 64, Time: 1, Threads: 1}
	eh, _ := admins.HashTokenWith(editor, cheap)
	ph, _ := admins.HashTokenWith(publisher, cheap)
	adminsFile := filepath.Join(dir, "admins.yaml")
	os.WriteFile(adminsFile, fmt.Appendf(nil, "admins:\n  - {name: 王芳, role: editor, token_hash: %q}\n  - {name: 李强, role: publisher, token_hash: %q}\n", eh, ph), 0o600)

	reps := make([]*replica, 2)
	for i := range reps {
		r := &replica{addr: freeAddr(t)}
		r.args = []string{"serve", "--db", db, "--admins", adminsFile, "--addr", r.addr, "--data", filepath.Join(dir, fmt.Sprintf("data%d", i)), "--rate-limit", "0", "--poll", "1s"}
		r.start(t, bin)
		reps[i] = r
		// One at a time: the first seeds the entry store.
		waitUntil(t, fmt.Sprintf("replica %d ready", i), r.logs, 90*time.Second, r.ready)
	}

	call := func(method, path, token string, body any, out any) {
		t.Helper()
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, "http://"+reps[0].addr+path, bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, raw)
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatal(err)
			}
		}
	}
	var cur struct {
		BasedOn   json.RawMessage `json:"based_on"`
		Published struct {
			Entry map[string]any `json:"entry"`
		} `json:"published"`
	}
	call("GET", "/api/admin/policies/dibao", editor, nil, &cur)
	const newTitle = "城乡居民最低生活保障（发布到每个副本）"
	cur.Published.Entry["title"] = newTitle
	var saved struct {
		Entry struct {
			BasedOn json.RawMessage `json:"based_on"`
		} `json:"entry"`
	}
	call("PUT", "/api/admin/policies/dibao/draft", editor, map[string]any{"based_on": cur.BasedOn, "entry": cur.Published.Entry, "note": "改标题"}, &saved)
	start := time.Now()
	call("POST", "/api/admin/policies/dibao/publish", publisher, map[string]any{"based_on": saved.Entry.BasedOn, "note": "发布"}, nil)
	for i, r := range reps {
		waitUntil(t, fmt.Sprintf("replica %d serves the published title", i), r.logs, 60*time.Second, func() bool { return r.title("dibao") == newTitle })
	}
	t.Logf("both replicas served the published title %.2fs after the publish request", time.Since(start).Seconds())
}
