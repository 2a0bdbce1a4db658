package entrystore_test

import (
	"testing"
	"time"

	"yicha/corpus/entrystore"
	"yicha/corpus/entrystore/entrystoretest"
)

func TestFiles(t *testing.T) {
	entrystoretest.TestStore(t, func(t *testing.T) (entrystore.Store, func() entrystore.Store) {
		dir := t.TempDir() + "/entries"
		s, err := entrystore.OpenFiles(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s, func() entrystore.Store {
			s, err := entrystore.OpenFiles(dir)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}

func corpusNow() time.Time { return time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC) }
