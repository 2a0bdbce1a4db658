package corpus

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestJSONLRoundTrip(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, c); err != nil {
		t.Fatal(err)
	}
	registry := 0
	if len(c.Documents) > 0 {
		registry = 1 // the registry of documents, first
	}
	if n := strings.Count(buf.String(), "\n"); n != len(c.Policies)+registry {
		t.Fatalf("%d lines for %d entries and %d registry", n, len(c.Policies), registry)
	}
	path := filepath.Join(t.TempDir(), "policies.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	back, err := src.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Policies) != len(c.Policies) {
		t.Fatalf("read back %d of %d entries", len(back.Policies), len(c.Policies))
	}
	if len(back.Documents) != len(c.Documents) {
		t.Fatalf("read back %d of %d documents", len(back.Documents), len(c.Documents))
	}
	for i, p := range c.Policies {
		q := back.Policies[i]
		if p.ID != q.ID || p.Title != q.Title || !reflect.DeepEqual(p.Locations, q.Locations) || !reflect.DeepEqual(p.Basis, q.Basis) || !reflect.DeepEqual(p.Guide, q.Guide) {
			t.Fatalf("%s changed on the way through JSONL", p.ID)
		}
		if !reflect.DeepEqual(Describe(p.Eligible), Describe(q.Eligible)) {
			t.Errorf("%s: conditions %v became %v", p.ID, Describe(p.Eligible), Describe(q.Eligible))
		}
	}
}

func TestJSONLProblemsNameTheLine(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, NewCorpus(c.Policies[:3], "")); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	lines[1] = strings.Replace(lines[1], `"category":"`, `"category":"不存在的`, 1)
	lines = append(lines, "", "not json", `{"id":"x-y","title":`)
	path := filepath.Join(t.TempDir(), "bad.jsonl")
	os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644)
	_, err = JSONL(path).Load(context.Background())
	var ce *CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("Load = %v", err)
	}
	var all []string
	for _, p := range ce.Problems {
		all = append(all, p.String())
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{path + ":2: category", path + ":5: a line must be one JSON object", path + ":6:"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems:\n%s\nwant %q", got, want)
		}
	}
}

// TestDecodeJSONLReadsAsYAML checks that the fast reader of an index's own
// copy of its corpus gives what ReadJSONLEntries gives: the same entries,
// field for field (but the lines of their fields), and the same registry.
func TestDecodeJSONLReadsAsYAML(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A condition of every shape, values of every kind.
	c.Policies[0].Eligible = &Condition{All: []*Condition{
		{Field: "age", Op: OpGte, Values: []string{"60"}},
		{Any: []*Condition{{Field: "hukou", Op: OpIn, Values: []string{"本市户籍"}}, {Ask: "家里是否困难？"}}},
		{Field: "identity", Op: OpHas, Values: []string{"独居"}},
	}}
	// Sites of its own (the built-in ones are not written).
	extra := *c.Sites.List[len(c.Sites.List)-1]
	extra.ID, extra.Name = "test-street", "测试街道"
	c.Sites = NewSites(append(slices.Clone(c.Sites.List), &extra))
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, c); err != nil {
		t.Fatal(err)
	}
	slowFile, probs, err := ReadJSONLEntries(context.Background(), "x.jsonl", bytes.NewReader(buf.Bytes()))
	if err != nil || len(probs) > 0 {
		t.Fatal(err, probs)
	}
	fastFile, err := DecodeJSONL(context.Background(), "x.jsonl", bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	slow, slowDocs, fast, fastDocs := slowFile.Policies, slowFile.Documents, fastFile.Policies, fastFile.Documents
	if slowFile.Sites == nil || !reflect.DeepEqual(fastFile.Sites, slowFile.Sites) || len(fastFile.Sites.List) != len(c.Sites.List) {
		t.Error("the sites differ, or were not written")
	}
	if probs := append(Check(slow, nil, slowDocs), Check(fast, nil, fastDocs)...); len(probs) > 0 {
		t.Fatal(probs)
	}
	if len(fast) != len(slow) {
		t.Fatalf("%d entries, ReadJSONLEntries %d", len(fast), len(slow))
	}
	for i := range slow {
		s := *slow[i]
		s.lines = nil
		if !reflect.DeepEqual(fast[i], &s) {
			t.Errorf("entry %s:\n got %+v\nwant %+v", s.ID, fast[i], &s)
		}
	}
	if !reflect.DeepEqual(fastDocs, slowDocs) {
		t.Error("the registries differ")
	}
}

// TestDecodeJSONLRefusesWhatYAMLReads checks that what WriteJSONL does
// not write is an error for the fast reader, so that the caller reads the
// file as YAML.
func TestDecodeJSONLRefusesWhatYAMLReads(t *testing.T) {
	for _, line := range []string{
		`{"id":"a","title":"t","extra":1}`,
		`{"id":"a","eligibility":{"field":"age","op":"gte","value":{"x":1}}}`,
		`{"id":"a","eligibility":{"field":null,"op":"eq","value":"1"}}`,
		`{"id":"a","eligibility":{"all":null}}`,
		`{"id":"a","eligibility":{"what":1}}`,
		`{"id":"a","eligibility":[1]}`,
		`{"title":"no id"}`,
		`{"id":"a"} {"id":"b"}`,
		`id: a`,
	} {
		if _, err := DecodeJSONL(context.Background(), "x.jsonl", strings.NewReader(line+"\n")); err == nil {
			t.Errorf("%s: no error", line)
		}
	}
}
