package corpus

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"gopkg.in/yaml.v3"
)

const testPlaces = `
center:
  name: 欧阳路街道社区事务受理服务中心
  address: unknown
  hours: 周一至周五 9:00-17:00
  phone: unknown
`

const goodEntry = `title: 老年综合津贴
kind: 政策类
category: 养老服务
audiences: [老年人]
summary: 本市户籍65周岁以上老人按月领取津贴。
content: 按年龄分档发放。
basis:
  - title: 上海市老年综合津贴暂行办法
    number: unknown
    issuer: 上海市人民政府
    date: 2016-03-01
guide:
  eligibility: [本市户籍，年满65周岁]
  materials: [身份证]
  steps: [到受理中心申请]
  time_limit: 当场受理
  fee: 不收费
places: [center]
agency: 虹口区民政局
region: 上海市
updated: 2026-11-01
keywords: [老年津贴]
eligibility:
  all:
    - {field: age, op: gte, value: 65}
    - {field: hukou, op: eq, value: 本市户籍}
`

func load(t *testing.T, files map[string]string) (*Corpus, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return (&DirSource{FS: fsys, Name: "test", Prefix: "c"}).Load(context.Background())
}

func TestLoadGood(t *testing.T) {
	c, err := load(t, map[string]string{"places.yaml": testPlaces, "policies/laonian-jintie.yaml": goodEntry})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := c.Get("laonian-jintie")
	if !ok {
		t.Fatal("entry not found by its file name")
	}
	if len(p.Locations) != 1 || p.Locations[0].Name != "欧阳路街道社区事务受理服务中心" || p.Locations[0].Address != Unknown {
		t.Errorf("locations = %+v", p.Locations)
	}
	if p.Basis[0].Date != "2016-03-01" {
		t.Errorf("basis date = %q", p.Basis[0].Date)
	}
	if got := p.Eligible.All[0]; got.Field != "age" || got.Number != 65 || got.Line != 25 {
		t.Errorf("first condition = %+v", got)
	}
}

func TestLoadReportsFileAndLine(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want string
	}{
		{"unknown category", func(s string) string { return strings.Replace(s, "category: 养老服务", "category: 养老", 1) },
			`c/policies/x.yaml:3: category "养老" is not one of`},
		{"unknown field", func(s string) string { return s + "colour: red\n" },
			`c/policies/x.yaml:27: field colour not found`},
		{"yaml syntax", func(s string) string { return strings.Replace(s, "kind: 政策类", "kind: [政策类", 1) },
			`c/policies/x.yaml:`},
		{"unknown place", func(s string) string { return strings.Replace(s, "places: [center]", "places: [nowhere]", 1) },
			`c/policies/x.yaml:18: unknown place "nowhere"`},
		{"bad basis date", func(s string) string { return strings.Replace(s, "date: 2016-03-01", "date: 2016-3-1", 1) },
			`c/policies/x.yaml:11: basis[0].date "2016-3-1" is not a date`},
		{"missing steps", func(s string) string { return strings.Replace(s, "  steps: [到受理中心申请]\n", "", 1) },
			`guide.steps is empty`},
		{"unknown situation field", func(s string) string { return strings.Replace(s, "field: age", "field: height", 1) },
			`c/policies/x.yaml:25: unknown situation field "height"`},
		{"unknown option", func(s string) string { return strings.Replace(s, "value: 本市户籍", "value: 上海户口", 1) },
			`c/policies/x.yaml:26: value "上海户口" is not an option of hukou`},
		{"operator of another kind", func(s string) string { return strings.Replace(s, "op: gte", "op: has", 1) },
			`c/policies/x.yaml:25: operator "has" does not apply to field age`},
		{"online off the allowlist", func(s string) string {
			return s + "online:\n  url: https://example.com/apply\n  label: 一网通办\n"
		}, `c/policies/x.yaml:28: online url host "example.com" is not on the allowlist`},
		{"online over http", func(s string) string {
			return s + "online:\n  url: http://zwdt.sh.gov.cn/x\n  label: 一网通办\n"
		}, `must use https`},
		{"no eligibility", func(s string) string { return s[:strings.Index(s, "eligibility:\n  all")] },
			`eligibility conditions`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, map[string]string{"places.yaml": testPlaces, "policies/x.yaml": tt.edit(goodEntry)})
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want a CheckError", err)
			}
			var all []string
			for _, p := range ce.Problems {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", strings.Join(all, "\n"), tt.want)
			}
		})
	}
}

func TestLoadBadPlaces(t *testing.T) {
	_, err := load(t, map[string]string{
		"places.yaml":     "center:\n  name: 中心\n  address: \"\"\n  hours: unknown\n  phone: unknown\n",
		"policies/x.yaml": goodEntry,
	})
	var ce *CheckError
	if !errors.As(err, &ce) || !strings.Contains(ce.Problems[0].String(), "c/places.yaml:2: place center: address is empty") {
		t.Fatalf("Load = %v", err)
	}
}

func TestEmbeddedCorpusChecks(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Policies) == 0 {
		t.Fatal("embedded corpus is empty")
	}
	c2, _ := Embedded().Load(context.Background())
	if c.Fingerprint != c2.Fingerprint {
		t.Error("fingerprint differs between two loads of the same files")
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(goodEntry))
	f.Add([]byte("title: [\n"))
	f.Add([]byte("eligibility:\n  all:\n    - any: []\n"))
	f.Add([]byte("eligibility: {field: age, op: gte, value: [1, 2]}\n"))
	places, _ := ParsePlaces("places.yaml", []byte(testPlaces))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, probs := ParsePolicy("x.yaml", "x", data)
		for _, pr := range probs {
			if pr.Line < 1 {
				t.Fatalf("problem without a line: %v", pr)
			}
		}
		if p != nil {
			for _, pr := range Check([]*Policy{p}, places, nil) {
				if pr.Line < 1 || pr.File != "x.yaml" {
					t.Fatalf("bad problem position: %v", pr)
				}
			}
		}
	})
}

// TestLoadChecksCases: a directory's cases/ID.yaml are run against their
// entries as it loads; a case its entry does not meet, a situation that
// cannot be read and cases of no entry are problems at their file and
// line; cases that hold load, and do not change the fingerprint.
func TestLoadChecksCases(t *testing.T) {
	files := map[string]string{"places.yaml": testPlaces, "policies/laonian-jintie.yaml": goodEntry}
	plain, err := load(t, files)
	if err != nil {
		t.Fatal(err)
	}
	files["cases/laonian-jintie.yaml"] = "eligible:\n  - {age: 70, hukou: 本市户籍}\nineligible:\n  - {age: 60, hukou: 本市户籍}\n"
	good, err := load(t, files)
	if err != nil {
		t.Fatalf("cases that hold: %v", err)
	}
	if good.Fingerprint != plain.Fingerprint {
		t.Error("cases changed the fingerprint")
	}
	files["cases/laonian-jintie.yaml"] = "eligible:\n  - {age: 70, hukou: 本市户籍}\n  - {age: 64, hukou: 本市户籍}\nmaybe:\n  - {age: 200}\n"
	files["cases/qita.yaml"] = "eligible:\n  - {age: 70}\n"
	_, err = load(t, files)
	var ce *CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("failing cases: %v", err)
	}
	got := ce.Error()
	for _, want := range []string{
		"c/cases/laonian-jintie.yaml:3: eligible[1] (年龄 64 岁，户籍：本市户籍) must be 符合; the entry's eligibility gives 不符合",
		"c/cases/laonian-jintie.yaml:5: maybe[0]:",
		"c/cases/qita.yaml:1: cases of an entry the corpus does not hold",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if n := len(ce.Problems); n != 3 {
		t.Errorf("%d problems, want 3:\n%s", n, got)
	}
}

// TestCasesOfRoundTrip: cases written by CasesOf read back as the same
// list, in order.
func TestCasesOfRoundTrip(t *testing.T) {
	cs, ok, err := EmbeddedCases("dibao")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	list, err := cs.List()
	if err != nil {
		t.Fatal(err)
	}
	data, err := yaml.Marshal(CasesOf(list))
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCases(data)
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(list) {
		t.Fatalf("%d cases back, want %d", len(again), len(list))
	}
	for i := range list {
		if again[i].Expect != list[i].Expect || again[i].Situation.Query().Encode() != list[i].Situation.Query().Encode() {
			t.Errorf("case %d: %v back as %v", i, list[i], again[i])
		}
	}
}
