package search

import (
	"context"
	"slices"
	"time"

	"yicha/corpus"
)

// EvalResult holds the quality of a run over a judged query set.
type EvalResult struct {
	Queries   int
	NDCG10    float64
	MRR10     float64
	Recall100 float64
	// ZeroResults counts queries that came back empty.
	ZeroResults int
	// Latencies holds each query's time, in query order.
	Latencies []time.Duration
}

// EvalDepth is how many hits are fetched per query.
const EvalDepth = 100

// Evaluate runs every judged query through Search, the same path as
// /api/search, and averages nDCG@10, MRR@10 and Recall@100. Queries
// without judgments are skipped, as BEIR does.
func (e *Engine) Evaluate(ctx context.Context, queries []corpus.BEIRQuery, qrels corpus.Qrels) (*EvalResult, error) {
	r := &EvalResult{}
	for _, q := range queries {
		judged := qrels[q.ID]
		if len(judged) == 0 {
			continue
		}
		start := time.Now()
		ranked, err := e.Rank(ctx, q.Text, EvalDepth)
		if err != nil {
			return nil, err
		}
		r.Latencies = append(r.Latencies, time.Since(start))
		if len(ranked) == 0 {
			r.ZeroResults++
		}
		r.Queries++
		r.NDCG10 += NDCG(ranked, judged, 10)
		r.MRR10 += MRR(ranked, judged, 10)
		r.Recall100 += Recall(ranked, judged, 100)
	}
	if r.Queries > 0 {
		n := float64(r.Queries)
		r.NDCG10 /= n
		r.MRR10 /= n
		r.Recall100 /= n
	}
	return r, nil
}

// Rank returns the ids of the first k entries a question finds, through
// Search: the path /api/search takes.
func (e *Engine) Rank(ctx context.Context, question string, k int) ([]string, error) {
	res, err := e.Search(ctx, Request{Query: question, Page: 1, Size: k, Sort: SortRelevance, rankOnly: true})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.Policy.ID
	}
	return ids, nil
}

// Percentile returns the p-th percentile (0–100) of the latencies.
func (r *EvalResult) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	slices.Sort(s)
	i := int(p / 100 * float64(len(s)-1))
	return s[i]
}
