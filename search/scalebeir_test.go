package search

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"yicha/corpus"
	"yicha/search/eval"
)

// scaleQuestions is how many questions `make bench-scale` asks.
const scaleQuestions = 1000

// scaleQuestionSet picks n of benchQuestions (message-board subjects, then
// the questions of stard-lecoqa and msgabench-gov-qa, each cut to
// MaxQueryRunes) at an even stride: question i·len/n for i < n, so every
// source is represented and the choice is the same on every run.
func scaleQuestionSet(tb testing.TB, n int) []eval.BEIRQuery {
	all := benchQuestions(tb)
	n = min(n, len(all))
	qs := make([]eval.BEIRQuery, n)
	for i := range qs {
		qs[i] = eval.BEIRQuery{ID: fmt.Sprintf("q%04d", i), Text: all[i*len(all)/n]}
	}
	return qs
}

// writeScaleBEIR writes scaleCorpus(docs) and scaleQuestionSet(questions)
// as a BEIR set in dir: corpus.jsonl (with the policy extension, so the
// entries read back with their categories, kinds, audiences and agencies
// for the facets), queries.jsonl and qrels.tsv. The judgments are
// placeholders — every question judges the first document relevant — since
// the set measures time, not quality; they only make every question count.
func writeScaleBEIR(tb testing.TB, dir string, docs, questions int) {
	tb.Helper()
	c := scaleCorpus(tb, docs)
	qs := scaleQuestionSet(tb, questions)
	ds := make([]eval.BEIRDoc, len(c.Policies))
	for i, p := range c.Policies {
		ds[i] = eval.DocOf(p)
	}
	qrels := eval.Qrels{}
	for _, q := range qs {
		qrels[q.ID] = map[string]int{ds[0].ID: 1}
	}
	write := func(name string, w func(*os.File) error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := w(f); err != nil {
			f.Close()
			tb.Fatalf("%s: %v", name, err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	write("corpus.jsonl", func(f *os.File) error { return eval.WriteBEIRCorpus(f, ds) })
	write("queries.jsonl", func(f *os.File) error { return eval.WriteBEIRQueries(f, qs) })
	write("qrels.tsv", func(f *os.File) error { return eval.WriteQrels(f, qrels) })
}

// TestWriteScaleBEIR writes the generated corpus and the questions of
// `make bench-scale` as a BEIR set, for yicha eval and the peer engines to
// time on the same files. It is a tool, not a check: it runs only with
// YICHA_SCALE_BEIR naming the directory to write to; YICHA_SCALE_DOCS
// (100000) and YICHA_SCALE_QUESTIONS (1000) say how many.
func TestWriteScaleBEIR(t *testing.T) {
	dir := os.Getenv("YICHA_SCALE_BEIR")
	if dir == "" {
		t.Skip("set YICHA_SCALE_BEIR to a directory to write the set to")
	}
	if _, err := os.Stat(shared); err != nil {
		t.Fatalf("the generator reads %s: %v", shared, err)
	}
	count := func(name string, def int) int {
		s := os.Getenv(name)
		if s == "" {
			return def
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive whole number", name, s)
		}
		return n
	}
	writeScaleBEIR(t, dir, count("YICHA_SCALE_DOCS", 100_000), count("YICHA_SCALE_QUESTIONS", scaleQuestions))
}

// TestScaleBEIRRoundTrip writes a small generated set and reads it back as
// yicha eval does: the same entries, the chosen questions, each judged.
func TestScaleBEIRRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeScaleBEIR(t, dir, 50, 20)
	c, qs, qrels := readBEIRDir(t, dir)
	want := scaleCorpus(t, 50)
	if len(c.Policies) != len(want.Policies) {
		t.Fatalf("read %d entries, want %d", len(c.Policies), len(want.Policies))
	}
	for i, got := range c.Policies {
		w := want.Policies[i]
		if got.ID != w.ID || got.Title != w.Title || got.Summary != w.Summary || got.Content != w.Content || got.Category != w.Category ||
			got.Kind != w.Kind || !reflect.DeepEqual(got.Audiences, w.Audiences) || got.Agency != w.Agency || got.Updated != w.Updated {
			t.Fatalf("entry %d read back as %+v, want %+v", i, got, w)
		}
	}
	if !reflect.DeepEqual(qs, scaleQuestionSet(t, 20)) {
		t.Errorf("questions read back as %v", qs)
	}
	all := benchQuestions(t)
	if qs[0].Text != all[0] || qs[19].Text != all[19*len(all)/20] {
		t.Errorf("questions are not taken at an even stride: first %q, last %q", qs[0].Text, qs[19].Text)
	}
	if got := qrels.Judged(qs); len(got) != len(qs) {
		t.Errorf("%d of %d questions judged, want all: the peer and yicha eval skip the others", len(got), len(qs))
	}
}

// readBEIRDir reads a BEIR set's corpus, queries and judgments from dir.
func readBEIRDir(tb testing.TB, dir string) (*corpus.Corpus, []eval.BEIRQuery, eval.Qrels) {
	tb.Helper()
	open := func(name string) *os.File {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { f.Close() })
		return f
	}
	c, err := eval.ReadBEIRCorpus("corpus.jsonl", open("corpus.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	qs, err := eval.ReadBEIRQueries("queries.jsonl", open("queries.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	qrels, err := eval.ReadQrels("qrels.tsv", open("qrels.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	return c, qs, qrels
}
