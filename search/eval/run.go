package eval

import (
	"context"
	"slices"
	"time"
)

// Ranker ranks the entries that answer a question: the ids of the first k.
// search.Engine.Rank is the production ranker.
type Ranker interface {
	Rank(ctx context.Context, question string, k int) ([]string, error)
}

// Result holds the quality of a run over a judged query set.
type Result struct {
	Queries   int
	NDCG10    float64
	MRR10     float64
	Recall100 float64
	// ZeroResults counts queries that came back empty.
	ZeroResults int
	// Latencies holds each query's time, in query order.
	Latencies []time.Duration
}

// Depth is how many hits are fetched per query.
const Depth = 100

// Run ranks every judged query with r and averages nDCG@10, MRR@10 and
// Recall@100. Queries without judgments are skipped, as BEIR does.
func Run(ctx context.Context, r Ranker, queries []BEIRQuery, qrels Qrels) (*Result, error) {
	res := &Result{}
	for _, q := range queries {
		judged := qrels[q.ID]
		if len(judged) == 0 {
			continue
		}
		start := time.Now()
		ranked, err := r.Rank(ctx, q.Text, Depth)
		if err != nil {
			return nil, err
		}
		res.Latencies = append(res.Latencies, time.Since(start))
		if len(ranked) == 0 {
			res.ZeroResults++
		}
		res.Queries++
		res.NDCG10 += NDCG(ranked, judged, 10)
		res.MRR10 += MRR(ranked, judged, 10)
		res.Recall100 += Recall(ranked, judged, 100)
	}
	if res.Queries > 0 {
		n := float64(res.Queries)
		res.NDCG10 /= n
		res.MRR10 /= n
		res.Recall100 /= n
	}
	return res, nil
}

// Percentile returns the p-th percentile (0–100) of the latencies.
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	slices.Sort(s)
	return s[int(p/100*float64(len(s)-1))]
}

// Mean returns the mean latency.
func (r *Result) Mean() time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range r.Latencies {
		sum += d
	}
	return sum / time.Duration(len(r.Latencies))
}
