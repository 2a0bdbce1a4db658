package search

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"

	"yicha/index"
)

// FieldBoosts weighs where a word is found: a match in the title or the
// keywords says more than one in the body text.
var FieldBoosts = map[string]float64{
	index.FieldTitle:    3,
	index.FieldKeywords: 2.5,
	index.FieldSummary:  1.5,
	index.FieldBasis:    1,
	index.FieldContent:  1,
	index.FieldGuide:    0.5,
}

// fillers are words of a question that say nothing about its subject
// (question words, politeness, pronouns). They are left out of the query
// unless nothing else is left. Negations (不, 没有) are kept.
var fillers = map[string]bool{
	"请问": true, "请": true, "问": true, "问一下": true, "一下": true, "你好": true, "您好": true, "谢谢": true,
	"怎么": true, "怎么样": true, "怎样": true, "如何": true, "什么": true, "啥": true, "哪里": true, "哪儿": true,
	"哪些": true, "哪个": true, "多少": true, "几": true, "吗": true, "呢": true, "吧": true, "啊": true, "呀": true,
	"的": true, "了": true, "地": true, "得": true, "着": true, "我": true, "我们": true, "你": true, "您": true,
	"他": true, "她": true, "可以": true, "可": true, "能": true, "能否": true, "能不能": true, "是否": true,
	"是不是": true, "有没有": true, "想": true, "要": true, "会": true, "是": true, "有": true, "在": true,
	"和": true, "与": true, "及": true, "或": true, "都": true, "也": true, "就": true, "还": true, "这": true,
	"那": true, "个": true, "一个": true, "这个": true, "那个": true, "给": true, "让": true, "该": true,
}

// QueryBuilder turns a person's words and filters into a bleve query. It
// never uses the query-string syntax: every word is a plain term.
type QueryBuilder struct {
	tok      analysis.Tokenizer
	fold     *index.Folder
	synonyms index.Synonyms
}

// SynonymBoost weighs a synonym of a word below the word itself.
const SynonymBoost = 0.7

// NewQueryBuilder returns a builder using the index's tokenizer and the
// embedded synonym groups; a synonym file with problems is an error.
func NewQueryBuilder() (*QueryBuilder, error) {
	tok, err := index.NewTokenizer()
	if err != nil {
		return nil, err
	}
	fold, err := index.NewFolder()
	if err != nil {
		return nil, err
	}
	syn, probs := index.LoadSynonyms(tok)
	if len(probs) > 0 {
		return nil, fmt.Errorf("synonyms: %s", probs[0])
	}
	return &QueryBuilder{tok: tok, fold: fold, synonyms: syn}, nil
}

// ageRE finds an age a person gives in a question: 「我70岁了」, 「75周岁」.
var ageRE = regexp.MustCompile(`(\d{1,3})\s*(?:周岁|岁)`)

// ElderlyAge is the age from which a question about oneself is taken to be
// about elderly people's policies.
const ElderlyAge = 60

// hints returns words a question implies without saying them: an age of 60
// or more points to the elderly.
func (b *QueryBuilder) hints(text string) []string {
	for _, m := range ageRE.FindAllStringSubmatch(b.fold.String(text), -1) {
		if n, err := strconv.Atoi(m[1]); err == nil && n >= ElderlyAge && n <= 130 {
			return []string{"老年人"}
		}
	}
	return nil
}

// Terms returns the distinct terms of a question that are searched for, in
// order of appearance.
func (b *QueryBuilder) Terms(text string) []string {
	var all, content []string
	for _, t := range b.tok.Tokenize([]byte(text)) {
		term := string(t.Term)
		if slices.Contains(all, term) {
			continue
		}
		all = append(all, term)
		if !fillers[term] {
			content = append(content, term)
		}
	}
	if len(content) == 0 {
		return all
	}
	for _, h := range b.hints(text) {
		if !slices.Contains(content, h) {
			content = append(content, h)
		}
	}
	return content
}

// Build returns the query for text and filters. Empty text with filters
// lists the filtered entries; empty text without filters lists everything.
func (b *QueryBuilder) Build(text string, f Filters) query.Query {
	var must []query.Query
	if terms := b.Terms(text); len(terms) > 0 {
		must = append(must, b.textQuery(terms))
	}
	must = append(must, filterQueries(f)...)
	switch len(must) {
	case 0:
		return query.NewMatchAllQuery()
	case 1:
		return must[0]
	}
	return query.NewConjunctionQuery(must)
}

func (b *QueryBuilder) textQuery(terms []string) query.Query {
	fields := make([]query.Query, 0, len(index.TextFields))
	for _, field := range index.TextFields {
		tq := make([]query.Query, 0, len(terms))
		for _, term := range terms {
			tq = append(tq, b.termQuery(field, term))
		}
		d := query.NewDisjunctionQuery(tq)
		d.SetBoost(FieldBoosts[field])
		fields = append(fields, d)
	}
	return query.NewDisjunctionQuery(fields)
}

// termQuery matches a term, or any word of its synonym group (weighed a
// little lower) in one field.
func (b *QueryBuilder) termQuery(field, term string) query.Query {
	q := query.NewTermQuery(term)
	q.SetField(field)
	syns := b.synonyms[term]
	if len(syns) == 0 {
		return q
	}
	alts := []query.Query{q}
	for _, s := range syns {
		sq := query.NewTermQuery(s)
		sq.SetField(field)
		sq.SetBoost(SynonymBoost)
		alts = append(alts, sq)
	}
	d := query.NewDisjunctionQuery(alts)
	d.SetMin(0)
	return d
}

func filterQueries(f Filters) []query.Query {
	var qs []query.Query
	add := func(field string, vals []string) {
		if len(vals) == 0 {
			return
		}
		alts := make([]query.Query, len(vals))
		for i, v := range vals {
			q := query.NewTermQuery(v)
			q.SetField(field)
			alts[i] = q
		}
		if len(alts) == 1 {
			qs = append(qs, alts[0])
			return
		}
		qs = append(qs, query.NewDisjunctionQuery(alts))
	}
	add(index.FieldCategory, f.Category)
	add(index.FieldKind, f.Kind)
	add(index.FieldAudience, f.Audience)
	add(index.FieldAgency, f.Agency)
	if f.Online {
		add(index.FieldOnline, []string{index.True})
	}
	if f.ExcludeExpired {
		add(index.FieldExpired, []string{index.False})
	}
	if f.Phrase != "" {
		var alts []query.Query
		for _, field := range []string{index.FieldTitle, index.FieldSummary, index.FieldContent, index.FieldBasis, index.FieldGuide} {
			q := query.NewMatchPhraseQuery(f.Phrase)
			q.SetField(field)
			alts = append(alts, q)
		}
		qs = append(qs, query.NewDisjunctionQuery(alts))
	}
	if f.Title != "" {
		q := query.NewMatchQuery(f.Title)
		q.SetField(index.FieldTitle)
		q.SetOperator(query.MatchQueryOperatorAnd)
		qs = append(qs, q)
	}
	if f.DocNumber != "" {
		q := query.NewPrefixQuery(index.NormalizeDocNumber(f.DocNumber))
		q.SetField(index.FieldBasisNumber)
		qs = append(qs, q)
	}
	return qs
}
