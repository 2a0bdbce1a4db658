package web

import (
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/entrystore"
)

// atomDoc is what the tests read of an Atom feed (RFC 4287).
type atomDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Author  []struct {
		Name string `xml:"name"`
	} `xml:"author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Type string `xml:"type,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Summary string `xml:"summary"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
	} `xml:"entry"`
}

// readFeed fetches /feed.xml and checks what Atom 1.0 requires: the feed's
// id, title, updated and author, a self link, and each entry's id, title,
// updated and link to its policy's page.
func readFeed(t *testing.T, base string) atomDoc {
	t.Helper()
	resp, err := http.Get(base + "/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("/feed.xml = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var f atomDoc
	if err := xml.Unmarshal(data, &f); err != nil {
		t.Fatalf("the feed does not parse: %v\n%s", err, data)
	}
	if f.ID == "" || f.Title == "" || len(f.Author) == 0 || f.Author[0].Name == "" {
		t.Errorf("feed id %q, title %q, author %v", f.ID, f.Title, f.Author)
	}
	if _, err := time.Parse(time.RFC3339, f.Updated); err != nil {
		t.Errorf("feed updated %q: %v", f.Updated, err)
	}
	self := false
	for _, l := range f.Links {
		self = self || l.Rel == "self" && l.Href == base+"/feed.xml"
	}
	if !self {
		t.Errorf("no self link: %+v", f.Links)
	}
	ids := map[string]bool{}
	for i, e := range f.Entries {
		if e.ID == "" || ids[e.ID] || !strings.HasPrefix(e.ID, base+"/") {
			t.Errorf("entry %d: id %q empty, repeated or not an address of the site", i, e.ID)
		}
		ids[e.ID] = true
		if e.Title == "" || e.Summary == "" {
			t.Errorf("entry %d: title %q, summary %q", i, e.Title, e.Summary)
		}
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
			t.Errorf("entry %d: updated %q", i, e.Updated)
		}
		if len(e.Links) != 1 || e.Links[0].Rel != "alternate" || !strings.HasPrefix(e.Links[0].Href, base+"/policies/") {
			t.Errorf("entry %d: links %+v", i, e.Links)
		}
	}
	if len(f.Entries) > 0 && f.Updated != f.Entries[0].Updated {
		t.Errorf("the feed is updated %s, its newest entry %s", f.Updated, f.Entries[0].Updated)
	}
	return f
}

var updateRE = regexp.MustCompile(`(?s)<li data-policy="([^"]+)" data-kind="([^"]+)">.*?<span class="meta">([^<]+)</span>.*?<p class="update-text">([^<]*)</p>`)

// updatesOf reads the changelog page: policy, kind, day and text of each.
func updatesOf(t *testing.T, page string) [][]string {
	t.Helper()
	var out [][]string
	for _, m := range updateRE.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1:])
	}
	return out
}

// TestUpdatesFromCorpusDates: without a store, the changelog lists the
// entries by their own dates (the later of updated and verified), newest
// first, and the feed holds the same; every page's head points to it.
func TestUpdatesFromCorpusDates(t *testing.T) {
	s := newTestServer(t)
	newest := ""
	for _, p := range s.corpus.Policies {
		if s.corpus.Sites.ShownOn(p, "hongkou") {
			newest = max(newest, p.Updated, p.Verified)
		}
	}
	page := s.pageOf(t, "/updates")
	ups := updatesOf(t, page)
	if len(ups) != min(MaxUpdates, len(s.corpus.Policies)) {
		t.Fatalf("%d updates listed", len(ups))
	}
	if ups[0][2] != dateText(newest) {
		t.Errorf("the first update is of %s, the newest date in the corpus is %s", ups[0][2], newest)
	}
	for _, u := range ups {
		p, ok := s.corpus.Get(u[0])
		if !ok {
			t.Fatalf("an update of an unknown entry %q", u[0])
		}
		day := p.Updated
		if p.Verified > day {
			day = p.Verified
		}
		if u[2] != dateText(day) {
			t.Errorf("%s is listed on %s, its own date is %s", u[0], u[2], day)
		}
	}
	if !strings.Contains(page, "按各条目标明的更新日期或核对日期列出") {
		t.Error("the page does not say where its dates come from")
	}
	home := s.pageOf(t, "/")
	if !strings.Contains(home, `<link rel="alternate" type="application/atom+xml" title="易查 · 政策更新" href="/feed.xml">`) ||
		!regexp.MustCompile(`(?s)<footer.*href="/updates">政策更新</a>.*</footer>`).MatchString(home) {
		t.Error("the home page has no feed link in its head or no changelog link in its footer")
	}
	f := readFeed(t, s.URL)
	if len(f.Entries) != len(ups) {
		t.Fatalf("the feed has %d entries, the page %d", len(f.Entries), len(ups))
	}
	for i, e := range f.Entries {
		if e.Links[0].Href != s.URL+"/policies/"+ups[i][0] {
			t.Errorf("feed entry %d links %s, the page lists %s", i, e.Links[0].Href, ups[i][0])
		}
	}
}

// testUpdatesFromStore: with the entry store the changelog lists its
// publications, newest first, with what changed in plain words: a new
// entry, a change, a rollback and a withdrawal; the seeded entries follow
// by their own dates.
func TestUpdatesFromStoreFiles(t *testing.T) { testUpdatesFromStore(t, newEntryServer(t, false)) }

func TestUpdatesFromStorePostgres(t *testing.T) { testUpdatesFromStore(t, newEntryServer(t, true)) }

func testUpdatesFromStore(t *testing.T, s *entryServer) {
	before := updatesOf(t, string(s.mustGet(t, "/updates")))
	if len(before) != MaxUpdates {
		t.Fatalf("%d updates before any publication", len(before))
	}
	for _, u := range before {
		if u[1] != updateUpdated && u[1] != updateVerified {
			t.Errorf("before any publication: %v", u)
		}
	}
	const id, title, newTitle = "shaoer-weiqi-butie", "少儿围棋培训补贴", "青少年围棋培训资助"
	s.clock.Add(time.Hour)
	publishTwice(t, s, id, title, newTitle)
	s.clock.Add(time.Hour)
	if code, body := s.call(t, "POST", policiesAPI+"/"+id+"/rollback", publisherToken, map[string]any{"to": 1, "based_on": entrystore.Expect{Version: 2}, "note": "标题未经批准"}, nil); code != 200 {
		t.Fatalf("rollback: %d %s", code, body)
	}
	s.clock.Add(24 * time.Hour)
	if code, body := s.call(t, "POST", policiesAPI+"/"+id+"/retire", publisherToken, map[string]any{"based_on": entrystore.Expect{Version: 3}, "note": "政策已停止执行"}, nil); code != 200 {
		t.Fatalf("retire: %d %s", code, body)
	}
	ups := updatesOf(t, string(s.mustGet(t, "/updates")))
	day := func(d time.Duration) string { return dateText(corpus.Today(s.clock.Now().Add(d))) }
	want := [][]string{
		{id, updateRetired, day(0), "已撤下。说明：政策已停止执行"},
		{id, updateRollback, day(-24 * time.Hour), "恢复为第 1 版，修改了：标题、办理材料、适用条件"},
		{id, updateChanged, day(-25 * time.Hour), "修改了：标题、办理材料、适用条件"},
		{id, updateNew, day(-25 * time.Hour), "新增"},
	}
	if len(ups) != MaxUpdates {
		t.Fatalf("%d updates", len(ups))
	}
	for i, w := range want {
		if strings.Join(ups[i], "|") != strings.Join(w, "|") {
			t.Errorf("update %d = %q, want %q", i, ups[i], w)
		}
	}
	f := readFeed(t, s.URL)
	if len(f.Entries) < 4 || !strings.HasSuffix(f.Entries[0].ID, id+"-v4") || !strings.HasSuffix(f.Entries[3].ID, id+"-v1") ||
		f.Entries[2].Title != newTitle+"：修改了：标题、办理材料、适用条件" || f.Entries[0].Links[0].Href != s.URL+"/policies/"+id {
		t.Errorf("the feed's first entries: %+v", f.Entries[:min(4, len(f.Entries))])
	}
}

// mustGet returns a page's body, failing on any status but 200.
func (s *entryServer) mustGet(t *testing.T, path string) []byte {
	t.Helper()
	code, body := s.call(t, "GET", path, "", nil, nil)
	if code != 200 {
		t.Fatalf("GET %s = %d", path, code)
	}
	return body
}

// TestFeedPublicURL: with a configured public address the feed's links
// use it whatever Host a request names (a forged one cannot put its own
// links into the feed), a street's feed under its path; without one they
// follow the Host. A bad address is refused.
func TestFeedPublicURL(t *testing.T) {
	sh := newTestServer(t) // the shared engine
	feedWith := func(public, host, path string) atomDoc {
		t.Helper()
		h, err := NewServer(Config{Searcher: sh.engine, Suggester: sh.engine, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Now: sh.clock.Now, PublicURL: public})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var f atomDoc
		if err := xml.NewDecoder(resp.Body).Decode(&f); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, err)
		}
		return f
	}
	links := func(f atomDoc) []string {
		var out []string
		for _, e := range f.Entries {
			out = append(out, e.Links[0].Href)
		}
		return out
	}
	for _, c := range []struct{ public, path, want string }{
		{"https://yicha.example.gov.cn/", "/feed.xml", "https://yicha.example.gov.cn/policies/"},
		{"https://www.example.gov.cn/zcycx", "/s/quyanglu/feed.xml", "https://www.example.gov.cn/zcycx/s/quyanglu/policies/"},
		{"", "/feed.xml", "http://forged.example/policies/"},
	} {
		f := feedWith(c.public, "forged.example", c.path)
		ls := links(f)
		if len(ls) == 0 {
			t.Fatalf("%s: an empty feed", c.path)
		}
		for _, l := range ls {
			if !strings.HasPrefix(l, c.want) {
				t.Errorf("public URL %q, %s: a link %s, want under %s", c.public, c.path, l, c.want)
				break
			}
		}
	}
	for _, bad := range []string{"yicha.example.gov.cn", "ftp://x.example", "https://", "https://u:p@x.example", "https://x.example/?a=1", "https://x.example/#top"} {
		if _, err := ParsePublicURL(bad); err == nil {
			t.Errorf("ParsePublicURL(%q) accepted", bad)
		}
	}
}
