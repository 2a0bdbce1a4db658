package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"

	"yicha/corpus"
	"yicha/index"
	"yicha/search"
	"yicha/web"
)

// common holds the flags every command shares.
type common struct {
	corpusDir string
	dataDir   string
}

func (c *common) register(fs *flag.FlagSet, withData bool) {
	fs.StringVar(&c.corpusDir, "corpus", "", "corpus directory (places.yaml, policies/*.yaml); default: the embedded corpus")
	if withData {
		fs.StringVar(&c.dataDir, "data", "data", "data directory for the index")
	}
}

func (c *common) source() corpus.Source {
	if c.corpusDir == "" {
		return corpus.Embedded()
	}
	return corpus.Dir(c.corpusDir)
}

// loadCorpus loads and checks the corpus, printing every problem.
func (c *common) loadCorpus(ctx context.Context, stderr io.Writer) (*corpus.Corpus, error) {
	corp, err := c.source().Load(ctx)
	var ce *corpus.CheckError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintf(stderr, "%d problem(s) in corpus %s\n", len(ce.Problems), c.source())
		return nil, errExit
	}
	return corp, err
}

// openIndex opens the data directory and the index of the corpus in it,
// building it when it is missing or stale (or always, with force).
func openIndex(ctx context.Context, dataDir string, corp *corpus.Corpus, force bool, log *slog.Logger) (*index.Store, bleve.Index, error) {
	store, err := index.OpenStore(dataDir)
	if errors.Is(err, index.ErrLocked) {
		return nil, nil, fmt.Errorf("%w; a running server reindexes through its admin API instead", err)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := store.Clean(); err != nil {
		log.Warn("cleaning data directory", "error", err)
	}
	now := time.Now()
	var idx bleve.Index
	if !force {
		idx, _, err = store.Current(corp.Fingerprint, now)
		if err != nil {
			log.Warn("active index cannot be opened; rebuilding", "error", err)
		}
	}
	if idx == nil {
		start := time.Now()
		var m *index.Manifest
		idx, m, err = store.Build(ctx, corp, now, nil)
		if err != nil {
			store.Close()
			return nil, nil, err
		}
		log.Info("index built", "docs", m.Docs, "dir", m.Dir, "took", time.Since(start).Round(time.Millisecond))
		if err := store.Clean(); err != nil {
			log.Warn("removing old indexes", "error", err)
		}
	}
	return store, idx, nil
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := newFlags("check", "[--corpus DIR]", stderr)
	c.register(fs, false)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	vocab, err := index.CheckVocabulary()
	if err != nil {
		return err
	}
	for _, p := range vocab {
		fmt.Fprintln(stderr, p)
	}
	corp, err := c.loadCorpus(ctx, stderr)
	if err != nil {
		return err
	}
	if len(vocab) > 0 {
		fmt.Fprintf(stderr, "%d problem(s) in the vocabulary\n", len(vocab))
		return errExit
	}
	fmt.Fprintf(stdout, "ok: %d entries in corpus %s\n", len(corp.Policies), c.source())
	return nil
}

func runIndex(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs := newFlags("index", "[--corpus DIR] [--data DIR]", stderr)
	c.register(fs, true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	corp, err := c.loadCorpus(ctx, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	store, idx, err := openIndex(ctx, c.dataDir, corp, true, log)
	if err != nil {
		return err
	}
	defer store.Close()
	defer idx.Close()
	n, _ := idx.DocCount()
	fmt.Fprintf(stdout, "indexed %d entries into %s\n", n, c.dataDir)
	return nil
}

var markRE = regexp.MustCompile(`</?mark>`)

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	var category, kind, audience, agency string
	var size int
	var online bool
	fs := newFlags("search", "[flags] QUERY…", stderr)
	c.register(fs, true)
	fs.StringVar(&category, "category", "", "only this category")
	fs.StringVar(&kind, "kind", "", "only this kind (政策类 or 服务类)")
	fs.StringVar(&audience, "audience", "", "only entries for this audience")
	fs.StringVar(&agency, "agency", "", "only entries of this agency")
	fs.BoolVar(&online, "online", false, "only entries that can be handled online")
	fs.IntVar(&size, "size", 10, "number of hits to show")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	params := map[string][]string{"q": {strings.Join(fs.Args(), " ")}, "size": {fmt.Sprint(size)}}
	for name, v := range map[string]string{"category": category, "kind": kind, "audience": audience, "agency": agency} {
		if v != "" {
			params[name] = []string{v}
		}
	}
	if online {
		params["online"] = []string{"true"}
	}
	req, err := search.ParseRequest(params)
	if err != nil {
		return err
	}
	corp, err := c.loadCorpus(ctx, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, idx, err := openIndex(ctx, c.dataDir, corp, false, log)
	if err != nil {
		return err
	}
	defer store.Close()
	defer idx.Close()
	eng, err := search.New(idx, corp)
	if err != nil {
		return err
	}
	res, err := eng.Search(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d found\n", res.Total)
	for i, h := range res.Hits {
		mark := ""
		if h.Expired {
			mark = " [已失效]"
		}
		fmt.Fprintf(stdout, "%2d. %s%s  (%s · %s · %s)\n", req.From()+i+1, h.Policy.Title, mark, h.Policy.ID, h.Policy.Category, h.Policy.Kind)
		fmt.Fprintf(stdout, "    %s\n", html.UnescapeString(markRE.ReplaceAllString(string(h.Snippet), "")))
	}
	return nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	var addr string
	fs := newFlags("serve", "[--addr HOST:PORT] [--corpus DIR] [--data DIR]", stderr)
	c.register(fs, true)
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	corp, err := c.loadCorpus(ctx, stderr)
	if err != nil {
		return err
	}
	store, idx, err := openIndex(ctx, c.dataDir, corp, false, log)
	if err != nil {
		return err
	}
	defer store.Close()
	eng, err := search.New(idx, corp)
	if err != nil {
		idx.Close()
		return err
	}
	handler, err := web.NewServer(web.Config{Searcher: eng, Suggester: eng, Logger: log})
	if err != nil {
		idx.Close()
		return err
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		idx.Close()
		return err
	}
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "corpus", c.source().String(), "entries", len(corp.Policies))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		idx.Close()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	if cerr := idx.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
