package sitestore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the Store in a PostgreSQL database shared by every replica.
// Its tables are named feedback_…, so it lives beside the corpus store in
// the same database. Every write is one transaction, committed before its
// method returns.
type Postgres struct {
	pool *pgxpool.Pool

	migrated atomic.Bool
}

var _ Store = (*Postgres)(nil)

// pgMigrations are the PostgreSQL schema, one step per version:
// pgMigrations[i] brings a database from version i to i+1, recorded in
// feedback_schema_version. Steps are only ever appended.
var pgMigrations = [][]string{
	{ // 1: the first schema
		`CREATE TABLE feedback_meta (key text PRIMARY KEY, value bytea NOT NULL)`,
		`CREATE TABLE feedback_votes (
			id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			policy_id text NOT NULL,
			category text NOT NULL,
			helpful boolean NOT NULL,
			created_at timestamptz NOT NULL
		)`,
		`CREATE TABLE feedback_reports (
			id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			policy_id text NOT NULL,
			category text NOT NULL,
			reason text NOT NULL,
			comment text NOT NULL DEFAULT '',
			state text NOT NULL DEFAULT 'new',
			note text NOT NULL DEFAULT '',
			created_at timestamptz NOT NULL,
			updated_at timestamptz NOT NULL,
			resolved_at timestamptz
		)`,
		`CREATE TABLE feedback_quota (key text PRIMARY KEY, day text NOT NULL, used integer NOT NULL)`,
		`CREATE INDEX feedback_votes_policy ON feedback_votes (policy_id)`,
		`CREATE INDEX feedback_reports_policy ON feedback_reports (policy_id)`,
		`CREATE INDEX feedback_reports_state ON feedback_reports (state, created_at)`,
		`CREATE INDEX feedback_quota_day ON feedback_quota (day)`,
	},
	{ // 2: the query log and admin sessions
		`CREATE TABLE site_query_counts (
			day text NOT NULL,
			question text NOT NULL,
			asked integer NOT NULL,
			unanswered integer NOT NULL,
			PRIMARY KEY (day, question)
		)`,
		`CREATE TABLE site_admin_sessions (
			id_hash text PRIMARY KEY,
			csrf text NOT NULL,
			admin text NOT NULL,
			created_at timestamptz NOT NULL,
			last_used timestamptz NOT NULL,
			expires_at timestamptz NOT NULL,
			idle_ms bigint NOT NULL
		)`,
	},
	{ // 3: the site each vote, report and question came from
		`ALTER TABLE feedback_votes ADD COLUMN site text NOT NULL DEFAULT ''`,
		`ALTER TABLE feedback_reports ADD COLUMN site text NOT NULL DEFAULT ''`,
		`ALTER TABLE site_query_counts ADD COLUMN site text NOT NULL DEFAULT ''`,
		`ALTER TABLE site_query_counts DROP CONSTRAINT site_query_counts_pkey`,
		`ALTER TABLE site_query_counts ADD PRIMARY KEY (day, site, question)`,
	},
}

// PostgresSchemaVersion is the version OpenPostgres brings a database to.
var PostgresSchemaVersion = len(pgMigrations)

// pgMigrationLock keys the advisory lock under which replicas starting
// together migrate one at a time (the corpus store uses another key).
const pgMigrationLock = 0x79696366 // "yicf"

// OpenPostgres connects to the database at url and migrates the feedback
// tables to PostgresSchemaVersion. A schema written by a newer version is
// refused rather than misread. A database that cannot be reached now
// (Unavailable) is no error: the store migrates on its first use that
// reaches it, and until then its methods fail as Unavailable, so a replica
// starts and serves searches during an outage.
func OpenPostgres(ctx context.Context, url string) (*Postgres, error) {
	s, err := NewPostgres(url)
	if err != nil {
		return nil, err
	}
	if err := s.ready(ctx); err != nil && !Unavailable(err) {
		s.Close()
		return nil, err
	}
	return s, nil
}

// NewPostgres is OpenPostgres without connecting: the first use connects
// and migrates.
func NewPostgres(url string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("feedback database url: %w", err)
	}
	if cfg.MaxConns > 8 {
		cfg.MaxConns = 8
	}
	// Every connection taken from the pool is checked first: after a
	// restart of the database the pooled ones are dead, and the first
	// request on each would fail. Residents' feedback is rare; the round
	// trip costs little.
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("feedback database: connect: %w", err)
	}
	return &Postgres{pool: pool}, nil
}

// connectTimeout bounds connecting when the URL sets no connect_timeout.
const connectTimeout = 5 * time.Second

// ready migrates the tables once; every method calls it first.
func (s *Postgres) ready(ctx context.Context) error {
	if s.migrated.Load() {
		return nil
	}
	if err := s.migrate(ctx); err != nil {
		return fmt.Errorf("feedback database: %w", err)
	}
	s.migrated.Store(true)
	return nil
}

func (s *Postgres) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS feedback_schema_version (version integer NOT NULL)`); err != nil {
			return err
		}
		var v int
		switch err := tx.QueryRow(ctx, `SELECT version FROM feedback_schema_version`).Scan(&v); {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO feedback_schema_version (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if v > len(pgMigrations) {
			return fmt.Errorf("feedback schema version %d is newer than this program's %d", v, len(pgMigrations))
		}
		if v == len(pgMigrations) {
			return nil
		}
		for i := v; i < len(pgMigrations); i++ {
			for _, stmt := range pgMigrations[i] {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %w", i+1, err)
				}
			}
		}
		_, err := tx.Exec(ctx, `UPDATE feedback_schema_version SET version = $1`, len(pgMigrations))
		return err
	})
}

// Version is the schema version of the feedback tables.
func (s *Postgres) Version(ctx context.Context) (int, error) {
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	var v int
	err := s.pool.QueryRow(ctx, `SELECT version FROM feedback_schema_version`).Scan(&v)
	return v, err
}

// Close closes the connections.
func (s *Postgres) Close() error {
	s.pool.Close()
	return nil
}

// Secret implements Store. The first replica to ask makes it; the others
// find the one it made.
func (s *Postgres) Secret(ctx context.Context) ([]byte, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	fresh := make([]byte, 32)
	rand.Read(fresh)
	if _, err := s.pool.Exec(ctx, `INSERT INTO feedback_meta (key, value) VALUES ('secret', $1) ON CONFLICT (key) DO NOTHING`, fresh); err != nil {
		return nil, err
	}
	var secret []byte
	if err := s.pool.QueryRow(ctx, `SELECT value FROM feedback_meta WHERE key = 'secret'`).Scan(&secret); err != nil {
		return nil, err
	}
	return secret, nil
}

// pgSpend counts one write against q inside tx; ErrLimit when q is used
// up. The counter row is taken and bumped in one statement (the row lock
// serializes writers of one key), so concurrent writers never overspend.
func pgSpend(ctx context.Context, tx pgx.Tx, q Quota) error {
	if q.Limit <= 0 {
		return nil
	}
	if q.Key == "" || q.Day == "" {
		return fmt.Errorf("%w: quota without key or day", ErrInvalid)
	}
	// Drop the counters of other days, skipping any another writer holds:
	// cleaning up never waits or deadlocks.
	if _, err := tx.Exec(ctx, `DELETE FROM feedback_quota WHERE key IN (
		SELECT key FROM feedback_quota WHERE day <> $1 FOR UPDATE SKIP LOCKED)`, q.Day); err != nil {
		return err
	}
	var used int
	err := tx.QueryRow(ctx, `INSERT INTO feedback_quota AS q (key, day, used) VALUES ($1, $2, 1)
		ON CONFLICT (key) DO UPDATE SET used = q.used + 1 WHERE q.used < $3
		RETURNING used`, q.Key, q.Day, q.Limit).Scan(&used)
	if errors.Is(err, pgx.ErrNoRows) {
		return &LimitError{Name: q.Name}
	}
	return err
}

// AddVote implements Store.
func (s *Postgres) AddVote(ctx context.Context, v Vote, qs ...Quota) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if err := v.Validate(); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range qs {
			if err := pgSpend(ctx, tx, q); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO feedback_votes (policy_id, category, helpful, created_at, site) VALUES ($1, $2, $3, $4, $5)`,
			v.PolicyID, v.Category, v.Helpful, v.At, v.Site)
		return err
	})
}

// AddReport implements Store.
func (s *Postgres) AddReport(ctx context.Context, r Report, qs ...Quota) (Report, error) {
	if err := s.ready(ctx); err != nil {
		return Report{}, err
	}
	if err := r.Validate(); err != nil {
		return Report{}, err
	}
	var out Report
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range qs {
			if err := pgSpend(ctx, tx, q); err != nil {
				return err
			}
		}
		var err error
		out, err = pgScanReport(tx.QueryRow(ctx, `INSERT INTO feedback_reports (policy_id, category, reason, comment, state, note, created_at, updated_at, site)
			VALUES ($1, $2, $3, $4, 'new', '', $5, $5, $6) RETURNING `+reportColumns,
			r.PolicyID, r.Category, string(r.Reason), r.Comment, r.CreatedAt, r.Site))
		return err
	})
	if err != nil {
		return Report{}, err
	}
	return out, nil
}

func pgScanReport(row pgx.Row) (Report, error) {
	var r Report
	var reason, state string
	var resolved *time.Time
	if err := row.Scan(&r.ID, &r.PolicyID, &r.Site, &r.Category, &reason, &r.Comment, &state, &r.Note, &r.CreatedAt, &r.UpdatedAt, &resolved); err != nil {
		return Report{}, err
	}
	r.Reason, r.State = Reason(reason), State(state)
	if resolved != nil {
		r.ResolvedAt = *resolved
	}
	return r, nil
}

// Report implements Store.
func (s *Postgres) Report(ctx context.Context, id int64) (Report, error) {
	if err := s.ready(ctx); err != nil {
		return Report{}, err
	}
	r, err := pgScanReport(s.pool.QueryRow(ctx, `SELECT `+reportColumns+` FROM feedback_reports WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Report{}, fmt.Errorf("report %d: %w", id, ErrNotFound)
	}
	return r, err
}

// Reports implements Store.
func (s *Postgres) Reports(ctx context.Context, f Filter) ([]Report, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	query := `SELECT ` + reportColumns + ` FROM feedback_reports WHERE true`
	var args []any
	if f.State != "" {
		args = append(args, string(f.State))
		query += fmt.Sprintf(` AND state = $%d`, len(args))
	}
	if f.PolicyID != "" {
		args = append(args, f.PolicyID)
		query += fmt.Sprintf(` AND policy_id = $%d`, len(args))
	}
	if f.Sites != nil {
		args = append(args, f.Sites)
		query += fmt.Sprintf(` AND site = ANY($%d)`, len(args))
	}
	var limit *int64 // NULL: no limit
	if f.Limit > 0 {
		l := int64(f.Limit)
		limit = &l
	}
	args = append(args, limit, int64(max(0, f.Offset)))
	query += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args))
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := pgScanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Update implements Store.
func (s *Postgres) Update(ctx context.Context, id int64, c Change, at time.Time) (Report, error) {
	if err := s.ready(ctx); err != nil {
		return Report{}, err
	}
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	var out Report
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = pgScanReport(tx.QueryRow(ctx, `UPDATE feedback_reports SET state = $1::text, note = $2, updated_at = $3::timestamptz,
			resolved_at = CASE WHEN $1::text = 'new' THEN NULL ELSE COALESCE(resolved_at, $3::timestamptz) END
			WHERE id = $4 RETURNING `+reportColumns, string(c.State), c.Note, at, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("report %d: %w", id, ErrNotFound)
		}
		return err
	})
	if err != nil {
		return Report{}, err
	}
	return out, nil
}

// Counts implements Store.
func (s *Postgres) Counts(ctx context.Context) ([]PolicyCounts, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	byID := map[string]*PolicyCounts{}
	var order []string
	get := func(id, cat string) *PolicyCounts {
		p := byID[id]
		if p == nil {
			p = &PolicyCounts{PolicyID: id, Category: cat, Reports: map[Reason]int{}}
			byID[id] = p
			order = append(order, id)
		}
		p.Category = cat // the latest category of a policy wins: it may have moved
		return p
	}
	// Both queries read one snapshot, so votes and reports agree.
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT policy_id, category, helpful, count(*) FROM feedback_votes
			GROUP BY policy_id, category, helpful ORDER BY max(created_at), max(id)`)
		if err != nil {
			return err
		}
		var id, cat string
		var helpful bool
		var n int
		if _, err := pgx.ForEachRow(rows, []any{&id, &cat, &helpful, &n}, func() error {
			p := get(id, cat)
			if helpful {
				p.Helpful += n
			} else {
				p.NotHelpful += n
			}
			return nil
		}); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT policy_id, category, reason, state = 'new', count(*) FROM feedback_reports
			GROUP BY policy_id, category, reason, state = 'new' ORDER BY max(created_at), max(id)`)
		if err != nil {
			return err
		}
		var reason string
		var open bool
		_, err = pgx.ForEachRow(rows, []any{&id, &cat, &reason, &open, &n}, func() error {
			p := get(id, cat)
			p.Reports[Reason(reason)] += n
			if open {
				p.Open += n
			}
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]PolicyCounts, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	SortCounts(out)
	return out, nil
}

// Summary implements Store.
func (s *Postgres) Summary(ctx context.Context, sites []string) ([]CategorySummary, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT category, state, created_at, resolved_at FROM feedback_reports WHERE $1::text[] IS NULL OR site = ANY($1)`, sites)
	if err != nil {
		return nil, err
	}
	var outcomes []Outcome
	var o Outcome
	var state string
	var resolved *time.Time
	if _, err := pgx.ForEachRow(rows, []any{&o.Category, &state, &o.CreatedAt, &resolved}, func() error {
		o.State, o.ResolvedAt = State(state), time.Time{}
		if resolved != nil {
			o.ResolvedAt = *resolved
		}
		outcomes = append(outcomes, o)
		return nil
	}); err != nil {
		return nil, err
	}
	return Summarize(outcomes), nil
}
