package corpus

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// CasesDir holds, in a corpus directory, each entry's cases: cases/ID.yaml.
const CasesDir = "cases"

// CasesFilePath names the cases file of entry id in a corpus directory.
func CasesFilePath(id string) string { return CasesDir + "/" + id + ".yaml" }

// CasesIDOf returns the entry id of a cases file's path in a corpus
// directory (cases/ID.yaml), or false.
func CasesIDOf(name string) (string, bool) {
	id, ok := strings.CutPrefix(name, CasesDir+"/")
	if !ok {
		return "", false
	}
	id, ok = strings.CutSuffix(id, ".yaml")
	return id, ok && ValidID(id)
}

// Cases are the situations kept for an entry in cases/ID.yaml, by the
// outcome the matcher must give them (FORMAT.md, 「Eligibility cases」).
type Cases struct {
	// Eligible situations meet every condition: 符合.
	Eligible []map[string]any `yaml:"eligible"`
	// Maybe situations fail none but leave something open, a fact not
	// given or a question to confirm: 可能符合.
	Maybe []map[string]any `yaml:"maybe"`
	// NotEligible situations must not be 符合 (可能符合 or 不符合): the
	// ones a naive reading of the entry would wrongly call eligible.
	NotEligible []map[string]any `yaml:"not_eligible"`
	// Ineligible situations fail a condition: 不符合.
	Ineligible []map[string]any `yaml:"ineligible"`
}

// ParseCases reads a cases file strictly: other keys are refused.
func ParseCases(data []byte) (Cases, error) {
	var cs Cases
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cs); err != nil {
		return Cases{}, err
	}
	return cs, nil
}

// EmbeddedCasesFile returns the cases file built into the binary for an
// entry; ok is false when it has none (a new entry).
func EmbeddedCasesFile(id string) ([]byte, bool) {
	if !ValidID(id) {
		return nil, false
	}
	data, err := embedded.ReadFile(CasesFilePath(id))
	return data, err == nil
}

// EmbeddedCases returns the cases built into the binary for an entry;
// ok is false when it has none (a new entry).
func EmbeddedCases(id string) (cs Cases, ok bool, err error) {
	data, ok := EmbeddedCasesFile(id)
	if !ok {
		return Cases{}, false, nil
	}
	cs, err = ParseCases(data)
	if err != nil {
		return Cases{}, false, fmt.Errorf("%s: %w", CasesFilePath(id), err)
	}
	return cs, true, nil
}

// Expectations a case can have, in Chinese, as pages show them.
const (
	ExpectEligible    = "符合"
	ExpectMaybe       = "可能符合"
	ExpectNotEligible = "不应符合"
	ExpectIneligible  = "不符合"
)

// Expectations lists the expectations in the order cases files hold them.
var Expectations = []string{ExpectEligible, ExpectMaybe, ExpectNotEligible, ExpectIneligible}

// Meets reports whether an outcome meets an expectation.
func Meets(expect string, o Outcome) bool {
	switch expect {
	case ExpectEligible:
		return o == Eligible
	case ExpectMaybe:
		return o == Maybe
	case ExpectNotEligible:
		return o != Eligible
	case ExpectIneligible:
		return o == Ineligible
	}
	return false
}

// Case is one situation and what it must give.
type Case struct {
	Expect    string
	Situation Situation
}

// caseGroup is one list of a cases file: its key, the expectation of its
// situations, and them.
type caseGroup struct {
	key, expect string
	list        []map[string]any
}

func (cs Cases) groups() []caseGroup {
	return []caseGroup{{"eligible", ExpectEligible, cs.Eligible}, {"maybe", ExpectMaybe, cs.Maybe},
		{"not_eligible", ExpectNotEligible, cs.NotEligible}, {"ineligible", ExpectIneligible, cs.Ineligible}}
}

// CasesOf returns the cases file of a list of cases, in the order List
// gives them back.
func CasesOf(list []Case) Cases {
	var cs Cases
	for _, k := range list {
		m := map[string]any{}
		for name, vals := range k.Situation.Query() {
			f, _ := FieldByName(name)
			switch {
			case f.Kind == KindNumber && len(vals) == 1:
				if n, err := strconv.Atoi(vals[0]); err == nil {
					m[name] = n
					continue
				}
				m[name] = vals[0]
			case f.Kind == KindSet:
				list := make([]any, len(vals))
				for i, v := range vals {
					list[i] = v
				}
				m[name] = list
			default:
				m[name] = vals[0]
			}
		}
		switch k.Expect {
		case ExpectEligible:
			cs.Eligible = append(cs.Eligible, m)
		case ExpectMaybe:
			cs.Maybe = append(cs.Maybe, m)
		case ExpectNotEligible:
			cs.NotEligible = append(cs.NotEligible, m)
		case ExpectIneligible:
			cs.Ineligible = append(cs.Ineligible, m)
		}
	}
	return cs
}

// CheckCases runs the cases file data, named file in problems, against
// its entry p (nil when the corpus holds none): a case that cannot be
// read, or whose outcome does not meet its expectation, is a problem at
// its line.
func CheckCases(file string, p *Policy, data []byte) Problems {
	cs, err := ParseCases(data)
	if err != nil {
		return Problems{yamlProblem(file, err)}
	}
	if p == nil {
		return Problems{{File: file, Line: 1, Message: "cases of an entry the corpus does not hold"}}
	}
	var lines map[string][]int // read only for a problem
	lineOf := func(key string, i int) int {
		if lines == nil {
			lines = caseLines(data)
		}
		if i < len(lines[key]) {
			return lines[key][i]
		}
		return 1
	}
	var probs Problems
	for _, g := range cs.groups() {
		for i, m := range g.list {
			s, err := SituationOf(m)
			if err != nil {
				probs = append(probs, Problem{File: file, Line: lineOf(g.key, i), Message: fmt.Sprintf("%s[%d]: %v", g.key, i, err)})
				continue
			}
			if o := Evaluate(p.Eligible, s).Outcome; !Meets(g.expect, o) {
				probs = append(probs, Problem{File: file, Line: lineOf(g.key, i),
					Message: fmt.Sprintf("%s[%d] (%s) must be %s; the entry's eligibility gives %s", g.key, i, s.Words(), g.expect, o)})
			}
		}
	}
	return probs
}

// caseLines returns, for each list of a cases file, the line of each of
// its situations.
func caseLines(data []byte) map[string][]int {
	out := map[string][]int{}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return out
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		for _, it := range m.Content[i+1].Content {
			out[m.Content[i].Value] = append(out[m.Content[i].Value], it.Line)
		}
	}
	return out
}

// List returns the cases in order, each situation read and validated as
// request parameters are.
func (cs Cases) List() ([]Case, error) {
	var out []Case
	for _, g := range cs.groups() {
		for _, m := range g.list {
			s, err := SituationOf(m)
			if err != nil {
				return nil, err
			}
			out = append(out, Case{Expect: g.expect, Situation: s})
		}
	}
	return out, nil
}

// SituationOf reads a situation written as a mapping of a cases file:
// field names to a value, or a list of values.
func SituationOf(m map[string]any) (Situation, error) {
	v := url.Values{}
	for k, x := range m {
		if _, ok := FieldByName(k); !ok {
			return Situation{}, fmt.Errorf("%w: unknown field %q", ErrBadSituation, k)
		}
		switch x := x.(type) {
		case []any:
			for _, y := range x {
				v.Add(k, scalarString(y))
			}
		default:
			v.Add(k, scalarString(x))
		}
	}
	return ParseSituation(v)
}

func scalarString(x any) string {
	switch x := x.(type) {
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	}
	return fmt.Sprint(x)
}

// Words says a situation in Chinese, field by field: 「年龄 72 岁，户籍：本市户籍」.
func (s Situation) Words() string {
	var parts []string
	for _, f := range Fields {
		vals := s.Values(f.Name)
		if len(vals) == 0 {
			continue
		}
		if f.Kind == KindNumber {
			parts = append(parts, fmt.Sprintf("%s %s %s", f.Label, vals[0], f.Unit))
			continue
		}
		parts = append(parts, f.Label+"："+strings.Join(vals, "、"))
	}
	if len(parts) == 0 {
		return "（什么都没填）"
	}
	return strings.Join(parts, "，")
}
