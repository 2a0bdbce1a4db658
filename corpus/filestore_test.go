package corpus_test

import (
	"os"
	"path/filepath"
	"testing"

	"yicha/corpus"
	"yicha/corpus/corpustest"
)

// TestFileStore runs the suite on the file store: a JSONL file rewritten
// in place, as an admin edits a corpus on disk.
func TestFileStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "corpus.jsonl")
	corpustest.StoreSuite(t, func(t *testing.T, jsonl []byte) corpus.Source {
		if err := os.WriteFile(path, jsonl, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := corpus.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		return src
	})
}
