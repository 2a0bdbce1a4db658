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
// runs every query through the production search.
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
	fmt.Fprintf(stdout, "index: %d documents in %.2fs\n", len(corp.Policies), build.Seconds())
	fmt.Fprintf(stdout, "queries: %d judged, %d with no result, latency p50=%.2fms p99=%.2fms mean=%.2fms\n",
		res.Queries, res.ZeroResults, ms(res.Percentile(50)), ms(res.Percentile(99)), ms(res.Mean()))
	fmt.Fprintf(stdout, "nDCG@10=%.4f MRR@10=%.4f Recall@100=%.4f\n", res.NDCG10, res.MRR10, res.Recall100)
	return nil
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
