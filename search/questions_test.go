package search

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"yicha/corpus/corpustest"
)

type question struct {
	Q    string `yaml:"q"`
	Want string `yaml:"want"`
}

func loadQuestions(t testing.TB) []question {
	t.Helper()
	files, err := filepath.Glob("testdata/questions/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no question files: %v", err)
	}
	var all []question
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var qs []question
		if err := yaml.Unmarshal(data, &qs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		all = append(all, qs...)
	}
	return all
}

// TestResidentQuestionsRankFirst runs the questions residents ask in their
// own words and wants the entry that answers each one at rank 1, at a
// moment when every entry is in force (TestExpiredEntriesAtTwoDates covers
// what expiry does to the ranking).
func TestResidentQuestionsRankFirst(t *testing.T) {
	c := embedded(t)
	e := newEngineAt(t, c, corpustest.NewClock(corpustest.InForce(t, c)).Now)
	qs := loadQuestions(t)
	if len(qs) < 40 {
		t.Fatalf("only %d questions; the table needs at least 40", len(qs))
	}
	failed := 0
	for _, q := range qs {
		if _, ok := c.Get(q.Want); !ok {
			t.Errorf("question %q wants unknown entry %q", q.Q, q.Want)
			continue
		}
		res, err := e.Search(context.Background(), Request{Query: q.Q, Page: 1, Size: 5, Sort: SortRelevance})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) == 0 || res.Hits[0].Policy.ID != q.Want {
			failed++
			t.Errorf("%q: got %v, want %s first", q.Q, ids(res), q.Want)
		}
	}
	t.Logf("%d of %d questions find their entry first", len(qs)-failed, len(qs))
}
