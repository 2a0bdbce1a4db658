package search

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
)

// countingTokenizer counts how often each text is tokenized.
type countingTokenizer struct {
	analysis.Tokenizer
	mu     sync.Mutex
	counts map[string]int
}

func (c *countingTokenizer) Tokenize(in []byte) analysis.TokenStream {
	c.mu.Lock()
	c.counts[string(in)]++
	c.mu.Unlock()
	return c.Tokenizer.Tokenize(in)
}

func (c *countingTokenizer) take(text string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.counts[text]
	clear(c.counts)
	return n
}

// TestQuestionAnalysedOnce counts the segmentations of a question — into
// words, bigrams and single characters — per search: one of each, with or
// without a situation (which searches three groups), when nothing is
// found, and for ranking alone.
func TestQuestionAnalysedOnce(t *testing.T) {
	e := newEngine(t, embedded(t))
	words := &countingTokenizer{Tokenizer: e.query.tok, counts: map[string]int{}}
	bigrams := &countingTokenizer{Tokenizer: e.query.bigrams, counts: map[string]int{}}
	unigrams := &countingTokenizer{Tokenizer: e.query.unigrams, counts: map[string]int{}}
	e.query.tok, e.query.bigrams, e.query.unigrams = words, bigrams, unigrams

	const q = "我70岁了能领什么补贴"
	for _, params := range []string{
		"q=" + url.QueryEscape(q),
		"q=" + url.QueryEscape(q) + "&age=75&hukou=" + url.QueryEscape("本市户籍"),
		"q=" + url.QueryEscape(q) + "&category=" + url.QueryEscape("教育") + "&kind=" + url.QueryEscape("服务类"),
	} {
		v, _ := url.ParseQuery(params)
		r, err := e.ParseRequest(v)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Search(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Question.Terms()) == 0 {
			t.Errorf("%s: the request's question has no terms", params)
		}
		for name, c := range map[string]*countingTokenizer{"words": words, "bigrams": bigrams, "unigrams": unigrams} {
			if n := c.take(q); n != 1 {
				t.Errorf("%s (%d found): the question was split into %s %d times, want once", params, res.Total, name, n)
			}
		}
	}
	if _, err := e.Rank(context.Background(), q, 10); err != nil {
		t.Fatal(err)
	}
	if n := words.take(q); n != 1 {
		t.Errorf("Rank segmented the question %d times, want once", n)
	}
}
