package corpus

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fill sets every exported field of v that a written corpus keeps (all
// but those JSON leaves out) to a value of its own, through pointers,
// lists and nested structs: strings of both sizes packed strings take,
// lists of two, numbers of both signs. Conditions nest three deep.
func fill(v reflect.Value, seed *int, depth int) {
	*seed++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("值%d", *seed) + strings.Repeat("长", *seed%3*4))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*seed * (1 - *seed%2*2)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		if depth > 3 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), seed, depth+1)
	case reflect.Slice:
		if depth > 3 {
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), seed, depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.IsExported() && f.Tag.Get("json") != "-" {
				fill(v.Field(i), seed, depth)
			}
		}
	default:
		panic("fill: a field of kind " + v.Kind().String())
	}
}

// emptied is p with every list it has, nested too, empty but not nil.
func emptied(p *Policy) *Policy {
	q := *p
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		case reflect.Pointer:
			if !v.IsNil() {
				cp := reflect.New(v.Type().Elem())
				cp.Elem().Set(v.Elem())
				v.Set(cp)
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		}
	}
	walk(reflect.ValueOf(&q).Elem())
	return &q
}

func packed(t *testing.T, c *Corpus) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePacked(&buf, c); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestPackedRoundTrip: every field an entry keeps comes back from the
// packed form as it was — strings, numbers, lists told from none (nil
// from empty), optional parts, conditions nested — including an entry
// whose strings all came before (written as references), with the
// registry and the sites.
func TestPackedRoundTrip(t *testing.T) {
	emb, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var full, same Policy
	seed := 0
	fill(reflect.ValueOf(&full).Elem(), &seed, 0)
	seed = 0
	fill(reflect.ValueOf(&same).Elem(), &seed, 0)
	same.ID = "zz-same"
	none := &Policy{ID: "zz-none"}
	empty := emptied(&full)
	empty.ID = "zz-empty"
	ps := append(slices.Clone(emb.Policies), &full, &same, empty, none)
	c := NewCorpus(ps, "x")
	extra := *emb.Sites.List[len(emb.Sites.List)-1]
	extra.ID, extra.Name = "test-street", "测试街道"
	c.Documents, c.Sites = emb.Documents, NewSites(append(slices.Clone(emb.Sites.List), &extra))

	data := packed(t, c)
	got, err := DecodePacked("corpus.packed", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Policies) != len(c.Policies) {
		t.Fatalf("%d entries back of %d", len(got.Policies), len(c.Policies))
	}
	for i, p := range c.Policies {
		want := *p
		want.Places, want.lines, want.Source = nil, nil, "corpus.packed"
		clearLines(want.Eligible)
		if q := got.Policies[i]; !reflect.DeepEqual(q, &want) {
			t.Errorf("entry %s:\n got %+v\nwant %+v", p.ID, q, &want)
		}
	}
	ref := viaJSONL(t, c, "corpus.packed")
	if got.Sites == nil || !reflect.DeepEqual(got.Sites, ref.Sites) || !reflect.DeepEqual(got.Documents, ref.Documents) || len(got.Documents) == 0 {
		t.Error("the registry or the sites differ from those of the JSONL form")
	}
	// The second copy of the filled entry adds little but its id.
	alone := len(packed(t, NewCorpus([]*Policy{&full}, "")))
	twice := len(packed(t, NewCorpus([]*Policy{&full, &same}, "")))
	if twice-alone > alone/3 {
		t.Errorf("the same entry again takes %d bytes, alone %d", twice-alone, alone)
	}
}

func clearLines(c *Condition) {
	if c == nil {
		return
	}
	c.Line = 0
	for _, it := range append(slices.Clone(c.All), c.Any...) {
		clearLines(it)
	}
}

// TestPackedEqualsJSONL: the packed form of the embedded corpus decodes to
// what its JSONL form decodes to (an index's copy before it was packed),
// but for the lines of conditions, which the packed form does not have.
func TestPackedEqualsJSONL(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePacked("x", packed(t, c))
	if err != nil {
		t.Fatal(err)
	}
	want := viaJSONL(t, c, "x")
	for _, p := range want.Policies {
		clearLines(p.Eligible)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("the packed and the JSONL forms decode to different corpora")
	}
}

// viaJSONL is c written as a JSONL corpus and decoded as name.
func viaJSONL(t *testing.T, c *Corpus, name string) JSONLFile {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, c); err != nil {
		t.Fatal(err)
	}
	file, err := DecodeJSONL(context.Background(), name, &buf)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

// TestPackedRefusesACutFile: a packed corpus cut anywhere, or with bytes
// after its entries, is refused, not read in part.
func TestPackedRefusesACutFile(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	data := packed(t, NewCorpus(c.Policies[:20], ""))
	for n := 0; n < len(data); n += 1 + n/50 {
		if _, err := DecodePacked("x", data[:n]); err == nil {
			t.Fatalf("the first %d of %d bytes decode", n, len(data))
		}
	}
	if _, err := DecodePacked("x", data+"\x00"); err == nil {
		t.Fatal("a byte after the entries is not refused")
	}
	if _, err := DecodePacked("x", data); err != nil {
		t.Fatal(err)
	}
}

// FuzzDecodePacked: whatever the bytes, decoding ends with entries or an
// error, never a panic.
func FuzzDecodePacked(f *testing.F) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []int{1, 3} {
		var buf bytes.Buffer
		if err := WritePacked(&buf, NewCorpus(c.Policies[:n], "")); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := DecodePacked("x", string(data))
		if err == nil && slices.Contains(file.Policies, nil) {
			t.Fatal("a nil entry")
		}
	})
}
