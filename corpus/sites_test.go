package corpus

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEmbeddedSites: the district and its eight streets, the district the
// default, each street under it with its own offices; the district's own
// entries are scoped to it.
func TestEmbeddedSites(t *testing.T) {
	c, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sites
	if d := s.Default(); d == nil || d.ID != "hongkou" || d.Name != "虹口区" || d.Level != LevelDistrict {
		t.Fatalf("default site = %+v, want 虹口区", d)
	}
	streets := s.Children("hongkou")
	if len(streets) != 8 {
		t.Fatalf("%d streets under 虹口区, want 8", len(streets))
	}
	q, ok := s.Get("quyanglu")
	if !ok || q.Name != "曲阳路街道" || q.Level != LevelStreet || q.Parent != "hongkou" {
		t.Fatalf("quyanglu = %+v", q)
	}
	for _, st := range streets {
		if len(st.Locations) != len(st.Places) || len(st.Locations) == 0 {
			t.Errorf("%s: %d of %d places resolved", st.ID, len(st.Locations), len(st.Places))
		}
		if h := s.HotlineOf(st.ID); h == nil || h.Phone != "12345" {
			t.Errorf("%s: hotline %+v, want the district's", st.ID, h)
		}
	}
	if got := s.Owners("quyanglu"); !slices.Equal(got, []string{"", "quyanglu", "hongkou"}) {
		t.Errorf("owners of quyanglu = %q", got)
	}
	district, street := 0, 0
	for _, p := range c.Policies {
		if p.Scope == ScopeStreet {
			street++
			if p.Owner() != p.Site || !s.ShownOn(p, p.Site) || s.ShownOn(p, "hongkou") || s.ShownOn(p, "ouyanglu") {
				t.Errorf("%s: a street entry of %q owned by %q", p.ID, p.Site, p.Owner())
			}
		} else if p.Region == "上海市虹口区" {
			district++
			if p.Owner() != "hongkou" || !s.ShownOn(p, "quyanglu") {
				t.Errorf("%s: a district entry owned by %q", p.ID, p.Owner())
			}
		} else if p.Owner() != "" {
			t.Errorf("%s: region %s, owner %q", p.ID, p.Region, p.Owner())
		}
	}
	if district == 0 || street == 0 {
		t.Errorf("%d district entries, %d street entries", district, street)
	}
}

// copyEmbedded copies the embedded corpus into a directory the test may
// change.
func copyEmbedded(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	if err := os.CopyFS(dir, embedded); err != nil {
		t.Fatal(err)
	}
	return dir
}

// streetEntry is an entry of one street: the 老年综合津贴 entry under
// another id and title.
func streetEntry(t *testing.T, dir, id, site, title string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, PoliciesDir, "laonian-zonghe-jintie.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "title: 上海市老年综合津贴", "title: "+title, 1)
	text = strings.Replace(text, "\nregion: 上海市\n", "\nregion: 上海市虹口区"+site+"\nscope: 街道级\nsite: "+site+"\n", 1)
	if text == string(data) || !strings.Contains(text, "scope: 街道级") {
		t.Fatal("the entry's title or region line moved")
	}
	writeFile(t, filepath.Join(dir, PoliciesDir, id+".yaml"), text)
}

// TestStreetEntriesLoad: a corpus with a street's own entry loads, and the
// entry is shown on that street only.
func TestStreetEntriesLoad(t *testing.T) {
	dir := copyEmbedded(t)
	streetEntry(t, dir, "quyang-test", "quyanglu", "曲阳测试食堂")
	c, err := loadWithin(t, Dir(dir))
	if err != nil {
		t.Fatal(problemLines(err))
	}
	p, _ := c.Get("quyang-test")
	for site, want := range map[string]bool{"quyanglu": true, "ouyanglu": false, "hongkou": false} {
		if got := c.Sites.ShownOn(p, site); got != want {
			t.Errorf("shown on %s = %v, want %v", site, got, want)
		}
	}
}

// TestSiteProblems: what `yicha check` says of sites and scopes, naming the
// file and line.
func TestSiteProblems(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
		want   string
	}{
		{"unknown parent", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "sites/quyanglu/site.yaml"), "parent: hongkou", "parent: putuo")
		}, `sites/quyanglu/site.yaml:1: site quyanglu: parent "putuo" is not a site`},
		{"unknown place", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "sites/quyanglu/site.yaml"), "places: [quyanglu-center", "places: [quyanglu-nowhere")
		}, `site quyanglu: place "quyanglu-nowhere" is not in the places file`},
		{"street without parent", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "sites/quyanglu/site.yaml"), "parent: hongkou\n", "")
		}, "site quyanglu: a street needs a parent district"},
		{"street under a street", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "sites/quyanglu/site.yaml"), "parent: hongkou", "parent: ouyanglu")
		}, "site quyanglu: a street's parent must be a district, not ouyanglu (街道)"},
		{"a cycle", func(t *testing.T, dir string) {
			data, _ := os.ReadFile(filepath.Join(dir, "sites/hongkou/site.yaml"))
			text := strings.NewReplacer("id: hongkou", "id: upper", "name: 虹口区", "name: 上级区", "level: 区", "level: 区\nparent: hongkou").Replace(string(data))
			os.MkdirAll(filepath.Join(dir, "sites/upper"), 0o755)
			writeFile(t, filepath.Join(dir, "sites/upper/site.yaml"), text)
			edit(t, filepath.Join(dir, "sites/hongkou/site.yaml"), "level: 区", "level: 区\nparent: upper")
		}, "site hongkou: its parents lead back to itself"},
		{"folder and id differ", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, "sites/quyanglu/site.yaml"), "id: quyanglu", "id: quyang")
		}, `sites/quyanglu/site.yaml:1: id "quyang" differs from the folder's name "quyanglu"`},
		{"no source", func(t *testing.T, dir string) {
			data, _ := os.ReadFile(filepath.Join(dir, "sites/quyanglu/site.yaml"))
			text, _, _ := strings.Cut(string(data), "sources:")
			writeFile(t, filepath.Join(dir, "sites/quyanglu/site.yaml"), text+"sources: []\n")
		}, "site quyanglu: a site needs a source"},
		{"a street entry with no site", func(t *testing.T, dir string) {
			streetEntry(t, dir, "quyang-test", "quyanglu", "曲阳测试食堂")
			edit(t, filepath.Join(dir, PoliciesDir, "quyang-test.yaml"), "site: quyanglu\n", "")
		}, "policies/quyang-test.yaml:56: a 街道级 entry needs the site it belongs to"},
		{"a street entry of a district", func(t *testing.T, dir string) {
			streetEntry(t, dir, "quyang-test", "hongkou", "曲阳测试食堂")
		}, "a 街道级 entry belongs to a street, and hongkou is a 区"},
		{"a street entry of no site", func(t *testing.T, dir string) {
			streetEntry(t, dir, "quyang-test", "putuo", "曲阳测试食堂")
		}, `site "putuo" is not a site of the corpus`},
		{"a city entry with a site", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, PoliciesDir, "dibao.yaml"), "\nregion: 上海市\n", "\nregion: 上海市\nsite: hongkou\n")
		}, `policies/dibao.yaml:1: site "hongkou" is set but the scope is 市级`},
		{"an unknown scope", func(t *testing.T, dir string) {
			edit(t, filepath.Join(dir, PoliciesDir, "dibao.yaml"), "\nregion: 上海市\n", "\nregion: 上海市\nscope: 全国\n")
		}, `scope "全国" is not one of 市级, 区级, 街道级`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyEmbedded(t)
			tc.change(t, dir)
			_, err := loadWithin(t, Dir(dir))
			if got := problemLines(err); !strings.Contains(got, tc.want) {
				t.Errorf("problems:\n%s\nwant %q", got, tc.want)
			}
		})
	}
}

// edit replaces one text in a file, which must hold it.
func edit(t *testing.T, file, old, new string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not hold %q", file, old)
	}
	writeFile(t, file, strings.Replace(string(data), old, new, 1))
}

// TestSitesTravelInJSONL: a corpus with sites of its own keeps them
// through JSONL (an export, a stored version), its places resolved.
func TestSitesTravelInJSONL(t *testing.T) {
	dir := copyEmbedded(t)
	if err := os.MkdirAll(filepath.Join(dir, "sites/newstreet"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "sites/quyanglu/site.yaml"))
	text := strings.NewReplacer("id: quyanglu", "id: newstreet", "name: 曲阳路街道", "name: 新设街道").Replace(string(data))
	writeFile(t, filepath.Join(dir, "sites/newstreet/site.yaml"), text)
	c, err := loadWithin(t, Dir(dir))
	if err != nil {
		t.Fatal(problemLines(err))
	}
	path := filepath.Join(t.TempDir(), "c.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteJSONL(f, c); err != nil {
		t.Fatal(err)
	}
	f.Close()
	back, err := loadWithin(t, JSONL(path))
	if err != nil {
		t.Fatal(problemLines(err))
	}
	s, ok := back.Sites.Get("newstreet")
	if !ok || s.Name != "新设街道" || len(s.Locations) != 2 || s.Locations[0].Name != "曲阳路街道社区事务受理服务中心" {
		t.Fatalf("newstreet read back as %+v", s)
	}
	if len(back.Sites.List) != 10 {
		t.Errorf("%d sites read back, want 10", len(back.Sites.List))
	}
}
