package corpus

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ErrBadSituation marks situation values a client must correct.
var ErrBadSituation = errors.New("bad situation")

// NoneOption is the value of the set field meaning "none of these": the
// resident answered, and no option applies.
const NoneOption = "无"

// Situation is what a resident says about themselves: a value for some of
// the declared fields. A field not given is unknown, never assumed.
type Situation struct {
	values map[string][]string
}

// NewSituation returns a situation from field values; it is for tests and
// data files and does not validate (ParseSituation does).
func NewSituation(values map[string][]string) Situation {
	s := Situation{values: map[string][]string{}}
	for k, v := range values {
		s.values[k] = slices.Clone(v)
	}
	return s
}

// ParseSituation reads the declared situation fields from request
// parameters, ignoring every other parameter. Empty values count as not
// given.
func ParseSituation(v url.Values) (Situation, error) {
	s := Situation{values: map[string][]string{}}
	for _, f := range Fields {
		var vals []string
		for _, x := range v[f.Name] {
			if x = strings.TrimSpace(x); x != "" && !slices.Contains(vals, x) {
				vals = append(vals, x)
			}
		}
		if len(vals) == 0 {
			continue
		}
		if err := validate(f, vals); err != nil {
			return Situation{}, err
		}
		s.values[f.Name] = vals
	}
	if err := s.Consistent(); err != nil {
		return Situation{}, err
	}
	return s, nil
}

// Consistent reports facts that contradict each other, such as a
// disability type given together with no disability.
func (s Situation) Consistent() error {
	for _, f := range Fields {
		if nw := f.NoneWith; nw != nil && s.Given(f.Name) && slices.Contains(s.Values(nw.Field), nw.Value) {
			parent, _ := FieldByName(nw.Field)
			return fmt.Errorf("%w: %s cannot be given when %s is %s", ErrBadSituation, f.Name, parent.Name, nw.Value)
		}
	}
	return nil
}

func validate(f Field, vals []string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadSituation, fmt.Sprintf(format, args...))
	}
	switch f.Kind {
	case KindNumber:
		if len(vals) > 1 {
			return bad("%s is given more than once", f.Name)
		}
		n, err := strconv.Atoi(vals[0])
		if err != nil || n < f.Min || n > f.Max {
			return bad("%s must be a whole number from %d to %d", f.Name, f.Min, f.Max)
		}
	case KindChoice:
		if len(vals) > 1 {
			return bad("%s takes one value", f.Name)
		}
		if !f.HasOption(vals[0]) {
			return bad("unknown %s %q; allowed: %s", f.Name, vals[0], strings.Join(f.Options, ", "))
		}
	case KindSet:
		for _, v := range vals {
			if v != NoneOption && !f.HasOption(v) {
				return bad("unknown %s %q; allowed: %s or %s", f.Name, v, strings.Join(f.Options, ", "), NoneOption)
			}
		}
		if len(vals) > 1 && slices.Contains(vals, NoneOption) {
			return bad("%s %s cannot be given with other values", f.Name, NoneOption)
		}
	}
	return nil
}

// Empty reports whether nothing is given.
func (s Situation) Empty() bool { return len(s.values) == 0 }

// Given reports whether the field has a value.
func (s Situation) Given(field string) bool { return len(s.values[field]) > 0 }

// Values returns the values given for a field.
func (s Situation) Values(field string) []string { return s.values[field] }

// With returns a copy of the situation with one field set.
func (s Situation) With(field string, vals ...string) Situation {
	c := NewSituation(s.values)
	c.values[field] = slices.Clone(vals)
	return c
}

// Query returns the situation as request parameters, for links that keep it.
func (s Situation) Query() url.Values {
	v := url.Values{}
	for _, f := range Fields {
		for _, x := range s.values[f.Name] {
			v.Add(f.Name, x)
		}
	}
	return v
}

// Outcome is how a situation meets an entry's conditions.
type Outcome int

// The three outcomes, in the order results show them.
const (
	Eligible   Outcome = iota // 符合: every condition is met
	Maybe                     // 可能符合: nothing fails, some facts are missing
	Ineligible                // 不符合: a condition fails
)

func (o Outcome) String() string {
	switch o {
	case Eligible:
		return "符合"
	case Maybe:
		return "可能符合"
	}
	return "不符合"
}

// Reason explains one condition: whether it is met, and why, in Chinese.
type Reason struct {
	Field   string  `json:"field"`
	Outcome Outcome `json:"-"`
	Status  string  `json:"status"`
	Text    string  `json:"text"`
}

// Match is the outcome of a situation against an entry, with a reason for
// every condition and the fields whose absence keeps it from being certain;
// Asks are the questions no field answers that stand between the person
// and 符合. Both come only from conditions that can still hold: what a
// failed alternative lacks or asks is no longer in the way.
type Match struct {
	Outcome Outcome
	Reasons []Reason
	Missing []string
	Asks    []string
}

// StatusToConfirm is the status of the reason of an ask: 「还需确认」.
const StatusToConfirm = "还需确认"

// Evaluate checks a situation against a condition tree. A condition on a
// field that is not given is unknown; all-of fails when any item fails and
// holds when every item holds; any-of holds when any item holds and fails
// when every item fails. Giving more facts can only settle unknowns, never
// undo a met or failed condition.
func Evaluate(c *Condition, s Situation) Match {
	var m Match
	m.Outcome = eval(c, s, &m)
	if m.Outcome != Maybe {
		m.Missing, m.Asks = nil, nil
	}
	return m
}

func eval(c *Condition, s Situation, m *Match) Outcome {
	if c == nil {
		return Eligible
	}
	if c.IsGroup() {
		items, all := c.All, true
		if c.Any != nil {
			items, all = c.Any, false
		}
		met, failed := 0, 0
		start := len(m.Reasons)
		missing, asks := m.Missing, m.Asks
		var kept, open []Reason
		// needs holds, for each item still open, the facts it lacks and the
		// questions it asks: only those are what stands between the person
		// and the group holding. A failed alternative's needs are dropped
		// with its reasons.
		var needs []Match
		for _, it := range items {
			before := len(m.Reasons)
			m.Missing, m.Asks = nil, nil
			o := eval(it, s, m)
			switch o {
			case Eligible:
				met++
				kept = append(kept, m.Reasons[before:]...)
			case Ineligible:
				failed++
			default:
				open = append(open, m.Reasons[before:]...)
				needs = append(needs, Match{Missing: m.Missing, Asks: m.Asks})
			}
		}
		m.Missing, m.Asks = missing, asks
		var o Outcome
		switch {
		case all && failed > 0, !all && failed == len(items):
			o = Ineligible
		case all && met == len(items), !all && met > 0:
			o = Eligible
		default:
			o = Maybe
		}
		switch {
		case !all && o == Eligible:
			// One alternative is enough: the others need no explaining,
			// and nothing they lack is missing.
			m.Reasons = append(m.Reasons[:start], kept...)
		case !all && o == Maybe:
			// The alternatives that can still hold explain it; one that
			// has failed does not (it shows no ✗).
			m.Reasons = append(m.Reasons[:start], open...)
		}
		if o == Maybe {
			for _, n := range needs {
				m.Missing = appendNew(m.Missing, n.Missing...)
				m.Asks = appendNew(m.Asks, n.Asks...)
			}
		}
		return o
	}
	if c.Ask != "" {
		r := Reason{Outcome: Maybe, Status: StatusToConfirm, Text: StatusToConfirm + "：" + c.Ask}
		m.Asks = appendNew(m.Asks, c.Ask)
		m.Reasons = append(m.Reasons, r)
		return Maybe
	}
	f, _ := FieldByName(c.Field)
	r := Reason{Field: c.Field}
	vals, known := s.known(f)
	if !known {
		desc := describe(f, c)
		if startsWithDigit(desc) {
			desc = f.Label + " " + desc
		}
		r.Outcome = Maybe
		r.Text = fmt.Sprintf("需%s：未填写", desc)
		m.Missing = appendNew(m.Missing, c.Field)
	} else {
		r.Outcome = Ineligible
		if holds(f, c, vals) {
			r.Outcome = Eligible
		}
		verb := "满足"
		if r.Outcome == Ineligible {
			verb = "不满足"
		}
		desc := describe(f, c)
		if startsWithDigit(desc) {
			desc = " " + desc
		}
		r.Text = fmt.Sprintf("%s%s，%s%s", f.Label, actual(f, vals), verb, desc)
	}
	r.Status = r.Outcome.String()
	m.Reasons = append(m.Reasons, r)
	return r.Outcome
}

// appendNew appends the values list does not hold yet, in order.
func appendNew(list []string, vals ...string) []string {
	for _, v := range vals {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// known returns a field's values and whether they are known. A field whose
// NoneWith fact is given is known to have no value.
func (s Situation) known(f Field) ([]string, bool) {
	if s.Given(f.Name) {
		return s.Values(f.Name), true
	}
	if nw := f.NoneWith; nw != nil && slices.Contains(s.Values(nw.Field), nw.Value) {
		return nil, true
	}
	return nil, false
}

func holds(f Field, c *Condition, vals []string) bool {
	if len(vals) == 0 {
		// Known to have no value: only negative conditions hold.
		return c.Op == OpNe || c.Op == OpNotIn || c.Op == OpNotHas
	}
	switch f.Kind {
	case KindNumber:
		n, err := strconv.Atoi(vals[0])
		if err != nil {
			return false
		}
		switch c.Op {
		case OpEq:
			return n == c.Number
		case OpNe:
			return n != c.Number
		case OpGte:
			return n >= c.Number
		case OpGt:
			return n > c.Number
		case OpLte:
			return n <= c.Number
		case OpLt:
			return n < c.Number
		}
	case KindChoice:
		in := slices.Contains(c.Values, vals[0])
		switch c.Op {
		case OpEq, OpIn:
			return in
		case OpNe, OpNotIn:
			return !in
		}
	case KindSet:
		any := false
		for _, v := range c.Values {
			if slices.Contains(vals, v) {
				any = true
			}
		}
		switch c.Op {
		case OpHas:
			return any
		case OpNotHas:
			return !any
		}
	}
	return false
}

// describe says in Chinese what a condition asks for.
func describe(f Field, c *Condition) string {
	list := strings.Join(c.Values, "或")
	switch f.Kind {
	case KindNumber:
		unit := f.Unit
		if f.Name == "age" {
			unit = "周岁"
		}
		n := c.Number
		switch c.Op {
		case OpGte:
			return fmt.Sprintf("%d %s以上", n, unit)
		case OpGt:
			return fmt.Sprintf("超过 %d %s", n, unit)
		case OpLte:
			return fmt.Sprintf("%d %s及以下", n, unit)
		case OpLt:
			return fmt.Sprintf("未满 %d %s", n, unit)
		case OpEq:
			return fmt.Sprintf("%s为 %d %s", f.Label, n, unit)
		case OpNe:
			return fmt.Sprintf("%s不是 %d %s", f.Label, n, unit)
		}
	case KindChoice:
		switch c.Op {
		case OpEq, OpIn:
			return fmt.Sprintf("%s为%s", f.Label, list)
		case OpNe, OpNotIn:
			return fmt.Sprintf("%s不是%s", f.Label, list)
		}
	case KindSet:
		switch c.Op {
		case OpHas:
			return fmt.Sprintf("%s包括%s", f.Label, list)
		case OpNotHas:
			return fmt.Sprintf("%s不包括%s", f.Label, list)
		}
	}
	return f.Label
}

// actual renders the values given for a field.
func actual(f Field, vals []string) string {
	if len(vals) == 0 {
		return "：无"
	}
	if f.Kind == KindNumber {
		return fmt.Sprintf(" %s %s", vals[0], f.Unit)
	}
	if f.Kind == KindSet && len(vals) == 1 && vals[0] == NoneOption {
		return "：无"
	}
	return "：" + strings.Join(vals, "、")
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// Describe says in words what a condition tree asks for, one line per
// condition; alternatives are introduced by 「满足以下之一」.
func Describe(c *Condition) []string {
	var out []string
	var walk func(c *Condition, indent string)
	walk = func(c *Condition, indent string) {
		if c == nil {
			return
		}
		if c.IsGroup() {
			if c.Any != nil {
				out = append(out, indent+"满足以下之一：")
				for _, it := range c.Any {
					walk(it, indent+"　")
				}
				return
			}
			for _, it := range c.All {
				walk(it, indent)
			}
			return
		}
		if c.Ask != "" {
			out = append(out, indent+StatusToConfirm+"："+c.Ask)
			return
		}
		f, _ := FieldByName(c.Field)
		d := describe(f, c)
		if startsWithDigit(d) {
			d = f.Label + " " + d
		}
		out = append(out, indent+d)
	}
	walk(c, "")
	return out
}
