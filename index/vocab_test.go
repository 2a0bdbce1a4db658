package index

import (
	"strings"
	"testing"
)

func TestEmbeddedSynonymsAreValid(t *testing.T) {
	probs, err := CheckVocabulary()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		t.Error(p)
	}
	tok, _ := NewTokenizer()
	syn, _ := LoadSynonyms(tok)
	for _, pair := range [][2]string{{"低保", "最低生活保障"}, {"老人", "长者"}, {"残疾", "残障"}, {"公租房", "公共租赁住房"}, {"医保", "医疗保险"}, {"退役军人", "退伍军人"}} {
		if !contains(syn[pair[0]], pair[1]) || !contains(syn[pair[1]], pair[0]) {
			t.Errorf("%s and %s are not synonyms both ways", pair[0], pair[1])
		}
	}
}

func TestSynonymProblems(t *testing.T) {
	tok, err := NewTokenizer()
	if err != nil {
		t.Fatal(err)
	}
	text := "低保 最低生活保障\n# comment\n残疾人 申请补贴表格\n公租房\n低保 救济\n長護險 长期护理保险\n"
	syn, probs := parseSynonyms("syn.txt", text, tok)
	want := []string{
		"syn.txt:3: 「申请补贴表格」 analyses to more than one token",
		"syn.txt:4: a synonym group needs at least two words",
		"syn.txt:5: 「低保」 is already in the group on line 1",
	}
	if len(probs) != len(want) {
		t.Fatalf("problems = %v", probs)
	}
	for i, w := range want {
		if !strings.HasPrefix(probs[i].String(), w) {
			t.Errorf("problem %d = %s, want %s…", i, probs[i], w)
		}
	}
	if _, ok := syn["残疾人"]; ok {
		t.Error("a group with a problem was kept")
	}
	if !contains(syn["长护险"], "长期护理保险") {
		t.Errorf("traditional spelling not folded: %v", syn)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
