package corpus

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed cases/*.yaml
var embeddedCases embed.FS

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

// EmbeddedCases returns the cases built into the binary for an entry;
// ok is false when it has none (a new entry).
func EmbeddedCases(id string) (cs Cases, ok bool, err error) {
	if !ValidID(id) {
		return Cases{}, false, nil
	}
	data, err := embeddedCases.ReadFile("cases/" + id + ".yaml")
	if errors.Is(err, fs.ErrNotExist) {
		return Cases{}, false, nil
	}
	if err != nil {
		return Cases{}, false, err
	}
	cs, err = ParseCases(data)
	if err != nil {
		return Cases{}, false, fmt.Errorf("cases/%s.yaml: %w", id, err)
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

// List returns the cases in order, each situation read and validated as
// request parameters are.
func (cs Cases) List() ([]Case, error) {
	var out []Case
	for _, g := range []struct {
		expect string
		list   []map[string]any
	}{{ExpectEligible, cs.Eligible}, {ExpectMaybe, cs.Maybe}, {ExpectNotEligible, cs.NotEligible}, {ExpectIneligible, cs.Ineligible}} {
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
