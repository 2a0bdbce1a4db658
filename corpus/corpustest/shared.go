package corpustest

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// JSONLTexts reads the named string fields of every line of a JSONL file,
// joined, one text a line; it skips the test when the file is not there
// (the shared data sits beside the repository).
func JSONLTexts(tb testing.TB, path string, fields ...string) []string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("shared data not available: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		s := ""
		for _, k := range fields {
			if v, ok := m[k].(string); ok {
				s += v
			}
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// SharedTexts reads the texts of the shared data directory dir that the
// scale benchmarks make documents of: statute articles, official answers,
// welfare law articles and residents' messages.
func SharedTexts(tb testing.TB, dir string) []string {
	tb.Helper()
	var pool []string
	pool = append(pool, JSONLTexts(tb, filepath.Join(dir, "stard-lecoqa", "corpus.jsonl"), "title", "text")...)
	pool = append(pool, JSONLTexts(tb, filepath.Join(dir, "msgabench-gov-qa", "corpus.jsonl"), "text")...)
	pool = append(pool, JSONLTexts(tb, filepath.Join(dir, "lawrefbook-welfare", "articles.jsonl"), "law", "text")...)
	pool = append(pool, JSONLTexts(tb, filepath.Join(dir, "resident-questions", "questions.jsonl"), "subject", "message")...)
	return pool
}
