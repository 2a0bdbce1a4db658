package eval

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"yicha/corpus"
)

func TestBEIRRoundTrip(t *testing.T) {
	ps := []*corpus.Policy{
		{ID: "g000000", Title: "最低生活保障", Summary: "本市户籍困难家庭", Content: "最低生活保障<申请>\n本市户籍困难家庭 & 低保",
			Category: "社会救助", Kind: "政策类", Audiences: []string{"困难群众"}, Agency: "机构0", Updated: "2026-01-01"},
		{ID: "g000001", Title: "长护险", Content: "长期护理保险", Updated: "2026-01-01"},
	}
	var docs []BEIRDoc
	for _, p := range ps {
		docs = append(docs, DocOf(p))
	}
	var buf bytes.Buffer
	if err := WriteBEIRCorpus(&buf, docs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `\u003c`) || strings.Count(buf.String(), "\n") != 2 {
		t.Errorf("corpus.jsonl is not one plain line per document:\n%s", buf.String())
	}
	c, err := ReadBEIRCorpus("corpus.jsonl", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Policies) != len(ps) {
		t.Fatalf("read %d documents, want %d", len(c.Policies), len(ps))
	}
	for i, got := range c.Policies {
		want := ps[i]
		if got.ID != want.ID || got.Title != want.Title || got.Content != want.Content || got.Category != want.Category ||
			got.Kind != want.Kind || !reflect.DeepEqual(got.Audiences, want.Audiences) || got.Agency != want.Agency || got.Updated != want.Updated {
			t.Errorf("document %d read back as %+v, want %+v", i, got, want)
		}
	}
	if got := c.Policies[0].Summary; got != ps[0].Summary {
		t.Errorf("summary = %q, want the written one", got)
	}
	if got := c.Policies[1].Summary; got != "长期护理保险" {
		t.Errorf("summary without one written = %q, want the text's opening", got)
	}

	qs := []BEIRQuery{{ID: "q0000", Text: "低保怎么申请"}, {ID: "q0001", Text: "长护险 评估"}}
	buf.Reset()
	if err := WriteBEIRQueries(&buf, qs); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadBEIRQueries("queries.jsonl", &buf); err != nil || !reflect.DeepEqual(got, qs) {
		t.Errorf("queries read back as %v, %v; want %v", got, err, qs)
	}

	qrels := Qrels{"q0001": {"g000001": 1}, "q0000": {"g000001": 0, "g000000": 2}}
	buf.Reset()
	if err := WriteQrels(&buf, qrels); err != nil {
		t.Fatal(err)
	}
	want := "query-id\tcorpus-id\tscore\nq0000\tg000000\t2\nq0000\tg000001\t0\nq0001\tg000001\t1\n"
	if buf.String() != want {
		t.Errorf("qrels.tsv = %q, want %q", buf.String(), want)
	}
	if got, err := ReadQrels("qrels.tsv", &buf); err != nil || !reflect.DeepEqual(got, qrels) {
		t.Errorf("qrels read back as %v, %v", got, err)
	}
}

func TestReadBEIRCorpusWithoutExtension(t *testing.T) {
	c, err := ReadBEIRCorpus("corpus.jsonl", strings.NewReader(`{"_id": "d0", "title": "", "text": "遇到险情怎么办", "source": "x"}`+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Policies[0]
	if p.ID != "d0" || p.Content != "遇到险情怎么办" || p.Summary != "遇到险情怎么办" || p.Category != "" || p.Updated != "2000-01-01" {
		t.Errorf("plain BEIR document read as %+v", p)
	}
}
