package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"yicha/search/eval"
)

func TestPrintEval(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	res := &eval.Result{Queries: 4, ZeroResults: 1, NDCG10: 0.5, MRR10: 0.25, Recall100: 0.75, Latencies: eval.Latencies{ms(4), ms(1), ms(2), ms(3)}}
	var out bytes.Buffer
	printEval(&out, 1000, 2*time.Second, res, eval.Latencies{ms(10), ms(30), ms(20)})
	want := `index: 1000 documents in 2.00s (500 docs/s)
queries: 4 judged, 1 with no result, latency p50=2.00ms p99=3.00ms mean=2.50ms (ranking: the first 100 ids)
api: 3 questions, latency p50=20.00ms p99=20.00ms mean=20.00ms (as /api/search: a page of 10 with snippets and facets)
nDCG@10=0.5000 MRR@10=0.2500 Recall@100=0.7500
`
	if out.String() != want {
		t.Errorf("eval printed\n%s\nwant\n%s", out.String(), want)
	}
}

// TestEvalOnATinySet runs yicha eval on a BEIR set written to a temporary
// directory and checks the fields `make eval` and `make bench-scale` read.
func TestEvalOnATinySet(t *testing.T) {
	dir := t.TempDir()
	docs := []eval.BEIRDoc{
		{ID: "d0", Title: "最低生活保障", Text: "本市户籍困难家庭可以申请最低生活保障，到社区事务受理服务中心办理。"},
		{ID: "d1", Title: "长期护理保险", Text: "六十周岁以上的参保人员经评估失能等级二至六级，可以享受长期护理保险待遇。"},
		{ID: "d2", Title: "残疾人补贴", Text: "重度残疾人可以领取护理补贴，困难残疾人可以领取生活补贴。"},
	}
	queries := []eval.BEIRQuery{{ID: "q0", Text: "低保怎么申请"}, {ID: "q1", Text: "长护险"}, {ID: "q2", Text: "没有判断的问题"}}
	qrels := eval.Qrels{"q0": {"d0": 1}, "q1": {"d1": 1}}
	write := func(name string, w func(*bytes.Buffer) error) string {
		var b bytes.Buffer
		if err := w(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	c := write("corpus.jsonl", func(b *bytes.Buffer) error { return eval.WriteBEIRCorpus(b, docs) })
	q := write("queries.jsonl", func(b *bytes.Buffer) error { return eval.WriteBEIRQueries(b, queries) })
	r := write("qrels.tsv", func(b *bytes.Buffer) error { return eval.WriteQrels(b, qrels) })

	code, stdout, stderr := runCLI(t, "eval", "--corpus", c, "--queries", q, "--qrels", r, "--data", filepath.Join(dir, "data"))
	if code != 0 {
		t.Fatalf("eval = %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("eval printed %d lines, want 4:\n%s", len(lines), stdout)
	}
	for i, re := range []string{
		`^index: 3 documents in [0-9.]+s \([0-9]+ docs/s\)$`,
		`^queries: 2 judged, 0 with no result, latency p50=[0-9.]+ms p99=[0-9.]+ms mean=[0-9.]+ms \(ranking: the first 100 ids\)$`,
		`^api: 2 questions, latency p50=[0-9.]+ms p99=[0-9.]+ms mean=[0-9.]+ms \(as /api/search: a page of 10 with snippets and facets\)$`,
		`^nDCG@10=[0-9.]+ MRR@10=[0-9.]+ Recall@100=[0-9.]+$`,
	} {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d = %q, want it to match %s", i+1, lines[i], re)
		}
	}
	// make eval: the index time is the fifth field, less its "s".
	if f := strings.Fields(lines[0]); len(f) < 5 || !regexp.MustCompile(`^[0-9.]+s$`).MatchString(f[4]) {
		t.Errorf("the index line's fifth field is not the index time: %q", lines[0])
	}
}
