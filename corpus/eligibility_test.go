package corpus

import (
	"context"
	"math/rand"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func cond(t *testing.T, src string) *Condition {
	t.Helper()
	var c Condition
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	var probs []string
	c.check(func(line int, format string, args ...any) { probs = append(probs, format) })
	if len(probs) > 0 {
		t.Fatalf("condition problems: %v", probs)
	}
	return &c
}

func sit(t *testing.T, query string) Situation {
	t.Helper()
	v, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSituation(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEvaluateExplainsEachCondition(t *testing.T) {
	elderly := cond(t, "all:\n  - {field: age, op: gte, value: 70}\n  - {field: hukou, op: eq, value: 本市户籍}\n")
	tests := []struct {
		situation string
		want      Outcome
		reasons   []string
		missing   []string
	}{
		{"age=72&hukou=本市户籍", Eligible, []string{"年龄 72 岁，满足 70 周岁以上", "户籍：本市户籍，满足户籍为本市户籍"}, nil},
		{"age=72", Maybe, []string{"年龄 72 岁，满足 70 周岁以上", "需户籍为本市户籍：未填写"}, []string{"hukou"}},
		{"", Maybe, []string{"需年龄 70 周岁以上：未填写", "需户籍为本市户籍：未填写"}, []string{"age", "hukou"}},
		{"age=30&hukou=本市户籍", Ineligible, []string{"年龄 30 岁，不满足 70 周岁以上", "户籍：本市户籍，满足户籍为本市户籍"}, nil},
		{"hukou=非本市户籍", Ineligible, []string{"需年龄 70 周岁以上：未填写", "户籍：非本市户籍，不满足户籍为本市户籍"}, nil},
	}
	for _, tt := range tests {
		m := Evaluate(elderly, sit(t, tt.situation))
		if m.Outcome != tt.want {
			t.Errorf("%q: outcome %v, want %v", tt.situation, m.Outcome, tt.want)
		}
		var got []string
		for _, r := range m.Reasons {
			got = append(got, r.Text)
		}
		if strings.Join(got, "|") != strings.Join(tt.reasons, "|") {
			t.Errorf("%q: reasons %q, want %q", tt.situation, got, tt.reasons)
		}
		if strings.Join(m.Missing, ",") != strings.Join(tt.missing, ",") {
			t.Errorf("%q: missing %v, want %v", tt.situation, m.Missing, tt.missing)
		}
	}

	anyOf := cond(t, "any:\n  - {field: economic, op: in, value: [低保, 特困供养]}\n  - {field: identity, op: has, value: [独居, 失能或半失能]}\n")
	for situation, want := range map[string]Outcome{
		"economic=低保":               Eligible,
		"identity=独居":               Eligible,
		"economic=无":                Maybe,
		"economic=无&identity=无":     Ineligible,
		"economic=无&identity=孕产妇":   Ineligible,
		"identity=退役军人&identity=独居": Eligible,
	} {
		if got := Evaluate(anyOf, sit(t, situation)).Outcome; got != want {
			t.Errorf("any-of %q: %v, want %v", situation, got, want)
		}
	}
}

func TestParseSituationRejectsBadValues(t *testing.T) {
	for _, q := range []string{"age=abc", "age=-1", "age=200", "age=1&age=2", "hukou=上海", "hukou=本市户籍&hukou=非本市户籍", "identity=外星人", "identity=无&identity=独居", "disability=五级", "disability=无&disability_type=肢体残疾"} {
		v, _ := url.ParseQuery(q)
		if _, err := ParseSituation(v); err == nil {
			t.Errorf("ParseSituation(%s) accepted", q)
		}
	}
	s := sit(t, "q=低保&age=&page=2&residence=曲阳路街道")
	if s.Given("age") || !s.Given("residence") || len(s.Query()) != 1 {
		t.Errorf("situation = %v", s.Query())
	}
}

type cases struct {
	Eligible   []map[string]any `yaml:"eligible"`
	Ineligible []map[string]any `yaml:"ineligible"`
}

func situationOf(t *testing.T, m map[string]any) Situation {
	t.Helper()
	v := url.Values{}
	for k, x := range m {
		if _, ok := FieldByName(k); !ok {
			t.Fatalf("unknown field %q", k)
		}
		switch x := x.(type) {
		case []any:
			for _, y := range x {
				v.Add(k, toString(y))
			}
		default:
			v.Add(k, toString(x))
		}
	}
	s, err := ParseSituation(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func toString(x any) string {
	switch x := x.(type) {
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	}
	return ""
}

// TestEligibilityCases runs, for every corpus entry, the situations kept in
// corpus/cases/ID.yaml: each eligible one must meet every condition, each
// ineligible one must fail one.
func TestEligibilityCases(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("cases/*.yaml")
	if len(files) != len(c.Policies) {
		t.Errorf("%d case files for %d entries", len(files), len(c.Policies))
	}
	for _, p := range c.Policies {
		data, err := os.ReadFile(filepath.Join("cases", p.ID+".yaml"))
		if err != nil {
			t.Errorf("%s: no cases: %v", p.ID, err)
			continue
		}
		var cs cases
		if err := yaml.Unmarshal(data, &cs); err != nil {
			t.Fatalf("cases/%s.yaml: %v", p.ID, err)
		}
		if len(cs.Eligible) == 0 || len(cs.Ineligible) == 0 {
			t.Errorf("%s: want at least one eligible and one ineligible situation", p.ID)
		}
		for _, m := range cs.Eligible {
			if got := Evaluate(p.Eligible, situationOf(t, m)); got.Outcome != Eligible {
				t.Errorf("%s: %v is %v, want 符合: %v", p.ID, m, got.Outcome, got.Reasons)
			}
		}
		for _, m := range cs.Ineligible {
			if got := Evaluate(p.Eligible, situationOf(t, m)); got.Outcome != Ineligible {
				t.Errorf("%s: %v is %v, want 不符合: %v", p.ID, m, got.Outcome, got.Reasons)
			}
		}
	}
}

// randomValue picks a valid value for a field.
func randomValue(r *rand.Rand, f Field) []string {
	switch f.Kind {
	case KindNumber:
		return []string{strconv.Itoa(r.Intn(100))}
	case KindSet:
		if r.Intn(4) == 0 {
			return []string{NoneOption}
		}
		n := 1 + r.Intn(2)
		var out []string
		for i := 0; i < n; i++ {
			v := f.Options[r.Intn(len(f.Options))]
			if !strings.Contains(strings.Join(out, ","), v) {
				out = append(out, v)
			}
		}
		return out
	}
	return []string{f.Options[r.Intn(len(f.Options))]}
}

// TestAddingAFactIsMonotonic is a property test over every corpus entry and
// random situations: a new fact never turns 不符合 into 符合 (or 符合 into
// anything else), and when the new fact was the only one missing, the
// outcome is no longer 可能符合.
func TestAddingAFactIsMonotonic(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	checked, settled := 0, 0
	for round := 0; round < 300; round++ {
		s := NewSituation(nil)
		for _, f := range Fields {
			if r.Intn(2) == 0 {
				s = s.With(f.Name, randomValue(r, f)...)
			}
		}
		var missing []Field
		for _, f := range Fields {
			if !s.Given(f.Name) {
				missing = append(missing, f)
			}
		}
		if len(missing) == 0 {
			continue
		}
		f := missing[r.Intn(len(missing))]
		more := s.With(f.Name, randomValue(r, f)...)
		if s.Consistent() != nil || more.Consistent() != nil {
			continue
		}
		for _, p := range c.Policies {
			before, after := Evaluate(p.Eligible, s), Evaluate(p.Eligible, more)
			checked++
			if before.Outcome != Maybe && after.Outcome != before.Outcome {
				t.Fatalf("%s: adding %s turned %v into %v (%v → %v)", p.ID, f.Name, before.Outcome, after.Outcome, s.Query(), more.Query())
			}
			if before.Outcome == Maybe && len(before.Missing) == 1 && before.Missing[0] == f.Name {
				settled++
				if after.Outcome == Maybe {
					t.Fatalf("%s: %s was the only missing fact, yet the outcome stays 可能符合", p.ID, f.Name)
				}
			}
		}
	}
	if settled == 0 {
		t.Fatal("no case where the added fact was the only one missing; the property was not exercised")
	}
	t.Logf("%d evaluations, %d settled by their only missing fact", checked, settled)
}

func TestMetAlternativeNeedsNoOtherReasons(t *testing.T) {
	c := cond(t, "any:\n  - {field: hukou, op: eq, value: 本市户籍}\n  - {field: residence, op: ne, value: 外省市}\n")
	m := Evaluate(c, sit(t, "hukou=本市户籍"))
	if m.Outcome != Eligible || len(m.Reasons) != 1 || m.Reasons[0].Field != "hukou" {
		t.Errorf("match = %+v", m)
	}
	m = Evaluate(c, sit(t, "hukou=非本市户籍"))
	if m.Outcome != Maybe || len(m.Reasons) != 2 || strings.Join(m.Missing, ",") != "residence" {
		t.Errorf("match = %+v", m)
	}
}
