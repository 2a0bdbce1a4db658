package corpus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// trustNow is the suite's pinned day for the fixture corpus under
// testdata/trust; tests never read the wall clock.
var trustNow = time.Date(2026, 12, 2, 10, 0, 0, 0, Zone)

// loadTrust loads the fixture corpus of testdata/trust, each file first
// changed by its edit.
func loadTrust(t *testing.T, edits map[string]func(string) string) (*Corpus, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	err := filepath.WalkDir("testdata/trust", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(strings.TrimPrefix(p, "testdata/trust/"))
		if edit := edits[name]; edit != nil {
			data = []byte(edit(string(data)))
		}
		fsys[name] = &fstest.MapFile{Data: data}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return (&DirSource{FS: fsys, Name: "trust", Prefix: "c"}).Load(context.Background())
}

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("fixture does not contain " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
}

// TestRegistryResolvesBasis: basis items that cite the registry get its
// title, number, issuer, date (effective, else adopted) and status, and
// keep the document's id.
func TestRegistryResolvesBasis(t *testing.T) {
	c, err := loadTrust(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Documents) != 4 {
		t.Fatalf("%d documents, want 4", len(c.Documents))
	}
	p, _ := c.Get("laonian-jintie")
	want := Basis{Document: "jintie-banfa", Title: "上海市老年综合津贴暂行办法", Number: "沪府发〔2016〕26号",
		Issuer: "上海市人民政府", Date: "2016-04-01", Status: StatusInForce, Articles: "第三条"}
	if p.Basis[0] != want {
		t.Errorf("basis = %+v, want %+v", p.Basis[0], want)
	}
	if p.Benefit == "" || len(p.Amounts) != 1 || p.Amounts[0].From != "2021-01-01" || p.Verified != "2026-11-20" {
		t.Errorf("benefit, amounts, verified = %q %+v %q", p.Benefit, p.Amounts, p.Verified)
	}
	if p.Online.Search != "老年综合津贴" || p.Locations[0].Source == nil {
		t.Errorf("online = %+v, place source = %v", p.Online, p.Locations[0].Source)
	}
	q, _ := c.Get("linshi-butie")
	if q.Basis[1].Date != "2026-07-01" || q.Basis[1].Number != Unknown {
		t.Errorf("second basis = %+v", q.Basis[1])
	}
	if got := c.CitedBy("shehui-jiuzhu-fa"); len(got) != 1 || got[0].ID != "linshi-butie" {
		t.Errorf("cited by = %v", got)
	}
	if probs := CheckTrust(c, trustNow); len(probs) != 0 {
		t.Errorf("the fixture has trust problems: %v", probs)
	}
}

// TestLoadRefusesWrongRegistryAndFields: what Load refuses of the new
// fields, each at its file and line.
func TestLoadRefusesWrongRegistryAndFields(t *testing.T) {
	const jintie, docs, places = "policies/laonian-jintie.yaml", "documents.yaml", "places.yaml"
	tests := []struct {
		name string
		file string
		edit func(string) string
		want string
	}{
		{"unknown document", jintie, replace("document: jintie-banfa", "document: nope"),
			`c/policies/laonian-jintie.yaml:8: basis document "nope" is not in documents.yaml`},
		{"successor not in the registry", docs, replace("successor: shehui-jiuzhu-fa", "successor: gone"),
			`c/documents.yaml:18: document jiuzhu-banfa-2014: successor "gone" is not a document of documents.yaml`},
		{"status not allowed", docs, replace("status: 已废止", "status: 作废"),
			`c/documents.yaml:17: document jiuzhu-banfa-2014: status "作废" is not one of 现行有效, 已修订, 已废止, 已失效, unknown`},
		{"lapsed without expires", docs, replace("status: 已废止", "status: 已失效"),
			"document jiuzhu-banfa-2014: a document that is 已失效 needs expires"},
		{"document url not https", docs, replace("url: https://www.gov.cn/zhengce/jiuzhu", "url: http://www.gov.cn/x"),
			`c/documents.yaml:19: document jiuzhu-banfa-2014: url: "http://www.gov.cn/x" is not an https link`},
		{"amount without from", jintie, replace(", from: 2021-01-01}", "}"),
			"c/policies/laonian-jintie.yaml:12: amounts[0].from must be the date the amount applies from"},
		{"amount with a wrong date", jintie, replace("from: 2021-01-01", "from: 2021-13-01"),
			`amounts[0].from "2021-13-01" is not a date`},
		{"amount without value", jintie, replace("value: 每人每月75元, ", ""),
			"amounts[0].value is empty"},
		{"source without https url", jintie, replace("url: https://www.shanghai.gov.cn/jintie", "url: www.shanghai.gov.cn/jintie"),
			`c/policies/laonian-jintie.yaml:15: sources[0].url: "www.shanghai.gov.cn/jintie" is not an https link`},
		{"verified not a date", jintie, replace("verified: 2026-11-20", "verified: 上周"),
			`verified "上周" is not a date`},
		{"benefit too long", jintie, replace("benefit: 每月75元至650元，按年龄分档", "benefit: "+strings.Repeat("长", 61)),
			"benefit is 61 characters long (at most 60)"},
		{"online with url and search", jintie, replace("  search: 老年综合津贴", "  search: 老年综合津贴\n  url: https://zwdt.sh.gov.cn/govPortals/bsfw/item/x"),
			"c/policies/laonian-jintie.yaml:27: online has both url and search"},
		{"online with neither", jintie, replace("  search: 老年综合津贴\n", ""),
			"online needs url (the item's own page) or search"},
		{"place source without url", places, replace("    url: https://www.shhk.gov.cn/\n", ""),
			"c/places.yaml:6: place center: source.url is empty: a source needs an https url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadTrust(t, map[string]func(string) string{tt.file: tt.edit})
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want problems", err)
			}
			for _, p := range ce.Problems {
				if strings.Contains(p.String(), tt.want) {
					return
				}
			}
			t.Errorf("problems %v\nwant one containing %q", ce.Problems, tt.want)
		})
	}
}

// TestCheckTrust: the rules `yicha check` adds, each as file:line, as of a
// pinned day.
func TestCheckTrust(t *testing.T) {
	const jintie, butie, docs = "policies/laonian-jintie.yaml", "policies/linshi-butie.yaml", "documents.yaml"
	later := time.Date(2027, 2, 1, 10, 0, 0, 0, Zone)
	tests := []struct {
		name string
		file string
		edit func(string) string
		now  time.Time
		want string // "" means no problem
	}{
		{"no sources", jintie, func(s string) string {
			i, j := strings.Index(s, "sources:"), strings.Index(s, "verified:")
			return s[:i] + s[j:]
		}, trustNow, "c/policies/laonian-jintie.yaml:1: an entry needs at least one source"},
		{"no verified", jintie, replace("verified: 2026-11-20\n", ""), trustNow,
			"c/policies/laonian-jintie.yaml:1: verified is missing"},
		{"verified after today", jintie, replace("verified: 2026-11-20", "verified: 2026-12-03"), trustNow,
			"c/policies/laonian-jintie.yaml:19: verified 2026-12-03 is after today (2026-12-02)"},
		{"verified today", jintie, replace("verified: 2026-11-20", "verified: 2026-12-02"), trustNow, ""},
		{"policy without benefit", jintie, replace("benefit: 每月75元至650元，按年龄分档\n", ""), trustNow,
			"c/policies/laonian-jintie.yaml:1: a 政策类 entry needs benefit"},
		{"service without benefit", butie, func(s string) string { return s }, trustNow, ""},
		{"inline basis", jintie, replace("  - document: jintie-banfa\n    articles: 第三条",
			"  - title: 上海市老年综合津贴暂行办法\n    number: unknown\n    issuer: 上海市人民政府\n    date: 2016-03-01"), trustNow,
			"c/policies/laonian-jintie.yaml:8: basis[0] cites no document"},
		{"cites a repealed document", butie, replace("document: shehui-jiuzhu-fa", "document: jiuzhu-banfa-2014"), trustNow,
			"c/policies/linshi-butie.yaml:9: cites repealed document jiuzhu-banfa-2014 as current; record its successor (shehui-jiuzhu-fa) instead"},
		{"an expired entry may cite it", butie, func(s string) string {
			return replace("document: shehui-jiuzhu-fa", "document: jiuzhu-banfa-2014")(s) + "expires: 2025-12-31\n"
		}, trustNow, ""},
		{"a document in its validity period", butie, func(s string) string { return s }, trustNow, ""},
		{"a document past its validity period", butie, func(s string) string { return s }, later,
			"c/policies/linshi-butie.yaml:8: cites expired (2027-01-15) document shiyan-tongzhi as current"},
		{"a lapsed document", docs, replace("  expires: 2027-01-15", "  status: 已失效\n  expires: 2026-10-31"), trustNow,
			"cites lapsed document shiyan-tongzhi as current"},
		{"online url to a portal home page", butie, replace("https://zwdt.sh.gov.cn/govPortals/bsfw/item/abc", "https://zwdt.sh.gov.cn/govPortals/index.do"), trustNow,
			`c/policies/linshi-butie.yaml:26: online.url "https://zwdt.sh.gov.cn/govPortals/index.do" is a portal's home page, not the item's page: give the item's own page, or write the words to search for under online.search`},
		{"online url to a site root", butie, replace("https://zwdt.sh.gov.cn/govPortals/bsfw/item/abc", "https://zwdt.sh.gov.cn/"), trustNow,
			"is a portal's home page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "a lapsed document" {
				// The status line goes; the lapsed one takes its place.
				tt.edit = func(s string) string {
					s = replace("  status: 现行有效\n  expires: 2027-01-15", "  status: 已失效\n  expires: 2026-10-31")(s)
					return s
				}
			}
			c, err := loadTrust(t, map[string]func(string) string{tt.file: tt.edit})
			if err != nil {
				t.Fatal(err)
			}
			probs := CheckTrust(c, tt.now)
			if tt.want == "" {
				if len(probs) != 0 {
					t.Errorf("problems %v, want none", probs)
				}
				return
			}
			for _, p := range probs {
				if strings.Contains(p.String(), tt.want) {
					return
				}
			}
			t.Errorf("problems %v\nwant one containing %q", probs, tt.want)
		})
	}
}

// TestIsPortalHome tells a portal's home page from an item's page.
func TestIsPortalHome(t *testing.T) {
	for u, want := range map[string]bool{
		"https://zwdt.sh.gov.cn/govPortals/index.do":       true,
		"https://zwdt.sh.gov.cn/":                          true,
		"https://zwdt.sh.gov.cn":                           true,
		"https://www.gov.cn/index.htm":                     true,
		"https://zwdt.sh.gov.cn/govPortals/bsfw/item/abc":  false,
		"https://mzj.sh.gov.cn/2024bsfw/20240101/abc.html": false,
	} {
		if got := IsPortalHome(u); got != want {
			t.Errorf("IsPortalHome(%q) = %v, want %v", u, got, want)
		}
	}
}

// TestJSONLCarriesTheRegistry: a JSONL export carries the registry and the
// resolved basis, and reads back the same; an export written before the
// registry gets one rebuilt from its basis, and inline basis items still
// read.
func TestJSONLCarriesTheRegistry(t *testing.T) {
	c, err := loadTrust(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `{"documents":[{"id":"jintie-banfa"`) {
		t.Fatalf("the export does not start with the registry: %.80s", buf.String())
	}
	path := filepath.Join(t.TempDir(), "c.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := JSONL(path).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	asJSON := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	if a, b := asJSON(c.Documents.Sorted()), asJSON(back.Documents.Sorted()); a != b {
		t.Errorf("registry after the round trip:\n%s\nwant\n%s", b, a)
	}
	for _, p := range c.Policies {
		q, ok := back.Get(p.ID)
		if !ok || asJSON(p) != asJSON(q) {
			t.Errorf("%s after the round trip:\n%s\nwant\n%s", p.ID, asJSON(q), asJSON(p))
		}
	}
	if probs := CheckTrust(back, trustNow); len(probs) != 0 {
		t.Errorf("the export has trust problems: %v", probs)
	}

	// Without the registry line: rebuilt from the resolved basis.
	old := buf.String()[strings.Index(buf.String(), "\n")+1:]
	// And one entry with an inline basis item, as older exports wrote.
	old = strings.Replace(old, `{"document":"jintie-banfa",`, `{`, 1)
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	back, err = JSONL(path).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d, ok := back.Documents["shehui-jiuzhu-fa"]
	if !ok || d.Title != "中华人民共和国社会救助法" || d.Status != StatusInForce || d.Effective != "2026-07-01" {
		t.Errorf("rebuilt registry: %s", asJSON(back.Documents.Sorted()))
	}
	if _, ok := back.Documents["jintie-banfa"]; ok {
		t.Error("an inline basis item made a document")
	}
	// Written out again, a rebuilt registry is not: it is rebuilt again.
	var again bytes.Buffer
	if err := WriteJSONL(&again, back); err != nil {
		t.Fatal(err)
	}
	if again.String() != old {
		t.Errorf("a corpus with a rebuilt registry wrote\n%.200s\nwant\n%.200s", again.String(), old)
	}
	p, _ := back.Get("laonian-jintie")
	if p.Basis[0].Document != "" || p.Basis[0].Title != "上海市老年综合津贴暂行办法" {
		t.Errorf("inline basis item = %+v", p.Basis[0])
	}
}

// TestFreshnessAtTwoDates: entries verified over TrustWindow ago, documents
// ending within DocumentWindow, and the unknown facts, as of two moments.
func TestFreshnessAtTwoDates(t *testing.T) {
	c, err := loadTrust(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := c.Freshness(trustNow)
	if len(f.Stale) != 1 || f.Stale[0].ID != "linshi-butie" || f.Stale[0].Days != 215 {
		t.Errorf("stale on 2026-12-02 = %+v", f.Stale)
	}
	if len(f.Expiring) != 1 || f.Expiring[0] != (ExpiringDocument{ID: "shiyan-tongzhi", Title: "关于试行临时生活补贴的通知", Expires: "2027-01-15", Days: 44}) {
		t.Errorf("expiring on 2026-12-02 = %+v", f.Expiring)
	}
	if f.VerifiedRecently != 1 || f.VerifiedShare() != 50 {
		t.Errorf("verified recently %d (%d%%)", f.VerifiedRecently, f.VerifiedShare())
	}
	// The day the document ends it is still listed; the day after, not.
	last := time.Date(2027, 1, 15, 23, 0, 0, 0, Zone)
	if f := c.Freshness(last); len(f.Expiring) != 1 || f.Expiring[0].Days != 0 {
		t.Errorf("expiring on its last day = %+v", f.Expiring)
	}
	if f := c.Freshness(last.Add(2 * time.Hour)); len(f.Expiring) != 0 || len(f.Stale) != 1 {
		t.Errorf("on 2027-01-16: expiring %+v, stale %+v", f.Expiring, f.Stale)
	}
	// An entry is due 181 days after it was verified.
	if f := c.Freshness(time.Date(2027, 5, 19, 10, 0, 0, 0, Zone)); len(f.Stale) != 1 {
		t.Errorf("180 days after 2026-11-20: stale %+v", f.Stale)
	}
	if f := c.Freshness(time.Date(2027, 5, 20, 10, 0, 0, 0, Zone)); len(f.Stale) != 2 {
		t.Errorf("181 days after 2026-11-20: stale %+v", f.Stale)
	}
}
