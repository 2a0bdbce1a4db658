package sitestore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver, registered as "sqlite"
)

// SQLite is the Store in an embedded SQLite database file. It writes in
// WAL mode with synchronous=FULL: a write is on disk when its method
// returns, and a crash loses nothing that was acknowledged.
type SQLite struct {
	db *sql.DB
}

var _ Store = (*SQLite)(nil)

// migrations are the schema, one step per version: migrations[i] brings a
// database from version i to i+1. Steps are only ever appended.
var migrations = [][]string{
	{ // 1: the first schema
		`CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)`,
		`CREATE TABLE votes (
			id INTEGER PRIMARY KEY,
			policy_id TEXT NOT NULL,
			category TEXT NOT NULL,
			helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
			created_at INTEGER NOT NULL
		)`,
		`CREATE TABLE reports (
			id INTEGER PRIMARY KEY,
			policy_id TEXT NOT NULL,
			category TEXT NOT NULL,
			reason TEXT NOT NULL,
			comment TEXT NOT NULL DEFAULT '',
			state TEXT NOT NULL DEFAULT 'new',
			note TEXT NOT NULL DEFAULT '',
			created_at INTEGER NOT NULL,
			updated_at INTEGER NOT NULL,
			resolved_at INTEGER
		)`,
		`CREATE TABLE quota (key TEXT PRIMARY KEY, day TEXT NOT NULL, used INTEGER NOT NULL)`,
	},
	{ // 2: indexes for the admin page and the queue
		`CREATE INDEX votes_policy ON votes (policy_id)`,
		`CREATE INDEX reports_policy ON reports (policy_id)`,
		`CREATE INDEX reports_state ON reports (state, created_at)`,
		`CREATE INDEX quota_day ON quota (day)`,
	},
	{ // 3: the query log and admin sessions
		`CREATE TABLE query_counts (
			day TEXT NOT NULL,
			question TEXT NOT NULL,
			asked INTEGER NOT NULL,
			unanswered INTEGER NOT NULL,
			PRIMARY KEY (day, question)
		)`,
		`CREATE TABLE admin_sessions (
			id_hash TEXT PRIMARY KEY,
			csrf TEXT NOT NULL,
			admin TEXT NOT NULL,
			created_at INTEGER NOT NULL,
			last_used INTEGER NOT NULL,
			expires_at INTEGER NOT NULL,
			idle_ms INTEGER NOT NULL
		)`,
	},
	{ // 4: the site each vote, report and question came from
		`ALTER TABLE votes ADD COLUMN site TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE reports ADD COLUMN site TEXT NOT NULL DEFAULT ''`,
		`CREATE TABLE query_counts_4 (
			day TEXT NOT NULL,
			site TEXT NOT NULL,
			question TEXT NOT NULL,
			asked INTEGER NOT NULL,
			unanswered INTEGER NOT NULL,
			PRIMARY KEY (day, site, question)
		)`,
		`INSERT INTO query_counts_4 (day, site, question, asked, unanswered) SELECT day, '', question, asked, unanswered FROM query_counts`,
		`DROP TABLE query_counts`,
		`ALTER TABLE query_counts_4 RENAME TO query_counts`,
	},
}

// SchemaVersion is the version OpenSQLite brings a database to.
var SchemaVersion = len(migrations)

// OpenSQLite opens the database file at path, creating it if need be, and
// migrates it to SchemaVersion. A database written by a newer version is
// refused rather than misread.
func OpenSQLite(path string) (*SQLite, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("feedback database path %q: must be a plain file name", path)
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate") // writers take the lock up front: no upgrade deadlocks
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &SQLite{db: db}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// Version is the schema version of the open database.
func (s *SQLite) Version(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	return v, err
}

func (s *SQLite) migrate(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
			return err
		}
		var v int
		switch err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if v > len(migrations) {
			return fmt.Errorf("feedback schema version %d is newer than this program's %d", v, len(migrations))
		}
		for i := v; i < len(migrations); i++ {
			for _, stmt := range migrations[i] {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %d: %w", i+1, err)
				}
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations))
		return err
	})
}

// tx runs f in a transaction and commits it: the write is durable when tx
// returns nil.
func (s *SQLite) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

// Secret implements Store.
func (s *SQLite) Secret(ctx context.Context) ([]byte, error) {
	var secret []byte
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'secret'`).Scan(&secret)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		secret = make([]byte, 32)
		rand.Read(secret)
		_, err = tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('secret', ?)`, secret)
		return err
	})
	return secret, err
}

// spend counts one write against q inside tx, dropping the counters of
// other days; ErrLimit when q is used up.
func spend(ctx context.Context, tx *sql.Tx, q Quota) error {
	if q.Limit <= 0 {
		return nil
	}
	if q.Key == "" || q.Day == "" {
		return fmt.Errorf("%w: quota without key or day", ErrInvalid)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM quota WHERE day <> ?`, q.Day); err != nil {
		return err
	}
	var used int
	err := tx.QueryRowContext(ctx, `SELECT used FROM quota WHERE key = ?`, q.Key).Scan(&used)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if used >= q.Limit {
		return &LimitError{Name: q.Name}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO quota (key, day, used) VALUES (?, ?, 1)
		ON CONFLICT (key) DO UPDATE SET used = used + 1`, q.Key, q.Day)
	return err
}

// AddVote implements Store.
func (s *SQLite) AddVote(ctx context.Context, v Vote, qs ...Quota) error {
	if err := v.Validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range qs {
			if err := spend(ctx, tx, q); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO votes (policy_id, site, category, helpful, created_at) VALUES (?, ?, ?, ?, ?)`,
			v.PolicyID, v.Site, v.Category, v.Helpful, v.At.UnixMilli())
		return err
	})
}

// AddReport implements Store.
func (s *SQLite) AddReport(ctx context.Context, r Report, qs ...Quota) (Report, error) {
	if err := r.Validate(); err != nil {
		return Report{}, err
	}
	r.State, r.Note, r.UpdatedAt, r.ResolvedAt = StateNew, "", r.CreatedAt, time.Time{}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range qs {
			if err := spend(ctx, tx, q); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO reports (policy_id, site, category, reason, comment, state, note, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, '', ?, ?)`,
			r.PolicyID, r.Site, r.Category, string(r.Reason), r.Comment, string(StateNew), r.CreatedAt.UnixMilli(), r.CreatedAt.UnixMilli())
		if err != nil {
			return err
		}
		r.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return Report{}, err
	}
	return s.Report(ctx, r.ID)
}

const reportColumns = `id, policy_id, site, category, reason, comment, state, note, created_at, updated_at, resolved_at`

type scanner interface{ Scan(dest ...any) error }

func scanReport(row scanner) (Report, error) {
	var r Report
	var reason, state string
	var created, updated int64
	var resolved sql.NullInt64
	if err := row.Scan(&r.ID, &r.PolicyID, &r.Site, &r.Category, &reason, &r.Comment, &state, &r.Note, &created, &updated, &resolved); err != nil {
		return Report{}, err
	}
	r.Reason, r.State = Reason(reason), State(state)
	r.CreatedAt, r.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	if resolved.Valid {
		r.ResolvedAt = time.UnixMilli(resolved.Int64)
	}
	return r, nil
}

// Report implements Store.
func (s *SQLite) Report(ctx context.Context, id int64) (Report, error) {
	r, err := scanReport(s.db.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, fmt.Errorf("report %d: %w", id, ErrNotFound)
	}
	return r, err
}

// Reports implements Store.
func (s *SQLite) Reports(ctx context.Context, f Filter) ([]Report, error) {
	query := `SELECT ` + reportColumns + ` FROM reports WHERE 1 = 1`
	var args []any
	if f.State != "" {
		query += ` AND state = ?`
		args = append(args, string(f.State))
	}
	if f.PolicyID != "" {
		query += ` AND policy_id = ?`
		args = append(args, f.PolicyID)
	}
	if f.Sites != nil {
		in, inArgs := sqliteIn(f.Sites)
		query += ` AND site IN ` + in
		args = append(args, inArgs...)
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = -1
	}
	args = append(args, limit, max(0, f.Offset))
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Update implements Store.
func (s *SQLite) Update(ctx context.Context, id int64, c Change, at time.Time) (Report, error) {
	if err := c.Validate(); err != nil {
		return Report{}, err
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE reports SET state = ?1, note = ?2, updated_at = ?3,
			resolved_at = CASE WHEN ?1 = 'new' THEN NULL ELSE COALESCE(resolved_at, ?3) END
			WHERE id = ?4`, string(c.State), c.Note, at.UnixMilli(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("report %d: %w", id, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	return s.Report(ctx, id)
}

// Counts implements Store.
func (s *SQLite) Counts(ctx context.Context) ([]PolicyCounts, error) {
	byID := map[string]*PolicyCounts{}
	var order []string
	get := func(id, cat string) *PolicyCounts {
		p := byID[id]
		if p == nil {
			p = &PolicyCounts{PolicyID: id, Category: cat, Reports: map[Reason]int{}}
			byID[id] = p
			order = append(order, id)
		}
		return p
	}
	// The latest category of a policy wins: it may have moved.
	rows, err := s.db.QueryContext(ctx, `SELECT policy_id, category, helpful, COUNT(*) FROM votes
		GROUP BY policy_id, category, helpful ORDER BY MAX(created_at)`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, cat string
		var helpful bool
		var n int
		if err := rows.Scan(&id, &cat, &helpful, &n); err != nil {
			rows.Close()
			return nil, err
		}
		p := get(id, cat)
		p.Category = cat
		if helpful {
			p.Helpful += n
		} else {
			p.NotHelpful += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT policy_id, category, reason, state = 'new', COUNT(*) FROM reports
		GROUP BY policy_id, category, reason, state = 'new' ORDER BY MAX(created_at)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, cat, reason string
		var open bool
		var n int
		if err := rows.Scan(&id, &cat, &reason, &open, &n); err != nil {
			return nil, err
		}
		p := get(id, cat)
		p.Category = cat
		p.Reports[Reason(reason)] += n
		if open {
			p.Open += n
		}
	}
	if err := rows.Err(); err != nil {
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
func (s *SQLite) Summary(ctx context.Context, sites []string) ([]CategorySummary, error) {
	query, args := `SELECT category, state, created_at, resolved_at FROM reports`, []any(nil)
	if sites != nil {
		in, inArgs := sqliteIn(sites)
		query, args = query+` WHERE site IN `+in, inArgs
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var outcomes []Outcome
	for rows.Next() {
		var o Outcome
		var state string
		var created int64
		var resolved sql.NullInt64
		if err := rows.Scan(&o.Category, &state, &created, &resolved); err != nil {
			return nil, err
		}
		o.State, o.CreatedAt = State(state), time.UnixMilli(created)
		if resolved.Valid {
			o.ResolvedAt = time.UnixMilli(resolved.Int64)
		}
		outcomes = append(outcomes, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return Summarize(outcomes), nil
}

// sqliteIn is an IN list of placeholders for vals, and its arguments; an
// empty list matches nothing.
func sqliteIn(vals []string) (string, []any) {
	if len(vals) == 0 {
		return "(NULL)", nil
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ") + ")", args
}
