package entrystore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"yicha/corpus"
	"yicha/corpus/pgstore"
)

// Postgres is the Store in a PostgreSQL database shared by every replica,
// in tables of its own (entry_…). Every change is one transaction that
// also writes its audit record; changes to one entry are serialized by an
// advisory lock on it, and publishes by one on the store, so each is
// checked against the corpus it really publishes. With PushCorpus, the
// same transaction stores the published corpus as a new version of the
// replicas' corpus store (corpus/pgstore), which notifies them on commit.
type Postgres struct {
	pool *pgxpool.Pool
	name string
	// PushCorpus makes every seed, publish, rollback and retire push the
	// published corpus to the replicas' corpus store in its transaction.
	PushCorpus bool

	migrated atomic.Bool
}

var _ Store = (*Postgres)(nil)

// pgMigrations bring the schema from version i to i+1, recorded in
// entry_schema_version; steps are only ever appended.
var pgMigrations = [][]string{
	{
		`CREATE TABLE entry_support (name text PRIMARY KEY, body text NOT NULL)`,
		`CREATE TABLE entry_heads (id text PRIMARY KEY, revs integer NOT NULL DEFAULT 0)`,
		`CREATE TABLE entry_versions (
			id text NOT NULL REFERENCES entry_heads,
			version integer NOT NULL,
			action text NOT NULL,
			author text NOT NULL,
			at timestamptz NOT NULL,
			note text NOT NULL DEFAULT '',
			restored_from integer NOT NULL DEFAULT 0,
			body text NOT NULL,
			PRIMARY KEY (id, version)
		)`,
		`CREATE TABLE entry_drafts (
			id text PRIMARY KEY REFERENCES entry_heads,
			rev integer NOT NULL,
			base integer NOT NULL,
			author text NOT NULL,
			at timestamptz NOT NULL,
			note text NOT NULL DEFAULT '',
			review_by text,
			review_at timestamptz,
			review_note text NOT NULL DEFAULT '',
			body text NOT NULL
		)`,
		`CREATE TABLE entry_audit (
			seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			at timestamptz NOT NULL,
			admin text NOT NULL,
			action text NOT NULL,
			entry text NOT NULL DEFAULT '',
			version integer NOT NULL DEFAULT 0,
			detail text NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX entry_audit_entry ON entry_audit (entry, seq)`,
	},
}

// Advisory locks: the schema, the whole store (publishes) and one entry
// (key2 = hashtext(id)).
const (
	pgMigrationLock = 0x79696365 // "yice"
	pgStoreLock     = 0x79696373 // "yics"
	pgEntryLockNS   = 0x7969     // with hashtext(id)
)

// OpenPostgres connects to the database at url and migrates its tables.
func OpenPostgres(ctx context.Context, url string) (*Postgres, error) {
	s, err := NewPostgres(url)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// connectTimeout bounds connecting when the URL sets no connect_timeout.
const connectTimeout = 5 * time.Second

// NewPostgres returns the store in the database at url without connecting:
// Connect, or its first use, connects and migrates the tables, so that a
// server starts while the database is down.
func NewPostgres(url string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("entry store database url: %w", err)
	}
	if cfg.MaxConns > 8 {
		cfg.MaxConns = 8
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("entry store: connect: %w", err)
	}
	cc := cfg.ConnConfig
	return &Postgres{pool: pool, name: fmt.Sprintf("entry store postgres://%s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database)}, nil
}

// Connect connects and migrates the tables, once.
func (s *Postgres) Connect(ctx context.Context) error {
	if s.migrated.Load() {
		return nil
	}
	if err := s.migrate(ctx); err != nil {
		return fmt.Errorf("entry store: %w", err)
	}
	s.migrated.Store(true)
	return nil
}

func (s *Postgres) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS entry_schema_version (version integer NOT NULL)`); err != nil {
			return err
		}
		var v int
		switch err := tx.QueryRow(ctx, `SELECT version FROM entry_schema_version`).Scan(&v); {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO entry_schema_version (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if v > len(pgMigrations) {
			return fmt.Errorf("schema version %d is newer than this program's %d", v, len(pgMigrations))
		}
		for i := v; i < len(pgMigrations); i++ {
			for _, stmt := range pgMigrations[i] {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %w", i+1, err)
				}
			}
		}
		_, err := tx.Exec(ctx, `UPDATE entry_schema_version SET version = $1`, len(pgMigrations))
		return err
	})
}

// String names the database without its password.
func (s *Postgres) String() string { return s.name }

// Close closes the connections.
func (s *Postgres) Close() error { s.pool.Close(); return nil }

// Empty reports whether the store holds no entry.
func (s *Postgres) Empty(ctx context.Context) (bool, error) {
	if err := s.Connect(ctx); err != nil {
		return false, err
	}
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM entry_heads LIMIT 1) x`).Scan(&n)
	return n == 0, err
}

// Seed fills an empty store in one transaction.
func (s *Postgres) Seed(ctx context.Context, snap *Snapshot, by Change) error {
	if err := s.Connect(ctx); err != nil {
		return err
	}
	if err := by.valid(); err != nil {
		return err
	}
	for _, id := range snap.IDs() {
		if err := validID(id); err != nil {
			return err
		}
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgStoreLock); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM entry_heads`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrSeeded
		}
		for _, name := range snap.SupportNames() {
			if _, err := tx.Exec(ctx, `INSERT INTO entry_support (name, body) VALUES ($1, $2)`, name, string(snap.Support[name])); err != nil {
				return err
			}
		}
		heads := make([][]any, 0, len(snap.Entries))
		versions := make([][]any, 0, len(snap.Entries))
		for _, id := range snap.IDs() {
			heads = append(heads, []any{id, 0})
			versions = append(versions, []any{id, 1, ActionSeed, by.Author, utc(by.At), by.Note, string(snap.Entries[id])})
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"entry_heads"}, []string{"id", "revs"}, pgx.CopyFromRows(heads)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"entry_versions"}, []string{"id", "version", "action", "author", "at", "note", "body"}, pgx.CopyFromRows(versions)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO entry_audit (at, admin, action, detail) VALUES ($1, $2, $3, $4)`,
			utc(by.At), by.Author, ActionSeed, fmt.Sprintf("%d entries. %s", len(snap.Entries), by.Note)); err != nil {
			return err
		}
		if s.PushCorpus {
			c, err := snap.Corpus(ctx)
			if err != nil {
				return err
			}
			if _, _, err := pgstore.PushTx(ctx, tx, c, s.name+" (seed)"); err != nil {
				return err
			}
		}
		return nil
	})
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Snapshot returns the published corpus's files, read in one snapshot.
func (s *Postgres) Snapshot(ctx context.Context) (*Snapshot, error) {
	if err := s.Connect(ctx); err != nil {
		return nil, err
	}
	var snap *Snapshot
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		snap, err = snapshotPG(ctx, tx)
		return err
	})
	return snap, err
}

func snapshotPG(ctx context.Context, q querier) (*Snapshot, error) {
	snap := &Snapshot{Support: map[string][]byte{}, Entries: map[string][]byte{}}
	rows, err := q.Query(ctx, `SELECT name, body FROM entry_support`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, body string
		if err := rows.Scan(&name, &body); err != nil {
			return nil, err
		}
		snap.Support[name] = []byte(body)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT DISTINCT ON (id) id, action, body FROM entry_versions ORDER BY id, version DESC`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, action, body string
		if err := rows.Scan(&id, &action, &body); err != nil {
			return nil, err
		}
		if action != ActionRetire {
			snap.Entries[id] = []byte(body)
		}
	}
	return snap, rows.Err()
}

// List returns every entry by id, with the bodies of its current version
// and draft only.
func (s *Postgres) List(ctx context.Context) ([]*Entry, error) {
	if err := s.Connect(ctx); err != nil {
		return nil, err
	}
	var out []*Entry
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		out, err = loadEntries(ctx, tx, "", false)
		return err
	})
	return out, err
}

// Get returns one entry with every version.
func (s *Postgres) Get(ctx context.Context, id string) (*Entry, error) {
	if err := s.Connect(ctx); err != nil {
		return nil, err
	}
	es, err := loadEntries(ctx, s.pool, id, true)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return es[0], nil
}

// loadEntries reads one entry (id) or all; allBodies reads the bodies of
// old versions too.
func loadEntries(ctx context.Context, q querier, id string, allBodies bool) ([]*Entry, error) {
	byID := map[string]*Entry{}
	var out []*Entry
	rows, err := q.Query(ctx, `SELECT id, revs FROM entry_heads WHERE $1 = '' OR id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		e := &Entry{}
		if err := rows.Scan(&e.ID, &e.Revs); err != nil {
			return nil, err
		}
		byID[e.ID] = e
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT id, version, action, author, at, note, restored_from,
			CASE WHEN $2 OR version = (SELECT max(version) FROM entry_versions w WHERE w.id = v.id) THEN body ELSE '' END
		FROM entry_versions v WHERE $1 = '' OR id = $1 ORDER BY id, version`, id, allBodies)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var eid, body string
		var v Version
		if err := rows.Scan(&eid, &v.Number, &v.Action, &v.Author, &v.At, &v.Note, &v.From, &body); err != nil {
			return nil, err
		}
		if body != "" {
			v.Body = []byte(body)
		}
		if e := byID[eid]; e != nil {
			e.Versions = append(e.Versions, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.Query(ctx, `SELECT id, rev, base, author, at, note, review_by, review_at, review_note, body
		FROM entry_drafts WHERE $1 = '' OR id = $1`, id)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var eid, body, reviewNote string
		var reviewBy *string
		var reviewAt *time.Time
		d := &Draft{}
		if err := rows.Scan(&eid, &d.Rev, &d.Base, &d.Author, &d.At, &d.Note, &reviewBy, &reviewAt, &reviewNote, &body); err != nil {
			return nil, err
		}
		d.Body = []byte(body)
		if reviewBy != nil && reviewAt != nil {
			d.Review = &Review{By: *reviewBy, At: *reviewAt, Note: reviewNote}
		}
		if e := byID[eid]; e != nil {
			e.Draft = d
		}
	}
	return out, rows.Err()
}

// change applies op to an entry in one transaction, under the entry's
// lock (and the store's, for a publish): the corpus it would publish is
// checked, and with PushCorpus pushed; the entry's new state and the
// audit record are written.
func (s *Postgres) change(ctx context.Context, id string, by Change, check Check, op func(e *Entry) (*Entry, AuditRecord, error)) (*Entry, error) {
	if err := s.Connect(ctx); err != nil {
		return nil, err
	}
	if err := by.valid(); err != nil {
		return nil, err
	}
	if err := validID(id); err != nil {
		return nil, err
	}
	var out *Entry
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if check != nil {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgStoreLock); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, pgEntryLockNS, id); err != nil {
			return err
		}
		es, err := loadEntries(ctx, tx, id, true)
		if err != nil {
			return err
		}
		var cur *Entry
		if len(es) == 1 {
			cur = es[0]
		}
		next, rec, err := op(cur)
		if err != nil {
			return err
		}
		if check != nil {
			snap, err := snapshotPG(ctx, tx)
			if err != nil {
				return err
			}
			c, err := check(ctx, snap.apply(next))
			if err != nil {
				return err
			}
			if s.PushCorpus {
				origin := fmt.Sprintf("%s: %s %s v%d by %s", s.name, rec.Action, id, rec.Version, rec.Admin)
				if _, _, err := pgstore.PushTx(ctx, tx, c, origin); err != nil {
					return err
				}
			}
		}
		if err := writeEntry(ctx, tx, cur, next); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO entry_audit (at, admin, action, entry, version, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
			utc(rec.At), rec.Admin, rec.Action, rec.Entry, rec.Version, rec.Detail); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" { // unique violation: a racing new entry
			return nil, &ConflictError{Reason: "another admin created the entry at the same moment"}
		}
		return nil, err
	}
	return out, nil
}

// writeEntry stores what changed from cur to next: the head, new
// versions, the draft.
func writeEntry(ctx context.Context, tx pgx.Tx, cur, next *Entry) error {
	if _, err := tx.Exec(ctx, `INSERT INTO entry_heads (id, revs) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET revs = $2`, next.ID, next.Revs); err != nil {
		return err
	}
	have := 0
	if cur != nil {
		have = len(cur.Versions)
	}
	for _, v := range next.Versions[have:] {
		if _, err := tx.Exec(ctx, `INSERT INTO entry_versions (id, version, action, author, at, note, restored_from, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			next.ID, v.Number, v.Action, v.Author, utc(v.At), v.Note, v.From, string(v.Body)); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM entry_drafts WHERE id = $1`, next.ID); err != nil {
		return err
	}
	if d := next.Draft; d != nil {
		var by *string
		var at *time.Time
		note := ""
		if d.Review != nil {
			t := utc(d.Review.At)
			by, at, note = &d.Review.By, &t, d.Review.Note
		}
		if _, err := tx.Exec(ctx, `INSERT INTO entry_drafts (id, rev, base, author, at, note, review_by, review_at, review_note, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			next.ID, d.Rev, d.Base, d.Author, utc(d.At), d.Note, by, at, note, string(d.Body)); err != nil {
			return err
		}
	}
	return nil
}

// AddDocument adds a document to the registry in one transaction under
// the store's lock, with its audit record; with PushCorpus the corpus
// with it is pushed, so every replica serves it.
func (s *Postgres) AddDocument(ctx context.Context, doc *corpus.Document, by Change, check Check) error {
	return s.putSupport(ctx, corpus.DocumentsFile, "document "+doc.ID+" by "+by.Author, check, func(snap *Snapshot) (*Snapshot, AuditRecord, error) { return withDocument(snap, doc, by) })
}

// PutSupport replaces (or adds) an editable supporting file as
// AddDocument adds a document.
func (s *Postgres) PutSupport(ctx context.Context, name string, body []byte, by Change, check Check) error {
	return s.putSupport(ctx, name, name+" by "+by.Author, check, func(snap *Snapshot) (*Snapshot, AuditRecord, error) { return withSupport(snap, name, body, by) })
}

// putSupport stores the supporting file name as next makes it, in one
// transaction under the store's lock with its audit record, once check
// accepts the corpus with it (pushed with PushCorpus).
func (s *Postgres) putSupport(ctx context.Context, name, what string, check Check, next func(*Snapshot) (*Snapshot, AuditRecord, error)) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgStoreLock); err != nil {
			return err
		}
		snap, err := snapshotPG(ctx, tx)
		if err != nil {
			return err
		}
		snap, rec, err := next(snap)
		if err != nil {
			return err
		}
		if check != nil {
			c, err := check(ctx, snap)
			if err != nil {
				return err
			}
			if s.PushCorpus {
				if _, _, err := pgstore.PushTx(ctx, tx, c, fmt.Sprintf("%s: %s", s.name, what)); err != nil {
					return err
				}
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO entry_support (name, body) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET body = $2`,
			name, string(snap.Support[name])); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO entry_audit (at, admin, action, detail) VALUES ($1, $2, $3, $4)`, utc(rec.At), rec.Admin, rec.Action, rec.Detail)
		return err
	})
}

// SaveDraft stores body as the entry's draft.
func (s *Postgres) SaveDraft(ctx context.Context, id string, body []byte, exp Expect, by Change) (*Entry, error) {
	return s.change(ctx, id, by, nil, func(e *Entry) (*Entry, AuditRecord, error) { return opSave(e, id, body, exp, by) })
}

// RequestReview marks the draft as waiting for review.
func (s *Postgres) RequestReview(ctx context.Context, id string, exp Expect, by Change) (*Entry, error) {
	return s.change(ctx, id, by, nil, func(e *Entry) (*Entry, AuditRecord, error) { return opReview(e, exp, by) })
}

// Publish makes the draft the next version.
func (s *Postgres) Publish(ctx context.Context, id string, exp Expect, by Change, check Check) (*Entry, error) {
	return s.change(ctx, id, by, orLoad(check), func(e *Entry) (*Entry, AuditRecord, error) {
		return opPublish(e, ActionPublish, 0, exp, by)
	})
}

// Rollback publishes version to's body as the next version.
func (s *Postgres) Rollback(ctx context.Context, id string, to int, exp Expect, by Change, check Check) (*Entry, error) {
	return s.change(ctx, id, by, orLoad(check), func(e *Entry) (*Entry, AuditRecord, error) {
		return opPublish(e, ActionRollback, to, exp, by)
	})
}

// Retire withdraws the entry from search.
func (s *Postgres) Retire(ctx context.Context, id string, exp Expect, by Change, check Check) (*Entry, error) {
	return s.change(ctx, id, by, orLoad(check), func(e *Entry) (*Entry, AuditRecord, error) {
		return opPublish(e, ActionRetire, 0, exp, by)
	})
}

// orLoad makes sure a publish is checked: at least, its corpus loads.
func orLoad(check Check) Check {
	if check != nil {
		return check
	}
	return func(ctx context.Context, s *Snapshot) (*corpus.Corpus, error) { return s.Corpus(ctx) }
}

// Record adds an action that changes no entry to the audit log.
func (s *Postgres) Record(ctx context.Context, r AuditRecord) error {
	if err := s.Connect(ctx); err != nil {
		return err
	}
	if err := validRecord(r); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO entry_audit (at, admin, action, entry, version, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		utc(r.At), r.Admin, r.Action, r.Entry, r.Version, r.Detail)
	return err
}

// Audit lists the audit log, newest first.
func (s *Postgres) Audit(ctx context.Context, q AuditQuery) ([]AuditRecord, error) {
	if err := s.Connect(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, at, admin, action, entry, version, detail FROM entry_audit
		WHERE ($1 = 0 OR seq < $1) AND ($2 = '' OR entry = $2) ORDER BY seq DESC LIMIT $3`, q.Before, q.Entry, q.limit())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var r AuditRecord
		if err := rows.Scan(&r.Seq, &r.At, &r.Admin, &r.Action, &r.Entry, &r.Version, &r.Detail); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
