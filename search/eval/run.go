package eval

import (
	"context"
	"fmt"
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
	Latencies Latencies
}

// Depth is how many hits are fetched per query.
const Depth = 100

// Judged returns the queries that have judgments, in order: those Run
// measures.
func (q Qrels) Judged(queries []BEIRQuery) []BEIRQuery {
	var out []BEIRQuery
	for _, x := range queries {
		if len(q[x.ID]) > 0 {
			out = append(out, x)
		}
	}
	return out
}

// Run ranks every judged query with r and averages nDCG@10, MRR@10 and
// Recall@100. Queries without judgments are skipped, as BEIR does.
func Run(ctx context.Context, r Ranker, queries []BEIRQuery, qrels Qrels) (*Result, error) {
	res := &Result{}
	for _, q := range qrels.Judged(queries) {
		judged := qrels[q.ID]
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
func (r *Result) Percentile(p float64) time.Duration { return r.Latencies.Percentile(p) }

// Mean returns the mean latency.
func (r *Result) Mean() time.Duration { return r.Latencies.Mean() }

// Latencies are the times questions took, one each.
type Latencies []time.Duration

// Percentile returns the p-th percentile (0–100): the time at rank
// p/100·(n−1), rounded down, of the times sorted, so that p=50 of an even
// count is the lower middle and p=100 the slowest. It is 0 without times.
func (l Latencies) Percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return s[int(p/100*float64(len(s)-1))]
}

// Mean returns the mean time, 0 without times.
func (l Latencies) Mean() time.Duration {
	if len(l) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range l {
		sum += d
	}
	return sum / time.Duration(len(l))
}

// Time asks every query in turn with ask and returns each one's time, in
// query order; it stops at the first error.
func Time(ctx context.Context, queries []BEIRQuery, ask func(ctx context.Context, question string) error) (Latencies, error) {
	lat := make(Latencies, 0, len(queries))
	for _, q := range queries {
		start := time.Now()
		if err := ask(ctx, q.Text); err != nil {
			return nil, fmt.Errorf("query %s: %w", q.ID, err)
		}
		lat = append(lat, time.Since(start))
	}
	return lat, nil
}
