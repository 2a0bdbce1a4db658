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
	"syscall"
	"testing"
	"time"

	"yicha/corpus"
)

// buildBinary builds the yicha command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "yicha")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
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
	logs *bytes.Buffer
	// sawStarting records that the child was alive but not ready for a while.
	sawStarting bool
}

func startServe(t *testing.T, bin, data, corpusFile string) *child {
	t.Helper()
	c := &child{addr: freeAddr(t), logs: &bytes.Buffer{}}
	args := []string{"serve", "--addr", c.addr, "--data", data, "--rate-limit", "0"}
	if corpusFile != "" {
		args = append(args, "--corpus", corpusFile)
	}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Env = append(os.Environ(), "YICHA_ADMIN_TOKEN=crash-test-token")
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
	req.Header.Set("Authorization", "Bearer crash-test-token")
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
}

type searchResp struct {
	Total uint64 `json:"total"`
	Hits  []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"hits"`
}

// TestKilledMidBuildRestartsOnLastGoodIndex kills a serving child with
// SIGKILL in the middle of a reindex and restarts it: it must serve the
// last good index at once, clean the interrupted build away, then catch
// up with the corpus by itself.
func TestKilledMidBuildRestartsOnLastGoodIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and large indexes")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	corpusFile := filepath.Join(t.TempDir(), "policies.jsonl")
	bigCorpus(t, corpusFile, 40, "最低生活保障 firstversion")

	first := startServe(t, bin, data, corpusFile)
	if !first.sawStarting {
		t.Error("while building its first index the server was never alive and not ready (/healthz 200, /readyz 503)")
	}
	var before status
	first.getJSON(t, "/api/admin/status", &before)
	if before.Docs == 0 || before.Fingerprint == "" {
		t.Fatalf("status %+v", before)
	}

	bigCorpus(t, corpusFile, 40, "最低生活保障 secondversion")
	req, _ := http.NewRequest("POST", "http://"+first.addr+"/api/admin/reindex", nil)
	req.Header.Set("Authorization", "Bearer crash-test-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("reindex = %d", resp.StatusCode)
	}
	// Kill it while it indexes.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st status
		first.getJSON(t, "/api/admin/status", &st)
		if st.Building && st.Phase == "indexing" {
			break
		}
		if !st.Building || time.Now().After(deadline) {
			t.Fatalf("the build ended before it could be interrupted: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
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
	deadline = time.Now().Add(60 * time.Second)
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
