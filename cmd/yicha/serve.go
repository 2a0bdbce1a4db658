package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"yicha/corpus"
	"yicha/corpus/entrystore"
	"yicha/corpus/pgstore"
	"yicha/index"
	"yicha/search/live"
	"yicha/web"
	"yicha/web/sitestore"
)

// serveFlags are serve's flags; each also reads $YICHA_<NAME>.
type serveFlags struct {
	common
	addr, tokenFile, adminsFile, logFormat, proxyHeader, db, dbFile string
	publicURL, snapshots                                            string
	proxies                                                         prefixList
	rateLimit                                                       float64
	maxLag, poll, drain, heartbeat                                  time.Duration
	cookieSecure                                                    bool
	queryLogDays                                                    int
	cacheBytes                                                      int64
}

// prefixList is a flag of comma-separated CIDR prefixes or addresses.
type prefixList []netip.Prefix

func (l *prefixList) String() string {
	var s []string
	for _, p := range *l {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

func (l *prefixList) Set(v string) error {
	*l = nil
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return fmt.Errorf("%q is neither an address nor a CIDR prefix", part)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		*l = append(*l, p.Masked())
	}
	return nil
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	f.common.register(fs, true)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.Float64Var(&f.rateLimit, "rate-limit", web.DefaultRateLimit, "requests per second each client may make (0: no limit, for benchmarks)")
	fs.StringVar(&f.tokenFile, "admin-token-file", "", "file holding the admin API's bearer token (else $YICHA_ADMIN_TOKEN; without either the admin API is off)")
	fs.StringVar(&f.adminsFile, "admins", "", "YAML file of named admins (name, role editor or publisher, token_hash from `yicha admin hash-token`)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.DurationVar(&f.drain, "shutdown-drain", 2*time.Second, "on SIGTERM, how long /readyz says 503 (and connections are not kept alive) before the server stops listening")
	fs.StringVar(&f.proxyHeader, "trust-proxy-header", "", "client address header set by a reverse proxy: X-Forwarded-For or X-Real-IP (default: trust none)")
	f.proxies = slices.Clone(web.LoopbackProxies)
	fs.Var(&f.proxies, "trusted-proxies", "with --trust-proxy-header: the proxies' addresses, CIDR,… (only these may name the client)")
	fs.BoolVar(&f.cookieSecure, "cookie-secure", false, "mark cookies Secure even over plain HTTP (TLS ends at a proxy that does not send X-Forwarded-Proto)")
	fs.IntVar(&f.queryLogDays, "query-log-days", web.DefaultQueryLogDays, "how many days of the query log (questions asked, none of who asked) are kept")
	fs.StringVar(&f.publicURL, "public-url", "", "the site's public address, https://host[/path]: the Atom feed's links use it (default: the Host the request came to)")
	fs.Int64Var(&f.cacheBytes, "cache-bytes", web.SearchCacheBytes, "bytes of answers (and their keys) the answer cache may hold")
	fs.StringVar(&f.db, "db", "", "PostgreSQL URL of a corpus store shared by replicas (postgres://…): the index follows its latest version")
	fs.StringVar(&f.dbFile, "db-file", "", "file holding the PostgreSQL URL instead of --db, so that its password is in neither the process list nor the environment")
	fs.StringVar(&f.snapshots, "snapshots", "", "directory of index snapshots (a volume replicas share): without an index of its own, the newest is restored instead of building; one is written after every build")
	fs.DurationVar(&f.maxLag, "max-lag", 30*time.Second, "with --db: how long the index may stay behind a newer corpus version and still be ready")
	fs.DurationVar(&f.poll, "poll", 5*time.Second, "with --db: how often the corpus version is polled besides notifications")
	fs.DurationVar(&f.heartbeat, "db-heartbeat", pgstore.DefaultHeartbeat, "with --db: how often the listening connection is checked; one silent for two heartbeats is made again")
}

// runServe serves the site: it listens at once (alive, not ready), opens
// or builds the index, then serves until SIGTERM, when it drains first.
func runServe(ctx context.Context, env *cli, args []string) error {
	var f serveFlags
	fs := newFlags("serve", "[flags]  (each flag also reads $YICHA_<NAME>, e.g. YICHA_ADDR, YICHA_DATA)", env.stderr)
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := envFallbacks(fs); err != nil {
		return err
	}
	var err error
	if f.db, err = databaseURL(f.db, f.dbFile); err != nil {
		return err
	}
	if f.publicURL != "" {
		if f.publicURL, err = web.ParsePublicURL(f.publicURL); err != nil {
			return err
		}
	}
	log, err := newLogger(env.stderr, f.logFormat)
	if err != nil {
		return err
	}
	token, err := adminToken(f.tokenFile)
	if err != nil {
		return err
	}
	set, err := loadAdmins(f.adminsFile, token)
	if err != nil {
		return err
	}
	logConfig(log, fs, set != nil)
	store, err := openStore(f.dataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	// The segmenter loads while the index opens.
	index.Preload(f.dataDir)
	store.Log = log
	ln, err := listen(f.addr)
	if err != nil {
		return err
	}
	defer ln.close()
	log.Info("listening; opening the index", "addr", ln.url())

	entries, unreachable, err := openEntries(ctx, env, &f, log)
	if err != nil {
		return err
	}
	if entries != nil {
		defer entries.Close()
	}
	src, pg, unreachable, err := openSource(ctx, env, &f, log, entries, unreachable)
	if err != nil {
		return err
	}
	if pg != nil {
		defer pg.Close()
	}
	svc, unreachable, err := openService(ctx, store, src, pg, unreachable, live.ServiceOptions{Log: log, Now: env.now, Progress: buildProgress(log), Followed: pg != nil, Snapshots: f.snapshots},
		func() error { return seedEmpty(ctx, env, &f, pg, log) })
	if err != nil && ctx.Err() != nil {
		return nil // stopped while waiting for the corpus store
	}
	if printProblems(env.stderr, err, "in corpus "+src.String()) {
		return errExit
	}
	if err != nil {
		return err
	}
	defer svc.Close()
	// The site's own records (feedback) are closed after the server has
	// answered its last request.
	records, err := openSiteStore(ctx, &f, unreachable)
	if err != nil {
		return err
	}
	defer records.Close()
	cfg := web.Config{Searcher: svc.Engine, Suggester: svc.Engine, Logger: log, Admins: set, Entries: entries, RateLimit: f.rateLimit,
		TrustProxyHeader: f.proxyHeader, TrustedProxies: f.proxies, Records: records, Now: env.now,
		CookieSecure: f.cookieSecure, QueryLogDays: f.queryLogDays, CacheBytes: f.cacheBytes, PublicURL: f.publicURL}
	if set != nil {
		cfg.Admin = svc
	}
	if pg != nil {
		stop := follow(ctx, env, &f, svc, pg, unreachable, log, &cfg)
		defer stop()
	}
	handler, err := web.NewServer(cfg)
	if err != nil {
		return err
	}
	ln.serve(handler)
	log.Info("serving", "addr", ln.url(), "corpus", src.String(), "entries", svc.Status().Docs, "admins", set.Len())
	select {
	case err := <-ln.errc:
		return err
	case <-ctx.Done():
	}
	err = ln.shutdown(log, handler, f.drain)
	// What the server holds in memory goes to the store before it closes.
	if cerr := handler.Close(context.Background()); cerr != nil {
		log.Error("writing the query log", "error", cerr)
	}
	return err
}

// listener serves HTTP from the moment it listens: while the index is
// opened (or first built) with web.Starting — alive, not ready, 503 to
// everything else — then with the real handler.
type listener struct {
	ln      net.Listener
	srv     *http.Server
	current atomic.Pointer[http.Handler]
	errc    chan error
}

func listen(addr string) (*listener, error) {
	l := &listener{errc: make(chan error, 1)}
	starting := web.Starting()
	l.current.Store(&starting)
	l.srv = &http.Server{
		Addr:              addr,
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*l.current.Load()).ServeHTTP(w, r) }),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	var err error
	if l.ln, err = net.Listen("tcp", addr); err != nil {
		return nil, err
	}
	go func() { l.errc <- l.srv.Serve(l.ln) }()
	return l, nil
}

func (l *listener) url() string { return "http://" + l.ln.Addr().String() }

// serve swaps in the real handler.
func (l *listener) serve(h http.Handler) { l.current.Store(&h) }

func (l *listener) close() { l.srv.Close() }

// Draining ends once the server has had no request for drainQuiet after
// the drain time, or drainMore after it at the latest.
const (
	drainQuiet = 250 * time.Millisecond
	drainMore  = 5 * time.Second
)

// shutdown drains — /readyz says 503 and connections are no longer kept
// alive, so load balancers and clients move away — for the drain time and
// then until requests have stopped coming, then stops listening and lets
// the requests in flight finish. A balancer slower than the drain time
// thus still finds the listener open.
func (l *listener) shutdown(log *slog.Logger, h *web.Server, drain time.Duration) error {
	log.Info("draining", "for", drain)
	h.Drain()
	l.srv.SetKeepAlivesEnabled(false)
	time.Sleep(drain)
	for deadline := time.Now().Add(drainMore); h.Quiet() < drainQuiet && time.Now().Before(deadline); {
		time.Sleep(drainQuiet - h.Quiet())
	}
	log.Info("shutting down", "quiet for", h.Quiet().Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := l.srv.Shutdown(ctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// openSource returns where the corpus comes from: with --db the shared
// store (an empty one is seeded with --corpus, else the embedded corpus),
// else the entry store, else --corpus. A store that cannot be reached
// within its connect timeout (or that down says is down) is no error:
// unreachable says why, and the replica starts on its local index
// (openService).
func openSource(ctx context.Context, env *cli, f *serveFlags, log *slog.Logger, entries entrystore.Store, down error) (src corpus.Source, pg *pgstore.Store, unreachable, err error) {
	if f.db == "" {
		if entries != nil {
			return entrystore.Source(entries), nil, nil, nil
		}
		src, err := f.source()
		return src, nil, nil, err
	}
	if pg, err = pgstore.New(f.db); err != nil {
		return nil, nil, nil, err
	}
	if down != nil { // the entry store found the database down just now
		return pg, pg, down, nil
	}
	log.Info("connecting to the corpus store", "db", pg.String())
	if err := pg.Connect(ctx); err != nil {
		if ctx.Err() != nil {
			pg.Close()
			return nil, nil, nil, ctx.Err()
		}
		return pg, pg, err, nil
	}
	if err := seedEmpty(ctx, env, f, pg, log); err != nil {
		pg.Close()
		return nil, nil, nil, err
	}
	return pg, pg, nil, nil
}

// seedEmpty pushes --corpus (else the embedded corpus) to a store that
// holds no version yet.
func seedEmpty(ctx context.Context, env *cli, f *serveFlags, pg *pgstore.Store, log *slog.Logger) error {
	v, err := pg.Version(ctx)
	if err != nil || v != 0 {
		return err
	}
	if v, _, err = pushCorpus(ctx, &f.common, pg, env.now(), 0, false); err != nil {
		return fmt.Errorf("seeding the empty corpus store: %w", err)
	}
	log.Info("seeded the empty corpus store", "corpus", f.corpusName(), "version", v)
	return nil
}

// openService opens the index service. With the corpus store unreachable
// it serves the local index, saying so in one line, and the follower
// connects in the background; without a local index it waits, not ready
// (the listener answers 503), connecting again with a backoff until the
// store answers. It returns the store's error if it is still unreachable.
func openService(ctx context.Context, store *index.Store, src corpus.Source, pg *pgstore.Store, unreachable error, opts live.ServiceOptions, seed func() error) (*live.Service, error, error) {
	log := opts.Log
	backoff := 500 * time.Millisecond
	for unreachable != nil {
		opts.Offline = true
		svc, err := live.OpenService(ctx, store, src, opts)
		if err == nil {
			log.Warn("the corpus store cannot be reached; serving the local index and connecting in the background",
				"db", pg.String(), "served_version", svc.Status().IndexVersion, "error", unreachable)
			return svc, unreachable, nil
		}
		if !errors.Is(err, live.ErrNoIndex) {
			return nil, nil, err
		}
		if backoff == 500*time.Millisecond {
			log.Warn("the corpus store cannot be reached and there is no local index; not ready until it can be, connecting with a backoff",
				"db", pg.String(), "error", unreachable)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
		if unreachable = pg.Connect(ctx); unreachable == nil {
			log.Info("connected to the corpus store", "db", pg.String())
			if err := seed(); err != nil {
				return nil, nil, err
			}
		}
	}
	opts.Offline = false
	svc, err := live.OpenService(ctx, store, src, opts)
	return svc, nil, err
}

// openSiteStore opens the site's records: in the shared database with
// --db, so that every replica sees them (connecting on first use while the
// database is unreachable); else beside the index, under the data
// directory's lock.
func openSiteStore(ctx context.Context, f *serveFlags, unreachable error) (sitestore.Store, error) {
	if f.db != "" && unreachable != nil {
		return sitestore.NewPostgres(f.db)
	}
	if f.db != "" {
		return sitestore.OpenPostgres(ctx, f.db)
	}
	return sitestore.OpenSQLite(filepath.Join(f.dataDir, "feedback.db"))
}

// follow keeps the index in step with the shared store — a rebuild on
// every new version — and makes it the server's readiness and, with an
// admin token, its admin: an admin's reindex pushes --corpus (when given)
// to the store first. The returned func stops following.
func follow(ctx context.Context, env *cli, f *serveFlags, svc *live.Service, pg *pgstore.Store, unreachable error, log *slog.Logger, cfg *web.Config) (stop func()) {
	opts := live.FollowOptions{Poll: f.poll, MaxLag: f.maxLag, Log: log, Unreachable: unreachable, Now: env.now}
	if f.corpusDir != "" {
		opts.Push = func(ctx context.Context, basedOn int64) error {
			_, _, err := pushCorpus(ctx, &f.common, pg, env.now(), basedOn, false)
			return err
		}
	}
	pg.Heartbeat = f.heartbeat
	fol := live.NewFollower(svc, watched{pg}, opts)
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); fol.Run(fctx) }()
	cfg.Ready = fol.Ready
	cfg.Replica = fol
	if cfg.Admin != nil {
		cfg.Admin = fol
	}
	return func() { cancel(); <-done }
}

// watched is the corpus store as the follower watches it.
type watched struct{ *pgstore.Store }

func (w watched) Listen(ctx context.Context, l live.Listener) {
	w.Store.Listen(ctx, pgstore.Listener(l))
}

// buildProgress logs a build's progress at every tenth of the way, so
// that a long build (a large corpus) shows in the log how far it has
// come; binaries built for tests may hold a build there (hooks.go).
func buildProgress(log *slog.Logger) index.Progress {
	shown := -1
	progress := func(done, total int) {
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
	hold := buildHook(log)
	if hold == nil {
		return progress
	}
	return func(done, total int) { progress(done, total); hold(done, total) }
}

// adminToken reads the admin token from a file, or from YICHA_ADMIN_TOKEN.
func adminToken(file string) (string, error) {
	if file != "" {
		return readSecret("admin token", file)
	}
	return strings.TrimSpace(os.Getenv("YICHA_ADMIN_TOKEN")), nil
}

// readSecret reads a secret kept alone in a file (what names it in errors),
// without the spaces around it; an empty file is an error.
func readSecret(what, file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	v := strings.TrimSpace(string(data))
	if v == "" {
		return "", fmt.Errorf("%s file %s is empty", what, file)
	}
	return v, nil
}

// databaseURL returns the database URL given with --db (or $YICHA_DB), or
// read from the file --db-file names; giving both is an error.
func databaseURL(db, file string) (string, error) {
	if file == "" {
		return db, nil
	}
	if db != "" {
		return "", errors.New("give the database URL with --db or --db-file, not both")
	}
	return readSecret("database URL", file)
}
