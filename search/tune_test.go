package search

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"yicha/index"
	"yicha/search/eval"
)

// TestTuneRanking evaluates ranking variants side by side on the BEIR sets
// in ../shared/data. It is a measuring tool, not a check: it runs only with
// YICHA_TUNE set to a JSON list of rankings (fields of Ranking).
func TestTuneRanking(t *testing.T) {
	spec := os.Getenv("YICHA_TUNE")
	if spec == "" {
		t.Skip("set YICHA_TUNE to a JSON list of rankings to compare")
	}
	var variants []Ranking
	if err := json.Unmarshal([]byte(spec), &variants); err != nil {
		t.Fatal(err)
	}
	for _, set := range []string{"msgabench-gov-qa", "stard-lecoqa"} {
		dir := filepath.Join("..", "..", "shared", "data", set)
		c, qs, qrels := readBEIRDir(t, dir)
		idx, err := index.BuildAt(context.Background(), filepath.Join(t.TempDir(), "idx"), c, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer idx.Close()
		e, err := New(idx, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variants {
			if v.Params == nil {
				v.Params = DefaultRanking.Params
			}
			e.query.ranking = v
			r, err := eval.Run(context.Background(), e, qs, qrels)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-17s head=%.2f text=%.2f bigram=%.2f syn=%.2f params=%v  nDCG@10=%.4f MRR@10=%.4f R@100=%.4f",
				set, v.Head, v.Text, v.Bigram, v.Synonym, v.Params, r.NDCG10, r.MRR10, r.Recall100)
		}
	}
}
