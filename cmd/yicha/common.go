package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"

	"yicha/corpus"
	"yicha/index"
)

// common holds the flags every command shares.
type common struct {
	corpusDir string
	dataDir   string
}

func (c *common) register(fs *flag.FlagSet, withData bool) {
	fs.StringVar(&c.corpusDir, "corpus", "", "corpus directory (places.yaml, policies/*.yaml) or JSONL file (one entry a line); default: the embedded corpus")
	if withData {
		fs.StringVar(&c.dataDir, "data", "data", "data directory for the index")
	}
}

// source returns the corpus --corpus names, else the embedded one. A path
// that is not there (yet) is taken for a directory, so that a server keeps
// serving its last index until it appears; a device or a named pipe is
// refused.
func (c *common) source() (corpus.Source, error) {
	if c.corpusDir == "" {
		return corpus.Embedded(), nil
	}
	src, err := corpus.Open(c.corpusDir)
	if errors.Is(err, fs.ErrNotExist) {
		return corpus.Dir(c.corpusDir), nil
	}
	return src, err
}

// corpusName names the corpus in messages, as its source does.
func (c *common) corpusName() string {
	if c.corpusDir == "" {
		return corpus.Embedded().String()
	}
	return c.corpusDir
}

// loadCorpus loads and checks the corpus, printing every problem.
func (c *common) loadCorpus(ctx context.Context, stderr io.Writer) (*corpus.Corpus, error) {
	src, err := c.source()
	if err != nil {
		return nil, err
	}
	corp, err := src.Load(ctx)
	if printProblems(stderr, err, "in corpus "+src.String()) {
		return nil, errExit
	}
	return corp, err
}

// printProblems prints each problem of a *corpus.CheckError as
// file:line: message, then how many there were and where, and reports
// whether err was one.
func printProblems(w io.Writer, err error, where string) bool {
	var ce *corpus.CheckError
	if !errors.As(err, &ce) {
		return false
	}
	for _, p := range ce.Problems {
		fmt.Fprintln(w, p)
	}
	fmt.Fprintf(w, "%d problem(s) %s\n", len(ce.Problems), where)
	return true
}

// openStore opens the data directory, explaining what to do when a
// running server holds it.
func openStore(dataDir string) (*index.Store, error) {
	store, err := index.OpenStore(dataDir)
	if errors.Is(err, index.ErrLocked) {
		return nil, fmt.Errorf("%w; a running server reindexes through its admin API (POST /api/admin/reindex) or its /admin page", err)
	}
	return store, err
}
