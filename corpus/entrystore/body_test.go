package entrystore

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"yicha/corpus"
)

// TestJSONRoundTrip writes every entry of the corpus as JSON and back: the
// YAML that comes out parses to the same entry and passes the same checks.
func TestJSONRoundTrip(t *testing.T) {
	ctx := context.Background()
	snap, err := SnapshotOf(ctx, corpus.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	want, err := snap.Corpus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := snap.clone()
	for id, body := range snap.Entries {
		js, err := ToJSON(body)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		back, probs := BodyFromJSON(id, js)
		if len(probs) > 0 {
			t.Fatalf("%s: %v\n%s", id, probs, js)
		}
		if changes, _ := Diff(body, back); len(changes) > 0 && id == "dibao" {
			// Only the form may change (a scalar for a list of one).
			for _, c := range changes {
				if !strings.HasPrefix(c.Field, "eligibility") {
					t.Errorf("%s: %s changed: %v → %v", id, c.Field, deref(c.From), deref(c.To))
				}
			}
		}
		out.Entries[id] = back
	}
	got, err := out.Corpus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range want.Policies {
		q := got.Policies[i]
		a, _ := json.Marshal(p)
		b, _ := json.Marshal(q)
		if string(a) != string(b) {
			t.Fatalf("%s differs after JSON and back:\n%s\n%s", p.ID, a, b)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<absent>"
	}
	return *s
}

func TestBodyFromJSONNamesTheField(t *testing.T) {
	for _, c := range []struct{ json, field string }{
		{`[1]`, ""},
		{`{"title": "x", "colour": "red"}`, "colour"},
		{"{\n \"title\": \"x\",\n \"guide\": {\n  \"steps\": {\n   \"a\": 1\n  }\n }\n}", "guide.steps"},
	} {
		_, probs := BodyFromJSON("x", []byte(c.json))
		if len(probs) == 0 || probs[0].Field != c.field {
			t.Errorf("BodyFromJSON(%s) = %v (field %q), want a problem at %q", c.json, probs, fieldOfFirst(probs), c.field)
		}
	}
}

func fieldOfFirst(probs corpus.Problems) string {
	if len(probs) == 0 {
		return ""
	}
	return probs[0].Field
}
