package web

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"yicha/corpus"
)

func TestParseListIDs(t *testing.T) {
	twenty := make([]string, MaxListEntries)
	for i := range twenty {
		twenty[i] = "entry-" + string(rune('a'+i))
	}
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"a,b,c", []string{"a", "b", "c"}, false},
		{" a , ,b,a,", []string{"a", "b"}, false},
		{strings.Join(twenty, ","), twenty, false},
		{strings.Join(twenty, ",") + ",one-more", nil, true},
		{strings.Join(twenty, ",") + "," + twenty[0], twenty, false}, // a repeat is not one more
		{"a,../etc/passwd", nil, true},
		{"a,<script>", nil, true},
		{"A-B", nil, true},
	}
	for _, tt := range tests {
		got, err := parseListIDs(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("parseListIDs(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// Near-identical names of one document are one key; different documents
// (a broader 身份证件, a combination with 户口簿, an alternative) are not.
func TestMaterialKey(t *testing.T) {
	same := [][]string{
		{"本人身份证", "本人居民身份证", "本人身份证。", " 本人 身份证 "},
		{"本人身份证或社会保障卡", "本人身份证或社保卡", "本人居民身份证或社会保障卡"},
		{"退役证件（退出现役证等）", "退役证件(退出现役证等)"},
	}
	for _, group := range same {
		for _, m := range group[1:] {
			if materialKey(m) != materialKey(group[0]) {
				t.Errorf("%q and %q are one document, keys %q and %q", group[0], m, materialKey(group[0]), materialKey(m))
			}
		}
	}
	different := [][2]string{
		{"本人身份证", "本人身份证件"},
		{"本人身份证", "本人身份证、户口簿"},
		{"本人身份证", "本人身份证或社会保障卡"},
		{"本人身份证", "申请人身份证"},
		{"医保卡", "医保卡或医保电子凭证"},
	}
	for _, d := range different {
		if materialKey(d[0]) == materialKey(d[1]) {
			t.Errorf("%q and %q are different documents, both keyed %q", d[0], d[1], materialKey(d[0]))
		}
	}
}

// listEntries are real entries whose materials overlap under different
// names: 本人居民身份证 (1), 本人身份证或社会保障卡 (2), 本人身份证 (3),
// 本人身份证或社保卡 (4).
var listEntries = []string{"laonian-zonghe-jintie", "shiye-dengji", "linghuo-jiuye-yanglao-canbao", "linghuo-jiuye-zhigong-yibao"}

func TestMergeList(t *testing.T) {
	c, err := corpus.Embedded().Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ps []*corpus.Policy
	total := 0
	for _, id := range listEntries {
		p, ok := c.Get(id)
		if !ok {
			t.Fatalf("no entry %s", id)
		}
		ps = append(ps, p)
		total += len(p.Guide.Materials)
	}
	v := mergeList(ps)
	lines := map[string][]int{}
	for _, m := range v.Materials {
		if _, dup := lines[m.Name]; dup {
			t.Errorf("material %q listed twice", m.Name)
		}
		lines[m.Name] = m.Entries
	}
	if got := lines["本人居民身份证"]; !slices.Equal(got, []int{1, 3}) {
		t.Errorf("本人居民身份证 / 本人身份证 needed by %v, want [1 3]; lines %v", got, lines)
	}
	if got := lines["本人身份证或社会保障卡"]; !slices.Equal(got, []int{2, 4}) {
		t.Errorf("本人身份证或社会保障卡 / 本人身份证或社保卡 needed by %v, want [2 4]; lines %v", got, lines)
	}
	if len(v.Materials) != total-2 {
		t.Errorf("%d material lines of %d, want %d (two merged)", len(v.Materials), total, total-2)
	}
	// Every entry's street centres fold into one line; other places are
	// listed once each with the entries handled there.
	if len(v.Centres) != len(corpus.Subdistricts) || !slices.Equal(v.CentresEntries, []int{1, 2, 3}) {
		t.Errorf("centres %d for entries %v, want %d for [1 2 3]", len(v.Centres), v.CentresEntries, len(corpus.Subdistricts))
	}
	seen := map[string]bool{}
	for _, p := range v.Places {
		if seen[p.Loc.Name] {
			t.Errorf("place %q listed twice", p.Loc.Name)
		}
		seen[p.Loc.Name] = true
		if streetOf(p.Loc, corpus.Subdistricts) != "" {
			t.Errorf("street centre %q not folded", p.Loc.Name)
		}
	}
}

func TestListPages(t *testing.T) {
	s := newTestServer(t)
	ids := strings.Join(listEntries[:3], ",")
	resp, body := s.fetch(t, "/list?ids="+ids)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /list?ids=%s = %d", ids, resp.StatusCode)
	}
	for _, want := range []string{"<h1>办事清单</h1>", "共 3 项", "本人居民身份证 <span class=\"for\">（第1、3项）</span>",
		s.URL + "/list?ids=" + ids + "</code>", `data-copy="share-url"`, "户籍或居住地所在街道的社区事务受理服务中心",
		`href="/policies/shiye-dengji?list=` + ids + `"`, `href="/list?ids=laonian-zonghe-jintie,linghuo-jiuye-yanglao-canbao"`,
		`href="/search?list=` + ids + `"`, "办理步骤"} {
		if !strings.Contains(body, want) {
			t.Errorf("list page lacks %q", want)
		}
	}
	if n := strings.Count(body, "本人身份证 <span"); n != 0 {
		t.Errorf("本人身份证 has a line of its own (%d) beside 本人居民身份证", n)
	}

	// An unknown id is named and left out; the link shared leaves it out.
	resp, body = s.fetch(t, "/list?ids=laonian-zonghe-jintie,no-such-entry")
	if resp.StatusCode != 200 || !strings.Contains(body, "没有找到对应的政策或服务") || !strings.Contains(body, "no-such-entry") ||
		!strings.Contains(body, "/list?ids=laonian-zonghe-jintie</code>") {
		t.Errorf("a list with an unknown id: %d, notice or share link missing", resp.StatusCode)
	}
	resp, body = s.fetch(t, "/list?ids=no-such-entry")
	if resp.StatusCode != 404 || !strings.Contains(body, "no-such-entry") {
		t.Errorf("a list of unknown ids only = %d", resp.StatusCode)
	}
	resp, body = s.fetch(t, "/list")
	if resp.StatusCode != 200 || !strings.Contains(body, "清单里还没有内容") {
		t.Errorf("an empty list = %d", resp.StatusCode)
	}
	// Too many ids, or one no entry could have: 400 and what is wrong.
	var many []string
	for _, p := range s.corpus.Policies[:MaxListEntries+1] {
		many = append(many, p.ID)
	}
	for path, want := range map[string]string{
		"/list?ids=" + strings.Join(many, ","):   "办事清单最多 20 项",
		"/list?ids=a," + url.QueryEscape("<b>x"): "不是政策的编号",
	} {
		resp, body := s.fetch(t, path)
		if resp.StatusCode != 400 || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d, want 400 saying %q", path, resp.StatusCode, want)
		}
	}

	// A policy page adds itself to the list it was reached with.
	_, body = s.fetch(t, "/policies/shiye-dengji")
	if !strings.Contains(body, `href="/list?ids=shiye-dengji#added">加入清单`) {
		t.Errorf("policy page lacks its 加入清单 link")
	}
	_, body = s.fetch(t, "/policies/shiye-dengji?list=laonian-zonghe-jintie")
	for _, want := range []string{`href="/list?ids=laonian-zonghe-jintie,shiye-dengji#added">加入清单`,
		`<a href="/list?ids=laonian-zonghe-jintie">办事清单（1 项）</a>`, `name="list" value="laonian-zonghe-jintie" form="searchbox"`} {
		if !strings.Contains(body, want) {
			t.Errorf("policy page with a list lacks %q", want)
		}
	}
	_, body = s.fetch(t, "/policies/shiye-dengji?list=shiye-dengji")
	if !strings.Contains(body, "已在办事清单中") || strings.Contains(body, ">加入清单<") {
		t.Errorf("an entry already in the list offers to add it again")
	}
	_, body = s.fetch(t, "/policies/shiye-dengji?list="+strings.Join(many[:MaxListEntries], ","))
	if !strings.Contains(body, "办事清单已满 20 项") {
		t.Errorf("a full list still offers to add")
	}

	// Results: every hit adds itself, its link keeps the list.
	_, body = s.fetch(t, "/search?q="+url.QueryEscape("失业")+"&list=laonian-zonghe-jintie")
	adds := regexp.MustCompile(`href="/list\?ids=laonian-zonghe-jintie,([a-z0-9-]+)#added">加入清单`).FindAllStringSubmatch(body, -1)
	hits := strings.Count(body, `<li class="hit`)
	if hits == 0 || len(adds) != hits {
		t.Errorf("%d hits, %d 加入清单 links keeping the list", hits, len(adds))
	}
	if !strings.Contains(body, `?list=laonian-zonghe-jintie">`) {
		t.Errorf("hits' links do not keep the list")
	}
	// The caseworkers' table too: a row per hit, each adding itself.
	_, body = s.fetch(t, "/advanced?q="+url.QueryEscape("失业")+"&list=laonian-zonghe-jintie")
	adds = regexp.MustCompile(`href="/list\?ids=laonian-zonghe-jintie,([a-z0-9-]+)#added">加入清单`).FindAllStringSubmatch(body, -1)
	rows := strings.Count(body, `<td><a href="/policies/`)
	if rows == 0 || len(adds) != rows || !strings.Contains(body, `?list=laonian-zonghe-jintie">`) {
		t.Errorf("/advanced: %d rows, %d 加入清单 links keeping the list", rows, len(adds))
	}
	// The site's own GET forms keep it too.
	for _, path := range []string{"/match?list=laonian-zonghe-jintie", "/advanced?list=laonian-zonghe-jintie",
		"/policies/laonian-zonghe-jintie?list=laonian-zonghe-jintie"} {
		_, body := s.fetch(t, path)
		if n := strings.Count(body, `<input type="hidden" name="list" value="laonian-zonghe-jintie">`); n == 0 {
			t.Errorf("%s: no form keeps the list", path)
		}
	}
	_, body = s.fetch(t, "/match?age=75&list=laonian-zonghe-jintie")
	if !strings.Contains(body, "已在<a href=\"/list?ids=laonian-zonghe-jintie\">办事清单</a>中") || !strings.Contains(body, "加入清单") {
		t.Errorf("the wizard's hits lack their list links")
	}
}
