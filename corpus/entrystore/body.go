package entrystore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"yicha/corpus"
)

// BodyFromJSON turns an entry written as a JSON object — the fields of an
// entry's YAML file (corpus/FORMAT.md) — into its YAML body, in the order
// of the format. Problems name the field they are about.
func BodyFromJSON(id string, data []byte) ([]byte, corpus.Problems) {
	file := File(id)
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return nil, corpus.Problems{{File: file, Line: 1, Message: "the entry must be one JSON object"}}
	}
	p, probs := corpus.ParsePolicy(file, id, data)
	if p == nil {
		var root yaml.Node
		yaml.Unmarshal(data, &root)
		for i := range probs {
			probs[i].Field = fieldOf(&root, probs[i])
		}
		return nil, probs
	}
	return Canonical(p)
}

// Canonical writes a parsed (not yet checked) entry as YAML, its fields in
// the order of the format and its id left to the file name.
func Canonical(p *corpus.Policy) ([]byte, corpus.Problems) {
	cp := *p
	cp.ID = ""
	out, err := yaml.Marshal(&cp)
	if err != nil {
		return nil, corpus.Problems{{File: File(p.ID), Line: 1, Message: err.Error()}}
	}
	return out, nil
}

var notFoundRE = regexp.MustCompile(`field (\S+) not found in type`)

// fieldOf finds the field a decoding problem is about: the one its message
// names, else the deepest field on its line.
func fieldOf(root *yaml.Node, p corpus.Problem) string {
	if m := notFoundRE.FindStringSubmatch(p.Message); m != nil {
		return m[1]
	}
	best := ""
	walk(root, "", func(path string, n *yaml.Node) {
		if n.Line == p.Line && len(path) > len(best) {
			best = path
		}
	})
	return best
}

// walk calls fn with the path of every key's value, and every item.
func walk(n *yaml.Node, path string, fn func(path string, n *yaml.Node)) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walk(c, path, fn)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if path != "" {
				key = path + "." + key
			}
			fn(key, n.Content[i])
			walk(n.Content[i+1], key, fn)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			fn(p, c)
			walk(c, p, fn)
		}
	}
}

// ToJSON returns an entry's body as a JSON object, its fields in the
// file's order, each value as the file gives it (dates as strings).
func ToJSON(body []byte) (json.RawMessage, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if len(root.Content) == 0 {
		return json.RawMessage("{}"), nil
	}
	if err := writeJSON(&b, root.Content[0]); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.AliasNode:
		return writeJSON(b, n.Alias)
	case yaml.MappingNode:
		b.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(n.Content[i].Value)
			b.Write(k)
			b.WriteByte(':')
			if err := writeJSON(b, n.Content[i+1]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, c); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		b.WriteString(scalarJSON(n))
	}
	return nil
}

// scalarJSON writes a scalar as JSON: numbers, booleans and null as such,
// everything else (dates included) as a string.
func scalarJSON(n *yaml.Node) string {
	switch n.ShortTag() {
	case "!!int":
		if v, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return strconv.FormatInt(v, 10)
		}
	case "!!float":
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
	case "!!bool":
		if v, err := strconv.ParseBool(n.Value); err == nil {
			return strconv.FormatBool(v)
		}
	case "!!null":
		return "null"
	}
	s, _ := json.Marshal(n.Value)
	return string(s)
}

// Change of one field between two versions: its path ("title",
// "guide.steps[2]", "eligibility.all[0].value") and its values, nil where
// it is absent.
type FieldChange struct {
	Field string  `json:"field"`
	From  *string `json:"from"`
	To    *string `json:"to"`
}

// Diff compares two bodies field by field: every leaf value that differs,
// in the order of the newer body's fields, then those it dropped.
func Diff(from, to []byte) ([]FieldChange, error) {
	a, order, err := leaves(from)
	if err != nil {
		return nil, err
	}
	b, orderB, err := leaves(to)
	if err != nil {
		return nil, err
	}
	var out []FieldChange
	seen := map[string]bool{}
	for _, path := range append(orderB, order...) {
		if seen[path] {
			continue
		}
		seen[path] = true
		va, ina := a[path]
		vb, inb := b[path]
		if ina && inb && va == vb {
			continue
		}
		c := FieldChange{Field: path}
		if ina {
			c.From = &va
		}
		if inb {
			c.To = &vb
		}
		out = append(out, c)
	}
	return out, nil
}

// leaves flattens a body into its leaf values by path. A value written as
// a scalar and as a list of one (value: 低保 / value: [低保]) differ.
func leaves(body []byte) (map[string]string, []string, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		return nil, nil, err
	}
	vals := map[string]string{}
	var order []string
	var visit func(n *yaml.Node, path string)
	visit = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				visit(c, path)
			}
		case yaml.AliasNode:
			visit(n.Alias, path)
		case yaml.MappingNode:
			if len(n.Content) == 0 {
				vals[path], order = "{}", append(order, path)
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i].Value
				if path != "" {
					key = path + "." + key
				}
				visit(n.Content[i+1], key)
			}
		case yaml.SequenceNode:
			if len(n.Content) == 0 {
				vals[path], order = "[]", append(order, path)
			}
			for i, c := range n.Content {
				visit(c, fmt.Sprintf("%s[%d]", path, i))
			}
		default:
			vals[path], order = n.Value, append(order, path)
		}
	}
	visit(&root, "")
	return vals, order, nil
}

// Summary is what a list of entries shows of one: parsed from its body.
type Summary struct {
	Title    string
	Category string
	Verified string
}

// Summarize reads the title, category and verified date of a body; a body
// that does not parse gives what it can.
func Summarize(id string, body []byte) Summary {
	p, _ := corpus.ParsePolicy(File(id), id, body)
	if p == nil {
		return Summary{}
	}
	return Summary{Title: p.Title, Category: p.Category, Verified: p.Verified}
}

// sortRecords orders audit records newest first.
func sortRecords(rs []AuditRecord) {
	slices.SortFunc(rs, func(a, b AuditRecord) int {
		switch {
		case a.Seq > b.Seq:
			return -1
		case a.Seq < b.Seq:
			return 1
		}
		return 0
	})
}

// utc keeps times the way both backends store them: UTC, microseconds.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
