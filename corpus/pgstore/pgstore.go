// Package pgstore keeps versions of the corpus in PostgreSQL, for replicas
// that follow one database: each version whole, written in one transaction
// that notifies the new version on commit.
package pgstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"yicha/corpus"
)

// documentsRow is the id of the row holding a version's registry of
// documents; entry ids are lower-case letters, digits and '-'.
const documentsRow = "~documents"

// sitesRow is the id of the row holding a version's sites.
const sitesRow = "~sites"

// Channel is the PostgreSQL channel a push notifies with the new version.
const Channel = "yicha_corpus"

// KeepVersions is how many corpus versions the database keeps; older ones
// are removed by the push that makes them superfluous.
const KeepVersions = 5

// ErrNoCorpus means the database holds no corpus yet.
var ErrNoCorpus = errors.New("the database holds no corpus yet (load one with: yicha corpus push)")

// migrations are applied in order, each once, under an advisory lock so
// that replicas starting together do not race. Never edit one that has
// shipped: add the next.
var migrations = []string{
	`CREATE TABLE corpus_versions (
		version     bigserial PRIMARY KEY,
		fingerprint text NOT NULL,
		entries     integer NOT NULL,
		origin      text NOT NULL,
		created_at  timestamptz NOT NULL DEFAULT now()
	);
	CREATE TABLE corpus_policies (
		version bigint NOT NULL REFERENCES corpus_versions ON DELETE CASCADE,
		id      text NOT NULL,
		body    text NOT NULL,
		PRIMARY KEY (version, id)
	);`,
	// The digest of a row's body, so that the rows two versions share are
	// told without reading (and decompressing) their bodies; NULL in rows
	// stored before.
	`ALTER TABLE corpus_policies ADD COLUMN digest text;`,
}

// migrationLock keys the advisory lock of Migrate and Push.
const migrationLock = 0x79696368 // "yich"

// Store is a corpus stored in PostgreSQL: every version whole, each
// entry as the JSON of a JSONL line (places inline), written in one
// transaction that notifies Channel with the new version on commit.
type Store struct {
	pool *pgxpool.Pool
	conn *pgx.ConnConfig // for the listening connection
	url  string
	name string

	// Heartbeat is how often a listener checks that its connection
	// delivers notifications (DefaultHeartbeat when zero); set it before
	// Listen.
	Heartbeat time.Duration

	migrated atomic.Bool
}

// ConnectTimeout bounds connecting to the database (a database that accepts
// connections but never answers would otherwise hang every caller), unless
// the URL sets connect_timeout.
const ConnectTimeout = 5 * time.Second

// Open connects to the database at url and migrates its schema.
func Open(ctx context.Context, url string) (*Store, error) {
	s, err := New(url)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// New returns the store of the database at url without connecting to it:
// Connect, or any first use, connects and migrates the schema. A replica
// can so start while its database is unreachable.
func New(url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	if cfg.MaxConns > 8 {
		cfg.MaxConns = 8
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	// Pooled connections are checked before use: after a restart of the
	// database they are dead, and the first query on each would fail.
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	cc := cfg.ConnConfig
	return &Store{pool: pool, conn: cc.Copy(), url: url, name: fmt.Sprintf("postgres://%s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database)}, nil
}

// Connect connects to the database and migrates its schema, once: after
// it has succeeded it returns nil at once.
func (s *Store) Connect(ctx context.Context) error {
	if s.migrated.Load() {
		return nil
	}
	if err := s.migrate(ctx); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.migrated.Store(true)
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
			return err
		}
		if have > len(migrations) {
			return fmt.Errorf("the database schema is version %d, newer than this binary knows (%d)", have, len(migrations))
		}
		for i := have; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, i+1); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close closes the connections.
func (s *Store) Close() { s.pool.Close() }

// String names the database without its password.
func (s *Store) String() string { return s.name }

// URL returns the connection URL, for a dedicated listening connection.
func (s *Store) URL() string { return s.url }

// Pool returns the connection pool, for other stores in the same database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Version returns the latest corpus version, 0 when there is none.
func (s *Store) Version(ctx context.Context) (int64, error) {
	if err := s.Connect(ctx); err != nil {
		return 0, err
	}
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM corpus_versions`).Scan(&v)
	return v, err
}

// Push validates nothing itself (load c from a Source, which does) and
// stores c as a new version in one transaction that notifies Channel on
// commit. A corpus identical to the latest version is not stored again:
// Push returns that version and false.
//
// basedOn names the version the corpus was made from (0: an empty store):
// if another version has been stored since, the push is refused with a
// *StaleError, so that a push never silently replaces an edit it has not
// seen. A corpus that would shrink the latest version by more than
// MaxShrink of its entries is refused with a *ShrinkError (a truncated file
// or a wrong directory pushed by mistake would empty every replica);
// PushShrinking stores it anyway. Every push runs, on the corpus as it
// would be stored, the checks a replica runs when it loads a version.
func (s *Store) Push(ctx context.Context, c *corpus.Corpus, origin string, basedOn int64) (version int64, stored bool, err error) {
	return s.push(ctx, c, origin, basedOn, false)
}

// PushShrinking is Push without the check on shrinking.
func (s *Store) PushShrinking(ctx context.Context, c *corpus.Corpus, origin string, basedOn int64) (version int64, stored bool, err error) {
	return s.push(ctx, c, origin, basedOn, true)
}

func (s *Store) push(ctx context.Context, c *corpus.Corpus, origin string, basedOn int64, shrink bool) (version int64, stored bool, err error) {
	if err := s.Connect(ctx); err != nil {
		return 0, false, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		version, stored, err = pushTx(ctx, tx, c, origin, basedOn, shrink)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("push corpus to %s: %w", s.name, err)
	}
	return version, stored, nil
}

// StaleError refuses a push based on a version older than the latest.
type StaleError struct {
	BasedOn, Latest int64
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("version %d was stored since version %d, which this push was based on; nothing pushed (push again based on version %d to replace it)",
		e.Latest, e.BasedOn, e.Latest)
}

// Versions returns the version the push was based on and the latest.
func (e *StaleError) Versions() (basedOn, latest int64) { return e.BasedOn, e.Latest }

// MaxShrink is the largest share of the latest version's entries a push
// may drop without saying so (PushShrinking).
const MaxShrink = 0.10

// ShrinkError refuses a push that drops more than MaxShrink of the latest
// version's entries.
type ShrinkError struct {
	Version         int64
	Latest, Entries int
}

func (e *ShrinkError) Error() string {
	return fmt.Sprintf("the corpus has %d entries, version %d has %d: more than %.0f%% fewer; nothing pushed (push it anyway with --allow-shrink)",
		e.Entries, e.Version, e.Latest, 100*MaxShrink)
}

// PushTx is Push within a transaction of the caller's, in the same
// database: the new version is stored, and notified, only if it commits.
// The caller's transaction decides what it is based on (the entry store
// checks every change against the entry's state under its own locks).
func PushTx(ctx context.Context, tx pgx.Tx, c *corpus.Corpus, origin string) (version int64, stored bool, err error) {
	return pushTx(ctx, tx, c, origin, anyBase, false)
}

// anyBase is the basedOn of a push that replaces whatever is latest.
const anyBase = -1

func pushTx(ctx context.Context, tx pgx.Tx, c *corpus.Corpus, origin string, basedOn int64, shrink bool) (version int64, stored bool, err error) {
	lines := make([][]byte, len(c.Policies))
	sum := sha256.New()
	for i, p := range c.Policies {
		var buf bytes.Buffer
		if err := corpus.WriteJSONL(&buf, &corpus.Corpus{Policies: []*corpus.Policy{p}}); err != nil {
			return 0, false, err
		}
		lines[i] = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		sum.Write(buf.Bytes())
	}
	// The registry of documents is stored as one more row, under an id no
	// entry can have, and read back as the registry line of the JSONL.
	reg, err := corpus.DocumentsLine(c.Documents)
	if err != nil {
		return 0, false, err
	}
	sum.Write(reg)
	sites, err := corpus.SitesLine(c.Sites)
	if err != nil {
		return 0, false, err
	}
	sum.Write(sites)
	fp := hex.EncodeToString(sum.Sum(nil))[:16]
	if err := checkStored(ctx, c, lines, reg, sites); err != nil {
		return 0, false, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return 0, false, err
	}
	var latest int64
	var latestFP string
	var latestEntries int
	err = tx.QueryRow(ctx, `SELECT version, fingerprint, entries FROM corpus_versions ORDER BY version DESC LIMIT 1`).Scan(&latest, &latestFP, &latestEntries)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, false, err
	}
	if latestFP == fp {
		return latest, false, nil
	}
	if basedOn != anyBase && basedOn != latest {
		return 0, false, &StaleError{BasedOn: basedOn, Latest: latest}
	}
	if !shrink && latest > 0 && float64(len(c.Policies)) < (1-MaxShrink)*float64(latestEntries) {
		return 0, false, &ShrinkError{Version: latest, Latest: latestEntries, Entries: len(c.Policies)}
	}
	if err := tx.QueryRow(ctx, `INSERT INTO corpus_versions (fingerprint, entries, origin) VALUES ($1, $2, $3) RETURNING version`,
		fp, len(c.Policies), origin).Scan(&version); err != nil {
		return 0, false, err
	}
	row := func(id string, body []byte) []any {
		sum := sha256.Sum256(body)
		return []any{version, id, string(body), hex.EncodeToString(sum[:16])}
	}
	rows := make([][]any, len(c.Policies))
	for i, p := range c.Policies {
		rows[i] = row(p.ID, lines[i])
	}
	if reg != nil {
		rows = append(rows, row(documentsRow, reg))
	}
	if sites != nil {
		rows = append(rows, row(sitesRow, sites))
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"corpus_policies"}, []string{"version", "id", "body", "digest"}, pgx.CopyFromRows(rows)); err != nil {
		return 0, false, fmt.Errorf("store entries: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM corpus_versions WHERE version <= $1`, version-KeepVersions); err != nil {
		return 0, false, err
	}
	// The planner's statistics must know the new version before any
	// replica reads it (at commit, told by the notification): with
	// statistics from before it, a version is thought to hold no rows, and
	// LoadChanges' anti-join was planned as a nested loop over every pair
	// of entries (minutes at 100,000). Analysed inside this transaction,
	// the new rows count and the statistics commit with them.
	if _, err := tx.Exec(ctx, `ANALYZE corpus_policies`); err != nil {
		return 0, false, fmt.Errorf("analyze: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, strconv.FormatInt(version, 10)); err != nil {
		return 0, false, err
	}
	return version, true, nil
}

// checkStored runs on the stored form of c — its lines as Load will read
// them back, in id order with the registry's and the sites' — the checks every replica
// runs on what it loads, so that a version the replicas would refuse is
// never stored.
func checkStored(ctx context.Context, c *corpus.Corpus, lines [][]byte, reg, sites []byte) error {
	type row struct {
		id   string
		body []byte
	}
	rows := make([]row, 0, len(lines)+1)
	for i, p := range c.Policies {
		rows = append(rows, row{p.ID, lines[i]})
	}
	if reg != nil {
		rows = append(rows, row{documentsRow, reg})
	}
	if sites != nil {
		rows = append(rows, row{sitesRow, sites})
	}
	// PostgreSQL orders the ids by the database's collation; entry ids are
	// lower-case ASCII, which every collation orders the same, and where
	// the registry's row falls does not matter to the reader.
	slices.SortFunc(rows, func(a, b row) int { return strings.Compare(a.id, b.id) })
	var buf bytes.Buffer
	for _, r := range rows {
		buf.Write(r.body)
		buf.WriteByte('\n')
	}
	_, err := readStored(ctx, "the pushed corpus", buf.Bytes())
	return err
}

// Load reads and checks the latest version; the corpus carries its
// version.
func (s *Store) Load(ctx context.Context) (*corpus.Corpus, error) {
	if err := s.Connect(ctx); err != nil {
		return nil, fmt.Errorf("load corpus: %w", err)
	}
	var buf bytes.Buffer
	version, fp, err := s.inLatest(ctx, func(tx pgx.Tx, version int64) error {
		rows, err := tx.Query(ctx, `SELECT id, body FROM corpus_policies WHERE version = $1 ORDER BY id`, version)
		if err != nil {
			return err
		}
		return s.lines(rows, version, &buf, nil)
	})
	if err != nil {
		if errors.Is(err, ErrNoCorpus) {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		return nil, fmt.Errorf("load corpus from %s: %w", s.name, err)
	}
	c, err := readStored(ctx, fmt.Sprintf("%s#v%d", s.name, version), buf.Bytes())
	if err != nil {
		return nil, err
	}
	c.Fingerprint = fp
	c.Version = version
	return c, nil
}

// readOnly reads one version as a whole: a snapshot of the database.
var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// inLatest runs read on the latest version in a read-only snapshot of the
// database; it returns that version and its fingerprint (ErrNoCorpus when
// none is stored).
func (s *Store) inLatest(ctx context.Context, read func(tx pgx.Tx, version int64) error) (int64, string, error) {
	var version int64
	var fp string
	err := pgx.BeginTxFunc(ctx, s.pool, readOnly, func(tx pgx.Tx) error {
		var err error
		if version, fp, err = latest(ctx, tx); err != nil {
			return err
		}
		return read(tx, version)
	})
	return version, fp, err
}

// latest reads the latest version and its fingerprint; ErrNoCorpus when
// none is stored.
func latest(ctx context.Context, tx pgx.Tx) (int64, string, error) {
	var version int64
	var fp string
	err := tx.QueryRow(ctx, `SELECT version, fingerprint FROM corpus_versions ORDER BY version DESC LIMIT 1`).Scan(&version, &fp)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", ErrNoCorpus
	}
	return version, fp, err
}

// lines writes the bodies of rows (id, body) of version to buf, a line
// each, after each id passes check (if set). A body holding a line break
// is a problem of the version.
func (s *Store) lines(rows pgx.Rows, version int64, buf *bytes.Buffer, check func(id string) error) error {
	defer rows.Close()
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return err
		}
		if check != nil {
			if err := check(id); err != nil {
				return err
			}
		}
		if strings.ContainsAny(body, "\n") {
			return &corpus.CheckError{Problems: corpus.Problems{{File: fmt.Sprintf("%s#v%d", s.name, version),
				Message: fmt.Sprintf("entry %q holds a line break", id)}}}
		}
		buf.WriteString(body)
		buf.WriteByte('\n')
	}
	return rows.Err()
}

// The queries of LoadChanges, of versions $1 (the base) and $2 (the
// latest): the rows of $2 that $1 does not hold alike (rows with digests
// are compared by them, older ones by body), and the ids of $1 that $2
// no longer holds.
const (
	changedSQL = `SELECT n.id, n.body FROM corpus_policies n WHERE n.version = $2 AND NOT EXISTS
	(SELECT 1 FROM corpus_policies o WHERE o.version = $1 AND o.id = n.id AND CASE
		WHEN o.digest IS NOT NULL AND n.digest IS NOT NULL THEN o.digest = n.digest
		ELSE o.body = n.body END) ORDER BY n.id`
	goneSQL = `SELECT o.id FROM corpus_policies o WHERE o.version = $1 AND NOT EXISTS
	(SELECT 1 FROM corpus_policies n WHERE n.version = $2 AND n.id = o.id) ORDER BY o.id`
)

// planChanges sets how the rest of tx plans the comparison of two
// versions: never as a nested loop. With statistics that do not know a
// version yet (one stored by a writer that did not analyse, or before
// autovacuum came by), PostgreSQL takes it for a row or two and joins in a
// nested loop, which over two versions of 100,000 entries compares every
// pair; a hash or merge join reads each version once whatever the
// statistics say.
func planChanges(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SET LOCAL enable_nestloop = off`)
	return err
}

// ErrWhole means the changes since a version cannot be read entry by
// entry (LoadChanges): the version is no longer stored, or the registry
// of documents or the sites changed. Load reads the whole corpus.
var ErrWhole = errors.New("the changes cannot be read entry by entry")

// LoadChanges reads what the latest version changes of base, a version
// Load or LoadChanges gave: the entries it adds or changes, read and
// checked as Load reads and checks them, and the ids it removes. It
// returns base with them applied, carrying the latest version. The
// database compares the two versions' stored entries, so only the
// changed ones travel. It fails with an error wrapping ErrWhole when the
// changes cannot be told entry by entry.
func (s *Store) LoadChanges(ctx context.Context, base *corpus.Corpus) (*corpus.Corpus, corpus.Changes, error) {
	var ch corpus.Changes
	if err := s.Connect(ctx); err != nil {
		return nil, ch, fmt.Errorf("load corpus: %w", err)
	}
	var buf bytes.Buffer
	version, fp, err := s.inLatest(ctx, func(tx pgx.Tx, version int64) error {
		var baseFP string
		err := tx.QueryRow(ctx, `SELECT fingerprint FROM corpus_versions WHERE version = $1`, base.Version).Scan(&baseFP)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && baseFP != base.Fingerprint) {
			return fmt.Errorf("%w: version %d is not stored as served", ErrWhole, base.Version)
		}
		if err != nil {
			return err
		}
		if err := planChanges(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, changedSQL, base.Version, version)
		if err != nil {
			return err
		}
		err = s.lines(rows, version, &buf, func(id string) error {
			if id == documentsRow || id == sitesRow {
				return fmt.Errorf("%w: the version changes %s", ErrWhole, id)
			}
			return nil
		})
		if err != nil {
			return err
		}
		gone, err := tx.Query(ctx, goneSQL, base.Version, version)
		if err != nil {
			return err
		}
		if ch.Deleted, err = pgx.CollectRows(gone, pgx.RowTo[string]); err != nil {
			return err
		}
		if slices.Contains(ch.Deleted, documentsRow) || slices.Contains(ch.Deleted, sitesRow) {
			return fmt.Errorf("%w: the version drops the registry or the sites", ErrWhole)
		}
		return nil
	})
	if err != nil {
		return nil, ch, fmt.Errorf("load corpus changes from %s: %w", s.name, err)
	}
	if buf.Len() > 0 {
		// The changed entries are read with the registry and the sites
		// they are checked against, which are base's: unchanged.
		setting, err := corpus.SettingLines(base)
		if err != nil {
			return nil, ch, err
		}
		var head bytes.Buffer
		for _, line := range setting {
			if line != nil {
				head.Write(line)
				head.WriteByte('\n')
			}
		}
		c, err := readStored(ctx, fmt.Sprintf("%s#v%d", s.name, version), append(head.Bytes(), buf.Bytes()...))
		if err != nil {
			return nil, ch, err
		}
		ch.Changed = c.Policies
	}
	return base.Apply(ch, fp, version), ch, nil
}

// readStored reads and checks a version in its stored form, the entries'
// JSON lines (and the registry's) in id order: what every replica runs on
// what it loads, and every push on what it is about to store. Problems
// come back as a *corpus.CheckError.
func readStored(ctx context.Context, name string, jsonl []byte) (*corpus.Corpus, error) {
	// Entries and sites are stored with their places inline: nothing to
	// resolve. Versions stored before the registry get one rebuilt from
	// their resolved basis; versions stored before sites get the built-in
	// ones.
	file, probs, err := corpus.ReadWritten(ctx, name, bytes.NewReader(jsonl), corpus.JSONLFile.Check, nil)
	if err != nil {
		return nil, err
	}
	if len(file.Policies) == 0 && len(probs) == 0 {
		probs = append(probs, corpus.Problem{File: name, Message: "the version holds no entries"})
	}
	if len(probs) > 0 {
		return nil, &corpus.CheckError{Problems: probs}
	}
	c := file.Corpus("")
	return c, nil
}

// Listener receives what Listen hears; any func may be nil.
type Listener struct {
	// Connected is called on every (re)connect with the latest version.
	Connected func(version int64)
	// Notified is called with the version each notification carries.
	Notified func(version int64)
	// Heartbeat is called each time the listening connection delivers the
	// store's own heartbeat notification: it is alive.
	Heartbeat func()
	// Lost is called when the connection is lost, cannot be made, or has
	// stalled (no heartbeat for two intervals); Listen reconnects.
	Lost func(error)
}

// DefaultHeartbeat is how often a listener checks its connection unless
// Store.Heartbeat says otherwise.
const DefaultHeartbeat = 10 * time.Second

// ListenerName is the application_name of the listening connection, as
// pg_stat_activity shows it.
const ListenerName = "yicha-listener"

// Listen listens for new versions until ctx ends, on a connection of its
// own, reconnecting with a backoff from 100 ms doubling to 5 s. A
// connection can stall without an error (a network path that drops
// everything, a database host that hangs): every heartbeat interval the
// store notifies a channel of its own through its pool, and a listening
// connection that delivers nothing for two intervals is dropped and made
// again.
func (s *Store) Listen(ctx context.Context, l Listener) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, l, func() { backoff = 100 * time.Millisecond })
		if ctx.Err() != nil {
			return
		}
		if l.Lost != nil {
			l.Lost(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// ErrStalled reports a listening connection that delivered no heartbeat.
var ErrStalled = errors.New("the listening connection stalled: no heartbeat")

func (s *Store) heartbeat() time.Duration {
	if s.Heartbeat > 0 {
		return s.Heartbeat
	}
	return DefaultHeartbeat
}

func (s *Store) listenOnce(ctx context.Context, l Listener, reset func()) error {
	if err := s.Connect(ctx); err != nil {
		return err
	}
	interval := s.heartbeat()
	cfg := s.conn.Copy()
	cfg.RuntimeParams["application_name"] = ListenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	// A channel of this listener's own, so that no other replica's
	// heartbeat counts as this connection's.
	var b [6]byte
	rand.Read(b[:])
	beat := "yicha_heartbeat_" + hex.EncodeToString(b[:])
	setup, cancel := context.WithTimeout(ctx, 2*interval)
	defer cancel()
	var v int64
	if _, err := conn.Exec(setup, "LISTEN "+Channel+"; LISTEN "+beat); err != nil {
		return err
	}
	if err := conn.QueryRow(setup, `SELECT coalesce(max(version), 0) FROM corpus_versions`).Scan(&v); err != nil {
		return err
	}
	reset()
	if l.Connected != nil {
		l.Connected(v)
	}
	beats, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-beats.Done():
				return
			case <-t.C:
				bctx, cancel := context.WithTimeout(beats, interval)
				s.pool.Exec(bctx, `SELECT pg_notify($1, '')`, beat) // a failure shows as a missed heartbeat
				cancel()
			}
		}
	}()
	for {
		wctx, cancel := context.WithTimeout(ctx, 2*interval)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil && errors.Is(wctx.Err(), context.DeadlineExceeded):
			return fmt.Errorf("%w for %s", ErrStalled, 2*interval)
		case err != nil:
			return err
		case n.Channel == beat:
			if l.Heartbeat != nil {
				l.Heartbeat()
			}
		case n.Channel == Channel:
			if v, err := strconv.ParseInt(n.Payload, 10, 64); err == nil && l.Notified != nil {
				l.Notified(v)
			}
		}
	}
}
