package web

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"yicha/corpus"
	"yicha/corpus/entrystore"
)

// TestEntryFormRows reads eligibility rows as a form sends them and
// checks the tree written and each row's path: groups hold the deeper
// rows after them, a deleted group takes its items along, a depth that
// cannot be is mended, and a single condition stays single.
func TestEntryFormRows(t *testing.T) {
	row := func(v url.Values, i int, kv ...string) {
		for j := 0; j+1 < len(kv); j += 2 {
			v.Add("c."+string(rune('0'+i))+"."+kv[j], kv[j+1])
		}
	}
	for _, c := range []struct {
		name  string
		form  func(v url.Values)
		tree  string
		paths []string
	}{
		{"nested", func(v url.Values) {
			row(v, 0, "depth", "1", "type", "test", "field", "age", "op", "gte", "text", "60")
			row(v, 1, "depth", "1", "type", "any")
			row(v, 2, "depth", "2", "type", "test", "field", "economic", "op", "in", "value", "低保", "value", "低收入")
			row(v, 3, "depth", "2", "type", "all")
			row(v, 4, "depth", "3", "type", "ask", "ask", "是否独居？")
			row(v, 5, "depth", "3", "type", "test", "field", "identity", "op", "has", "value", "独居")
		}, `{"all":[{"field":"age","op":"gte","value":"60"},{"any":[{"field":"economic","op":"in","value":["低保","低收入"]},{"all":[{"ask":"是否独居？"},{"field":"identity","op":"has","value":"独居"}]}]}]}`,
			[]string{"eligibility.all[0]", "eligibility.all[1]", "eligibility.all[1].any[0]", "eligibility.all[1].any[1]", "eligibility.all[1].any[1].all[0]", "eligibility.all[1].any[1].all[1]"}},
		{"deleted group", func(v url.Values) {
			v.Set("elig.root", "any")
			row(v, 0, "depth", "1", "type", "all", "del", "1")
			row(v, 1, "depth", "2", "type", "test", "field", "age", "op", "gte", "text", "60")
			row(v, 2, "depth", "1", "type", "test", "field", "hukou", "op", "eq", "text", "本市户籍")
		}, `{"any":[{"field":"hukou","op":"eq","value":"本市户籍"}]}`, []string{"eligibility.any[0]"}},
		{"mended depth", func(v url.Values) {
			row(v, 0, "depth", "3", "type", "test", "field", "age", "op", "lt", "text", "18")
			row(v, 1, "depth", "0", "type", "bogus")
		}, `{"all":[{"field":"age","op":"lt","value":"18"}]}`, []string{"eligibility.all[0]"}},
		{"single", func(v url.Values) {
			v.Set("elig.single", "1")
			row(v, 0, "depth", "1", "type", "any")
			row(v, 1, "depth", "2", "type", "test", "field", "hukou", "op", "ne", "value", "非本市户籍")
			row(v, 2, "depth", "2", "type", "ask", "ask", "是否持有居住证？")
		}, `{"any":[{"field":"hukou","op":"ne","value":"非本市户籍"},{"ask":"是否持有居住证？"}]}`, []string{"eligibility", "eligibility.any[0]", "eligibility.any[1]"}},
		{"none", func(v url.Values) {}, `null`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := url.Values{}
			c.form(v)
			f := readForm(v)
			got, _ := json.Marshal(f.tree())
			if string(got) != c.tree {
				t.Errorf("tree = %s\nwant   %s", got, c.tree)
			}
			var paths []string
			for _, r := range f.Conds {
				paths = append(paths, r.Path)
			}
			if strings.Join(paths, " ") != strings.Join(c.paths, " ") {
				t.Errorf("paths = %v, want %v", paths, c.paths)
			}
		})
	}
}

// TestEntryFormKeepsLocations: places described in an entry itself (as
// older exports have) survive the form unchanged.
func TestEntryFormKeepsLocations(t *testing.T) {
	body := []byte("title: 测试\nkind: 服务类\nlocations:\n  - {name: 某中心, address: 某路1号, hours: unknown, phone: unknown}\n" +
		"eligibility:\n  field: age\n  op: gte\n  value: 60\n")
	p, probs := corpus.ParsePolicy(entrystore.File("x"), "x", body)
	if p == nil {
		t.Fatal(probs)
	}
	f := formOf(p)
	v := url.Values{"locations": {f.Locations}, "title": {f.Title}, "kind": {f.Kind}, "elig.single": {"1"},
		"c.0.depth": {"1"}, "c.0.type": {"test"}, "c.0.field": {"age"}, "c.0.op": {"gte"}, "c.0.text": {"60"}}
	g := readForm(v)
	data, err := g.entryJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	json.Unmarshal(data, &m)
	if string(m["locations"]) != `[{"name":"某中心","address":"某路1号","hours":"unknown","phone":"unknown"}]` || string(m["eligibility"]) != `{"field":"age","op":"gte","value":"60"}` {
		t.Errorf("locations = %s, eligibility = %s", m["locations"], m["eligibility"])
	}
}
