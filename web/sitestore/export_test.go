package sitestore

// Migrations exposes the schema steps to the tests.
func Migrations() [][]string { return migrations }

// Synchronous is the synchronous setting of the store's connection.
func Synchronous(s *SQLite) (int, error) {
	var v int
	err := s.db.QueryRow(`PRAGMA synchronous`).Scan(&v)
	return v, err
}
