package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"yicha/corpus"
	"yicha/index"
	"yicha/search"
	"yicha/search/eval"
)

// runEval measures search quality on a BEIR data set: it indexes the
// corpus with the production analyzer and mapping in a fresh directory and
// runs every query through the production search. It times two paths:
// the ranking the quality figures come from (the first eval.Depth ids, no
// snippets or facets), then each judged question again as /api/search
// answers it (see apiSearch).
func runEval(ctx context.Context, env *cli, args []string) error {
	stdout, stderr := env.stdout, env.stderr
	var corpusFile, queriesFile, qrelsFile, dataDir string
	fs := newFlags("eval", "--corpus corpus.jsonl --queries queries.jsonl --qrels qrels.tsv", stderr)
	fs.StringVar(&corpusFile, "corpus", "", "BEIR corpus.jsonl")
	fs.StringVar(&queriesFile, "queries", "", "BEIR queries.jsonl")
	fs.StringVar(&qrelsFile, "qrels", "", "BEIR qrels.tsv")
	fs.StringVar(&dataDir, "data", "", "where to build the index (default: a temporary directory, removed after)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if corpusFile == "" || queriesFile == "" || qrelsFile == "" {
		fs.Usage()
		return errUsage
	}
	corp, err := readFile(corpusFile, func(r io.Reader) (*corpus.Corpus, error) { return eval.ReadBEIRCorpus(corpusFile, r) })
	if err != nil {
		return err
	}
	queries, err := readFile(queriesFile, func(r io.Reader) ([]eval.BEIRQuery, error) { return eval.ReadBEIRQueries(queriesFile, r) })
	if err != nil {
		return err
	}
	qrels, err := readFile(qrelsFile, func(r io.Reader) (eval.Qrels, error) { return eval.ReadQrels(qrelsFile, r) })
	if err != nil {
		return err
	}
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "yicha-eval-"); err != nil {
			return err
		}
		defer os.RemoveAll(dataDir)
	}
	// Load the segmenter first so the build time is the build alone.
	if _, err := index.NewTokenizer(); err != nil {
		return err
	}
	start := time.Now()
	idx, err := index.BuildAt(ctx, dataDir+"/index", corp, nil)
	if err != nil {
		return err
	}
	defer idx.Close()
	build := time.Since(start)
	eng, err := search.New(idx, corp, env.now)
	if err != nil {
		return err
	}
	res, err := eval.Run(ctx, eng, queries, qrels)
	if err != nil {
		return err
	}
	api, err := eval.Time(ctx, qrels.Judged(queries), apiSearch(eng))
	if err != nil {
		return err
	}
	printEval(stdout, len(corp.Policies), build, res, api)
	return nil
}

// apiSearch asks a question as /api/search does by default: the first
// page of 10 hits, by relevance, with snippets, facets and the confidence.
func apiSearch(eng *search.Engine) func(ctx context.Context, question string) error {
	return func(ctx context.Context, question string) error {
		_, err := eng.Search(ctx, search.Request{Query: question, Page: 1, Size: 10, Sort: search.SortRelevance})
		return err
	}
}

// printEval prints the figures of a run. `make eval` reads the index time
// as the fifth field of the index line, the queries line's mean= and the
// nDCG line; `make bench-scale` reads docs/s and the p50= and p99= of the
// queries (ranking) and api lines. Keep those shapes.
func printEval(w io.Writer, docs int, build time.Duration, res *eval.Result, api eval.Latencies) {
	fmt.Fprintf(w, "index: %d documents in %.2fs (%.0f docs/s)\n", docs, build.Seconds(), float64(docs)/build.Seconds())
	fmt.Fprintf(w, "queries: %d judged, %d with no result, latency p50=%.2fms p99=%.2fms mean=%.2fms (ranking: the first %d ids)\n",
		res.Queries, res.ZeroResults, ms(res.Percentile(50)), ms(res.Percentile(99)), ms(res.Mean()), eval.Depth)
	fmt.Fprintf(w, "api: %d questions, latency p50=%.2fms p99=%.2fms mean=%.2fms (as /api/search: a page of 10 with snippets and facets)\n",
		len(api), ms(api.Percentile(50)), ms(api.Percentile(99)), ms(api.Mean()))
	fmt.Fprintf(w, "nDCG@10=%.4f MRR@10=%.4f Recall@100=%.4f\n", res.NDCG10, res.MRR10, res.Recall100)
}

func readFile[T any](name string, read func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(name)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return read(f)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
