package search

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search/query"

	"yicha/index"
)

// Ranking holds the weights and BM25 parameters of the scoring. The
// defaults were chosen on the development halves of the evaluation sets
// (make eval); change them only with the figures.
type Ranking struct {
	// Head, Text and Bigram weigh a word's match in the title and
	// keywords, a word's match anywhere in the text, and a character
	// bigram's match in the text.
	Head, Text, Bigram float64
	// Unigram weighs a single character of the question found in the text.
	Unigram float64
	// MaxSecondaryDF leaves out secondary clauses (single characters) whose
	// term is in more than this share of the documents: they cost the most
	// postings and, being so common, hardly tell documents apart.
	MaxSecondaryDF float64
	// SubWord weighs a shorter word found inside a longer word of the
	// question, relative to the longer word.
	SubWord float64
	// Synonym weighs a synonym of a word relative to the word; Hint weighs
	// words a question implies (an age of 60 or more implies 老年人).
	Synonym, Hint float64
	// Params are the BM25 parameters of each scored field.
	Params map[string]BM25Params
}

// DefaultRanking is the production ranking.
var DefaultRanking = Ranking{
	Head: 0.5, Text: 1.0, Bigram: 0.7, Unigram: 0.6, MaxSecondaryDF: 0.1,
	SubWord: 0.5, Synonym: 0.7, Hint: 0.5,
	Params: map[string]BM25Params{
		index.FieldHead:    {K1: 1.2, B: 0.75},
		index.FieldText:    {K1: 1.2, B: 0.75},
		index.FieldBigram:  {K1: 1.2, B: 0.75},
		index.FieldUnigram: {K1: 2.0, B: 0.75},
	},
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
	"怎么办": true, "咋办": true, "咋": true, "谁": true, "何": true, "为什么": true, "么": true, "嘛": true,
	"可以吗": true, "行吗": true, "好吗": true, "请教": true, "想问": true, "想知道": true, "他们": true,
}

// lightWords say little on their own in a resident's message (the
// formulas of message boards, generic verbs); they count at LightWeight.
var lightWords = map[string]bool{
	"咨询": true, "请求": true, "希望": true, "关于": true, "问题": true, "反映": true, "建议": true, "了解": true,
	"知道": true, "需要": true, "办理": true, "申请": true, "相关": true, "有关": true, "情况": true, "事宜": true,
	"进行": true, "应当": true, "应该": true, "规定": true, "现在": true, "目前": true, "已经": true, "就是": true,
}

// LightWeight is the weight of a light word relative to other words.
const LightWeight = 0.3

// QueryBuilder turns a person's words and filters into a bleve query. It
// never uses the query-string syntax: every word is a plain term.
type QueryBuilder struct {
	tok      analysis.Tokenizer
	bigrams  analysis.Tokenizer
	unigrams analysis.Tokenizer
	fold     *index.Folder
	synonyms index.Synonyms
	ranking  Ranking
}

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
	bg, err := index.NewBigramTokenizer()
	if err != nil {
		return nil, err
	}
	syn, probs := index.LoadSynonyms(tok)
	if len(probs) > 0 {
		return nil, fmt.Errorf("synonyms: %s", probs[0])
	}
	ug := *bg
	ug.Unigrams = true
	return &QueryBuilder{tok: tok, bigrams: bg, unigrams: &ug, fold: fold, synonyms: syn, ranking: DefaultRanking}, nil
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

// Question is a person's question analysed once: its normalised text at
// once, and — on first need, and only once — its segmentation into words,
// character bigrams and single characters, with the words it implies. The
// query, the snippets and highlighting, the help when nothing is found, the
// answer cache's key and the query log all take it; nothing segments the
// question again. An answer served from the cache never segments it.
type Question struct {
	// Text is the question as searched: spaces collapsed, traditional
	// characters, full-width forms and letter case folded.
	Text string

	raw  string
	b    *QueryBuilder
	once sync.Once
	// words are the searched words, in order of appearance: fillers are
	// left out unless nothing else is left.
	words []qword
	// bigrams and unigrams are the character bigrams and the single
	// characters scored, each once, in order of appearance.
	bigrams, unigrams []string
	// hints are words the question implies (an age of 60 or more: 老年人).
	hints []string
	// docNumber is the document number (文号) the question cites, if any,
	// normalised: entries citing it come first.
	docNumber string
	// Spelled is the Chinese a question typed in pinyin stands for (dibao:
	// 低保), which is what is searched; "" when the question was not pinyin.
	Spelled string
}

// Terms returns the distinct searched words, in order of appearance: what
// snippets highlight and what the help offers to search one by one.
func (q *Question) Terms() []string {
	if q.Empty() {
		return nil
	}
	q.analyse()
	out := make([]string, len(q.words))
	for i, w := range q.words {
		out[i] = w.term
	}
	return out
}

// citedNumber returns the document number the question cites ("" for none).
func (q *Question) citedNumber() string {
	if q.Empty() {
		return ""
	}
	q.analyse()
	return q.docNumber
}

// Empty reports whether the question has nothing to search for.
func (q *Question) Empty() bool { return q == nil || q.Text == "" }

// qword is a searched word of a question; sub marks a shorter word found
// inside a longer one.
type qword struct {
	term string
	sub  bool
}

// Question returns the question of a text, normalised; its segmentation
// waits until something needs it.
func (b *QueryBuilder) Question(text string) *Question {
	return &Question{Text: b.fold.String(text), raw: text, b: b}
}

// Analyze returns the question of a text, segmented.
func (b *QueryBuilder) Analyze(text string) *Question {
	q := b.Question(text)
	q.analyse()
	return q
}

// analyse segments the question, once: one pass into words, one for
// bigrams and one for single characters.
func (q *Question) analyse() {
	q.once.Do(func() {
		if q.raw == "" {
			return
		}
		b, text := q.b, q.raw
		var all, content []qword
		seen := map[string]bool{}
		skip := map[string]bool{} // characters of fillers, not scored alone
		lastPos := -1
		for _, t := range b.tok.Tokenize([]byte(text)) {
			term := string(t.Term)
			sub := t.Position == lastPos
			lastPos = t.Position
			if fillers[term] {
				for _, r := range term {
					skip[string(r)] = true
				}
			}
			if seen[term] {
				continue
			}
			seen[term] = true
			w := qword{term, sub}
			all = append(all, w)
			if !fillers[term] {
				content = append(content, w)
			}
		}
		q.words = content
		if len(content) == 0 {
			q.words = all
		}
		for _, t := range b.unigrams.Tokenize([]byte(text)) {
			g := string(t.Term)
			if skip[g] || t.Type != analysis.Ideographic {
				continue
			}
			skip[g] = true
			q.unigrams = append(q.unigrams, g)
		}
		bgSeen := map[string]bool{}
		for _, t := range b.bigrams.Tokenize([]byte(text)) {
			g := string(t.Term)
			if bgSeen[g] || fillers[g] {
				continue
			}
			bgSeen[g] = true
			q.bigrams = append(q.bigrams, g)
		}
		q.hints = b.hints(q.Text)
		q.docNumber = docNumberIn(q.Text)
	})
}

// Terms returns the distinct terms of a question that are searched for, in
// order of appearance.
func (b *QueryBuilder) Terms(text string) []string { return b.Analyze(text).Terms() }

// Clauses returns the scored clauses of a question: each word in the
// head and text fields, its synonyms and the words it implies at lower
// weights, and its character bigrams.
func (b *QueryBuilder) Clauses(text string) []Clause { return b.clauses(b.Analyze(text)) }

func (b *QueryBuilder) clauses(q *Question) []Clause {
	q.analyse()
	rk := b.ranking
	var out []Clause
	seen := map[string]bool{}
	addWord := func(term string, w float64) {
		if seen[term] {
			return
		}
		seen[term] = true
		out = append(out, Clause{Field: index.FieldHead, Term: term, Weight: w * rk.Head}, Clause{Field: index.FieldText, Term: term, Weight: w * rk.Text})
	}
	for _, t := range q.words {
		w := 1.0
		if lightWords[t.term] {
			w = LightWeight
		}
		if t.sub {
			w *= rk.SubWord
		}
		addWord(t.term, w)
	}
	for _, t := range q.words {
		for _, s := range b.synonyms[t.term] {
			addWord(s, rk.Synonym)
		}
	}
	for _, h := range q.hints {
		addWord(h, rk.Hint)
	}
	if rk.Unigram > 0 {
		for _, g := range q.unigrams {
			out = append(out, Clause{Field: index.FieldUnigram, Term: g, Weight: rk.Unigram, Secondary: true})
		}
	}
	if rk.Bigram > 0 {
		for _, g := range q.bigrams {
			w := rk.Bigram
			if lightWords[g] {
				w *= LightWeight
			}
			out = append(out, Clause{Field: index.FieldBigram, Term: g, Weight: w})
		}
	}
	return out
}

// adjustments move entries in a ranking for what the time and the question
// say of them, beyond the words scored; they hold document numbers of a view.
type adjustments struct {
	// expired are the entries past their expiry date: they rank below
	// every current entry (and ExcludeExpired leaves them out).
	expired bitset
	// cited are the entries citing the document number the question
	// gives: they match, and rank above every other entry.
	cited bitset
	// said holds the entries whose keyword (or title) the question says
	// word for word, with the phrase's length: their scores are raised.
	said map[uint32]int
}

// textFilters returns the bleve queries of the filters on words: phrase,
// title and document number. The others are the entries' values, which
// the engine's view holds.
func textFilters(f Filters) []query.Query {
	var qs []query.Query
	if f.Phrase != "" {
		q := query.NewMatchPhraseQuery(f.Phrase)
		q.SetField(index.FieldText)
		qs = append(qs, q)
	}
	if f.Title != "" {
		q := query.NewMatchQuery(f.Title)
		q.SetField(index.FieldTitle)
		q.SetOperator(query.MatchQueryOperatorAnd)
		qs = append(qs, q)
	}
	if f.DocNumber != "" {
		qs = append(qs, docNumberQuery(index.NormalizeDocNumber(f.DocNumber)))
	}
	return qs
}
