package entrystore

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldDiff is what changed in one field of an entry between two bodies,
// as a person reads it: a field of the file (guide's parts are fields of
// their own: guide.materials), and either its value before and after or,
// for a list, the items added and removed.
type FieldDiff struct {
	Field string `json:"field"`
	// List is set for a list: Added and Removed then say what changed
	// (both empty when only the order did).
	List    bool     `json:"list,omitempty"`
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
	// From and To are a single value before and after, nil where absent.
	From *string `json:"from,omitempty"`
	To   *string `json:"to,omitempty"`
}

// Reordered reports whether a list only changed its order.
func (d FieldDiff) Reordered() bool { return d.List && len(d.Added) == 0 && len(d.Removed) == 0 }

// CompareFields compares two bodies field by field, in the order of the
// newer body's fields, then those it dropped. A nil body is an entry that
// did not exist: every field of the other is added or removed. A list is
// compared by its items (each item written as one line of text), counted,
// so an item written twice and kept once is one removed.
func CompareFields(from, to []byte) ([]FieldDiff, error) {
	a, orderA, err := topFields(from)
	if err != nil {
		return nil, err
	}
	b, orderB, err := topFields(to)
	if err != nil {
		return nil, err
	}
	var out []FieldDiff
	seen := map[string]bool{}
	for _, f := range append(orderB, orderA...) {
		if seen[f] {
			continue
		}
		seen[f] = true
		na, nb := a[f], b[f]
		if na != nil && nb != nil && nodeText(na) == nodeText(nb) {
			continue
		}
		if isList(na) || isList(nb) {
			d := FieldDiff{Field: f, List: true}
			d.Added, d.Removed = ListDiff(items(na), items(nb))
			out = append(out, d)
			continue
		}
		d := FieldDiff{Field: f}
		if na != nil {
			s := nodeText(na)
			d.From = &s
		}
		if nb != nil {
			s := nodeText(nb)
			d.To = &s
		}
		out = append(out, d)
	}
	return out, nil
}

// topFields returns a body's fields by name, guide's parts as guide.NAME.
func topFields(body []byte) (map[string]*yaml.Node, []string, error) {
	fields := map[string]*yaml.Node{}
	if body == nil {
		return fields, nil, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(body, &root); err != nil {
		return nil, nil, err
	}
	if len(root.Content) == 0 {
		return fields, nil, nil
	}
	top := resolve(root.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("the entry is not a mapping")
	}
	var order []string
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, val := top.Content[i].Value, resolve(top.Content[i+1])
		if key == "guide" && val.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(val.Content); j += 2 {
				name := "guide." + val.Content[j].Value
				fields[name], order = resolve(val.Content[j+1]), append(order, name)
			}
			continue
		}
		fields[key], order = val, append(order, key)
	}
	return fields, order, nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isList(n *yaml.Node) bool { return n != nil && n.Kind == yaml.SequenceNode }

// items are a list's items as text; a single value is a list of one.
func items(n *yaml.Node) []string {
	switch {
	case n == nil:
		return nil
	case n.Kind == yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, nodeText(c))
		}
		return out
	}
	return []string{nodeText(n)}
}

// ListDiff returns the items of b not in a and those of a not in b,
// counting repeats, each in its list's order.
func ListDiff(a, b []string) (added, removed []string) {
	left := map[string]int{}
	for _, s := range a {
		left[s]++
	}
	for _, s := range b {
		if left[s] > 0 {
			left[s]--
			continue
		}
		added = append(added, s)
	}
	right := map[string]int{}
	for _, s := range b {
		right[s]++
	}
	for _, s := range a {
		if right[s] > 0 {
			right[s]--
			continue
		}
		removed = append(removed, s)
	}
	return added, removed
}

// nodeText writes a value as one line a person can read: a scalar as it
// is, a mapping as 「key: value；key: value」, a list in brackets.
func nodeText(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return ""
	}
	switch n.Kind {
	case yaml.MappingNode:
		parts := make([]string, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			parts = append(parts, n.Content[i].Value+": "+nodeText(n.Content[i+1]))
		}
		return strings.Join(parts, "；")
	case yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			parts = append(parts, nodeText(c))
		}
		return "[" + strings.Join(parts, "，") + "]"
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			return nodeText(n.Content[0])
		}
		return ""
	}
	return strings.TrimSpace(n.Value)
}
