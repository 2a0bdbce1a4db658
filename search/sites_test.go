package search

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"yicha/corpus"
)

// siteCorpus is the project's corpus with one entry of its own for each of
// two streets, 曲阳路街道 and 欧阳路街道: the 老年综合津贴 entry under
// another id and title.
func siteCorpus(t *testing.T) *corpus.Corpus {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"policies", "sites", corpus.PlacesFile, corpus.DocumentsFile, corpus.ReferralsFile} {
		src := filepath.Join("../corpus", name)
		info, err := os.Stat(src)
		if err != nil {
			t.Fatal(err)
		}
		if info.IsDir() {
			err = os.CopyFS(filepath.Join(dir, name), os.DirFS(src))
		} else {
			var data []byte
			if data, err = os.ReadFile(src); err == nil {
				err = os.WriteFile(filepath.Join(dir, name), data, 0o644)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "policies", "laonian-zonghe-jintie.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct{ id, site, title string }{
		{"quyang-shitang", "quyanglu", "曲阳路街道长者助餐食堂"},
		{"ouyang-shitang", "ouyanglu", "欧阳路街道长者助餐食堂"},
	} {
		text := strings.Replace(string(data), "title: 上海市老年综合津贴", "title: "+s.title, 1)
		text = strings.Replace(text, "\nregion: 上海市\n", "\nregion: 上海市虹口区\nscope: 街道级\nsite: "+s.site+"\n", 1)
		if err := os.WriteFile(filepath.Join(dir, "policies", s.id+".yaml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := corpus.Dir(dir).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func siteSearch(t *testing.T, e *Engine, q, site string) *Result {
	t.Helper()
	r, err := e.ParseRequest(url.Values{"q": {q}, "site": {site}, "size": {"50"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Search(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func hitIDs(res *Result) []string {
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.Policy.ID)
	}
	return ids
}

// TestSearchOnSites: a street's entry is found on its site and not on a
// sibling street's or the district's; city entries are found on every
// site; facet counts add up per site; suggestions and the wizard are the
// site's; an unknown site is a bad request.
func TestSearchOnSites(t *testing.T) {
	c := siteCorpus(t)
	e := newEngine(t, c)

	for site, want := range map[string][]string{
		"quyanglu": {"quyang-shitang"},
		"ouyanglu": {"ouyang-shitang"},
		"hongkou":  nil,
		"":         {"quyang-shitang", "ouyang-shitang"},
	} {
		var got []string
		for _, id := range hitIDs(siteSearch(t, e, "长者助餐食堂", site)) {
			if id == "quyang-shitang" || id == "ouyang-shitang" {
				got = append(got, id)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("site %q: street entries %v, want %v", site, got, want)
		}
	}
	for _, site := range []string{"hongkou", "quyanglu", "jiangwan"} {
		if ids := hitIDs(siteSearch(t, e, "低保", site)); !slices.Contains(ids, "dibao") {
			t.Errorf("site %s: 低保 finds %v, not the city's dibao", site, ids)
		}
		// 区级 entries are shown on the district and on each street.
		district := ""
		for _, p := range c.Policies {
			if p.Owner() == "hongkou" {
				district = p.Title
				break
			}
		}
		if ids := hitIDs(siteSearch(t, e, district, site)); len(ids) == 0 || c.Sites.ShownOn(mustGet(t, c, ids[0]), site) == false {
			t.Errorf("site %s: %s finds %v", site, district, ids)
		}
	}

	// Browsing a site: every entry it shows, each counted once in the
	// category facet.
	for _, site := range []string{"hongkou", "quyanglu", "ouyanglu"} {
		res := siteSearch(t, e, "", site)
		want := 0
		for _, p := range c.Policies {
			if c.Sites.ShownOn(p, site) {
				want++
			}
		}
		if int(res.Total) != want {
			t.Errorf("site %s lists %d entries, shows %d", site, res.Total, want)
		}
		sum := 0
		for _, f := range res.Facets["category"] {
			sum += f.Count
		}
		if sum != want {
			t.Errorf("site %s: category facets add up to %d, want %d", site, sum, want)
		}
	}
	own := 0
	for _, p := range c.Policies {
		if p.Site == "quyanglu" {
			own++
		}
	}
	if a, b := siteSearch(t, e, "", "quyanglu").Total, siteSearch(t, e, "", "hongkou").Total; own < 2 || a != b+uint64(own) {
		t.Errorf("曲阳路街道 lists %d entries, the district %d: want %d more", a, b, own)
	}

	sugg := func(site string) []string {
		got, err := e.SuggestOn("曲阳路街道长者", 8, site)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, s := range got {
			texts = append(texts, s.Text)
		}
		return texts
	}
	if got := sugg("quyanglu"); !slices.Contains(got, "曲阳路街道长者助餐食堂") {
		t.Errorf("suggestions on quyanglu: %v", got)
	}
	if got := sugg("ouyanglu"); len(got) > 0 {
		t.Errorf("suggestions on ouyanglu: %v, want none", got)
	}

	sit, err := corpus.ParseSituation(url.Values{"age": {"75"}, "hukou": {"本市户籍"}})
	if err != nil {
		t.Fatal(err)
	}
	matched := func(site string) []string {
		m, err := e.MatchOn(sit, site)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range append(m.Eligible, m.Maybe...) {
			ids = append(ids, x.Policy.ID)
		}
		return ids
	}
	if ids := matched("quyanglu"); !slices.Contains(ids, "quyang-shitang") || slices.Contains(ids, "ouyang-shitang") || !slices.Contains(ids, "laonian-zonghe-jintie") {
		t.Errorf("the wizard on quyanglu lists %v", ids)
	}
	if ids := matched("hongkou"); slices.Contains(ids, "quyang-shitang") || slices.Contains(ids, "ouyang-shitang") {
		t.Errorf("the wizard on the district lists a street's entry: %v", ids)
	}

	if _, err := e.ParseRequest(url.Values{"q": {"低保"}, "site": {"putuo"}}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("an unknown site: %v, want a bad request", err)
	}
	if _, err := e.SuggestOn("低保", 8, "putuo"); !errors.Is(err, ErrBadRequest) {
		t.Errorf("suggestions on an unknown site: %v, want a bad request", err)
	}
	if _, err := ParseRequest(url.Values{"site": {"Bad Site"}}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("a malformed site: %v, want a bad request", err)
	}
}

func mustGet(t *testing.T, c *corpus.Corpus, id string) *corpus.Policy {
	t.Helper()
	p, ok := c.Get(id)
	if !ok {
		t.Fatalf("no entry %s", id)
	}
	return p
}

// TestSiteIsPartOfTheKey: the same question on two sites is two answers.
func TestSiteIsPartOfTheKey(t *testing.T) {
	a, _ := ParseRequest(url.Values{"q": {"低保"}, "site": {"quyanglu"}})
	b, _ := ParseRequest(url.Values{"q": {"低保"}, "site": {"ouyanglu"}})
	if a.Key() == b.Key() {
		t.Error("two sites share a cache key")
	}
}
