package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/web/webtest"
)

// binary is the yicha command built once per test run, with the test
// hooks (hooks_testhooks.go), which do nothing unless a test asks.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

// buildBinary returns the yicha command built with -tags testhooks.
func buildBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "yicha-bin-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "yicha")
		binary.out, binary.err = exec.Command("go", "build", "-tags", "testhooks", "-o", binary.path, ".").CombinedOutput()
	})
	if binary.err != nil {
		t.Fatalf("go build: %v\n%s", binary.err, binary.out)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	// Every child's clock starts at the suite's moment (hooks_testhooks.go).
	if os.Getenv(NowEnv) == "" {
		os.Setenv(NowEnv, corpustest.DefaultNow.Format(time.RFC3339))
	}
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// bigCorpus writes the embedded corpus copies times over as JSONL, so that
// a build takes long enough to be interrupted; title marks one entry.
func bigCorpus(t *testing.T, path string, copies int, title string) {
	t.Helper()
	c, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ps []*corpus.Policy
	for i := 0; i < copies; i++ {
		for _, p := range c.Policies {
			cp := *p
			cp.ID = fmt.Sprintf("%s-%d", p.ID, i)
			if i == 0 && p.ID == "dibao" {
				cp.Title = title
			}
			ps = append(ps, &cp)
		}
	}
	var buf bytes.Buffer
	if err := corpus.WriteJSONL(&buf, corpus.NewCorpus(ps, "")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editAll rewrites the JSONL corpus at path with every entry's summary
// changed.
func editAll(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	file, err := corpus.DecodeJSONL(context.Background(), path, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range file.Policies {
		p.Summary += "（第二版）"
	}
	var buf bytes.Buffer
	if err := corpus.WriteJSONL(&buf, file.Corpus("")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type child struct {
	cmd  *exec.Cmd
	addr string
	logs *webtest.Logs
	// sawStarting records that the child was alive but not ready for a while.
	sawStarting bool
}

// startServe starts `yicha serve` on data (and corpusFile, if given), with
// env added to its environment, and waits until it is ready.
func startServe(t *testing.T, bin, data, corpusFile string, env ...string) *child {
	t.Helper()
	c := &child{addr: freeAddr(t), logs: webtest.NewLogs()}
	args := []string{"serve", "--addr", c.addr, "--data", data, "--rate-limit", "0"}
	if corpusFile != "" {
		args = append(args, "--corpus", corpusFile)
	}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Env = append(append(os.Environ(), "YICHA_ADMIN_TOKEN=crash-test-token-of-thirty-two-chars"), env...)
	c.cmd.Stdout, c.cmd.Stderr = c.logs, c.logs
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.cmd.Process.Kill(); c.cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + c.addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return c
			}
			if h, err := http.Get("http://" + c.addr + "/healthz"); err == nil {
				h.Body.Close()
				c.sawStarting = c.sawStarting || (resp.StatusCode == 503 && h.StatusCode == 200)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not come up:\n%s", c.logs)
	return nil
}

func (c *child) getJSON(t *testing.T, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+c.addr+path, nil)
	req.Header.Set("Authorization", "Bearer crash-test-token-of-thirty-two-chars")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}

type status struct {
	Fingerprint string `json:"fingerprint"`
	Docs        int    `json:"docs"`
	Building    bool   `json:"building"`
	Phase       string `json:"phase"`
	Done        int    `json:"done"`
	Total       int    `json:"total"`
}

type searchResp struct {
	Total uint64 `json:"total"`
	Hits  []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"hits"`
}

// TestKilledMidBuildRestartsOnLastGoodIndex kills a serving child with
// SIGKILL in the middle of a reindex — held by the test hook after its
// first batch, so the kill lands mid-build on any machine — and restarts
// it: it must serve the last good index at once, clean the interrupted
// build away, then catch up with the corpus by itself.
func TestKilledMidBuildRestartsOnLastGoodIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and large indexes")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	corpusFile := filepath.Join(t.TempDir(), "policies.jsonl")
	bigCorpus(t, corpusFile, 10, "最低生活保障 firstversion")

	// The first build is the one at start; the reindex is the second.
	first := startServe(t, bin, data, corpusFile, HoldBuildEnv+"=2")
	if !first.sawStarting {
		t.Error("while building its first index the server was never alive and not ready (/healthz 200, /readyz 503)")
	}
	var before status
	first.getJSON(t, "/api/admin/status", &before)
	if before.Docs == 0 || before.Fingerprint == "" {
		t.Fatalf("status %+v", before)
	}

	// Every entry changes: a full rebuild, not an update of a few entries.
	bigCorpus(t, corpusFile, 10, "最低生活保障 secondversion")
	editAll(t, corpusFile)
	req, _ := http.NewRequest("POST", "http://"+first.addr+"/api/admin/reindex", nil)
	req.Header.Set("Authorization", "Bearer crash-test-token-of-thirty-two-chars")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("reindex = %d", resp.StatusCode)
	}
	// Kill it while it indexes: the hook holds the build after its first
	// batch and says so in the log.
	first.logs.WaitFor(t, "build held", "build=2")
	var st status
	if first.getJSON(t, "/api/admin/status", &st); !st.Building || st.Phase != "indexing" || st.Done == 0 || st.Done >= st.Total {
		t.Fatalf("held mid-build, the status is %+v", st)
	}
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.cmd.Wait()
	partial, _ := filepath.Glob(filepath.Join(data, "idx-*"))
	if len(partial) < 2 {
		t.Fatalf("no interrupted build on disk: %v", partial)
	}

	second := startServe(t, bin, data, corpusFile)
	var sr searchResp
	if code := second.getJSON(t, "/api/search?q="+url.QueryEscape("firstversion"), &sr); code != 200 || len(sr.Hits) == 0 || sr.Hits[0].ID != "dibao-0" {
		t.Fatalf("after restart the last good index does not answer: %d %+v\n%s", code, sr, second.logs)
	}
	for _, p := range partial {
		if _, err := os.Stat(p); err == nil && !strings.Contains(manifestDir(t, data), filepath.Base(p)) {
			// The interrupted build is gone once the restart cleaned up; a
			// directory of the same name could only be the active one.
			t.Errorf("interrupted build %s left on disk", p)
		}
	}
	// It then catches up with the changed corpus by itself.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var sr searchResp
		second.getJSON(t, "/api/search?q="+url.QueryEscape("secondversion"), &sr)
		if len(sr.Hits) > 0 && sr.Hits[0].ID == "dibao-0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted server did not catch up:\n%s", second.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func manifestDir(t *testing.T, data string) string {
	b, err := os.ReadFile(filepath.Join(data, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Dir string `json:"dir"`
	}
	json.Unmarshal(b, &m)
	return m.Dir
}
