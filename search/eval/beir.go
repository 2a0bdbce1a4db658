// Package eval measures search quality on judged question sets: it reads
// sets in the BEIR format (corpus, queries, graded judgments), runs every
// question through a ranker and averages nDCG@10, MRR@10 and Recall@100.
package eval

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"yicha/corpus"
)

// BEIRDoc is one line of a BEIR corpus.jsonl.
type BEIRDoc struct {
	ID    string `json:"_id"`
	Title string `json:"title"`
	Text  string `json:"text"`
	// Policy, an extension, carries the fields of an entry a BEIR document
	// has no place for, so that a generated corpus reads back as it was
	// made; other tools ignore it.
	Policy *BEIRPolicy `json:"policy,omitempty"`
}

// BEIRPolicy holds the fields of an entry beyond its id, title and
// content, named as in the policy's JSON.
type BEIRPolicy struct {
	Summary   string   `json:"summary,omitempty"`
	Category  string   `json:"category,omitempty"`
	Kind      string   `json:"kind,omitempty"`
	Audiences []string `json:"audiences,omitempty"`
	Agency    string   `json:"agency,omitempty"`
	Updated   string   `json:"updated,omitempty"`
}

// DocOf returns an entry as a BEIR document: its title, its content as the
// text, and the fields search filters and facets on as the Policy
// extension.
func DocOf(p *corpus.Policy) BEIRDoc {
	return BEIRDoc{ID: p.ID, Title: p.Title, Text: p.Content, Policy: &BEIRPolicy{
		Summary: p.Summary, Category: p.Category, Kind: p.Kind, Audiences: p.Audiences, Agency: p.Agency, Updated: p.Updated,
	}}
}

// ReadBEIRCorpus reads a BEIR corpus and maps each document onto the policy
// schema: the title becomes the title, the text the content and the
// summary its opening; a document with the Policy extension (DocOf) gives
// its summary, category, kind, audiences, agency and date too. The entries
// are for measuring search quality; they are not checked like a policy
// corpus.
func ReadBEIRCorpus(name string, r io.Reader) (*corpus.Corpus, error) {
	var ps []*corpus.Policy
	seen := map[string]bool{}
	err := readJSONL(name, r, func(line int, data []byte) error {
		var d BEIRDoc
		if err := json.Unmarshal(data, &d); err != nil {
			return err
		}
		if d.ID == "" {
			return fmt.Errorf("no _id")
		}
		if seen[d.ID] {
			return fmt.Errorf("_id %q appears twice", d.ID)
		}
		seen[d.ID] = true
		p := &corpus.Policy{ID: d.ID, Title: d.Title, Content: d.Text, Summary: opening(d.Text, 120), Updated: "2000-01-01"}
		if x := d.Policy; x != nil {
			p.Category, p.Kind, p.Audiences, p.Agency = x.Category, x.Kind, x.Audiences, x.Agency
			if x.Summary != "" {
				p.Summary = x.Summary
			}
			if x.Updated != "" {
				p.Updated = x.Updated
			}
		}
		ps = append(ps, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return corpus.NewCorpus(ps, ""), nil
}

func opening(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// BEIRQuery is one line of a BEIR queries.jsonl.
type BEIRQuery struct {
	ID   string `json:"_id"`
	Text string `json:"text"`
}

// ReadBEIRQueries reads a BEIR queries file.
func ReadBEIRQueries(name string, r io.Reader) ([]BEIRQuery, error) {
	var qs []BEIRQuery
	err := readJSONL(name, r, func(line int, data []byte) error {
		var q BEIRQuery
		if err := json.Unmarshal(data, &q); err != nil {
			return err
		}
		if q.ID == "" {
			return fmt.Errorf("no _id")
		}
		qs = append(qs, q)
		return nil
	})
	return qs, err
}

// Qrels maps a query id to the relevance grade of each judged document.
type Qrels map[string]map[string]int

// ReadQrels reads a BEIR qrels.tsv: a header line, then query-id, corpus-id
// and score separated by tabs.
func ReadQrels(name string, r io.Reader) (Qrels, error) {
	q := Qrels{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 && strings.HasPrefix(text, "query-id") || strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want 3 tab-separated fields, got %d", name, line, len(f))
		}
		score, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: score %q is not a whole number", name, line, f[2])
		}
		if q[f[0]] == nil {
			q[f[0]] = map[string]int{}
		}
		q[f[0]][f[1]] = score
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return q, nil
}

// WriteBEIRCorpus writes documents as a BEIR corpus.jsonl, one a line.
func WriteBEIRCorpus(w io.Writer, docs []BEIRDoc) error {
	return writeJSONL(w, docs)
}

// WriteBEIRQueries writes queries as a BEIR queries.jsonl, one a line.
func WriteBEIRQueries(w io.Writer, queries []BEIRQuery) error {
	return writeJSONL(w, queries)
}

// WriteQrels writes judgments as a BEIR qrels.tsv: the header, then one
// line per query and document, queries and documents in sorted order.
func WriteQrels(w io.Writer, q Qrels) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("query-id\tcorpus-id\tscore\n")
	for _, qid := range slices.Sorted(maps.Keys(q)) {
		for _, did := range slices.Sorted(maps.Keys(q[qid])) {
			fmt.Fprintf(bw, "%s\t%s\t%d\n", qid, did, q[qid][did])
		}
	}
	return bw.Flush()
}

func writeJSONL[T any](w io.Writer, items []T) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, x := range items {
		if err := enc.Encode(x); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// readJSONL calls fn for each non-empty line, naming the file and line in
// any error.
func readJSONL(name string, r io.Reader, fn func(line int, data []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		data := sc.Bytes()
		if len(strings.TrimSpace(string(data))) == 0 {
			continue
		}
		if err := fn(line, data); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
