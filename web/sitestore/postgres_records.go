package sitestore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// RecordQueries implements Store.
func (s *Postgres) RecordQueries(ctx context.Context, day string, counts []QueryCount) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if err := validDay(day); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, c := range counts {
			q := Scrub(c.Query)
			if q == "" || c.Asked <= 0 {
				continue
			}
			if err := validSite(c.Site); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO site_query_counts AS c (day, site, question, asked, unanswered) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (day, site, question) DO UPDATE SET asked = c.asked + excluded.asked, unanswered = c.unanswered + excluded.unanswered`,
				day, c.Site, q, c.Asked, c.Unanswered); err != nil {
				return err
			}
		}
		return nil
	})
}

// TopQueries implements Store.
func (s *Postgres) TopQueries(ctx context.Context, since string, n int, sites []string) (asked, unanswered []QueryCount, err error) {
	if err := s.ready(ctx); err != nil {
		return nil, nil, err
	}
	if err := validDay(since); err != nil {
		return nil, nil, err
	}
	top := func(column string) ([]QueryCount, error) {
		rows, err := s.pool.Query(ctx, `SELECT question, sum(asked)::bigint, sum(unanswered)::bigint FROM site_query_counts
			WHERE day >= $1 AND ($3::text[] IS NULL OR site = ANY($3))
			GROUP BY question HAVING sum(`+column+`) > 0 ORDER BY sum(`+column+`) DESC, question COLLATE "C" LIMIT $2`, since, n, sites)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := []QueryCount{}
		for rows.Next() {
			var c QueryCount
			var a, u int64
			if err := rows.Scan(&c.Query, &a, &u); err != nil {
				return nil, err
			}
			c.Asked, c.Unanswered = int(a), int(u)
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
func (s *Postgres) ForgetQueries(ctx context.Context, before string) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if err := validDay(before); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM site_query_counts WHERE day < $1`, before)
	return err
}

// CreateSession implements Store.
func (s *Postgres) CreateSession(ctx context.Context, se Session) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if err := se.Validate(); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM site_admin_sessions WHERE expires_at <= $1`, se.Created); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO site_admin_sessions (id_hash, csrf, admin, created_at, last_used, expires_at, idle_ms)
			VALUES ($1, $2, $3, $4, $4, $5, $6)`, se.IDHash, se.CSRF, se.Admin, se.Created, se.Expires, se.IdleFor.Milliseconds())
		return err
	})
}

// UseSession implements Store.
func (s *Postgres) UseSession(ctx context.Context, idHash string, now time.Time) (Session, error) {
	if err := s.ready(ctx); err != nil {
		return Session{}, err
	}
	var se Session
	ended := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var idle int64
		err := tx.QueryRow(ctx, `SELECT csrf, admin, created_at, last_used, expires_at, idle_ms FROM site_admin_sessions
			WHERE id_hash = $1 FOR UPDATE`, idHash).Scan(&se.CSRF, &se.Admin, &se.Created, &se.LastUsed, &se.Expires, &idle)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		se.IDHash, se.IdleFor = idHash, time.Duration(idle)*time.Millisecond
		if se.expired(now) {
			if _, err := tx.Exec(ctx, `DELETE FROM site_admin_sessions WHERE id_hash = $1`, idHash); err != nil {
				return err
			}
			ended = true // committed, then reported as not found
			return nil
		}
		se.LastUsed = now
		_, err = tx.Exec(ctx, `UPDATE site_admin_sessions SET last_used = $1 WHERE id_hash = $2`, now, idHash)
		return err
	})
	if err == nil && ended {
		return Session{}, ErrNotFound
	}
	return se, err
}

// DeleteSession implements Store.
func (s *Postgres) DeleteSession(ctx context.Context, idHash string) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM site_admin_sessions WHERE id_hash = $1`, idHash)
	return err
}
