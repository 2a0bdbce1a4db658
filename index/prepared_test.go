package index

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/go-ego/gse"

	"yicha/corpus"
)

// realTexts returns real residents' questions (subject and message) from
// ../shared and every text of the embedded corpus.
func realTexts(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "shared", "data", "resident-questions", "questions.jsonl"))
	if err != nil {
		t.Fatalf("resident questions: %v", err)
	}
	defer f.Close()
	var texts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var q struct{ Subject, Message string }
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, q.Subject, q.Message)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	corp, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range corp.Policies {
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(data))
	}
	if len(texts) < 10000 {
		t.Fatalf("only %d texts", len(texts))
	}
	return texts
}

// TestPreparedSegmenterIsIdentical builds the segmenter from the text
// dictionaries, writes it in the prepared form and reads it back: the
// dictionary read is the one built, word for word, and cuts every real
// question and corpus text into the same tokens.
func TestPreparedSegmenterIsIdentical(t *testing.T) {
	built, err := loadSegmenter()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writePrepared(dir, built); err != nil {
		t.Fatal(err)
	}
	read, err := readPrepared(dir)
	if err != nil {
		t.Fatal(err)
	}
	if read.Dict.NumTokens() != built.Dict.NumTokens() || read.Dict.TotalFreq() != built.Dict.TotalFreq() ||
		read.Dict.MaxTokenLen() != built.Dict.MaxTokenLen() {
		t.Fatalf("read %d words (total %g, longest %d), built %d (%g, %d)", read.Dict.NumTokens(), read.Dict.TotalFreq(),
			read.Dict.MaxTokenLen(), built.Dict.NumTokens(), built.Dict.TotalFreq(), built.Dict.MaxTokenLen())
	}
	a, b := (*mirrorDict)(unsafe.Pointer(built.Dict)), (*mirrorDict)(unsafe.Pointer(read.Dict))
	ia, ib := tokenIndex(a), tokenIndex(b)
	if !reflect.DeepEqual(*a.trie, *b.trie) {
		t.Fatal("the trie read differs from the one built")
	}
	for i := range a.Tokens {
		x, y := &a.Tokens[i], &b.Tokens[i]
		if !sameWord(x, y) || len(x.segments) != len(y.segments) {
			t.Fatalf("word %d: read %+v, built %+v", i, *y, *x)
		}
		for j, s := range x.segments {
			r := y.segments[j]
			if s.start != r.start || s.end != r.end || s.Position != r.Position || !sameWord(s.token, r.token) {
				t.Fatalf("word %q, sub-word %d: read %+v, built %+v", x.text, j, *r, *s)
			}
			// A sub-word in the dictionary is that dictionary word itself.
			inA, ok := ia[s.token]
			if inB, okB := ib[r.token]; inA != inB || ok != okB || (!ok && len(r.token.segments) > 0) {
				t.Fatalf("word %q, sub-word %d: refers elsewhere", x.text, j)
			}
		}
	}

	fold, err := NewFolder()
	if err != nil {
		t.Fatal(err)
	}
	want, got := &Tokenizer{seg: built, fold: fold}, &Tokenizer{seg: read, fold: fold}
	tokens := 0
	for _, text := range realTexts(t) {
		w, g := want.Tokenize([]byte(text)), got.Tokenize([]byte(text))
		if !slices.EqualFunc(w, g, func(a, b *analysis.Token) bool { return reflect.DeepEqual(a, b) }) {
			t.Fatalf("%q: read segmenter cuts\n%v\nbuilt one\n%v", text, g, w)
		}
		tokens += len(w)
	}
	t.Logf("%d tokens identical", tokens)
}

func sameWord(x, y *mirrorToken) bool {
	return reflect.DeepEqual(x.text, y.text) && x.freq == y.freq && x.pos == y.pos && x.distance == y.distance
}

// tokenIndex maps each of d's words to its index.
func tokenIndex(d *mirrorDict) map[*mirrorToken]int {
	m := make(map[*mirrorToken]int, len(d.Tokens))
	for i := range d.Tokens {
		m[&d.Tokens[i]] = i
	}
	return m
}

// TestPreparedSegmenterRefused: a prepared file of other dictionaries, a
// damaged or a cut one is refused, never read.
func TestPreparedSegmenterRefused(t *testing.T) {
	seg, err := sharedSegmenter()
	if err != nil {
		t.Fatal(err)
	}
	data, err := encodePrepared(seg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodePrepared(data); err != nil {
		t.Fatalf("intact file: %v", err)
	}
	other := slices.Clone(data)
	other[len(preparedMagic)] ^= 1 // the dictionaries' hash
	flipped := slices.Clone(data)
	flipped[len(data)/2] ^= 0x10
	for name, bad := range map[string][]byte{
		"other dictionaries": other,
		"a flipped bit":      flipped,
		"cut short":          data[:len(data)/3],
		"empty":              nil,
		"another format":     append([]byte("yicha-segmenter\x00"), data[len(preparedMagic):]...),
	} {
		if seg, err := decodePrepared(bad); err == nil || seg != nil {
			t.Errorf("%s: read without error", name)
		}
	}
	if _, err := readPrepared(t.TempDir()); err == nil {
		t.Error("a directory without the file: no error")
	}
}

// TestPreparedLayoutChecked: the layout check tells a mirror from a type
// that differs in a field's name, type or place.
func TestPreparedLayoutChecked(t *testing.T) {
	if !preparedLayout() {
		t.Fatal("the mirrors do not match gse's types")
	}
	type swapped struct {
		trie        *mirrorCedar
		Tokens      []mirrorToken
		maxTokenLen int
		totalFreq   float64
	}
	type renamed struct {
		trie        *mirrorCedar
		maxTokenLen int
		Tokens      []mirrorToken
		total       float64
	}
	type narrower struct {
		trie        *mirrorCedar
		maxTokenLen int
		Tokens      []mirrorToken
		totalFreq   float32
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[swapped](), reflect.TypeFor[renamed](), reflect.TypeFor[narrower]()} {
		if sameLayout(reflect.TypeFor[gse.Dictionary](), typ, map[[2]reflect.Type]bool{}) {
			t.Errorf("%v taken for gse.Dictionary", typ)
		}
	}
}

// BenchmarkSegmenterPrepared measures reading the prepared segmenter, what
// a server with a data directory does before its first answer in place of
// BenchmarkSegmenterLoad.
func BenchmarkSegmenterPrepared(b *testing.B) {
	seg, err := loadSegmenter()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := writePrepared(dir, seg); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := readPrepared(dir); err != nil {
			b.Fatal(err)
		}
	}
}
