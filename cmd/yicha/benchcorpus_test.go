package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"yicha/corpus"
)

// sharedTexts reads the texts of ../shared/data the search benchmarks
// index: regulations, government answers, law articles and residents'
// messages. It skips the test when the data is not there.
func sharedTexts(tb testing.TB) []string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data")
	var out []string
	for _, f := range []struct {
		file   string
		fields []string
	}{
		{"stard-lecoqa/corpus.jsonl", []string{"title", "text"}},
		{"msgabench-gov-qa/corpus.jsonl", []string{"text"}},
		{"lawrefbook-welfare/articles.jsonl", []string{"law", "text"}},
		{"resident-questions/questions.jsonl", []string{"subject", "message"}},
	} {
		fh, err := os.Open(filepath.Join(dir, f.file))
		if err != nil {
			tb.Skipf("shared data not available: %v", err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			s := ""
			for _, k := range f.fields {
				if v, ok := m[k].(string); ok {
					s += v
				}
			}
			if s != "" {
				out = append(out, s)
			}
		}
		fh.Close()
	}
	return out
}

// generatedCorpus returns n entries made from the embedded corpus's own:
// entry i copies the fields of an embedded entry (its basis, sources,
// guide and places, so that it passes every check a push runs) under the
// id ORIGINAL-gI, with its title, summary and content taken from the
// shared texts.
func generatedCorpus(tb testing.TB, n int) *corpus.Corpus {
	tb.Helper()
	emb, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	pool := sharedTexts(tb)
	runes := func(s string, n int) string {
		r := []rune(s)
		return string(r[:min(n, len(r))])
	}
	ps := make([]*corpus.Policy, n)
	for i := range ps {
		p := *emb.Policies[i%len(emb.Policies)]
		a, b := pool[i%len(pool)], pool[(i*7919+13)%len(pool)]
		p.ID = fmt.Sprintf("%s-g%06d", p.ID, i)
		p.Title = runes(a, 20) + fmt.Sprintf("（%d）", i)
		p.Summary = runes(b, 60)
		p.Content = runes(a+"\n"+b, 300)
		ps[i] = &p
	}
	c := corpus.NewCorpus(ps, "generated")
	c.Documents, c.Sites, c.Routing = emb.Documents, emb.Sites, emb.Routing
	return c
}
