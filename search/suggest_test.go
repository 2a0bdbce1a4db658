package search

import (
	"context"
	"slices"
	"strings"
	"testing"

	"yicha/corpus"
	"yicha/index"
)

// newTestSuggester builds a suggester over the embedded corpus and synonyms.
func newTestSuggester(t testing.TB) (*Suggester, *corpus.Corpus) {
	t.Helper()
	c, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := index.NewTokenizer()
	if err != nil {
		t.Fatal(err)
	}
	syn, probs := index.LoadSynonyms(tok)
	if len(probs) > 0 {
		t.Fatalf("synonyms: %v", probs)
	}
	fold, err := index.NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	return NewSuggester(c, syn, fold), c
}

func texts(ss []Suggestion) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Text
	}
	return out
}

func TestSuggest(t *testing.T) {
	s, _ := newTestSuggester(t)
	tests := []struct {
		name  string
		q     string
		first string   // the first suggestion, if set
		anyOf []string // at least one suggestion is one of these
		all   string   // every suggestion contains this
		none  bool     // no suggestion at all
	}{
		{name: "pinyin", q: "dibao", anyOf: []string{"低保", "最低生活保障"}},
		{name: "pinyin exact first", q: "dibao", first: "低保"},
		{name: "pinyin with space", q: "di bao", first: "低保"},
		{name: "pinyin with apostrophe", q: "di'bao", first: "低保"},
		{name: "pinyin prefix", q: "canji", all: "残疾"},
		{name: "initials", q: "gljt", first: "高龄津贴"},
		{name: "initials upper and full width", q: "ＧＬＪＴ", first: "高龄津贴"},
		{name: "chinese", q: "高龄", anyOf: []string{"高龄津贴"}, all: "高龄"},
		{name: "traditional", q: "殘疾", all: "残疾"},
		{name: "traditional exact", q: "高齡津貼", first: "高龄津贴"},
		{name: "digits kept", q: "65", anyOf: []string{"65岁补贴"}},
		{name: "no pinyin starts with v", q: "vvv", none: true},
		{name: "unknown han", q: "龘", none: true},
		{name: "blank", q: "  ", none: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Suggest(tt.q, 0)
			if tt.none {
				if got != nil {
					t.Fatalf("Suggest(%q) = %v, want nil", tt.q, got)
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("Suggest(%q) = nothing", tt.q)
			}
			if tt.first != "" && got[0].Text != tt.first {
				t.Errorf("Suggest(%q)[0] = %q, want %q (all: %v)", tt.q, got[0].Text, tt.first, texts(got))
			}
			if tt.anyOf != nil && !slices.ContainsFunc(got, func(x Suggestion) bool { return slices.Contains(tt.anyOf, x.Text) }) {
				t.Errorf("Suggest(%q) = %v, want one of %v", tt.q, texts(got), tt.anyOf)
			}
			for _, x := range got {
				if tt.all != "" && !strings.Contains(x.Text, tt.all) {
					t.Errorf("Suggest(%q) has %q, which lacks %q", tt.q, x.Text, tt.all)
				}
			}
		})
	}
}

func TestSuggestLimitAndShape(t *testing.T) {
	s, c := newTestSuggester(t)
	for _, q := range []string{"补贴", "b", "残", "canji", "lao", "服务"} {
		for _, limit := range []int{-1, 0, 1, 3, 20} {
			got := s.Suggest(q, limit)
			want := limit
			if limit <= 0 {
				want = DefaultSuggestLimit
			}
			if len(got) > want {
				t.Errorf("Suggest(%q, %d) gave %d", q, limit, len(got))
			}
			if len(got) < want && len(s.Suggest(q, 100)) >= want {
				t.Errorf("Suggest(%q, %d) gave only %d", q, limit, len(got))
			}
			seen := map[string]bool{}
			for _, x := range got {
				if seen[x.Text] {
					t.Errorf("Suggest(%q, %d) repeats %q", q, limit, x.Text)
				}
				seen[x.Text] = true
				if x.ID != "" {
					if p, ok := c.Get(x.ID); !ok || p.Title != x.Text {
						t.Errorf("Suggest(%q): %q has id %q, which is not its entry", q, x.Text, x.ID)
					}
				}
			}
		}
	}
	// Titles carry their entry's id.
	got := s.Suggest("残疾人证办理", 1)
	if len(got) != 1 || got[0].ID != "canjizheng-banli" {
		t.Errorf("Suggest(残疾人证办理) = %v, want the entry canjizheng-banli", got)
	}
}

func TestSuggestRanking(t *testing.T) {
	s, _ := newTestSuggester(t)
	// 低保 is a word, and inside the title 住房救助（低保、低收入、特困家庭）:
	// every prefix match comes before every infix one.
	got := s.Suggest("低保", 20)
	if len(got) == 0 || got[0].Text != "低保" {
		t.Fatalf("Suggest(低保) = %v, want 低保 first", texts(got))
	}
	infix := false
	for _, x := range got {
		prefix := strings.HasPrefix(x.Text, "低保")
		if infix && prefix {
			t.Errorf("prefix match %q after an infix match: %v", x.Text, texts(got))
		}
		infix = infix || !prefix
	}
	if !infix {
		t.Errorf("Suggest(低保, 20) = %v, want an infix match too", texts(got))
	}
	// Among prefix matches, titles come before other words.
	got = s.Suggest("残疾", 100)
	title, titles := true, 0
	for _, x := range got[1:] { // got[0] is the exact match
		if !strings.HasPrefix(x.Text, "残疾") {
			break
		}
		if x.ID != "" {
			titles++
			if !title {
				t.Errorf("title %q after a non-title: %v", x.Text, texts(got))
			}
		}
		title = x.ID != ""
	}
	if titles == 0 {
		t.Errorf("Suggest(残疾) = %v, want entry titles", texts(got))
	}
}

func TestSuggestDeterministic(t *testing.T) {
	a, _ := newTestSuggester(t)
	b, _ := newTestSuggester(t)
	for _, q := range []string{"补贴", "b", "zz", "残疾", "lao", "gl"} {
		want := a.Suggest(q, 20)
		for range 3 {
			if got := b.Suggest(q, 20); !slices.Equal(got, want) {
				t.Fatalf("Suggest(%q) = %v, then %v", q, want, got)
			}
		}
	}
}

func TestMatchPinyin(t *testing.T) {
	for _, tt := range []struct {
		in, q         string
		exact, prefix bool
	}{
		{"高龄津贴", "gaolingjintie", true, true},
		{"高龄津贴", "gljt", true, true},
		{"高龄津贴", "gaoling", false, true},
		{"高龄津贴", "gaol", false, true},
		{"65岁补贴", "65suibutie", true, true},
		{"65岁补贴", "65sbt", true, true},
		{"住房救助（低保）", "zfjzdb", true, true},
		{"长护险", "changhuxian", true, true},
		{"长护险", "zhanghu", false, true},
		{"高龄津贴", "gaolingx", false, false},
		{"高龄津贴", "jintie", false, false},
	} {
		exact, prefix := matchPinyin(syllablesOf(tt.in), tt.q)
		if exact != tt.exact || prefix != tt.prefix {
			t.Errorf("matchPinyin(%s, %q) = %v, %v; want %v, %v", tt.in, tt.q, exact, prefix, tt.exact, tt.prefix)
		}
	}
}

func BenchmarkSuggest(b *testing.B) {
	s, _ := newTestSuggester(b)
	for b.Loop() {
		s.Suggest("canji", 8)
		s.Suggest("残疾", 8)
	}
}

func TestSuggestAcceptsEveryReading(t *testing.T) {
	s, _ := newTestSuggester(t)
	for q, want := range map[string]string{"changhu": "长护险", "chx": "长护险", "zhanghu": "长护险"} {
		found := false
		for _, sg := range s.Suggest(q, 20) {
			if sg.Text == want {
				found = true
			}
		}
		if !found {
			t.Errorf("Suggest(%q) = %v, want %s among them", q, s.Suggest(q, 20), want)
		}
	}
}
