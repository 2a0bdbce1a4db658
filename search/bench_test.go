package search

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/index"
	"yicha/search/eval"
)

var shared = filepath.Join("..", "..", "shared", "data")

// questions returns real questions residents asked: message-board subjects
// and the two evaluation sets' questions.
func benchQuestions(tb testing.TB) []string {
	qs := corpustest.JSONLTexts(tb, filepath.Join(shared, "resident-questions", "questions.jsonl"), "subject")
	qs = append(qs, corpustest.JSONLTexts(tb, filepath.Join(shared, "stard-lecoqa", "queries.jsonl"), "text")...)
	qs = append(qs, corpustest.JSONLTexts(tb, filepath.Join(shared, "msgabench-gov-qa", "queries.jsonl"), "text")...)
	for i, q := range qs {
		if r := []rune(q); len(r) > MaxQueryRunes {
			qs[i] = string(r[:MaxQueryRunes])
		}
	}
	return qs
}

// scaleCorpus generates n documents from the texts in ../shared/data:
// statute articles, official answers, welfare law articles and residents'
// messages, each document joining two of them. It is built at bench time
// and never committed.
func scaleCorpus(tb testing.TB, n int) *corpus.Corpus {
	tb.Helper()
	pool := corpustest.SharedTexts(tb, shared)
	ps := make([]*corpus.Policy, n)
	for i := range ps {
		a, b := pool[i%len(pool)], pool[(i*7919+13)%len(pool)]
		ps[i] = &corpus.Policy{ID: fmt.Sprintf("g%06d", i), Title: firstRunes(a, 20), Summary: firstRunes(b, 60), Content: a + "\n" + b,
			Category: corpus.Categories[i%len(corpus.Categories)], Kind: corpus.Kinds[i%2], Audiences: []string{corpus.Audiences[i%len(corpus.Audiences)]},
			Agency: fmt.Sprintf("机构%d", i%30), Updated: "2026-01-01"}
	}
	return corpus.NewCorpus(ps, "scale")
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

func beirCorpus(tb testing.TB, set string) *corpus.Corpus {
	f, err := os.Open(filepath.Join(shared, set, "corpus.jsonl"))
	if err != nil {
		tb.Skipf("shared data not available: %v", err)
	}
	defer f.Close()
	c, err := eval.ReadBEIRCorpus(set, f)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// benchSets are the corpora the search benchmarks run on.
var benchSets = []struct {
	name string
	c    func(testing.TB) *corpus.Corpus
}{
	{"default", embedded},
	{"stard", func(tb testing.TB) *corpus.Corpus { return beirCorpus(tb, "stard-lecoqa") }},
	{"scale100k", func(tb testing.TB) *corpus.Corpus { return scaleCorpus(tb, 100_000) }},
}

// benchIndex is an index built for the benchmarks, with what its build cost.
type benchIndex struct {
	e     *Engine
	c     *corpus.Corpus
	build time.Duration
	mb    float64
	dir   string
	keep  bool
}

// TestMain removes the benchmarks' indexes after the run, except those
// kept in YICHA_BENCH_INDEX.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, bi := range benchIndexes {
		bi.e.Close()
		if !bi.keep {
			os.RemoveAll(bi.dir)
		}
	}
	os.Exit(code)
}

// benchIndexes keeps each corpus's index for the benchmarks of one run, so
// that BenchmarkSearch and BenchmarkRank build it once.
var benchIndexes = map[string]*benchIndex{}

// benchEngine returns the engine over the index of one of benchSets, built
// once per run. When YICHA_BENCH_INDEX names a directory, the index is kept
// there and reused by later runs (delete it after changing the corpus
// generator or the mapping).
func benchEngine(b *testing.B, name string, c func(testing.TB) *corpus.Corpus) *benchIndex {
	if bi, ok := benchIndexes[name]; ok {
		return bi
	}
	corp := c(b)
	var idx bleve.Index
	var err error
	var build time.Duration
	var dir string
	if keep := os.Getenv("YICHA_BENCH_INDEX"); keep != "" {
		dir = filepath.Join(keep, name)
		if idx, err = bleve.Open(dir); err != nil {
			idx = nil
		}
	}
	if idx == nil {
		if dir == "" {
			dir = filepath.Join(os.TempDir(), fmt.Sprintf("yicha-bench-%d-%s", os.Getpid(), name))
			os.RemoveAll(dir)
		}
		start := time.Now()
		if idx, err = index.BuildAt(context.Background(), dir, corp, nil); err != nil {
			b.Fatal(err)
		}
		build = time.Since(start)
	}
	// The suite's pinned moment, so that which entries have expired does
	// not depend on the day the benchmark runs.
	e, err := New(idx, corp, corpustest.Pinned(b).Now)
	if err != nil {
		b.Fatal(err)
	}
	bi := &benchIndex{e: e, c: corp, build: build, mb: float64(dirSize(dir)) / (1 << 20), dir: dir, keep: os.Getenv("YICHA_BENCH_INDEX") != ""}
	benchIndexes[name] = bi
	return bi
}

// BenchmarkSearch answers real questions as /api/search does (a page of
// 10 with snippets and facets) and reports the p50 and p99 latencies, on
// the default corpus, the 11k statute articles and a generated corpus of
// 100,000 documents (whose build speed and index size it reports too).
func BenchmarkSearch(b *testing.B) {
	qs := benchQuestions(b)
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) {
			bi := benchEngine(b, set.name, set.c)
			benchLatency(b, qs, func(q string) error {
				_, err := bi.e.Search(context.Background(), Request{Query: q, Page: 1, Size: 10, Sort: SortRelevance})
				return err
			})
			if bi.build > 0 {
				b.ReportMetric(float64(len(bi.c.Policies))/bi.build.Seconds(), "build-docs/s")
			}
			b.ReportMetric(bi.mb, "index-MB")
		})
	}
}

// BenchmarkRank ranks real questions alone, as the evaluation does: the
// first 10 ids, without facets, snippets or confidence.
func BenchmarkRank(b *testing.B) {
	qs := benchQuestions(b)
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) {
			bi := benchEngine(b, set.name, set.c)
			benchLatency(b, qs, func(q string) error {
				_, err := bi.e.Rank(context.Background(), q, 10)
				return err
			})
		})
	}
}

// benchLatency runs one question per iteration and reports the p50 and
// p99 latencies.
func benchLatency(b *testing.B, qs []string, run func(q string) error) {
	var lat []time.Duration
	b.ResetTimer()
	i := 0
	for b.Loop() {
		q := qs[i%len(qs)]
		i++
		t0 := time.Now()
		if err := run(q); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
