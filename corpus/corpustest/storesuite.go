package corpustest

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"yicha/corpus"
)

// Put stores a corpus given as JSONL lines, unchecked, as the newest
// content of one store, and returns the source that reads it.
type Put func(t *testing.T, jsonl []byte) corpus.Source

// StoreSuite is the suite every corpus store passes: what is stored comes
// back whole, a new version replaces the old and changes the fingerprint,
// the same content keeps it, and a bad entry is refused with its problems.
func StoreSuite(t *testing.T, put Put) {
	ctx := context.Background()
	emb, err := corpus.Embedded().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := corpus.WriteJSONL(&buf, emb); err != nil {
		t.Fatal(err)
	}
	original := buf.Bytes()

	t.Run("round trip", func(t *testing.T) {
		c, err := put(t, original).Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Policies) != len(emb.Policies) {
			t.Fatalf("%d entries, want %d", len(c.Policies), len(emb.Policies))
		}
		for i, p := range emb.Policies {
			q := c.Policies[i]
			if p.ID != q.ID || p.Title != q.Title || p.Content != q.Content || !reflect.DeepEqual(p.Locations, q.Locations) ||
				!reflect.DeepEqual(p.Guide, q.Guide) || !reflect.DeepEqual(corpus.Describe(p.Eligible), corpus.Describe(q.Eligible)) {
				t.Fatalf("%s changed on the way through the store", p.ID)
			}
		}
		if c.Fingerprint == "" {
			t.Error("no fingerprint")
		}
	})

	t.Run("new version", func(t *testing.T) {
		src := put(t, original)
		before, err := src.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		again, err := put(t, original).Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.Fingerprint != before.Fingerprint {
			t.Errorf("the same content changed the fingerprint: %s → %s", before.Fingerprint, again.Fingerprint)
		}
		edited := bytes.Replace(original, []byte(`"title":"`+emb.Policies[0].Title+`"`), []byte(`"title":"改过的标题"`), 1)
		if bytes.Equal(edited, original) {
			t.Fatal("the edit did not apply")
		}
		after, err := put(t, edited).Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after.Fingerprint == before.Fingerprint {
			t.Error("a changed title kept the fingerprint")
		}
		if p, _ := after.Get(emb.Policies[0].ID); p == nil || p.Title != "改过的标题" {
			t.Errorf("the new title did not come back: %+v", p)
		}
	})

	t.Run("problems", func(t *testing.T) {
		bad := bytes.Replace(original, []byte(`"category":"`+emb.Policies[1].Category+`"`), []byte(`"category":"没有这个分类"`), 1)
		_, err := put(t, bad).Load(ctx)
		var ce *corpus.CheckError
		if !errors.As(err, &ce) {
			t.Fatalf("Load = %v, want a *corpus.CheckError", err)
		}
		if !strings.Contains(ce.Error(), "没有这个分类") {
			t.Errorf("the problem does not name the bad value: %v", ce)
		}
	})

	t.Run("sites", func(t *testing.T) {
		// Sites of its own come back with their places; a version without
		// them has the built-in ones.
		extra := *emb.Sites.List[len(emb.Sites.List)-1]
		extra.ID, extra.Name = "test-street", "测试街道"
		c := corpus.NewCorpus(emb.Policies, "")
		c.Documents = emb.Documents
		c.Sites = corpus.NewSites(append(append([]*corpus.Site{}, emb.Sites.List...), &extra))
		var withSites bytes.Buffer
		if err := corpus.WriteJSONL(&withSites, c); err != nil {
			t.Fatal(err)
		}
		back, err := put(t, withSites.Bytes()).Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := back.Sites.Get("test-street")
		if !ok || got.Name != "测试街道" || got.Parent != extra.Parent || !reflect.DeepEqual(got.Locations, extra.Locations) || len(got.Locations) == 0 {
			t.Fatalf("test-street came back as %+v", got)
		}
		if back, err = put(t, original).Load(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := back.Sites.Get("test-street"); ok || back.Sites.Default() == nil {
			t.Errorf("a version without sites has %d sites, test-street among them", len(back.Sites.List))
		}
	})

	t.Run("registry of documents", func(t *testing.T) {
		// One entry citing a document of the registry: both come back, the
		// basis resolved; without the registry line one is rebuilt.
		// As an export writes it: the basis item resolved.
		want := corpus.Basis{Document: "test-doc", Title: "测试文件", Number: "沪测〔2026〕1号", Issuer: "上海市人民政府",
			Date: "2026-02-01", Status: corpus.StatusRepealed, Articles: "第三条"}
		p := *emb.Policies[0]
		p.Basis = []corpus.Basis{want}
		doc := &corpus.Document{ID: "test-doc", Title: "测试文件", Number: "沪测〔2026〕1号", Issuer: "上海市人民政府",
			Adopted: "2026-01-01", Effective: "2026-02-01", Status: corpus.StatusRepealed, Successor: "test-new", URL: "https://www.shanghai.gov.cn/t"}
		next := &corpus.Document{ID: "test-new", Title: "新测试文件", Number: corpus.Unknown, Issuer: "上海市人民政府",
			Adopted: corpus.Unknown, Effective: "2026-06-01", Status: corpus.StatusInForce, URL: corpus.Unknown}
		var one bytes.Buffer
		if err := corpus.WriteJSONL(&one, &corpus.Corpus{Policies: []*corpus.Policy{&p}, Documents: corpus.Documents{"test-doc": doc, "test-new": next}}); err != nil {
			t.Fatal(err)
		}
		c, err := put(t, one.Bytes()).Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Documents) != 2 || c.Documents["test-new"] == nil || c.Documents["test-doc"].Successor != "test-new" {
			t.Fatalf("registry = %v", c.Documents)
		}
		if q, _ := c.Get(p.ID); q == nil || !reflect.DeepEqual(q.Basis, []corpus.Basis{want}) {
			t.Errorf("basis = %+v, want %+v", q.Basis, want)
		}
		old := one.Bytes()[bytes.IndexByte(one.Bytes(), '\n')+1:]
		c, err = put(t, old).Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d := c.Documents["test-doc"]; d == nil || d.Title != "测试文件" || d.Status != corpus.StatusRepealed || len(c.Documents) != 1 {
			t.Errorf("rebuilt registry = %v", c.Documents)
		}
	})
}
