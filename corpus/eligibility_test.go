package corpus

import (
	"context"
	"math/rand"
	"net/url"
	"os"
	"path/filepath"
	"slices"
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
	c.check("eligibility", func(_ string, line int, format string, args ...any) { probs = append(probs, format) })
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

func situationOf(t *testing.T, m map[string]any) Situation {
	t.Helper()
	s, err := SituationOf(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEligibilityCases runs, for every corpus entry, the situations kept in
// corpus/cases/ID.yaml: each eligible one must be 符合, each maybe one
// 可能符合, each not_eligible one anything but 符合, each ineligible one
// 不符合. Every entry needs an eligible or maybe situation, a not_eligible
// one, and an ineligible one unless no situation can fail its conditions
// (each of its requirements can be met by answering a question).
func TestEligibilityCases(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("cases/*.yaml")
	if len(files) != len(c.Policies) {
		t.Errorf("%d case files for %d entries", len(files), len(c.Policies))
	}
	var neverFail []string
	for _, p := range c.Policies {
		data, err := os.ReadFile(filepath.Join("cases", p.ID+".yaml"))
		if err != nil {
			t.Errorf("%s: no cases: %v", p.ID, err)
			continue
		}
		cs, err := ParseCases(data)
		if err != nil {
			t.Fatalf("cases/%s.yaml: %v", p.ID, err)
		}
		if emb, ok, err := EmbeddedCases(p.ID); err != nil || !ok || len(emb.Eligible) != len(cs.Eligible) || len(emb.Ineligible) != len(cs.Ineligible) {
			t.Errorf("%s: the cases built in differ from the file (%v)", p.ID, err)
		}
		if len(cs.Eligible)+len(cs.Maybe) == 0 {
			t.Errorf("%s: want at least one eligible or maybe situation", p.ID)
		}
		if len(cs.NotEligible) == 0 {
			t.Errorf("%s: want at least one not_eligible situation", p.ID)
		}
		switch {
		case canFail(p.Eligible) && len(cs.Ineligible) == 0:
			t.Errorf("%s: want at least one ineligible situation", p.ID)
		case !canFail(p.Eligible):
			neverFail = append(neverFail, p.ID)
		}
		check := func(key string, list []map[string]any, ok func(Outcome) bool) {
			for _, m := range list {
				if got := Evaluate(p.Eligible, situationOf(t, m)); !ok(got.Outcome) {
					t.Errorf("%s: %s %v is %v: %v", p.ID, key, m, got.Outcome, got.Reasons)
				}
			}
		}
		check("eligible", cs.Eligible, func(o Outcome) bool { return o == Eligible })
		check("maybe", cs.Maybe, func(o Outcome) bool { return o == Maybe })
		check("not_eligible", cs.NotEligible, func(o Outcome) bool { return o != Eligible })
		check("ineligible", cs.Ineligible, func(o Outcome) bool { return o == Ineligible })
	}
	t.Logf("no situation can fail the conditions of %v", neverFail)
}

// canFail reports whether some situation could fail the condition: a test
// can fail, a question never does (it is never settled), all-of can fail
// when one of its items can, any-of when every item can.
func canFail(c *Condition) bool {
	switch {
	case c == nil, c.Ask != "":
		return false
	case c.All != nil:
		return slices.ContainsFunc(c.All, canFail)
	case c.Any != nil:
		for _, it := range c.Any {
			if !canFail(it) {
				return false
			}
		}
		return true
	}
	return true
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
			if before.Outcome == Maybe && len(before.Missing) == 1 && before.Missing[0] == f.Name && len(before.Asks) == 0 {
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
	// The failed alternative shows no ✗: the one that can still hold
	// explains the 可能符合.
	m = Evaluate(c, sit(t, "hukou=非本市户籍"))
	if m.Outcome != Maybe || len(m.Reasons) != 1 || m.Reasons[0].Field != "residence" || strings.Join(m.Missing, ",") != "residence" {
		t.Errorf("match = %+v", m)
	}
}

// TestAskIsNeverSettled: a condition no situation field expresses is asked
// as a question; it keeps an entry at 可能符合 with 「还需确认：…」, whatever
// else is known, and a failed condition still excludes.
func TestAskIsNeverSettled(t *testing.T) {
	c := cond(t, "all:\n  - {field: hukou, op: eq, value: 本市户籍}\n  - {ask: 家里是否因突发事件导致基本生活困难？}\n")
	m := Evaluate(c, sit(t, "hukou=本市户籍&age=75&economic=低保"))
	if m.Outcome != Maybe || len(m.Asks) != 1 || len(m.Missing) != 0 {
		t.Fatalf("match = %+v", m)
	}
	last := m.Reasons[len(m.Reasons)-1]
	if last.Status != StatusToConfirm || last.Text != "还需确认：家里是否因突发事件导致基本生活困难？" {
		t.Errorf("the ask's reason is %+v", last)
	}
	if m := Evaluate(c, sit(t, "hukou=非本市户籍")); m.Outcome != Ineligible {
		t.Errorf("a failed condition beside an ask: %+v", m)
	}
	// An alternative that holds needs no answer to the ask.
	alt := cond(t, "any:\n  - {field: economic, op: eq, value: 低保}\n  - {ask: 是否因病致贫？}\n")
	if m := Evaluate(alt, sit(t, "economic=低保")); m.Outcome != Eligible || len(m.Asks) != 0 {
		t.Errorf("an alternative that holds: %+v", m)
	}
	if m := Evaluate(alt, sit(t, "economic=无")); m.Outcome != Maybe || len(m.Reasons) != 1 || m.Reasons[0].Status != StatusToConfirm {
		t.Errorf("an ask beside a failed alternative: %+v", m)
	}
	var probs []string
	for _, bad := range []string{"ask: 不是问句", "{ask: 太短？}", "{ask: 有没有问题？, field: age, op: gte, value: 60}"} {
		var x Condition
		if err := yaml.Unmarshal([]byte(bad+"\n"), &x); err != nil {
			t.Fatal(err)
		}
		x.check("eligibility", func(_ string, _ int, format string, args ...any) { probs = append(probs, format) })
	}
	if len(probs) != 3 {
		t.Errorf("bad asks gave %d problems: %v", len(probs), probs)
	}
}

// TestSituationNeedsOnlyOpenAlternatives: the facts said to be missing and
// the questions still to confirm come from the alternatives that can still
// hold, never from one that has already failed.
func TestSituationNeedsOnlyOpenAlternatives(t *testing.T) {
	c := cond(t, `any:
  - all:
      - {field: employment, op: eq, value: 登记失业}
      - {field: age, op: lte, value: 24}
      - {ask: 是否有见习意愿？}
  - all:
      - {field: hukou, op: eq, value: 本市户籍}
      - {field: residence, op: ne, value: 外省市}
`)
	m := Evaluate(c, sit(t, "employment=在职&hukou=本市户籍"))
	if m.Outcome != Maybe || strings.Join(m.Missing, ",") != "residence" || len(m.Asks) != 0 || len(m.Reasons) != 2 {
		t.Errorf("the first alternative has failed, yet: %+v", m)
	}
	m = Evaluate(c, sit(t, "hukou=非本市户籍"))
	if m.Outcome != Maybe || strings.Join(m.Missing, ",") != "employment,age" || strings.Join(m.Asks, ",") != "是否有见习意愿？" {
		t.Errorf("the second alternative has failed, yet: %+v", m)
	}
	for _, r := range m.Reasons {
		if r.Field == "hukou" || r.Field == "residence" {
			t.Errorf("a reason of the failed alternative: %+v", r)
		}
	}
}
