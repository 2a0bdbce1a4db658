package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"yicha/corpus"
)

func embeddedCorpus(t testing.TB) *corpus.Corpus {
	t.Helper()
	c, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStoreBuildReopenAndRebuild(t *testing.T) {
	dir := t.TempDir()
	c := embeddedCorpus(t)

	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if idx, _, _, err := s.Active(); err != nil || idx != nil {
		t.Fatalf("Active on an empty store = %v, %v; want nothing", idx, err)
	}
	idx, m, err := s.Build(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _, _ := s.Active(); got != nil {
		t.Fatal("a built index is active before Activate")
	}
	if err := s.Activate(m); err != nil {
		t.Fatal(err)
	}
	if n, _ := idx.DocCount(); n != uint64(len(c.Policies)) || m.Docs != n {
		t.Fatalf("built %d docs (manifest %d), corpus has %d", n, m.Docs, len(c.Policies))
	}
	idx.Close()

	// A second process cannot take the directory while it is held.
	if _, err := OpenStore(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second OpenStore = %v, want ErrLocked", err)
	}

	// The active index reopens with the corpus it was built from.
	idx, c2, m2, err := s.Active()
	if err != nil || idx == nil {
		t.Fatalf("Active = %v, %v", idx, err)
	}
	if m2.Dir != m.Dir || c2.Fingerprint != c.Fingerprint || len(c2.Policies) != len(c.Policies) {
		t.Fatalf("reopened %s (%s, %d entries), built %s (%s, %d)", m2.Dir, c2.Fingerprint, len(c2.Policies), m.Dir, c.Fingerprint, len(c.Policies))
	}
	idx.Close()

	// An index of another mapping version is not reused.
	m2.MappingVersion = MappingVersion + 1
	if err := s.writeManifest(m2); err != nil {
		t.Fatal(err)
	}
	if idx, _, _, _ := s.Active(); idx != nil {
		t.Fatal("an index of another mapping version was reused")
	}

	// A rebuild makes a new directory; Clean removes the old one and leftovers.
	leftover := filepath.Join(dir, indexPrefix+"123")
	if err := os.Mkdir(leftover, 0o755); err != nil {
		t.Fatal(err)
	}
	idx, m3, err := s.Build(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	if err := s.Activate(m3); err != nil {
		t.Fatal(err)
	}
	if err := s.Clean(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) != 1 || dirs[0] != m3.Dir {
		t.Fatalf("after Clean the data directory holds %v, want only %s", dirs, m3.Dir)
	}
	s.Close()
	if s2, err := OpenStore(dir); err != nil {
		t.Fatalf("OpenStore after Close: %v", err)
	} else {
		s2.Close()
	}
}

func TestNormalizeDocNumber(t *testing.T) {
	want := NormalizeDocNumber("沪府规〔2021〕3号")
	for _, in := range []string{"沪府规[2021]3号", "沪府规（2021）3号", "沪府规 〔2021〕 3号", "沪府规［２０２１］３号"} {
		if got := NormalizeDocNumber(in); got != want {
			t.Errorf("NormalizeDocNumber(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStoreRebuildsWhenTheDictionaryChanges(t *testing.T) {
	c := embeddedCorpus(t)
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	idx, m, err := s.Build(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx.Close()
	m.Analysis = "built-with-another-dictionary"
	if err := s.writeManifest(m); err != nil {
		t.Fatal(err)
	}
	if idx, _, _, _ := s.Active(); idx != nil {
		idx.Close()
		t.Fatal("an index built with another dictionary was reused")
	}
}

// jsonlCopy makes the index of m keep its corpus as indexes built before
// it was packed did: a JSONL file, which edit may change, named by no
// CorpusFile, with its hash.
func jsonlCopy(t *testing.T, s *Store, m *Manifest, c *corpus.Corpus, edit func([]byte) []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := corpus.WriteJSONL(&buf, c); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	data := edit(buf.Bytes())
	if err := os.WriteFile(filepath.Join(s.Dir(), m.Dir, jsonlCorpusName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(s.Dir(), m.Dir, m.CorpusFile))
	m.CorpusFile, m.CorpusSHA256 = "", hex.EncodeToString(sum[:])
	if err := s.Activate(m); err != nil {
		t.Fatal(err)
	}
}

// TestStoreReadsAJSONLCorpusCopy: an index built before the corpus was
// kept packed still opens, its JSONL copy decoded fast, with each number
// condition's number as the checked corpus had it.
func TestStoreReadsAJSONLCorpusCopy(t *testing.T) {
	c := embeddedCorpus(t)
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var logged bytes.Buffer
	s.Log = slog.New(slog.NewTextHandler(&logged, nil))
	idx, m, err := s.Build(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx.Close()
	jsonlCopy(t, s, m, c, func(b []byte) []byte { return b })
	idx, got, _, err := s.Active()
	if err != nil || idx == nil {
		t.Fatalf("Active = %v, %v", idx, err)
	}
	idx.Close()
	if len(got.Policies) != len(c.Policies) || logged.Len() > 0 {
		t.Fatalf("read %d entries of %d; logged %q", len(got.Policies), len(c.Policies), logged.String())
	}
	numbers := 0
	for i, p := range c.Policies {
		want, have := corpus.Describe(p.Eligible), corpus.Describe(got.Policies[i].Eligible)
		if !slices.Equal(want, have) {
			t.Errorf("%s: conditions %q read back as %q", p.ID, want, have)
		}
		if strings.Contains(strings.Join(want, " "), "周岁") {
			numbers++
		}
	}
	if numbers == 0 {
		t.Fatal("no entry of the corpus has a condition on age")
	}
}

// TestStoreRefusesADamagedCorpus: an index whose packed corpus was cut
// short, or had a byte changed, is not served.
func TestStoreRefusesADamagedCorpus(t *testing.T) {
	c := embeddedCorpus(t)
	for name, damage := range map[string]func([]byte) []byte{
		"cut":     func(b []byte) []byte { return b[:len(b)/2] },
		"changed": func(b []byte) []byte { b[len(b)-10]++; return b },
	} {
		s, err := OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		idx, m, err := s.Build(context.Background(), c, nil)
		if err != nil {
			t.Fatal(err)
		}
		idx.Close()
		if err := s.Activate(m); err != nil {
			t.Fatal(err)
		}
		if idx, _, _, err := s.Active(); err != nil || idx == nil {
			t.Fatalf("%s: before the damage, Active = %v, %v", name, idx, err)
		} else {
			idx.Close()
		}
		path := filepath.Join(s.Dir(), m.Dir, m.CorpusFile)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, damage(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if idx, _, _, err := s.Active(); err == nil || idx != nil || !strings.Contains(err.Error(), "cut short or damaged") {
			t.Errorf("%s: Active = %v, %v; want the corpus refused", name, idx, err)
		}
		s.Close()
	}
}

// TestStoreReadsAHandMadeCorpusCopy checks that an index whose corpus copy
// is not the JSON WriteJSONL writes (here: YAML flow mappings) still opens,
// read the slow way, with a log line saying so.
func TestStoreReadsAHandMadeCorpusCopy(t *testing.T) {
	c := embeddedCorpus(t)
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var logged bytes.Buffer
	s.Log = slog.New(slog.NewTextHandler(&logged, nil))
	idx, m, err := s.Build(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx.Close()
	jsonlCopy(t, s, m, c, func(data []byte) []byte {
		yamlish := bytes.ReplaceAll(data, []byte("\n{\"id\":"), []byte("\n{id: "))
		if bytes.Equal(yamlish, data) {
			t.Fatal("no entry line to rewrite")
		}
		return yamlish
	})
	idx, got, _, err := s.Active()
	if err != nil || idx == nil {
		t.Fatalf("Active = %v, %v", idx, err)
	}
	idx.Close()
	if len(got.Policies) != len(c.Policies) || got.Policies[0].Title != c.Policies[0].Title {
		t.Fatalf("read %d entries, want %d", len(got.Policies), len(c.Policies))
	}
	if !strings.Contains(logged.String(), "reading the index's corpus as YAML") {
		t.Errorf("no log line of the fallback; logged %q", logged.String())
	}
}

// TestBuildLeavesOneSegment: a build of more than one batch ends as one
// segment on disk, so that the index does not change under its first
// searches.
func TestBuildLeavesOneSegment(t *testing.T) {
	emb := embeddedCorpus(t)
	var ps []*corpus.Policy
	for i := 0; len(ps) < 1200; i++ {
		for _, p := range emb.Policies {
			cp := *p
			cp.ID = fmt.Sprintf("%s-%d", p.ID, i)
			ps = append(ps, &cp)
		}
	}
	idx, err := BuildAt(context.Background(), filepath.Join(t.TempDir(), "index"), corpus.NewCorpus(ps, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	adv, err := idx.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	r, err := adv.Reader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	segs := r.(*scorch.IndexSnapshot).Segments()
	if len(segs) != 1 {
		t.Fatalf("%d segments after the build of %d entries, want 1", len(segs), len(ps))
	}
	if _, ok := segs[0].Segment().(segment.PersistedSegment); !ok || segs[0].Count() != uint64(len(ps)) {
		t.Fatalf("the segment holds %d entries (on disk: %v), want %d on disk", segs[0].Count(), ok, len(ps))
	}
}
