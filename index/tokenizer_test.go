package index

import (
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
)

type tok struct {
	term       string
	start, end int
	pos        int
}

func tokenize(t *testing.T, text string) []tok {
	t.Helper()
	tk, err := NewTokenizer()
	if err != nil {
		t.Fatal(err)
	}
	var out []tok
	for _, x := range tk.Tokenize([]byte(text)) {
		out = append(out, tok{string(x.Term), x.Start, x.End, x.Position})
	}
	return out
}

func TestTokenizerPolicySentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []tok
	}{
		{
			name: "policy term from the user dictionary, with its sub-words at the same position",
			in:   "申请最低生活保障",
			want: []tok{
				{"申请", 0, 6, 1},
				{"最低生活保障", 6, 24, 2}, {"最低", 6, 12, 2}, {"生活", 12, 18, 2}, {"保障", 18, 24, 2},
			},
		},
		{
			name: "traditional characters fold to simplified, offsets stay in the original",
			in:   "殘疾人兩項補貼怎麼申請？",
			want: []tok{
				{"残疾人两项补贴", 0, 21, 1}, {"残疾人", 0, 9, 1}, {"残疾", 0, 6, 1},
				{"两项补贴", 9, 21, 1}, {"两项", 9, 15, 1}, {"补贴", 15, 21, 1},
				{"怎么", 21, 27, 2},
				{"申请", 27, 33, 3},
			},
		},
		{
			name: "punctuation and spaces are dropped, numbers kept",
			in:   "本市户籍、年满65周岁的老年人。",
			want: []tok{
				{"本市", 0, 6, 1}, {"户籍", 6, 12, 2},
				{"年满", 15, 21, 3}, {"65", 21, 23, 4}, {"周岁", 23, 29, 5}, {"的", 29, 32, 6}, {"老年人", 32, 41, 7}, {"老年", 32, 38, 7},
			},
		},
		{
			name: "full-width letters and digits fold to ASCII lower case",
			in:   "ＡＢＣ医保１２３",
			want: []tok{{"abc", 0, 9, 1}, {"医保", 9, 15, 2}, {"123", 15, 24, 3}},
		},
		{
			name: "document number keeps its year and number",
			in:   "沪民规〔2024〕5号",
			want: []tok{{"沪", 0, 3, 1}, {"民", 3, 6, 2}, {"规", 6, 9, 3}, {"2024", 12, 16, 4}, {"5", 19, 20, 5}, {"号", 20, 23, 6}},
		},
		{
			name: "empty and punctuation-only input give no tokens",
			in:   "，。！？  ",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tokenize(t, tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("Tokenize(%q) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("token %d of %q = %+v, want %+v", i, tt.in, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestTokenizerOffsetsCoverOriginal checks on real sentences that every
// token's offsets cut, from the original text, the characters it came from.
func TestTokenizerOffsetsCoverOriginal(t *testing.T) {
	fold, err := NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		"老年綜合津貼按月發放，65至69周歲每人每月75元。",
		"失业人员可到社区事务受理服务中心办理失业登记，并申领失业保险金。",
		"重度殘疾人護理補貼（一級、二級）",
	} {
		tk, _ := NewTokenizer()
		for _, x := range tk.Tokenize([]byte(in)) {
			if x.Start < 0 || x.End > len(in) || x.Start >= x.End {
				t.Fatalf("%q: token %q has offsets %d-%d", in, x.Term, x.Start, x.End)
			}
			if got := fold.String(in[x.Start:x.End]); got != string(x.Term) {
				t.Errorf("%q: text at %d-%d folds to %q, token is %q", in, x.Start, x.End, got, x.Term)
			}
			if x.Type != analysis.Ideographic && x.Type != analysis.Numeric && x.Type != analysis.AlphaNumeric {
				t.Errorf("%q: token %q has type %v", in, x.Term, x.Type)
			}
		}
	}
}

func TestFolderTraditionalToSimplified(t *testing.T) {
	f, err := NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"殘疾人補貼":   "残疾人补贴",
		"長期護理保險":  "长期护理保险",
		"醫療保險":    "医疗保险",
		"ＡＢＣ　１２３": "abc 123",
		"退役軍人優待證": "退役军人优待证",
	} {
		if got := f.String(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzTokenizer(f *testing.F) {
	for _, s := range []string{"殘疾人兩項補貼怎麼申請？", "最低生活保障", "ＡＢＣ医保１２３", "\xff\xfe残疾", ""} {
		f.Add(s)
	}
	tk, err := NewTokenizer()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lastPos := 0
		for _, x := range tk.Tokenize([]byte(in)) {
			if x.Start < 0 || x.End > len(in) || x.Start >= x.End {
				t.Fatalf("token %q offsets %d-%d outside %d bytes", x.Term, x.Start, x.End, len(in))
			}
			if x.Position < lastPos || x.Position > lastPos+1 {
				t.Fatalf("token %q position %d after %d", x.Term, x.Position, lastPos)
			}
			lastPos = x.Position
			if len(x.Term) == 0 {
				t.Fatal("empty term")
			}
		}
	})
}
