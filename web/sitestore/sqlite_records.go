package sitestore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"
)

// RecordQueries implements Store.
func (s *SQLite) RecordQueries(ctx context.Context, day string, counts []QueryCount) error {
	if err := validDay(day); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, c := range counts {
			q := Scrub(c.Query)
			if q == "" || c.Asked <= 0 {
				continue
			}
			if err := validSite(c.Site); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO query_counts (day, site, question, asked, unanswered) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (day, site, question) DO UPDATE SET asked = asked + excluded.asked, unanswered = unanswered + excluded.unanswered`,
				day, c.Site, q, c.Asked, c.Unanswered); err != nil {
				return err
			}
		}
		return nil
	})
}

// TopQueries implements Store.
func (s *SQLite) TopQueries(ctx context.Context, since string, n int, sites []string) (asked, unanswered []QueryCount, err error) {
	if err := validDay(since); err != nil {
		return nil, nil, err
	}
	where, args := `day >= ?`, []any{since}
	if sites != nil {
		in, inArgs := sqliteIn(sites)
		where += ` AND site IN ` + in
		args = append(args, inArgs...)
	}
	top := func(column string) ([]QueryCount, error) {
		rows, err := s.db.QueryContext(ctx, `SELECT question, sum(asked), sum(unanswered) FROM query_counts WHERE `+where+`
			GROUP BY question HAVING sum(`+column+`) > 0 ORDER BY sum(`+column+`) DESC, question LIMIT ?`, append(slices.Clone(args), n)...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []QueryCount{}
		for rows.Next() {
			var c QueryCount
			if err := rows.Scan(&c.Query, &c.Asked, &c.Unanswered); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	if asked, err = top("asked"); err != nil {
		return nil, nil, err
	}
	unanswered, err = top("unanswered")
	return asked, unanswered, err
}

// ForgetQueries implements Store.
func (s *SQLite) ForgetQueries(ctx context.Context, before string) error {
	if err := validDay(before); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM query_counts WHERE day < ?`, before)
		return err
	})
}

// CreateSession implements Store.
func (s *SQLite) CreateSession(ctx context.Context, se Session) error {
	if err := se.Validate(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		// Ended sessions go as new ones come.
		if _, err := tx.ExecContext(ctx, `DELETE FROM admin_sessions WHERE expires_at <= ?`, se.Created.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO admin_sessions (id_hash, csrf, admin, created_at, last_used, expires_at, idle_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, se.IDHash, se.CSRF, se.Admin, se.Created.UnixMilli(), se.Created.UnixMilli(),
			se.Expires.UnixMilli(), se.IdleFor.Milliseconds())
		return err
	})
}

// UseSession implements Store.
func (s *SQLite) UseSession(ctx context.Context, idHash string, now time.Time) (Session, error) {
	var se Session
	ended := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var created, used, expires, idle int64
		err := tx.QueryRowContext(ctx, `SELECT csrf, admin, created_at, last_used, expires_at, idle_ms FROM admin_sessions WHERE id_hash = ?`,
			idHash).Scan(&se.CSRF, &se.Admin, &created, &used, &expires, &idle)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		se.IDHash = idHash
		se.Created, se.LastUsed, se.Expires = time.UnixMilli(created), time.UnixMilli(used), time.UnixMilli(expires)
		se.IdleFor = time.Duration(idle) * time.Millisecond
		if se.expired(now) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM admin_sessions WHERE id_hash = ?`, idHash); err != nil {
				return err
			}
			ended = true // committed, then reported as not found
			return nil
		}
		se.LastUsed = now
		_, err = tx.ExecContext(ctx, `UPDATE admin_sessions SET last_used = ? WHERE id_hash = ?`, now.UnixMilli(), idHash)
		return err
	})
	if err == nil && ended {
		return Session{}, ErrNotFound
	}
	return se, err
}

// DeleteSession implements Store.
func (s *SQLite) DeleteSession(ctx context.Context, idHash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM admin_sessions WHERE id_hash = ?`, idHash)
		return err
	})
}
