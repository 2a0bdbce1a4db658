package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"yicha/corpus"
	"yicha/index"
	"yicha/search"
	"yicha/web"
	"yicha/web/feedback"
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
	var ce *corpus.CheckError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintf(stderr, "%d problem(s) in corpus %s\n", len(ce.Problems), src)
		return nil, errExit
	}
	return corp, err
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

func runCheck(ctx context.Context, env *cli, args []string) error {
	stdout, stderr := env.stdout, env.stderr
	var c common
	var date string
	fs := newFlags("check", "[--corpus DIR] [--date YYYY-MM-DD]", stderr)
	c.register(fs, false)
	fs.StringVar(&date, "date", "", "check as of this day (default: today): which entries have expired or expire within 60 days")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	now := env.now()
	if date != "" {
		d, err := corpus.ParseDate(date)
		if err != nil {
			fmt.Fprintf(stderr, "yicha check: --date %q is not a date of the form YYYY-MM-DD\n", date)
			return errUsage
		}
		// The middle of that day in Shanghai.
		now = d.Add(12 * time.Hour)
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
	dated := corpus.CheckDates(corp.Policies, now)
	for _, p := range dated {
		fmt.Fprintln(stderr, p)
	}
	notices := corp.ExpiryNotices(now, corpus.ExpiryWindow)
	for _, n := range notices {
		fmt.Fprintln(stderr, n)
	}
	if len(vocab)+len(dated) > 0 {
		fmt.Fprintf(stderr, "%d problem(s) in the vocabulary, %d in the corpus as of %s\n", len(vocab), len(dated), corpus.Today(now))
		return errExit
	}
	expired, soon := corp.Expiries(now, corpus.ExpiryWindow)
	fmt.Fprintf(stdout, "ok: %d entries in corpus %s; as of %s, %d expired, %d expiring within %d days\n",
		len(corp.Policies), c.corpusName(), corpus.Today(now), len(expired), len(soon), int(corpus.ExpiryWindow.Hours()/24))
	return nil
}

func runIndex(ctx context.Context, env *cli, args []string) error {
	stdout, stderr := env.stdout, env.stderr
	var c common
	fs := newFlags("index", "[--corpus DIR|FILE.jsonl] [--data DIR]", stderr)
	c.register(fs, true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	store, err := openStore(c.dataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	corp, err := c.loadCorpus(ctx, stderr)
	if err != nil {
		return err
	}
	var progress index.Progress
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && len(corp.Policies) >= 1000 {
		bar := progressbar.NewOptions(len(corp.Policies), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("indexing"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		progress = func(done, total int) { bar.Set(done) }
	}
	idx, m, err := store.Build(ctx, corp, progress)
	if err != nil {
		return err
	}
	defer idx.Close()
	if err := store.Activate(m); err != nil {
		return err
	}
	if err := store.Clean(); err != nil {
		fmt.Fprintf(stderr, "removing old indexes: %v\n", err)
	}
	fmt.Fprintf(stdout, "indexed %d entries into %s in %.2fs\n", m.Docs, c.dataDir, m.BuildSeconds)
	return nil
}

var markRE = regexp.MustCompile(`</?mark>`)

func runSearch(ctx context.Context, env *cli, args []string) error {
	stdout, stderr := env.stdout, env.stderr
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
	store, err := openStore(c.dataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	svc, err := search.OpenService(ctx, store, corpus.Fixed(corp), search.ServiceOptions{Log: log, Now: env.now})
	if err != nil {
		return err
	}
	defer svc.Close()
	res, err := svc.Engine.Search(ctx, req)
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

func runServe(ctx context.Context, env *cli, args []string) error {
	stderr := env.stderr
	var c common
	var addr, tokenFile, logFormat, proxyHeader string
	var rateLimit float64
	var db string
	var maxLag, poll, drain time.Duration
	fs := newFlags("serve", "[flags]  (each flag also reads $YICHA_<NAME>, e.g. YICHA_ADDR, YICHA_DATA)", stderr)
	c.register(fs, true)
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.Float64Var(&rateLimit, "rate-limit", web.DefaultRateLimit, "requests per second each client may make (0: no limit, for benchmarks)")
	fs.StringVar(&tokenFile, "admin-token-file", "", "file holding the admin API's bearer token (else $YICHA_ADMIN_TOKEN; without either the admin API is off)")
	fs.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	fs.DurationVar(&drain, "shutdown-drain", 2*time.Second, "on SIGTERM, how long /readyz says 503 (and connections are not kept alive) before the server stops listening")
	fs.StringVar(&proxyHeader, "trust-proxy-header", "", "client address header set by a reverse proxy on a private or loopback address: X-Forwarded-For or X-Real-IP (default: trust none)")
	fs.StringVar(&db, "db", "", "PostgreSQL URL of a corpus store shared by replicas (postgres://…): the index follows its latest version")
	fs.DurationVar(&maxLag, "max-lag", 30*time.Second, "with --db: how long the index may stay behind a newer corpus version and still be ready")
	fs.DurationVar(&poll, "poll", 5*time.Second, "with --db: how often the corpus version is polled besides notifications")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := envFallbacks(fs); err != nil {
		return err
	}
	log, err := newLogger(stderr, logFormat)
	if err != nil {
		return err
	}
	token, err := adminToken(tokenFile)
	if err != nil {
		return err
	}
	logConfig(log, fs, token != "")
	store, err := openStore(c.dataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	// Listen at once: while the index is opened (or first built) the
	// server is alive but not ready, and answers 503 to everything else.
	var current atomic.Pointer[http.Handler]
	starting := web.Starting()
	current.Store(&starting)
	srv := &http.Server{
		Addr:              addr,
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*current.Load()).ServeHTTP(w, r) }),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	defer srv.Close()
	log.Info("listening; opening the index", "addr", "http://"+ln.Addr().String())

	// With --db the corpus comes from the shared store; an empty store is
	// seeded with the configured corpus (--corpus, else the embedded one).
	src, err := c.source()
	if err != nil {
		return err
	}
	var pg *corpus.Postgres
	if db != "" {
		if pg, err = corpus.OpenPostgres(ctx, db); err != nil {
			return err
		}
		defer pg.Close()
		if v, err := pg.Version(ctx); err != nil {
			return err
		} else if v == 0 {
			if v, _, err = pushCorpus(ctx, &c, pg, env.now()); err != nil {
				return fmt.Errorf("seeding the empty corpus store: %w", err)
			}
			log.Info("seeded the empty corpus store", "corpus", c.corpusName(), "version", v)
		}
		src = pg
	}
	progress := logProgress(log)
	if hold := buildHook(log); hold != nil {
		logged := progress
		progress = func(done, total int) { logged(done, total); hold(done, total) }
	}
	svc, err := search.OpenService(ctx, store, src, search.ServiceOptions{Log: log, Now: env.now, Progress: progress})
	var ce *corpus.CheckError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Fprintln(stderr, p)
		}
		return fmt.Errorf("%d problem(s) in corpus %s", len(ce.Problems), src)
	}
	if err != nil {
		return err
	}
	defer svc.Close()
	// Residents' feedback lives in the shared database with --db, so every
	// replica sees it; else beside the index, under the same lock. It is
	// closed after the server has answered its last request.
	var fb feedback.Store
	if db != "" {
		fb, err = feedback.OpenPostgres(ctx, db)
	} else {
		fb, err = feedback.OpenSQLite(filepath.Join(c.dataDir, "feedback.db"))
	}
	if err != nil {
		return err
	}
	defer fb.Close()
	cfg := web.Config{Searcher: svc.Engine, Suggester: svc.Engine, Logger: log, AdminToken: token, RateLimit: rateLimit, TrustProxyHeader: proxyHeader, Feedback: fb, Now: env.now}
	if token != "" {
		cfg.Admin = svc
	}
	if pg != nil {
		// Follow the shared store: rebuild on every new version. An admin's
		// reindex pushes --corpus (when given) to the store first.
		opts := search.FollowOptions{Poll: poll, MaxLag: maxLag, Log: log}
		if c.corpusDir != "" {
			opts.Push = func(ctx context.Context) error { _, _, err := pushCorpus(ctx, &c, pg, env.now()); return err }
		}
		fol := search.NewFollower(svc, pg, opts)
		fctx, stopFollowing := context.WithCancel(ctx)
		followed := make(chan struct{})
		go func() { defer close(followed); fol.Run(fctx) }()
		defer func() { stopFollowing(); <-followed }()
		cfg.Ready = fol.Ready
		if token != "" {
			cfg.Admin = fol
		}
	}
	handler, err := web.NewServer(cfg)
	if err != nil {
		return err
	}
	var serving http.Handler = handler
	current.Store(&serving)
	st := svc.Status()
	log.Info("serving", "addr", "http://"+ln.Addr().String(), "corpus", src.String(), "entries", st.Docs, "admin", token != "")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Drain: say not ready and stop keeping connections alive, so load
	// balancers and clients move away; then stop listening and let the
	// requests in flight finish.
	log.Info("draining", "for", drain)
	handler.Drain()
	srv.SetKeepAlivesEnabled(false)
	time.Sleep(drain)
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// logProgress logs a build's progress at every tenth of the way, so that
// a long build (a large corpus) shows in the log how far it has come.
func logProgress(log *slog.Logger) index.Progress {
	shown := -1
	return func(done, total int) {
		if total == 0 {
			return
		}
		tenth := done * 10 / total
		if tenth < shown || done == total {
			shown = -1 // a new build, or the end of this one
		}
		if tenth > shown {
			shown = tenth
			log.Info("indexing", "done", done, "total", total)
		}
	}
}

// adminToken reads the admin token from a file, or from YICHA_ADMIN_TOKEN.
func adminToken(file string) (string, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("admin token: %w", err)
		}
		t := strings.TrimSpace(string(data))
		if t == "" {
			return "", fmt.Errorf("admin token file %s is empty", file)
		}
		return t, nil
	}
	return strings.TrimSpace(os.Getenv("YICHA_ADMIN_TOKEN")), nil
}
