package entrystore

import (
	"fmt"
	"strings"
	"testing"
)

// diffText writes diffs compactly for comparison.
func diffText(ds []FieldDiff) string {
	var out []string
	for _, d := range ds {
		switch {
		case d.List:
			out = append(out, fmt.Sprintf("%s +%q -%q", d.Field, d.Added, d.Removed))
		default:
			from, to := "∅", "∅"
			if d.From != nil {
				from = *d.From
			}
			if d.To != nil {
				to = *d.To
			}
			out = append(out, fmt.Sprintf("%s %s→%s", d.Field, from, to))
		}
	}
	return strings.Join(out, "\n")
}

func TestCompareFields(t *testing.T) {
	const base = `title: 最低生活保障
category: 社会救助
audiences: [低收入家庭, 老年人]
guide:
  materials:
    - 身份证
    - 户口簿
  steps: [申请, 审核]
  fee: 免费
places: [hongkou-center]
eligibility:
  all:
    - {field: hukou, op: eq, value: 本市户籍}
`
	for _, c := range []struct {
		name     string
		from, to string
		nilFrom  bool
		want     string
	}{
		{name: "same", from: base, to: base, want: ""},
		{name: "a title", from: base, to: strings.Replace(base, "最低生活保障", "低保", 1), want: "title 最低生活保障→低保"},
		{name: "materials added and removed", from: base,
			to:   strings.Replace(base, "    - 户口簿\n", "    - 户口本\n    - 收入证明\n", 1),
			want: `guide.materials +["户口本" "收入证明"] -["户口簿"]`},
		{name: "order only", from: base, to: strings.Replace(base, "[申请, 审核]", "[审核, 申请]", 1), want: `guide.steps +[] -[]`},
		{name: "a field dropped and one added", from: base,
			to:   strings.Replace(strings.Replace(base, "  fee: 免费\n", "", 1), "category: 社会救助\n", "category: 社会救助\nbenefit: 按月发放\n", 1),
			want: "benefit ∅→按月发放\nguide.fee 免费→∅"},
		{name: "a rule", from: base, to: strings.Replace(base, "本市户籍", "非本市户籍", 1),
			want: "eligibility all: [field: hukou；op: eq；value: 本市户籍]→all: [field: hukou；op: eq；value: 非本市户籍]"},
		{name: "a place", from: base, to: strings.Replace(base, "[hongkou-center]", "[hongkou-center, jiaxing]", 1), want: `places +["jiaxing"] -[]`},
		{name: "repeats counted", from: base, to: strings.Replace(base, "[低收入家庭, 老年人]", "[低收入家庭]", 1), want: `audiences +[] -["老年人"]`},
		{name: "new entry", nilFrom: true, to: "title: 低保\nkeywords: [低保]\n", want: "title ∅→低保\nkeywords +[\"低保\"] -[]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var from []byte
			if !c.nilFrom {
				from = []byte(c.from)
			}
			got, err := CompareFields(from, []byte(c.to))
			if err != nil {
				t.Fatal(err)
			}
			if s := diffText(got); s != c.want {
				t.Errorf("got\n%s\nwant\n%s", s, c.want)
			}
		})
	}
	if _, err := CompareFields([]byte("- a list"), []byte(base)); err == nil {
		t.Error("a body that is not a mapping compared")
	}
}
