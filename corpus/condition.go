package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Operators a condition can use.
const (
	OpEq     = "eq"
	OpNe     = "ne"
	OpIn     = "in"
	OpNotIn  = "not_in"
	OpGte    = "gte"
	OpGt     = "gt"
	OpLte    = "lte"
	OpLt     = "lt"
	OpHas    = "has"
	OpNotHas = "not_has"
)

var opsByKind = map[FieldKind][]string{
	KindNumber: {OpEq, OpNe, OpGte, OpGt, OpLte, OpLt},
	KindChoice: {OpEq, OpNe, OpIn, OpNotIn},
	KindSet:    {OpHas, OpNotHas},
}

// Operators returns the operators a condition on a field of that kind
// can use.
func Operators(k FieldKind) []string { return slices.Clone(opsByKind[k]) }

// Condition is a test of one situation field (Field, Op, Values or
// Number), a question no situation field can answer (Ask: 「家里是否因突发事件
// 导致基本生活困难？」), or a group: All (every item holds) or Any (at least
// one holds). An Ask is never settled by a situation: an entry that needs
// one is at best 可能符合, with 「还需确认：…」.
type Condition struct {
	Field  string       `json:"field,omitempty"`
	Op     string       `json:"op,omitempty"`
	Values []string     `json:"values,omitempty"`
	Number int          `json:"number,omitempty"`
	Ask    string       `json:"ask,omitempty"`
	All    []*Condition `json:"all,omitempty"`
	Any    []*Condition `json:"any,omitempty"`
	// Line is where the condition starts in its file, for error messages.
	Line int `json:"-"`
	// err records a shape problem found while decoding, reported by Check.
	err string
}

// Requirements counts the requirements a condition tree encodes: each test
// or ask is one, an any-of group is one (its items are alternatives of one
// requirement), an all-of group is the sum of its items.
func (c *Condition) Requirements() int {
	switch {
	case c == nil:
		return 0
	case c.All != nil:
		n := 0
		for _, it := range c.All {
			n += it.Requirements()
		}
		return n
	}
	return 1
}

// IsGroup reports whether the condition is an all-of or any-of group.
func (c *Condition) IsGroup() bool { return c.All != nil || c.Any != nil }

// UnmarshalYAML decodes a condition, keeping its line and accepting a
// scalar or a list as the value.
func (c *Condition) UnmarshalYAML(n *yaml.Node) error {
	c.Line = n.Line
	if n.Kind != yaml.MappingNode {
		c.err = "a condition must be a mapping with field/op/value, all or any"
		return nil
	}
	var valueNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "field":
			c.Field = v.Value
		case "op":
			c.Op = v.Value
		case "ask":
			c.Ask = v.Value
		case "value":
			valueNode = v
		case "all", "any":
			if v.Kind != yaml.SequenceNode {
				c.err = fmt.Sprintf("%s must be a list of conditions", k.Value)
				continue
			}
			items := make([]*Condition, len(v.Content))
			for i, item := range v.Content {
				items[i] = &Condition{}
				if err := items[i].UnmarshalYAML(item); err != nil {
					return err
				}
			}
			if k.Value == "all" {
				c.All = items
			} else {
				c.Any = items
			}
		default:
			c.err = fmt.Sprintf("unknown key %q in condition", k.Value)
		}
	}
	if valueNode != nil {
		switch valueNode.Kind {
		case yaml.ScalarNode:
			c.Values = []string{valueNode.Value}
		case yaml.SequenceNode:
			for _, item := range valueNode.Content {
				c.Values = append(c.Values, item.Value)
			}
		default:
			c.err = "value must be a scalar or a list"
		}
	}
	return nil
}

// UnmarshalJSON decodes a condition written by MarshalJSON to what
// UnmarshalYAML makes of the same text: a scalar value, or each of a list,
// kept as its text. Anything else is an error — a condition that is not a
// mapping, an unknown key, a value that is neither —, so that a reader
// falls back to YAML, which says where and why. Its line is left for the
// caller to set.
func (c *Condition) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return errors.New("a condition must be a mapping")
	}
	for k, raw := range fields {
		var err error
		switch k {
		case "field":
			c.Field, err = jsonString(k, raw)
		case "op":
			c.Op, err = jsonString(k, raw)
		case "ask":
			c.Ask, err = jsonString(k, raw)
		case "value":
			var list []json.RawMessage
			if json.Unmarshal(raw, &list) != nil || bytes.Equal(raw, []byte("null")) {
				list = []json.RawMessage{raw}
			}
			for _, item := range list {
				v, ok := scalarText(item)
				if !ok {
					return errors.New("value must be a scalar or a list of scalars")
				}
				c.Values = append(c.Values, v)
			}
		case "all", "any":
			var items []*Condition
			if err = json.Unmarshal(raw, &items); err == nil && (items == nil || slices.Contains(items, nil)) {
				err = fmt.Errorf("%s must be a list of conditions", k)
			}
			if k == "all" {
				c.All = items
			} else {
				c.Any = items
			}
		default:
			err = fmt.Errorf("unknown key %q in condition", k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// jsonString decodes a JSON string (and nothing else: YAML would read null
// or a number as its text).
func jsonString(key string, raw json.RawMessage) (string, error) {
	var s string
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) && json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	return "", fmt.Errorf("%s must be a string", key)
}

// scalarText is a JSON scalar's text as YAML reads it: a string's value,
// else the literal (a number, true, false, null).
func scalarText(raw json.RawMessage) (string, bool) {
	if s, err := jsonString("", raw); err == nil {
		return s, true
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	switch v.(type) {
	case map[string]any, []any:
		return "", false
	}
	return string(bytes.TrimSpace(raw)), true
}

// check validates the condition against the declared situation fields.
// path is where it sits in the entry: "eligibility.all[1]".
func (c *Condition) check(path string, report func(path string, line int, format string, args ...any)) {
	if c.err != "" {
		report(path, c.Line, "%s", c.err)
		return
	}
	if c.Ask != "" {
		if c.Field != "" || c.Op != "" || c.Values != nil || c.IsGroup() {
			report(path, c.Line, "an ask is a question alone, without field, op, value, all or any")
		}
		if n := utf8.RuneCountInString(c.Ask); n < 4 || n > MaxAsk || !strings.HasSuffix(c.Ask, "？") {
			report(path, c.Line, "ask %q must be a question of 4 to %d characters ending with ？", c.Ask, MaxAsk)
		}
		return
	}
	if c.IsGroup() {
		if c.Field != "" || c.Op != "" || c.Values != nil {
			report(path, c.Line, "a condition is either a test (field, op, value) or a group (all/any), not both")
		}
		if c.All != nil && c.Any != nil {
			report(path, c.Line, "use all or any in one group, not both")
		}
		if len(c.All)+len(c.Any) == 0 {
			report(path, c.Line, "empty condition group")
		}
		for i, it := range c.All {
			it.check(fmt.Sprintf("%s.all[%d]", path, i), report)
		}
		for i, it := range c.Any {
			it.check(fmt.Sprintf("%s.any[%d]", path, i), report)
		}
		return
	}
	f, ok := FieldByName(c.Field)
	if !ok {
		report(path, c.Line, "unknown situation field %q (want one of %s)", c.Field, fieldNames())
		return
	}
	if !slices.Contains(opsByKind[f.Kind], c.Op) {
		report(path, c.Line, "operator %q does not apply to field %s (want one of %s)",
			c.Op, f.Name, strings.Join(opsByKind[f.Kind], ", "))
		return
	}
	if len(c.Values) == 0 {
		report(path, c.Line, "condition on %s has no value", f.Name)
		return
	}
	switch f.Kind {
	case KindNumber:
		if len(c.Values) != 1 {
			report(path, c.Line, "field %s takes one number", f.Name)
			return
		}
		n, err := strconv.Atoi(c.Values[0])
		if err != nil || n < f.Min || n > f.Max {
			report(path, c.Line, "value %q of %s is not a whole number in %d..%d", c.Values[0], f.Name, f.Min, f.Max)
			return
		}
		c.Number = n
	default:
		if (c.Op == OpEq || c.Op == OpNe) && len(c.Values) != 1 {
			report(path, c.Line, "operator %s takes one value; use in or not_in for a list", c.Op)
		}
		for _, v := range c.Values {
			if !f.HasOption(v) {
				report(path, c.Line, "value %q is not an option of %s (want one of %s)", v, f.Name, strings.Join(f.Options, ", "))
			}
		}
	}
}

// setNumbers gives each test of a number field in the tree its Number,
// from its value, as check does: a corpus decoded without being checked
// again (an index's own copy, written once it was) compares numbers as
// the checked one did.
func (c *Condition) setNumbers() {
	if c == nil {
		return
	}
	if f, ok := FieldByName(c.Field); ok && f.Kind == KindNumber && len(c.Values) == 1 {
		if n, err := strconv.Atoi(c.Values[0]); err == nil {
			c.Number = n
		}
	}
	for _, it := range c.All {
		it.setNumbers()
	}
	for _, it := range c.Any {
		it.setNumbers()
	}
}

func fieldNames() string {
	names := make([]string, len(Fields))
	for i, f := range Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// MaxAsk bounds an ask's question, in characters.
const MaxAsk = 60

// MarshalYAML writes a condition in the shape it is read in, as
// MarshalJSON does.
func (c *Condition) MarshalYAML() (any, error) {
	data, err := c.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	plainStyle(n.Content[0])
	return n.Content[0], nil
}

// plainStyle writes groups in block style and each test or ask on one line,
// as the corpus files do: {field: age, op: gte, value: 65}.
func plainStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plainStyle(c)
	}
	if n.Kind == yaml.MappingNode && len(n.Content) > 0 && n.Content[0].Value != "all" && n.Content[0].Value != "any" {
		n.Style = yaml.FlowStyle
	}
	if n.Kind == yaml.SequenceNode && len(n.Content) > 0 && n.Content[0].Kind == yaml.ScalarNode {
		n.Style = yaml.FlowStyle
	}
}

// MarshalJSON writes a condition in the shape it is read in: field, op and
// value, ask, or all / any.
func (c *Condition) MarshalJSON() ([]byte, error) {
	switch {
	case c.Ask != "":
		return json.Marshal(map[string]string{"ask": c.Ask})
	case c.All != nil:
		return json.Marshal(map[string][]*Condition{"all": c.All})
	case c.Any != nil:
		return json.Marshal(map[string][]*Condition{"any": c.Any})
	}
	out := struct {
		Field string `json:"field"`
		Op    string `json:"op"`
		Value any    `json:"value"`
	}{Field: c.Field, Op: c.Op}
	f, _ := FieldByName(c.Field)
	switch {
	case f.Kind == KindNumber && len(c.Values) == 1:
		if n, err := strconv.Atoi(c.Values[0]); err == nil {
			out.Value = n
		} else {
			out.Value = c.Values[0]
		}
	case len(c.Values) == 1 && c.Op != OpIn && c.Op != OpNotIn:
		out.Value = c.Values[0]
	default:
		out.Value = c.Values
	}
	return json.Marshal(out)
}
