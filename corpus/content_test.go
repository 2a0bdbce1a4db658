package corpus

import (
	"context"
	"testing"
)

// TestCorpusContent checks the embedded corpus as residents need it: enough
// entries in every category, each with a basis, a guide and a place, enough
// that can be handled online, and no two entries saying the same thing.
func TestCorpusContent(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Policies); n < 75 {
		t.Errorf("%d entries, want at least 75", n)
	}
	perCategory := map[string]int{}
	perKind := map[string]int{}
	online := 0
	ids := map[string]bool{}
	for _, p := range c.Policies {
		if ids[p.ID] {
			t.Errorf("duplicate id %s", p.ID)
		}
		ids[p.ID] = true
		perCategory[p.Category]++
		perKind[p.Kind]++
		if len(p.Basis) == 0 || len(p.Guide.Steps) == 0 || len(p.Guide.Materials) == 0 || len(p.Guide.Eligibility) == 0 || len(p.Locations) == 0 {
			t.Errorf("%s lacks a basis, a guide or a place", p.ID)
		}
		if p.HasOnline() {
			if p.Online.URL != "" {
				if err := CheckOnlineURL(p.Online.URL); err != nil {
					t.Errorf("%s: %v", p.ID, err)
				}
			}
			online++
		}
		if p.Updated == "" {
			t.Errorf("%s has no date its facts were checked", p.ID)
		}
	}
	for _, cat := range Categories {
		if perCategory[cat] < 3 {
			t.Errorf("category %s has %d entries, want at least 3", cat, perCategory[cat])
		}
	}
	for _, k := range Kinds {
		if perKind[k] == 0 {
			t.Errorf("no entry of kind %s", k)
		}
	}
	if online < 16 {
		t.Errorf("%d entries can be handled online, want at least 16", online)
	}

	// Near-duplicates: the character bigrams of two entries' texts overlap
	// far less than two rewordings of one policy would.
	const maxSimilarity = 0.5
	grams := make([]map[string]bool, len(c.Policies))
	for i, p := range c.Policies {
		grams[i] = bigrams(p.Title + p.Summary + p.Content)
	}
	worst, wa, wb := 0.0, "", ""
	for i := range c.Policies {
		for j := i + 1; j < len(c.Policies); j++ {
			s := jaccard(grams[i], grams[j])
			if s > worst {
				worst, wa, wb = s, c.Policies[i].ID, c.Policies[j].ID
			}
			if s > maxSimilarity {
				t.Errorf("%s and %s are near-duplicates (similarity %.2f)", c.Policies[i].ID, c.Policies[j].ID, s)
			}
		}
	}
	t.Logf("%d entries, %d online, most similar pair %s / %s at %.2f", len(c.Policies), online, wa, wb, worst)
}

func bigrams(s string) map[string]bool {
	r := []rune(s)
	out := map[string]bool{}
	for i := 0; i+1 < len(r); i++ {
		out[string(r[i:i+2])] = true
	}
	return out
}

func jaccard(a, b map[string]bool) float64 {
	inter := 0
	for g := range a {
		if b[g] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func TestJaccardFindsRewordings(t *testing.T) {
	a := bigrams("本市户籍年满65周岁的老人可以按月领取老年综合津贴")
	b := bigrams("年满65周岁的本市户籍老人可以按月领取老年综合津贴")
	if s := jaccard(a, b); s < 0.5 {
		t.Errorf("a reworded sentence scores %.2f", s)
	}
	if s := jaccard(a, bigrams("失业人员可以申领失业保险金")); s > 0.2 {
		t.Errorf("unrelated sentences score %.2f", s)
	}
}
