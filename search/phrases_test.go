package search

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"yicha/corpus"
)

// sortedPhrases is p's lists, each in one order, without empty ones.
func sortedPhrases(p *phrases) map[rune][]phrase {
	out := map[rune][]phrase{}
	for r, list := range p.byFirst {
		if len(list) == 0 {
			continue
		}
		list = slices.Clone(list)
		slices.SortFunc(list, func(a, b phrase) int { return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.text, b.text)) })
		out[r] = list
	}
	return out
}

// TestPhrasesUpdate: the phrases updated with a corpus's changes are those
// of the new corpus, and the phrases before are left as they were.
func TestPhrasesUpdate(t *testing.T) {
	qb, err := NewQueryBuilder()
	if err != nil {
		t.Fatal(err)
	}
	old, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	changed := *old.Policies[0]
	changed.Title, changed.Keywords = "换了的标题", []string{"新的关键词", "最低生活保障"}
	added := *old.Policies[1]
	added.ID, added.Title = "zz-added", "新增的条目"
	ch := corpus.Changes{Changed: []*corpus.Policy{&changed, &added}, Deleted: []string{old.Policies[2].ID}}
	next := old.Apply(ch, "next", 0)

	before := newPhrases(old, qb.fold)
	want := sortedPhrases(before)
	got := before.update(old, ch, qb.fold)
	if !maps.EqualFunc(sortedPhrases(got), sortedPhrases(newPhrases(next, qb.fold)), slices.Equal) {
		t.Error("the updated phrases differ from those of the new corpus")
	}
	if !maps.EqualFunc(sortedPhrases(before), want, slices.Equal) {
		t.Error("updating changed the phrases before")
	}
	if ids := got.in("我想问新的关键词怎么办"); ids[changed.ID] == 0 {
		t.Errorf("the changed entry's new keyword finds %v", ids)
	}
}

// TestNewPhrasesAcrossCores: the phrases of a corpus large enough to be
// found on every core are those found entry by entry, each first
// character's in the entries' order.
func TestNewPhrasesAcrossCores(t *testing.T) {
	qb, err := NewQueryBuilder()
	if err != nil {
		t.Fatal(err)
	}
	emb, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ps []*corpus.Policy
	for i := 0; len(ps) < 2500; i++ {
		p := *emb.Policies[i%len(emb.Policies)]
		p.ID = fmt.Sprintf("%s-%d", p.ID, i)
		ps = append(ps, &p)
	}
	c := corpus.NewCorpus(ps, "")
	want := map[rune][]phrase{}
	for _, p := range c.Policies {
		eachPhrase(p, qb.fold, func(r rune, ph phrase) { want[r] = append(want[r], ph) })
	}
	if got := newPhrases(c, qb.fold); !maps.EqualFunc(got.byFirst, want, slices.Equal) {
		t.Error("the phrases found on every core differ from those found entry by entry")
	}
}
