package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/index"
	"yicha/search/live"
)

// rssMB reads a process's resident memory from /proc.
func rssMB(pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkColdStart measures the time from starting `yicha serve` on an
// existing index of the default corpus to its first answered search, and
// the resident memory a second after start.
func BenchmarkColdStart(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "yicha")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	data := b.TempDir()
	if out, err := exec.Command(bin, "index", "--data", data).CombinedOutput(); err != nil {
		b.Fatalf("index: %v\n%s", err, out)
	}
	var total time.Duration
	var rss float64
	for b.Loop() {
		addr := freeAddr(b)
		start := time.Now()
		cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			resp, err := http.Get("http://" + addr + "/api/search?q=%E4%BD%8E%E4%BF%9D")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Since(start) > 30*time.Second {
				cmd.Process.Kill()
				b.Fatal("serve did not answer")
			}
			time.Sleep(2 * time.Millisecond)
		}
		total += time.Since(start)
		b.StopTimer()
		time.Sleep(time.Second)
		rss = max(rss, rssMB(cmd.Process.Pid))
		cmd.Process.Kill()
		cmd.Wait()
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-first-answer")
	b.ReportMetric(rss, "rss-MB")
}

// BenchmarkRestoreSnapshot measures how long a new replica takes to serve
// from an index snapshot of $BENCH_DOCS generated entries (default
// 100000): from opening an empty data directory, through restoring the
// snapshot and opening its index and corpus, to the first answered
// search. The index is built once, in $YICHA_BENCH_DIR when set (kept
// there for the next run: a build of 100000 entries takes minutes), else
// in a temporary directory; each run writes a new snapshot of it.
func BenchmarkRestoreSnapshot(b *testing.B) {
	n := 100000
	if v := os.Getenv("BENCH_DOCS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("BENCH_DOCS=%q is not a number of documents", v)
		}
	}
	dir := os.Getenv("YICHA_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	c := generatedCorpus(b, n)
	store, err := index.OpenStore(filepath.Join(dir, fmt.Sprintf("builder-%d", n)))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	builder, err := live.OpenService(ctx, store, corpus.Fixed(c), live.ServiceOptions{Log: log, Followed: true})
	if err != nil {
		b.Fatal(err)
	}
	defer builder.Close()
	m, err := store.Manifest()
	if err != nil {
		b.Fatal(err)
	}
	snaps := filepath.Join(b.TempDir(), "snapshots")
	if _, err := store.WriteSnapshot(builder.Engine.Index(), m, snaps); err != nil {
		b.Fatal(err)
	}
	q := url.Values{"q": {c.Policies[n/2].Title}}
	for b.Loop() {
		replica, err := index.OpenStore(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		svc, err := live.OpenService(ctx, replica, corpus.Fixed(&corpus.Corpus{}), live.ServiceOptions{Log: log, Followed: true, Snapshots: snaps})
		if err != nil {
			b.Fatal(err)
		}
		r, err := svc.Engine.ParseRequest(q)
		if err != nil {
			b.Fatal(err)
		}
		res, err := svc.Engine.Search(ctx, r)
		if err != nil || len(res.Hits) == 0 || svc.Engine.Documents() != n {
			b.Fatalf("the restored replica serves %d entries; searching %q: %v, %v", svc.Engine.Documents(), q, res, err)
		}
		b.StopTimer()
		svc.Close()
		replica.Close()
		b.StartTimer()
	}
}
