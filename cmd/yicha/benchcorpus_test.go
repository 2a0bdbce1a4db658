package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"yicha/corpus"
	"yicha/corpus/corpustest"
)

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
	pool := corpustest.SharedTexts(tb, filepath.Join("..", "..", "..", "shared", "data"))
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
