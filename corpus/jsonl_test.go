package corpus

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
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
