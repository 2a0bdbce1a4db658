package search

import (
	"context"
	"regexp"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"yicha/index"
)

// docNumberRE finds a document number (文号) in a question normalised by
// index.NormalizeDocNumber: a bracketed year and a number (沪府办规[2021]12号),
// 第 and a number (国务院令第649号), or a bare number of three digits or more
// (649号). Two digits alone (12号) say too little, and are house numbers as
// often as not.
var docNumberRE = regexp.MustCompile(`\[\d{4}\]\d{1,5}号|第\d{1,6}号|\d{3,6}号`)

// docNumberIn returns the document number a question cites, normalised
// ("" for none).
func docNumberIn(question string) string {
	return docNumberRE.FindString(index.NormalizeDocNumber(question))
}

// docNumberQuery matches entries citing a document whose number holds
// number (normalised) anywhere, but not as the tail of a longer number:
// 649号 finds 国务院令第649号, not 第1649号.
func docNumberQuery(number string) query.Query {
	q := query.NewRegexpQuery(`(.*[^0-9])?` + regexp.QuoteMeta(number) + `.*`)
	q.SetField(index.FieldBasisNumber)
	return q
}

// MaxCited bounds how many entries citing a document a question lifts to
// the top.
const MaxCited = 100

// citing returns the ids of the entries whose basis cites number.
func citing(ctx context.Context, idx bleve.Index, number string) ([]string, error) {
	req := bleve.NewSearchRequestOptions(docNumberQuery(number), MaxCited, 0, false)
	res, err := idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}
