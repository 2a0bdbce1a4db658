package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/corpus/pgstore"
)

// TestBenchReplicas (make bench-replicas) measures how soon a one-entry
// publish reaches the replicas of a large corpus, and how soon a new
// replica serves from an index snapshot. It pushes a generated corpus of
// $BENCH_DOCS entries (default 100000), starts a replica that builds the
// index and writes a snapshot, starts a second one from that snapshot
// (timed from its start to ready), then pushes ten versions each changing
// one entry's title and times each from the push's commit until both
// replicas serve the new title. It prints the figures; it fails only if
// something never happens.
func TestBenchReplicas(t *testing.T) {
	if os.Getenv("YICHA_BENCH_REPLICAS") != "1" {
		t.Skip("set YICHA_BENCH_REPLICAS=1 (make bench-replicas) to run the benchmark on a throwaway PostgreSQL")
	}
	n := 100000
	if v := os.Getenv("BENCH_DOCS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("BENCH_DOCS=%q is not a number of documents", v)
		}
	}
	ctx := context.Background()
	db := clusterDB(t)
	bin := buildBinary(t)
	dir := t.TempDir()

	since := corpustest.Stopwatch()
	cur := generatedCorpus(t, n)
	store, err := pgstore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	v, _, err := store.Push(ctx, cur, "bench", 0)
	if err != nil {
		t.Fatal(err)
	}
	cur.Version = v
	t.Logf("generated and pushed %d entries in %.1fs", n, since().Seconds())

	snaps := filepath.Join(dir, "snapshots")
	newReplica := func(i int) *replica {
		r := &replica{addr: freeAddr(t)}
		r.args = []string{"serve", "--db", db, "--addr", r.addr, "--data", filepath.Join(dir, fmt.Sprintf("data%d", i)),
			"--snapshots", snaps, "--rate-limit", "0", "--poll", "1s"}
		r.start(t, bin)
		return r
	}
	builder := newReplica(0)
	took := waitUntil(t, "the first replica builds its index", builder.logs, 2*time.Hour, builder.ready)
	t.Logf("the first replica built its index of %d entries and was ready in %.1fs", n, took.Seconds())
	waitUntil(t, "the first replica writes a snapshot", builder.logs, 30*time.Minute, func() bool {
		return strings.Contains(builder.logs.String(), "wrote an index snapshot")
	})
	restored := newReplica(1)
	fromSnapshot := waitUntil(t, "the second replica is ready from the snapshot", restored.logs, 30*time.Minute, restored.ready)
	if !strings.Contains(restored.logs.String(), "restored an index snapshot") {
		t.Fatalf("the second replica did not start from the snapshot:\n%s", restored.logs)
	}
	reps := []*replica{builder, restored}

	var lags, pushes []float64
	for i := range 10 {
		p := *cur.Policies[(i*7919+1)%len(cur.Policies)]
		p.Title = fmt.Sprintf("基准测试第%d次编辑的标题", i+1)
		next := cur.Apply(corpus.Changes{Changed: []*corpus.Policy{&p}}, "", 0)
		pushing := corpustest.Stopwatch()
		v, stored, err := store.Push(ctx, next, "bench", cur.Version)
		if err != nil || !stored {
			t.Fatalf("push %d: %v (stored %v)", i+1, err, stored)
		}
		pushes = append(pushes, pushing().Seconds())
		sinceCommit := corpustest.Stopwatch()
		next.Version = v
		cur = next
		var each []string
		for j, r := range reps {
			waitUntil(t, fmt.Sprintf("replica %d serves edit %d", j, i+1), r.logs, 10*time.Minute, func() bool { return r.title(p.ID) == p.Title })
			each = append(each, fmt.Sprintf("%.2f s", sinceCommit().Seconds()))
		}
		lags = append(lags, sinceCommit().Seconds())
		t.Logf("edit %d (version %d) served by the replicas in turn after %s", i+1, v, strings.Join(each, ", "))
	}
	for j, r := range reps {
		// The line is logged just after the update serves, so it may
		// still be on its way.
		waitUntil(t, fmt.Sprintf("replica %d logs its %d updates", j, len(lags)), r.logs, time.Minute, func() bool {
			return strings.Count(r.logs.String(), "msg=\"index updated\"") >= len(lags)
		})
		var took []string
		for _, line := range strings.Split(r.logs.String(), "\n") {
			if strings.Contains(line, "index updated") {
				if _, after, ok := strings.Cut(line, " took="); ok {
					took = append(took, strings.Fields(after)[0])
				}
			}
			// What else a replica did while following: slow publishes say why.
			for _, what := range []string{"level=WARN", "level=ERROR", "loading the whole corpus", "rebuilding", "wrote an index snapshot"} {
				if strings.Contains(line, what) {
					t.Logf("replica %d: %s", j, line)
					break
				}
			}
		}
		if len(took) < len(lags) {
			t.Errorf("replica %d applied %d of the %d versions as updates:\n%s", j, len(took), len(lags), r.logs)
		}
		t.Logf("replica %d: each update took %s", j, strings.Join(took, " "))
	}
	slices.Sort(lags)
	slices.Sort(pushes)
	fmt.Printf("publish-to-replicas: %d docs, %d replicas, p50 %.2f s, max %.2f s\n", n, len(reps), lags[len(lags)/2], lags[len(lags)-1])
	fmt.Printf("replica-from-snapshot: %d docs, ready in %.2f s\n", n, fromSnapshot.Seconds())
	fmt.Printf("(each push itself, checked and stored: p50 %.2f s; the first replica's build: %.1f s)\n", pushes[len(pushes)/2], took.Seconds())
}
