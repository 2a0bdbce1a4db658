package search

import "context"

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
