package index

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/search/eval"
)

// stardCorpus reads the statute articles of ../shared/data/stard-lecoqa.
func stardCorpus(b testing.TB) *corpus.Corpus {
	b.Helper()
	f, err := os.Open(filepath.Join("..", "..", "shared", "data", "stard-lecoqa", "corpus.jsonl"))
	if err != nil {
		b.Skipf("shared data not available: %v", err)
	}
	defer f.Close()
	c, err := eval.ReadBEIRCorpus("stard", f)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func corpusText(c *corpus.Corpus) string {
	var sb strings.Builder
	for _, p := range c.Policies {
		sb.WriteString(strings.Join(Texts(p), "\n"))
		sb.WriteByte('\n')
	}
	return sb.String()
}

// BenchmarkSegment measures the word tokenizer's throughput (MB/s).
func BenchmarkSegment(b *testing.B) {
	tok, err := NewTokenizer()
	if err != nil {
		b.Fatal(err)
	}
	for _, set := range []struct {
		name string
		c    func(testing.TB) *corpus.Corpus
	}{{"default", embeddedCorpus}, {"stard", stardCorpus}} {
		b.Run(set.name, func(b *testing.B) {
			text := []byte(corpusText(set.c(b)))
			b.SetBytes(int64(len(text)))
			b.ResetTimer()
			for b.Loop() {
				tok.Tokenize(text)
			}
		})
	}
}

// BenchmarkBuild measures building a whole index on disk (docs/s).
func BenchmarkBuild(b *testing.B) {
	if _, err := NewAnalyzer(); err != nil {
		b.Fatal(err)
	}
	for _, set := range []struct {
		name string
		c    func(testing.TB) *corpus.Corpus
	}{{"default", embeddedCorpus}, {"stard", stardCorpus}} {
		b.Run(set.name, func(b *testing.B) {
			c := set.c(b)
			start := time.Now()
			n := 0
			for b.Loop() {
				idx, err := BuildAt(context.Background(), filepath.Join(b.TempDir(), "idx"), c, nil)
				if err != nil {
					b.Fatal(err)
				}
				idx.Close()
				n++
			}
			b.ReportMetric(float64(n*len(c.Policies))/time.Since(start).Seconds(), "docs/s")
		})
	}
}
