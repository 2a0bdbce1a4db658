// Package pgstore keeps versions of the corpus in PostgreSQL, for replicas
// that follow one database: each version whole, written in one transaction
// that notifies the new version on commit.
package pgstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
}

// migrationLock keys the advisory lock of Migrate and Push.
const migrationLock = 0x79696368 // "yich"

// Store is a corpus stored in PostgreSQL: every version whole, each
// entry as the JSON of a JSONL line (places inline), written in one
// transaction that notifies Channel with the new version on commit.
type Store struct {
	pool *pgxpool.Pool
	url  string
	name string
}

// Open connects to the database at url and migrates its schema.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	if cfg.MaxConns > 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	cc := cfg.ConnConfig
	s := &Store{pool: pool, url: url, name: fmt.Sprintf("postgres://%s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database)}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
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
	var v int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM corpus_versions`).Scan(&v)
	return v, err
}

// Push validates nothing itself (load c from a Source, which does) and
// stores c as a new version in one transaction that notifies Channel on
// commit. A corpus identical to the latest version is not stored again:
// Push returns that version and false.
//
// A corpus that would shrink the latest version by more than MaxShrink of
// its entries is refused with a *ShrinkError (a truncated file or a wrong
// directory pushed by mistake would empty every replica); PushShrinking
// stores it anyway.
func (s *Store) Push(ctx context.Context, c *corpus.Corpus, origin string) (version int64, stored bool, err error) {
	return s.push(ctx, c, origin, false)
}

// PushShrinking is Push without the check on shrinking.
func (s *Store) PushShrinking(ctx context.Context, c *corpus.Corpus, origin string) (version int64, stored bool, err error) {
	return s.push(ctx, c, origin, true)
}

func (s *Store) push(ctx context.Context, c *corpus.Corpus, origin string, shrink bool) (version int64, stored bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		version, stored, err = pushTx(ctx, tx, c, origin, shrink)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("push corpus to %s: %w", s.name, err)
	}
	return version, stored, nil
}

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
func PushTx(ctx context.Context, tx pgx.Tx, c *corpus.Corpus, origin string) (version int64, stored bool, err error) {
	return pushTx(ctx, tx, c, origin, false)
}

func pushTx(ctx context.Context, tx pgx.Tx, c *corpus.Corpus, origin string, shrink bool) (version int64, stored bool, err error) {
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
	if !shrink && latest > 0 && float64(len(c.Policies)) < (1-MaxShrink)*float64(latestEntries) {
		return 0, false, &ShrinkError{Version: latest, Latest: latestEntries, Entries: len(c.Policies)}
	}
	if err := tx.QueryRow(ctx, `INSERT INTO corpus_versions (fingerprint, entries, origin) VALUES ($1, $2, $3) RETURNING version`,
		fp, len(c.Policies), origin).Scan(&version); err != nil {
		return 0, false, err
	}
	rows := make([][]any, len(c.Policies))
	for i, p := range c.Policies {
		rows[i] = []any{version, p.ID, string(lines[i])}
	}
	if reg != nil {
		rows = append(rows, []any{version, documentsRow, string(reg)})
	}
	if sites != nil {
		rows = append(rows, []any{version, sitesRow, string(sites)})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"corpus_policies"}, []string{"version", "id", "body"}, pgx.CopyFromRows(rows)); err != nil {
		return 0, false, fmt.Errorf("store entries: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM corpus_versions WHERE version <= $1`, version-KeepVersions); err != nil {
		return 0, false, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, Channel, strconv.FormatInt(version, 10)); err != nil {
		return 0, false, err
	}
	return version, true, nil
}

// Load reads and checks the latest version; the corpus carries its
// version.
func (s *Store) Load(ctx context.Context) (*corpus.Corpus, error) {
	var version int64
	var fp string
	var buf bytes.Buffer
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT version, fingerprint FROM corpus_versions ORDER BY version DESC LIMIT 1`).Scan(&version, &fp)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoCorpus
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT body FROM corpus_policies WHERE version = $1 ORDER BY id`, version)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var body string
			if err := rows.Scan(&body); err != nil {
				return err
			}
			if strings.ContainsAny(body, "\n") {
				return fmt.Errorf("version %d: an entry holds a line break", version)
			}
			buf.WriteString(body)
			buf.WriteByte('\n')
		}
		return rows.Err()
	})
	if err != nil {
		if errors.Is(err, ErrNoCorpus) {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		return nil, fmt.Errorf("load corpus from %s: %w", s.name, err)
	}
	name := fmt.Sprintf("%s#v%d", s.name, version)
	file, probs, err := corpus.ReadJSONLEntries(ctx, name, &buf)
	if err != nil {
		return nil, err
	}
	// Entries and sites are stored with their places inline: nothing to
	// resolve. Versions stored before the registry get one rebuilt from
	// their resolved basis; versions stored before sites get the built-in
	// ones.
	ps := file.Policies
	probs = append(probs, corpus.Check(ps, nil, file.Documents)...)
	c := file.Corpus(fp)
	probs = append(probs, corpus.CheckSites(c.Sites, nil, ps)...)
	if len(probs) > 0 {
		return nil, &corpus.CheckError{Problems: probs}
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%s: version %d holds no entries", s.name, version)
	}
	c.Version = version
	return c, nil
}

// Listen calls notify with the latest version each time it (re)connects,
// and with the version each notification on Channel carries, until ctx
// ends. It keeps one connection of its own, reconnecting with a backoff
// from 100 ms doubling to 5 s; lost reports the error of a lost connection.
func (s *Store) Listen(ctx context.Context, notify func(version int64), lost func(error)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, notify, func() { backoff = 100 * time.Millisecond })
		if ctx.Err() != nil {
			return
		}
		if lost != nil {
			lost(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, notify func(int64), connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.Connect(cctx, s.url)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	var v int64
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM corpus_versions`).Scan(&v); err != nil {
		return err
	}
	connected()
	notify(v)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if v, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
			notify(v)
		}
	}
}
