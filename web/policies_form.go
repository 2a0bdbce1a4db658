package web

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"yicha/corpus"
)

// The entry form: every field of an entry as plain HTML form values, read
// into an entryForm and written out as the entry's JSON, which goes through
// the same path as the entries API (entrystore.BodyFromJSON, checkEntry).
// Lists are one item per line; basis, amounts and sources are rows; the
// eligibility tree is a list of rows in document order, each with its
// depth, so that any tree can be edited without YAML and without script.

// entryForm is what the form holds.
type entryForm struct {
	ID                     string
	Title, Kind, Category  string
	Audiences              []string
	Summary, Content       string
	Basis                  []basisRow
	Benefit                string
	Amounts                []corpus.Amount
	Sources                []corpus.Citation
	Verified               string
	Eligibility            string // guide.eligibility, one per line
	Materials, Steps       string
	TimeLimit, Fee         string
	Places                 []string
	Locations              string // inline locations, as JSON, kept as they are
	OnlineMode             string // "", "url" or "search"
	Online                 corpus.Online
	Agency, Region         string
	Scope, Site            string
	Effective, Expires     string
	Updated                string
	Keywords               string
	Root                   string // "all" or "any"
	Conds                  []condRow
	Note                   string
	BasedVersion, BasedRev int
	// Single is set when the entry's tree is one condition, not a group.
	Single bool
}

// basisRow is one basis item: a document of the registry and articles;
// an inline item (no document) keeps its own title, number, issuer, date.
type basisRow struct {
	Document, Articles          string
	Title, Number, Issuer, Date string
}

// Kinds of eligibility row.
const (
	rowTest = "test"
	rowAsk  = "ask"
	rowAll  = "all"
	rowAny  = "any"
)

// condRow is one row of the eligibility builder: a test, an ask, or a
// group whose items are the rows after it one level deeper.
type condRow struct {
	Depth  int
	Type   string
	Field  string
	Op     string
	Values []string
	// Text holds values typed rather than ticked (a number, or options
	// separated by 、 or commas).
	Text string
	Ask  string
	// Path is where the row sits in the entry: eligibility.all[1].
	Path string
}

// lines splits a textarea into its non-empty lines, trimmed.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

var rowKeyRE = regexp.MustCompile(`^([a-z]+)\.(\d+)\.`)

// rowCount is how many rows of a prefix (basis, amounts, sources, c) the
// form sent: one more than the highest index, at most maxRows.
func rowCount(v url.Values, prefix string) int {
	n := 0
	for k := range v {
		m := rowKeyRE.FindStringSubmatch(k)
		if m == nil || m[1] != prefix {
			continue
		}
		if i, err := strconv.Atoi(m[2]); err == nil && i < maxRows && i+1 > n {
			n = i + 1
		}
	}
	return n
}

// maxRows bounds the rows of each list a form may send.
const maxRows = 500

// blockText reads a long text: line breaks as \n, and a text of several
// lines ending in one, as a YAML block keeps it.
func blockText(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(strings.ToValidUTF8(s, ""), "\r\n", "\n"))
	if strings.Contains(s, "\n") {
		s += "\n"
	}
	return s
}

func clean(s string) string { return strings.TrimSpace(strings.ToValidUTF8(s, "")) }

// readForm reads the form's values. Rows whose every value is empty are
// dropped; eligibility rows marked for deletion go with their items.
func readForm(v url.Values) entryForm {
	get := func(k string) string { return clean(v.Get(k)) }
	f := entryForm{ID: get("id"), Title: get("title"), Kind: get("kind"), Category: get("category"),
		Summary: get("summary"), Content: blockText(v.Get("content")), Benefit: get("benefit"),
		Verified: get("verified"), Eligibility: v.Get("guide.eligibility"), Materials: v.Get("guide.materials"),
		Steps: v.Get("guide.steps"), TimeLimit: get("guide.time_limit"), Fee: get("guide.fee"),
		Locations: get("locations"), OnlineMode: get("online.mode"),
		Online: corpus.Online{URL: get("online.url"), Search: get("online.search"), Label: get("online.label"), Source: get("online.source")},
		Agency: get("agency"), Region: get("region"), Scope: get("scope"), Site: get("site"),
		Effective: get("effective"), Expires: get("expires"), Updated: get("updated"),
		Keywords: v.Get("keywords"), Root: get("elig.root"), Note: get("note")}
	f.BasedVersion, _ = strconv.Atoi(v.Get("bv"))
	f.BasedRev, _ = strconv.Atoi(v.Get("bd"))
	f.Single = v.Get("elig.single") == "1"
	for _, a := range v["audiences"] {
		if a = clean(a); a != "" {
			f.Audiences = append(f.Audiences, a)
		}
	}
	for _, p := range v["places"] {
		if p = clean(p); p != "" && !slices.Contains(f.Places, p) {
			f.Places = append(f.Places, p)
		}
	}
	row := func(prefix string, i int, name string) string {
		return get(prefix + "." + strconv.Itoa(i) + "." + name)
	}
	for i := range rowCount(v, "basis") {
		b := basisRow{Document: row("basis", i, "document"), Articles: row("basis", i, "articles"), Title: row("basis", i, "title"),
			Number: row("basis", i, "number"), Issuer: row("basis", i, "issuer"), Date: row("basis", i, "date")}
		if b != (basisRow{}) {
			f.Basis = append(f.Basis, b)
		}
	}
	for i := range rowCount(v, "amounts") {
		a := corpus.Amount{Name: row("amounts", i, "name"), Value: row("amounts", i, "value"), From: row("amounts", i, "from")}
		if a != (corpus.Amount{}) {
			f.Amounts = append(f.Amounts, a)
		}
	}
	for i := range rowCount(v, "sources") {
		s := corpus.Citation{Title: row("sources", i, "title"), URL: row("sources", i, "url"), Publisher: row("sources", i, "publisher"),
			Date: row("sources", i, "date"), Retrieved: row("sources", i, "retrieved"), Note: row("sources", i, "note")}
		if s != (corpus.Citation{}) {
			f.Sources = append(f.Sources, s)
		}
	}
	if f.Root != rowAny {
		f.Root = rowAll
	}
	deleting := -1 // the depth of a row being deleted, while its items follow
	for i := range rowCount(v, "c") {
		k := "c." + strconv.Itoa(i) + "."
		r := condRow{Type: get(k + "type"), Field: get(k + "field"), Op: get(k + "op"), Text: get(k + "text"), Ask: get(k + "ask")}
		r.Depth, _ = strconv.Atoi(v.Get(k + "depth"))
		for _, x := range v[k+"value"] {
			if x = clean(x); x != "" && !slices.Contains(r.Values, x) {
				r.Values = append(r.Values, x)
			}
		}
		if !slices.Contains([]string{rowTest, rowAsk, rowAll, rowAny}, r.Type) {
			continue
		}
		r.fitValues()
		if deleting >= 0 && r.Depth > deleting {
			continue
		}
		deleting = -1
		if v.Get(k+"del") != "" {
			deleting = r.Depth
			continue
		}
		f.Conds = append(f.Conds, r)
	}
	f.Conds = fixDepths(f.Conds)
	return f
}

// fitValues keeps ticked only the values that are options of the row's
// field and moves the others into the typed box, where they show: after
// the field of a row is changed, its old values are not silently kept or
// silently lost.
func (r *condRow) fitValues() {
	fd, ok := corpus.FieldByName(r.Field)
	if !ok {
		return
	}
	var kept, moved []string
	for _, x := range r.Values {
		if fd.Kind != corpus.KindNumber && fd.HasOption(x) {
			kept = append(kept, x)
		} else {
			moved = append(moved, x)
		}
	}
	r.Values = kept
	if len(moved) > 0 {
		r.Text = strings.TrimSpace(strings.Join(moved, "、") + "、" + r.Text)
		r.Text = strings.TrimSuffix(r.Text, "、")
	}
}

// fixDepths makes each row's depth one it can have: at least 1, and at
// most one deeper than the group it follows.
func fixDepths(rows []condRow) []condRow {
	maxDepth := 1 // the deepest a row may be here
	for i := range rows {
		rows[i].Depth = max(1, min(rows[i].Depth, maxDepth))
		maxDepth = rows[i].Depth
		if rows[i].Type == rowAll || rows[i].Type == rowAny {
			maxDepth++
		}
	}
	return rows
}

// addRow adds an empty row of a kind at the end of a group: the row at
// index group, or the top group for -1.
func (f *entryForm) addRow(kind string, group int) {
	depth, at := 1, len(f.Conds)
	if group >= 0 && group < len(f.Conds) && (f.Conds[group].Type == rowAll || f.Conds[group].Type == rowAny) {
		depth = f.Conds[group].Depth + 1
		at = group + 1
		for at < len(f.Conds) && f.Conds[at].Depth >= depth {
			at++
		}
	}
	f.Conds = slices.Insert(f.Conds, at, condRow{Type: kind, Depth: depth})
}

// splitValues reads values typed into one box: separated by 、, commas,
// semicolons or spaces.
func splitValues(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、,，;； \t", r) })
}

// rowValues are a test row's values: those ticked, then those typed.
func (r condRow) values() []string {
	out := slices.Clone(r.Values)
	for _, x := range splitValues(r.Text) {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// tree builds the eligibility tree from the rows and gives each row its
// path. A form read from an entry whose tree is a single condition
// (Single) writes a top group of one item as that item.
func (f *entryForm) tree() any {
	// build reads the rows from i at depth into the items of a group at
	// path; it returns them and the next row.
	var build func(i, depth int, path string) ([]any, int)
	build = func(i, depth int, path string) ([]any, int) {
		items := []any{}
		for i < len(f.Conds) && f.Conds[i].Depth == depth {
			r := &f.Conds[i]
			r.Path = path + "[" + strconv.Itoa(len(items)) + "]"
			switch r.Type {
			case rowAsk:
				items = append(items, map[string]any{"ask": r.Ask})
				i++
			case rowTest:
				items = append(items, r.test())
				i++
			default:
				sub, next := build(i+1, depth+1, r.Path+"."+r.Type)
				items = append(items, map[string]any{r.Type: sub})
				i = next
			}
		}
		return items, i
	}
	items, _ := build(0, 1, "eligibility."+f.Root)
	switch {
	case len(items) == 0:
		return nil
	case len(items) == 1 && f.Root == rowAll && f.Single:
		f.Conds[0].Path = "eligibility"
		if g := f.Conds[0]; g.Type == rowAll || g.Type == rowAny {
			build(1, 2, "eligibility."+g.Type)
		}
		return items[0]
	}
	return map[string]any{f.Root: items}
}

// test writes a test row as a condition: one value as a scalar where the
// operator takes one, else a list.
func (r condRow) test() map[string]any {
	vals := r.values()
	m := map[string]any{"field": r.Field, "op": r.Op}
	fd, _ := corpus.FieldByName(r.Field)
	switch {
	case len(vals) == 0:
	case len(vals) == 1 && (fd.Kind != corpus.KindChoice || r.Op == corpus.OpEq || r.Op == corpus.OpNe):
		m["value"] = vals[0]
	default:
		m["value"] = vals
	}
	return m
}

// entryJSON writes the form as an entry's JSON, in the fields of its
// YAML file; what is left empty is left out where the format allows it.
func (f *entryForm) entryJSON() ([]byte, error) {
	type kv struct {
		k string
		v any
	}
	var fields []kv
	put := func(k string, v any) { fields = append(fields, kv{k, v}) }
	opt := func(k, v string) {
		if v != "" {
			put(k, v)
		}
	}
	put("title", f.Title)
	put("kind", f.Kind)
	put("category", f.Category)
	put("audiences", orNone(f.Audiences))
	put("summary", f.Summary)
	put("content", f.Content)
	var basis []map[string]string
	for _, b := range f.Basis {
		m := map[string]string{}
		for k, v := range map[string]string{"document": b.Document, "articles": b.Articles, "title": b.Title, "number": b.Number, "issuer": b.Issuer, "date": b.Date} {
			if v != "" {
				m[k] = v
			}
		}
		basis = append(basis, m)
	}
	put("basis", orNone(basis))
	opt("benefit", f.Benefit)
	if len(f.Amounts) > 0 {
		put("amounts", f.Amounts)
	}
	if len(f.Sources) > 0 {
		put("sources", f.Sources)
	}
	opt("verified", f.Verified)
	put("guide", map[string]any{"eligibility": orNone(lines(f.Eligibility)), "materials": orNone(lines(f.Materials)),
		"steps": orNone(lines(f.Steps)), "time_limit": f.TimeLimit, "fee": f.Fee})
	put("places", orNone(f.Places))
	if f.Locations != "" {
		put("locations", json.RawMessage(f.Locations))
	}
	switch f.OnlineMode {
	case "url":
		o := map[string]string{"url": f.Online.URL, "label": f.Online.Label}
		if f.Online.Source != "" {
			o["source"] = f.Online.Source
		}
		put("online", o)
	case "search":
		put("online", map[string]string{"search": f.Online.Search, "label": f.Online.Label})
	}
	put("agency", f.Agency)
	put("region", f.Region)
	if f.Scope != "" && f.Scope != corpus.ScopeCity {
		put("scope", f.Scope)
	}
	opt("site", f.Site)
	opt("effective", f.Effective)
	opt("expires", f.Expires)
	put("updated", f.Updated)
	put("keywords", orNone(lines(f.Keywords)))
	if t := f.tree(); t != nil {
		put("eligibility", t)
	}
	// An object with its keys in the format's order.
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.k)
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// orNone keeps a list that is empty from being written as null.
func orNone[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// formOf fills the form from an entry as parsed from its body (not yet
// checked: places are ids, basis items cite the registry).
func formOf(p *corpus.Policy) entryForm {
	f := entryForm{ID: p.ID, Title: p.Title, Kind: p.Kind, Category: p.Category, Audiences: p.Audiences, Summary: p.Summary,
		Content: p.Content, Benefit: p.Benefit, Amounts: p.Amounts, Sources: p.Sources, Verified: p.Verified,
		Eligibility: strings.Join(p.Guide.Eligibility, "\n"), Materials: strings.Join(p.Guide.Materials, "\n"),
		Steps: strings.Join(p.Guide.Steps, "\n"), TimeLimit: p.Guide.TimeLimit, Fee: p.Guide.Fee, Places: p.Places,
		Agency: p.Agency, Region: p.Region, Scope: p.Scope, Site: p.Site, Effective: p.Effective, Expires: p.Expires, Updated: p.Updated,
		Keywords: strings.Join(p.Keywords, "\n"), Root: rowAll}
	for _, b := range p.Basis {
		f.Basis = append(f.Basis, basisRow{Document: b.Document, Articles: b.Articles, Title: b.Title, Number: b.Number, Issuer: b.Issuer, Date: b.Date})
	}
	if len(p.Locations) > 0 {
		if data, err := json.Marshal(p.Locations); err == nil {
			f.Locations = string(data)
		}
	}
	if o := p.Online; o != nil {
		f.Online = *o
		f.OnlineMode = "search"
		if o.URL != "" {
			f.OnlineMode = "url"
		}
	}
	if c := p.Eligible; c != nil {
		var add func(c *corpus.Condition, depth int)
		add = func(c *corpus.Condition, depth int) {
			switch {
			case c.All != nil || c.Any != nil:
				kind, items := rowAll, c.All
				if c.Any != nil {
					kind, items = rowAny, c.Any
				}
				f.Conds = append(f.Conds, condRow{Depth: depth, Type: kind})
				for _, it := range items {
					add(it, depth+1)
				}
			case c.Ask != "":
				f.Conds = append(f.Conds, condRow{Depth: depth, Type: rowAsk, Ask: c.Ask})
			default:
				r := condRow{Depth: depth, Type: rowTest, Field: c.Field, Op: c.Op}
				fd, _ := corpus.FieldByName(c.Field)
				if fd.Kind == corpus.KindNumber {
					r.Text = strings.Join(c.Values, " ")
				} else {
					for _, v := range c.Values {
						if fd.HasOption(v) {
							r.Values = append(r.Values, v)
						} else {
							r.Text = strings.TrimSpace(r.Text + " " + v)
						}
					}
				}
				f.Conds = append(f.Conds, r)
			}
		}
		switch {
		case c.All != nil:
			f.Root = rowAll
			for _, it := range c.All {
				add(it, 1)
			}
		case c.Any != nil:
			f.Root = rowAny
			for _, it := range c.Any {
				add(it, 1)
			}
		default:
			f.Single = true
			add(c, 1)
		}
	}
	return f
}
