package web

// Browser tests: a real headless Chromium, driven with chromedp, against the
// real server on a real index (newTestServer). Every flow runs twice, with
// JavaScript on and with JavaScript off, because every page must work with
// plain GET forms and links.
//
// Chromium is /usr/bin/chromium, or $CHROMIUM. Without it the tests skip,
// unless YICHA_REQUIRE_BROWSER=1, when they fail. Screenshots of the main
// pages at phone and desktop size go to $YICHA_ARTIFACTS, by default
// <repo>/artifacts/screenshots.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// browserTimeout bounds each flow, browser start included; stepTimeout
// bounds each action in it, so that a missing element fails fast.
const (
	browserTimeout = 60 * time.Second
	stepTimeout    = 10 * time.Second
)

// Screen sizes of the screenshots, and the size every flow runs at.
var (
	phoneSize   = screenSize{"phone", 390, 844, true}
	desktopSize = screenSize{"desktop", 1280, 800, false}
)

type screenSize struct {
	name          string
	width, height int64
	mobile        bool
}

// browserFlows are the flows a person goes through, each a func of a fresh
// browser (no cookies) on the shared server.
var browserFlows = []struct {
	name string
	run  func(b *browser)
}{
	{"search", flowSearch},
	{"facets", flowFacets},
	{"match", flowMatch},
	{"policy", flowPolicy},
	{"traditional", flowTraditional},
	{"large", flowLarge},
	{"keyboard", flowKeyboard},
	{"escaping", flowEscaping},
	{"honest", flowHonest},
	{"pinyin", flowPinyin},
	{"suggest", flowSuggest},
	{"reflow", flowReflow},
	{"filters", flowFilters},
	{"worklist", flowWorklist},
	{"print", flowPrint},
}

// TestBrowser runs every flow with JavaScript on and off, as subtests named
// FLOW/js and FLOW/nojs.
func TestBrowser(t *testing.T) {
	chromiumPath(t) // skip before building an index for nothing
	srv := newTestServer(t)
	for _, f := range browserFlows {
		for _, js := range []bool{true, false} {
			t.Run(f.name+"/"+jsMode(js), func(t *testing.T) {
				f.run(newBrowser(t, srv, js))
			})
		}
	}
}

// 1. Ask a question on the home page and get results; open the first one.
func flowSearch(b *browser) {
	const q = "残疾人补贴"
	b.visit("/")
	b.typeInto("#q", q)
	b.expectSuggestionsClear()
	b.follow("form.searchbox button[type=submit]")
	if u := b.location(); u.Path != "/search" || u.Query().Get("q") != q {
		b.t.Fatalf("submitting the search box went to %s", u)
	}
	hits := b.count("ol.hits li.hit")
	if hits == 0 {
		b.t.Fatalf("no hits for %s", q)
	}
	if total := b.total(); total < hits {
		b.t.Errorf("heading says %d, page lists %d hits", total, hits)
	}
	if v := b.value("#q"); v != q {
		b.t.Errorf("search box holds %q, want %q", v, q)
	}
	b.shoot("search")

	title := b.textOf("ol.hits li.hit h3 a")
	b.follow("ol.hits li.hit h3 a")
	if !strings.HasPrefix(b.location().Path, "/policies/") || b.textOf("h1") != title {
		b.t.Errorf("first hit %q led to %s with heading %q", title, b.location(), b.textOf("h1"))
	}
}

// 9. A question the base does not answer says so, and who can answer it,
// above the related entries.
func flowHonest(b *browser) {
	b.visit("/")
	b.typeInto("#q", "社保卡丢了怎么补办")
	b.follow("form.searchbox button[type=submit]")
	b.expectText("#referrals-title", "没有找到直接相关的政策")
	cards := b.texts("li.referral h3")
	if len(cards) < 2 || !slices.ContainsFunc(cards, func(c string) bool { return strings.Contains(c, "12333") }) {
		b.t.Errorf("referral cards %q, want 12333 among them", cards)
	}
	if !evalJSON[bool](b, `document.querySelector("section.referrals").getBoundingClientRect().top < window.innerHeight`) {
		b.t.Error("the referral cards are below the first screen")
	}
	b.shoot("not-answered")
}

// 10. Pinyin typed and submitted searches the Chinese it stands for.
func flowPinyin(b *browser) {
	b.visit("/")
	b.typeInto("#q", "dibao")
	b.follow("form.searchbox button[type=submit]")
	b.expectText("p.spelled", "您是不是要找：低保")
	if first := b.textOf("ol.hits li.hit h3 a"); first != "最低生活保障" {
		b.t.Errorf("dibao puts %q first", first)
	}
}

// 11. The suggestions follow the WAI-ARIA combobox pattern: the box is a
// combobox that says whether its listbox is open, which option is active,
// and the listbox holds the options themselves (axe's
// aria-required-children, aria-required-parent and listitem). Arrow keys
// and Enter open a suggestion. Without JavaScript the box is a plain
// search field and the list stays hidden.
func flowSuggest(b *browser) {
	b.visit("/")
	b.typeInto("#q", "dibao")
	if !b.js {
		if role, ok := b.attr("#q", "role"); ok {
			b.t.Errorf("without JavaScript the box has role=%q", role)
		}
		if b.visible("#q-suggestions") {
			b.t.Error("without JavaScript the suggestion list shows")
		}
		return
	}
	if _, err := run(b, chromedp.WaitVisible(chromedp.CSS("#q-suggestions [role=option]"))); err != nil {
		b.t.Fatalf("no suggestions: %v", err)
	}
	type combo struct {
		Role, Expanded, Controls, Active, Autocomplete string
		ListRole                                       string
		Children                                       []string // role of each child of the listbox
		Nested                                         int      // links or buttons inside options
		ActiveSelected                                 string
	}
	state := func() combo {
		return evalJSON[combo](b, `(() => { const q = document.getElementById("q"), l = document.getElementById("q-suggestions");
			const a = q.getAttribute("aria-activedescendant") || "";
			const act = a ? document.getElementById(a) : null;
			return {Role: q.getAttribute("role") || "", Expanded: q.getAttribute("aria-expanded") || "",
				Controls: q.getAttribute("aria-controls") || "", Active: a, Autocomplete: q.getAttribute("aria-autocomplete") || "",
				ListRole: l.getAttribute("role") || "",
				Children: Array.from(l.children, c => c.getAttribute("role") || c.tagName.toLowerCase()),
				Nested: l.querySelectorAll("[role=option] a, [role=option] button").length,
				ActiveSelected: act && l.contains(act) ? act.getAttribute("aria-selected") : ""}; })()`)
	}
	st := state()
	if st.Role != "combobox" || st.Expanded != "true" || st.Controls != "q-suggestions" || st.Autocomplete != "list" || st.ListRole != "listbox" {
		b.t.Errorf("open suggestions: %+v", st)
	}
	if len(st.Children) == 0 || slices.ContainsFunc(st.Children, func(r string) bool { return r != "option" }) || st.Nested != 0 {
		b.t.Errorf("the listbox's children are %q with %d links inside, want options only", st.Children, st.Nested)
	}
	if st.Active != "" {
		b.t.Errorf("an option is active before any arrow key: %q", st.Active)
	}
	b.press(kb.ArrowDown)
	st = state()
	if st.Active != "q-suggestions-0" || st.ActiveSelected != "true" {
		b.t.Errorf("after ArrowDown: active %q, selected %q", st.Active, st.ActiveSelected)
	}
	if f := b.focused(); f != "q" {
		b.t.Errorf("after ArrowDown the focus is on %q, want the box", f)
	}
	want := b.eval(`document.getElementById("q-suggestions-0").getAttribute("data-href")`)
	label := b.textOf("#q-suggestions-0")
	b.pressAndFollow(kb.Enter)
	if got := b.location().RequestURI(); want == "" || got != want {
		b.t.Errorf("Enter on the suggestion %q led to %s, want %s", label, got, want)
	}

	// Escape closes the list and says so.
	b.visit("/")
	b.typeInto("#q", "dibao")
	if _, err := run(b, chromedp.WaitVisible(chromedp.CSS("#q-suggestions [role=option]"))); err != nil {
		b.t.Fatalf("no suggestions: %v", err)
	}
	b.press(kb.Escape)
	if st := state(); st.Expanded != "false" || st.Active != "" || b.visible("#q-suggestions") {
		b.t.Errorf("after Escape: %+v", st)
	}
}

// 12. Large text on the narrowest phone (320 CSS px, WCAG 1.4.10 reflow):
// nothing is wider than the screen, so no text is clipped or needs
// scrolling sideways.
func flowReflow(b *browser) {
	b.visit("/prefs?size=l&return=/")
	if !b.hasClass("body", "large") {
		b.t.Fatal("large-text mode did not take")
	}
	b.resize(screenSize{"narrow", 320, 640, true})
	for _, path := range []string{
		"/policies/laonian-zonghe-jintie",
		"/policies/chaoling-laodongzhe-quanyi",
		"/advanced",
		"/advanced?q=" + url.QueryEscape("补贴"),
		"/search?q=" + url.QueryEscape("残疾人补贴"),
		"/match?age=75",
		"/",
	} {
		b.visit(path)
		over := evalJSON[struct {
			Over  int
			Wide  []string
			Width int
		}](b, `(() => { const w = document.documentElement.clientWidth;
			const wide = Array.from(document.querySelectorAll("body *"))
				.filter(e => e.getBoundingClientRect().right > w + 0.5 && e.checkVisibility())
				.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.split(" ").join(".") : "") +
					" " + Math.round(e.getBoundingClientRect().width) + "px")
				.slice(0, 8);
			return {Over: document.documentElement.scrollWidth - w, Wide: wide, Width: w}; })()`)
		if over.Width != 320 {
			b.t.Fatalf("%s: viewport %dpx wide, want 320", path, over.Width)
		}
		if over.Over > 0 || len(over.Wide) > 0 {
			b.t.Errorf("%s in large text at 320px: the page is %dpx too wide; wider than the screen: %q", path, over.Over, over.Wide)
		}
	}
	b.resize(desktopSize)
}

// 13. On a phone the filters sit below the results: 筛选 at the top of
// the results leads to them, and the chips of the active filters are at
// the top too. On a desktop the filters are beside the results and the
// control is not shown.
func flowFilters(b *browser) {
	b.visit("/search?q=" + url.QueryEscape("残疾人补贴") + "&category=" + url.QueryEscape("助残服务"))
	b.resize(phoneSize)
	const jump = "p.filter-jump a"
	if !b.visible(jump) {
		b.t.Fatal("no 筛选 control on a phone")
	}
	if txt := b.textOf(jump); txt != "筛选（已选 1 项）" {
		b.t.Errorf("the control says %q", txt)
	}
	top := evalJSON[struct{ Jump, Chips, Hit float64 }](b, `(() => {
		const y = s => document.querySelector(s).getBoundingClientRect().top + window.scrollY;
		return {Jump: y("p.filter-jump a"), Chips: y(".chips a.chip"), Hit: y("ol.hits li.hit")}; })()`)
	if top.Jump > float64(phoneSize.height) || top.Chips > top.Hit || top.Jump > top.Hit {
		b.t.Errorf("on a phone: 筛选 at %vpx, chips at %vpx, first hit at %vpx (screen %dpx)", top.Jump, top.Chips, top.Hit, phoneSize.height)
	}
	b.click(jump)
	if f := b.location().Fragment; f != "facets" {
		b.t.Errorf("筛选 led to #%s", f)
	}
	if !evalJSON[bool](b, `(() => { const r = document.querySelector("aside.facets").getBoundingClientRect(); return r.top >= -1 && r.top < window.innerHeight / 2; })()`) {
		b.t.Error("after 筛选 the filters are not at the top of the screen")
	}
	b.click("p.back-to-results a")
	if !evalJSON[bool](b, `(() => { const r = document.getElementById("results-title").getBoundingClientRect(); return r.top >= -1 && r.top < window.innerHeight / 2; })()`) {
		b.t.Error("回到搜索结果 did not lead back to the results")
	}
	b.resize(desktopSize)
	if b.visible(jump) || b.visible("p.back-to-results a") {
		b.t.Error("the phone's 筛选 controls show on a desktop")
	}
}

// 2. Narrow the results with a category facet, then drop it with its chip.
func flowFacets(b *browser) {
	b.visit("/search?q=" + url.QueryEscape("残疾人补贴"))
	before := b.total()
	facets := b.categoryFacets()
	if len(facets) < 2 {
		b.t.Fatalf("category facet has %d values, want at least 2: %+v", len(facets), facets)
	}
	// The smallest value narrows the most.
	i := 0
	for j, f := range facets {
		if f.Count < facets[i].Count {
			i = j
		}
	}
	pick := facets[i]
	b.follow(fmt.Sprintf(`aside.facets section[data-field="category"] li:nth-child(%d) a`, i+1))

	after := b.total()
	if after > before || after != pick.Count {
		b.t.Errorf("category %s: %d results, was %d, facet said %d", pick.Value, after, before, pick.Count)
	}
	var active []string
	for _, f := range b.categoryFacets() {
		if f.Current == "true" {
			active = append(active, f.Value)
		}
	}
	if !slices.Equal(active, []string{pick.Value}) {
		b.t.Errorf("active category facets %v, want [%s]", active, pick.Value)
	}
	for _, c := range b.texts("ol.hits li.hit .tags .tag:first-child") {
		if c != pick.Value {
			b.t.Errorf("hit of category %s under the filter %s", c, pick.Value)
		}
	}
	chips := b.texts(".chips a.chip")
	if len(chips) != 1 || !strings.Contains(chips[0], "分类："+pick.Value) {
		b.t.Fatalf("chips %q, want one for 分类：%s", chips, pick.Value)
	}

	b.follow(".chips a.chip")
	if got := b.total(); got != before {
		b.t.Errorf("after removing the chip: %d results, want %d", got, before)
	}
	if n := b.count(".chips a.chip"); n != 0 {
		b.t.Errorf("%d chips left after removing the filter", n)
	}
	if n := b.count(`aside.facets a[aria-current="true"]`); n != 0 {
		b.t.Errorf("%d facets still active after removing the filter", n)
	}
	if q := b.location().Query(); q.Has("category") || q.Get("q") != "残疾人补贴" {
		b.t.Errorf("after removing the chip the URL is %s", b.location())
	}
}

// 3. The wizard: a 75-year-old with a Shanghai hukou.
func flowMatch(b *browser) {
	b.visit("/match")
	b.typeInto("input#f-age", "75")
	b.click(`input[type=radio][name=hukou][value="本市户籍"]`)
	b.follow("form.wizard button.primary")

	if q := b.location().Query(); q.Get("age") != "75" || q.Get("hukou") != "本市户籍" || b.location().Fragment != "results" {
		b.t.Errorf("the wizard sent %s, want it to land on #results", b.location())
	}
	// Folded: the form sits in a closed 修改条件 and is not rendered.
	if !evalJSON[bool](b, `(() => { const d = document.querySelector("details.edit-conditions");
		return d !== null && !d.open && d.querySelector("form.wizard") !== null &&
			!document.querySelector("form.wizard button.primary").checkVisibility(); })()`) {
		b.t.Error("after submitting, the form is not folded into 修改条件")
	}
	if v := b.value("input#f-age"); v != "75" {
		b.t.Errorf("age field holds %q after submitting", v)
	}
	if b.count(`input[name=hukou][value="本市户籍"]:checked`) != 1 {
		b.t.Error("本市户籍 is not checked after submitting")
	}
	eligible := b.hitsIn(`section[aria-labelledby="eligible-title"]`)
	i := slices.IndexFunc(eligible, func(h hitText) bool { return h.Title == "上海市老年综合津贴" })
	if i < 0 {
		b.t.Fatalf("上海市老年综合津贴 not among 符合: %+v", eligible)
	}
	if !slices.ContainsFunc(eligible[i].Reasons, func(r string) bool { return strings.Contains(r, "满足") }) {
		b.t.Errorf("上海市老年综合津贴 reasons %q say nothing is 满足", eligible[i].Reasons)
	}
	if h := b.textOf("#eligible-title"); !strings.Contains(h, "符合（"+strconv.Itoa(len(eligible))+" 项）") {
		b.t.Errorf("heading %q, %d hits listed", h, len(eligible))
	}
	b.shoot("match")

	// The page says the answers are in its address, and 清除 empties it.
	b.expectText("#address-note", "网址里")
	b.follow("#address-note a")
	if u := b.location(); u.Path != "/match" || u.RawQuery != "" {
		b.t.Errorf("清除 went to %s", u)
	}
	if v := b.value("input#f-age"); v != "" {
		b.t.Errorf("after 清除 the age field holds %q", v)
	}
	if b.count(`input[name=hukou][value="本市户籍"]:checked`) != 0 || b.count("#address-note") != 0 {
		b.t.Error("after 清除 the answers or the note are still there")
	}
}

// 4. A policy that can be done online links there.
func flowPolicy(b *browser) {
	b.visit("/policies/laonian-zonghe-jintie")
	if h := b.textOf("h1"); h != "上海市老年综合津贴" {
		b.t.Errorf("heading %q", h)
	}
	const sel = "article.policy a.button.primary"
	// The item's own page (去办理), or the portal with the words to search.
	if txt := b.textOf(sel); !strings.HasPrefix(txt, "去办理") && !strings.HasPrefix(txt, "在一网通办搜索“") {
		b.t.Errorf("online link says %q", txt)
	}
	if href, _ := b.attr(sel, "href"); !strings.HasPrefix(href, "https://") {
		b.t.Errorf("online link goes to %q", href)
	}
	if !b.visible(sel) {
		b.t.Error("去办理 is not visible")
	}
	if rel, _ := b.attr(sel, "rel"); !strings.Contains(rel, "noopener") {
		b.t.Errorf("去办理 opens a new window with rel=%q", rel)
	}
	b.shoot("policy")
}

// 5. Traditional characters, kept across pages, and back to simplified on
// the same page.
func flowTraditional(b *browser) {
	b.visit("/")
	if txt := b.textOf(`nav.prefs a[lang="zh-Hant"]`); txt != "繁體" {
		b.t.Errorf("script link says %q", txt)
	}
	b.follow(`nav.prefs a[lang="zh-Hant"]`)
	if p := b.location().Path; p != "/" {
		b.t.Errorf("switching script went to %s", p)
	}
	b.expectLang("zh-Hant")
	b.expectText("nav.main-nav", "按我的情況查")
	b.expectText("footer.site", "身份證號")
	b.expectText("h1", "一句話查政策")
	b.shoot("traditional")

	// Questions in traditional characters find what simplified ones do.
	b.typeInto("#q", "殘疾人補貼")
	b.follow("form.searchbox button[type=submit]")
	b.expectLang("zh-Hant")
	if b.count("ol.hits li.hit") == 0 || !strings.Contains(b.textOf("#results-title"), "項") {
		b.t.Errorf("traditional search: %d hits, heading %q", b.count("ol.hits li.hit"), b.textOf("#results-title"))
	}
	here := b.location().String()

	// The label is converted with the page (pages_test.go pins 簡體).
	if txt := b.textOf(`nav.prefs a[lang="zh-CN"]`); txt != "簡體" && txt != "简体" {
		b.t.Errorf("script link says %q", txt)
	}
	b.follow(`nav.prefs a[lang="zh-CN"]`)
	if got := b.location().String(); got != here {
		b.t.Errorf("switching back went to %s, want %s", got, here)
	}
	b.expectLang("zh-CN")
	b.expectText("nav.main-nav", "按我的情况查")
	b.expectText("#results-title", "项")
}

// 6. Large text and back. Everything grows: body text, headings, the
// search box and its button, the category cards.
func flowLarge(b *browser) {
	grows := []string{"body", "h1", "#q", "form.searchbox button", "ul.categories .name", "footer.site"}
	sizes := func() map[string]float64 {
		m := map[string]float64{}
		for _, sel := range grows {
			m[sel] = b.fontSize(sel)
		}
		return m
	}
	b.visit("/")
	normal := sizes()
	if txt := b.textOf(`nav.prefs a[href*="size=l"]`); txt != "大字模式" {
		b.t.Errorf("size link says %q", txt)
	}
	b.follow(`nav.prefs a[href*="size=l"]`)
	if !b.hasClass("body", "large") {
		b.t.Error("body is not .large in large-text mode")
	}
	large := sizes()
	for _, sel := range grows {
		if large[sel] <= normal[sel] {
			b.t.Errorf("%s: font size %vpx in large-text mode, %vpx normally", sel, large[sel], normal[sel])
		}
	}
	b.shoot("large")
	b.typeInto("#q", "残疾")
	b.expectSuggestionsClear()

	if txt := b.textOf(`nav.prefs a[href*="size=n"]`); txt != "标准字号" {
		b.t.Errorf("size link says %q", txt)
	}
	b.follow(`nav.prefs a[href*="size=n"]`)
	if b.hasClass("body", "large") {
		b.t.Error("body is still .large after 标准字号")
	}
	back := sizes()
	for _, sel := range grows {
		if back[sel] != normal[sel] {
			b.t.Errorf("%s: font size %vpx after 标准字号, want %vpx", sel, back[sel], normal[sel])
		}
	}
}

// 7. Keyboard only: Tab reaches the search box soon, the skip link leads
// into the page, and Enter searches. No mouse.
func flowKeyboard(b *browser) {
	const q = "残疾人补贴"
	const maxTabs = 10
	b.visit("/")
	tabs := 0
	for b.focused() != "q" {
		if tabs++; tabs > maxTabs {
			b.t.Fatalf("%d presses of Tab did not reach the search box (focus on %q)", maxTabs, b.focused())
		}
		b.press(kb.Tab)
	}
	b.t.Logf("Tab reached the search box after %d presses", tabs)

	// Again through the skip link: Tab, Enter, Tab.
	b.visit("/")
	b.press(kb.Tab)
	if f := b.focused(); f != "a.skip" {
		b.t.Fatalf("first Tab focused %q, want the skip link", f)
	}
	b.press(kb.Enter)
	b.press(kb.Tab)
	if f := b.focused(); f != "q" {
		b.t.Fatalf("Tab after the skip link focused %q, want the search box", f)
	}

	b.press(q)
	b.pressAndFollow(kb.Enter)
	if u := b.location(); u.Path != "/search" || u.Query().Get("q") != q {
		b.t.Fatalf("Enter went to %s", u)
	}
	if b.count("ol.hits li.hit") == 0 {
		b.t.Errorf("no hits for %s", q)
	}
}

// 8. What people type is shown as text, never run as markup.
func flowEscaping(b *browser) {
	const x = `<script>window.__xss=1</script>"><img src=x onerror="window.__xss=2">`
	esc := url.QueryEscape(x)

	b.visit("/")
	b.typeInto("#q", x)
	b.follow("form.searchbox button[type=submit]")
	b.expectInert("search box")
	if v := b.value("#q"); v != x {
		b.t.Errorf("search box holds %q, want %q", v, x)
	}
	b.expectText("#results-title", x)
	if title := b.eval("document.title"); !strings.Contains(title, x) {
		b.t.Errorf("title %q does not hold the question literally", title)
	}

	for _, path := range []string{
		"/search?q=" + esc + "&category=" + esc,
		"/search?q=" + esc + "&category=" + url.QueryEscape("养老服务"),
		"/search?q=" + esc + "&page=" + esc,
		"/match?q=" + esc,
		"/match?q=" + esc + "&age=75",
		"/match?q=" + esc + "&hukou=" + esc,
		"/policies/" + url.PathEscape(x),
		"/advanced?phrase=" + esc + "&title=" + esc + "&number=" + esc,
	} {
		status := b.visitStatus(path)
		if status >= 500 {
			b.t.Errorf("GET %s: status %d", path, status)
		}
		b.expectInert(path)
		switch {
		case status == 200 && strings.HasPrefix(path, "/search"):
			if v := b.value("#q"); v != x {
				b.t.Errorf("%s: search box holds %q", path, v)
			}
		case status == 200 && strings.HasPrefix(path, "/match"):
			if v := b.value("#match-q"); v != x {
				b.t.Errorf("%s: question field holds %q", path, v)
			}
		case status == 200 && strings.HasPrefix(path, "/advanced"):
			if v := b.value("#a-phrase"); v != x {
				b.t.Errorf("%s: phrase field holds %q", path, v)
			}
		}
	}
}

// ---- the helper layer ----

// browser is one tab of a fresh headless Chromium on the test server.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	js   bool
}

func jsMode(js bool) string {
	if js {
		return "js"
	}
	return "nojs"
}

// chromiumPath finds Chromium, or skips the test (fails it under
// YICHA_REQUIRE_BROWSER=1).
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	found, err := exec.LookPath(path)
	if err == nil {
		return found
	}
	if os.Getenv("YICHA_REQUIRE_BROWSER") == "1" {
		t.Fatalf("Chromium not found at %s (set $CHROMIUM): %v", path, err)
	}
	t.Skipf("Chromium not found at %s (set $CHROMIUM, or YICHA_REQUIRE_BROWSER=1 to fail): %v", path, err)
	return ""
}

// chromium is the one Chromium the browser tests share, started on first
// use and stopped by TestMain; each test gets a browser context of its own.
var chromium struct {
	once    sync.Once
	ctx     context.Context // the browser's
	cancel  func()
	profile string
	err     error
}

func startChromium(t *testing.T) context.Context {
	t.Helper()
	execPath := chromiumPath(t)
	chromium.once.Do(func() {
		if chromium.profile, chromium.err = os.MkdirTemp("", "yicha-chromium-"); chromium.err != nil {
			return
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(execPath),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.UserDataDir(chromium.profile),
			chromedp.WindowSize(int(desktopSize.width), int(desktopSize.height)),
		)
		ctx, cancelBrowser := chromedp.NewContext(allocCtx)
		chromium.ctx = ctx
		chromium.cancel = func() { cancelBrowser(); cancelAlloc() }
		if err := chromedp.Do(ctx); err != nil {
			chromium.err = fmt.Errorf("start %s: %w", execPath, err)
		}
	})
	if chromium.err != nil {
		t.Fatal(chromium.err)
	}
	return chromium.ctx
}

// stopChromium ends the shared Chromium, if it was started, and removes
// its profile.
func stopChromium() {
	if chromium.cancel != nil {
		chromium.cancel()
	}
	if chromium.profile != "" {
		os.RemoveAll(chromium.profile)
	}
}

// newBrowser opens a tab in a fresh browser context of the shared
// Chromium (no cookies, no storage from other tests), at desktop size,
// with JavaScript on or off, and checks that app.js ran exactly when it
// should. The context ends with the test; uncaught page exceptions fail it.
func newBrowser(t *testing.T, srv *testServer, js bool) *browser {
	t.Helper()
	ctx, cancelTab := chromedp.NewContext(startChromium(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancelTab)
	ctx, cancelTimeout := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}

	// Collect uncaught exceptions; report them when the test ends.
	var exceptions []string // written by the goroutine, read after done
	done := make(chan struct{})
	msgs := chromedp.Console(ctx)
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() {
				exceptions = append(exceptions, fmt.Sprintf("%s:%d: %s", m.URL, m.Line+1, m.Text))
			}
		}
	}()
	t.Cleanup(func() {
		cancelTimeout()
		<-done
		for _, e := range exceptions {
			t.Errorf("uncaught exception in the page: %s", e)
		}
	})

	b := &browser{t: t, ctx: ctx, base: srv.URL, js: js}
	b.resize(desktopSize)
	if !js {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatalf("disable JavaScript: %v", err)
		}
	}
	// app.js makes the search box a combobox; that shows whether it ran.
	b.visit("/")
	if role, _ := b.attr("#q", "role"); (role == "combobox") != js {
		t.Fatalf("JavaScript %s, but the search box has role=%q", jsMode(js), role)
	}
	return b
}

// run runs one action within stepTimeout.
func run[T any](b *browser, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// do runs actions, failing the test on an error.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if _, err := run(b, chromedp.Steps(actions...)); err != nil {
		b.t.Fatalf("%s: %v", b.where(), err)
	}
}

// where names the current page in failures.
func (b *browser) where() string {
	loc, err := run(b, chromedp.Location())
	if err != nil {
		return "(no page)"
	}
	return "[" + jsMode(b.js) + "] " + strings.TrimPrefix(loc, b.base)
}

// visit opens a path of the site and wants 200.
func (b *browser) visit(path string) {
	b.t.Helper()
	if status := b.visitStatus(path); status != 200 {
		b.t.Fatalf("GET %s: status %d", path, status)
	}
}

// visitStatus opens a path of the site and returns the status.
func (b *browser) visitStatus(path string) int64 {
	b.t.Helper()
	resp, err := run(b, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("GET %s: %v", path, err)
	}
	return resp.Status
}

// follow clicks an element that leads to another page (a link or a submit
// button), waits for that page and wants 200.
func (b *browser) follow(sel string) {
	b.t.Helper()
	b.navigateBy(sel, chromedp.Click(chromedp.CSS(sel)))
}

// pressAndFollow presses keys that lead to another page and waits for it.
func (b *browser) pressAndFollow(keys string) {
	b.t.Helper()
	b.navigateBy("keys "+strconv.Quote(keys), chromedp.KeyEvent(keys))
}

func (b *browser) navigateBy(what string, a chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	from := b.where()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %s: %v", from, what, err)
	}
	if resp == nil || resp.Status != 200 {
		status := int64(0)
		if resp != nil {
			status = resp.Status
		}
		b.t.Fatalf("%s: %s led to %s with status %d", from, what, b.where(), status)
	}
}

// click clicks an element that stays on the page.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)))
}

// typeInto types text into a field, key by key.
func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// press sends keys to whatever has the focus.
func (b *browser) press(keys string) {
	b.t.Helper()
	b.do(chromedp.KeyEvent(keys))
}

// location is the URL of the current page.
func (b *browser) location() *url.URL {
	b.t.Helper()
	loc, err := run(b, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

// textOf is the rendered text of the first element matching sel, waiting
// for it to appear.
func (b *browser) textOf(sel string) string {
	b.t.Helper()
	s, err := run(b, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: text of %s: %v", b.where(), sel, err)
	}
	return strings.TrimSpace(s)
}

// value is the current value of a form field.
func (b *browser) value(sel string) string {
	b.t.Helper()
	s, err := run(b, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: value of %s: %v", b.where(), sel, err)
	}
	return s
}

// attr is an attribute of the first element matching sel.
func (b *browser) attr(sel, name string) (string, bool) {
	b.t.Helper()
	r, err := run(b, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		b.t.Fatalf("%s: attribute %s of %s: %v", b.where(), name, sel, err)
	}
	return r.Value, r.Exists
}

// evalJSON evaluates an expression in the page and decodes its JSON-able
// value. It works with page scripts disabled too: DevTools still evaluates.
func evalJSON[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := run(b, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: evaluate %s: %v", b.where(), expr, err)
	}
	return v
}

// eval evaluates an expression to a string.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	return evalJSON[string](b, "String("+expr+")")
}

// js quotes a string for an expression.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// count is how many elements match sel now, without waiting.
func (b *browser) count(sel string) int {
	b.t.Helper()
	return evalJSON[int](b, "document.querySelectorAll("+js(sel)+").length")
}

// texts are the trimmed texts of every element matching sel now.
func (b *browser) texts(sel string) []string {
	b.t.Helper()
	return evalJSON[[]string](b, "Array.from(document.querySelectorAll("+js(sel)+"), e => e.textContent.trim())")
}

// visible reports whether the first element matching sel is rendered with
// a size and not hidden.
func (b *browser) visible(sel string) bool {
	b.t.Helper()
	return evalJSON[bool](b, `(() => { const e = document.querySelector(`+js(sel)+`);
		if (!e) return false;
		const r = e.getBoundingClientRect(), s = getComputedStyle(e);
		return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none"; })()`)
}

// hasClass reports whether the first element matching sel has a class.
func (b *browser) hasClass(sel, class string) bool {
	b.t.Helper()
	c, _ := b.attr(sel, "class")
	return slices.Contains(strings.Fields(c), class)
}

// focused describes the element with the keyboard focus: its id, else
// tag.class.
func (b *browser) focused() string {
	b.t.Helper()
	return b.eval(`(() => { const e = document.activeElement;
		if (!e) return "";
		return e.id || e.tagName.toLowerCase() + (e.className ? "." + e.className.split(" ").join(".") : ""); })()`)
}

// fontSize is the computed font size of an element in px, read through the
// CSS domain (no page script).
func (b *browser) fontSize(sel string) float64 {
	b.t.Helper()
	props, err := run(b, chromedp.ComputedStyle(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("%s: style of %s: %v", b.where(), sel, err)
	}
	for _, p := range props {
		if p.Name == "font-size" {
			px, err := strconv.ParseFloat(strings.TrimSuffix(p.Value, "px"), 64)
			if err != nil {
				b.t.Fatalf("font-size %q: %v", p.Value, err)
			}
			return px
		}
	}
	b.t.Fatalf("%s has no computed font-size", sel)
	return 0
}

var totalRE = regexp.MustCompile(`找到 (\d+) [项項]|（(\d+) [项項]）`)

// total is N of 「找到 N 项」 in the results heading, or of 「（N 项）」
// when the first hit does not surely answer the question.
func (b *browser) total() int {
	b.t.Helper()
	h := b.textOf("#results-title")
	m := totalRE.FindStringSubmatch(h)
	if m == nil {
		b.t.Fatalf("%s: results heading %q has no count", b.where(), h)
	}
	n, _ := strconv.Atoi(m[1] + m[2])
	return n
}

// facetLink is one value of a facet as the page shows it.
type facetLink struct {
	Value   string `json:"value"`
	Count   int    `json:"count"`
	Current string `json:"current"`
}

// categoryFacets lists the values of the 分类 facet.
func (b *browser) categoryFacets() []facetLink {
	b.t.Helper()
	return evalJSON[[]facetLink](b, `Array.from(document.querySelectorAll('aside.facets section[data-field="category"] a'), a => ({
		value: a.firstChild.textContent.trim(),
		count: Number(a.querySelector(".count").textContent),
		current: a.getAttribute("aria-current") || ""}))`)
}

// hitText is a hit's title and reasons as the page shows them.
type hitText struct {
	Title   string   `json:"title"`
	Reasons []string `json:"reasons"`
}

// hitsIn lists the hits inside the element matching sel.
func (b *browser) hitsIn(sel string) []hitText {
	b.t.Helper()
	return evalJSON[[]hitText](b, `Array.from(document.querySelectorAll(`+js(sel+" li.hit")+`), h => ({
		title: h.querySelector("h3").textContent.trim(),
		reasons: Array.from(h.querySelectorAll("li.reason"), r => r.textContent.trim())}))`)
}

// expectText wants the text of sel to contain want.
func (b *browser) expectText(sel, want string) {
	b.t.Helper()
	if got := b.textOf(sel); !strings.Contains(got, want) {
		b.t.Errorf("%s: %s says %q, want it to contain %q", b.where(), sel, got, want)
	}
}

// expectLang wants the page's language tag.
func (b *browser) expectLang(want string) {
	b.t.Helper()
	if got, _ := b.attr("html", "lang"); got != want {
		b.t.Errorf("%s: html lang=%q, want %q", b.where(), got, want)
	}
}

// expectInert wants no trace of the injected markup of flowEscaping: no
// image, no inline script, nothing run.
func (b *browser) expectInert(where string) {
	b.t.Helper()
	if n := b.count("img"); n != 0 {
		b.t.Errorf("%s: %d <img> elements in the page", where, n)
	}
	if n := b.count("script:not([src])"); n != 0 {
		b.t.Errorf("%s: %d inline scripts in the page", where, n)
	}
	if v := b.eval("typeof window.__xss"); v != "undefined" {
		b.t.Errorf("%s: injected script ran (window.__xss is %s)", where, v)
	}
}

// shoot saves full-page screenshots of the current page at phone and
// desktop size, as NAME-SIZE-MODE.png, and checks that the page fits the
// phone's width. It leaves the browser at desktop size.
func (b *browser) shoot(name string) {
	b.t.Helper()
	dir := artifactsDir(b.t)
	for _, s := range []screenSize{phoneSize, desktopSize} {
		b.resize(s)
		if s.mobile {
			if over := evalJSON[int](b, "document.documentElement.scrollWidth - document.documentElement.clientWidth"); over > 0 {
				b.t.Errorf("%s: the page is %dpx wider than a %dpx phone", b.where(), over, s.width)
			}
		}
		png, err := run(b, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("%s: screenshot: %v", b.where(), err)
		}
		file := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.png", name, s.name, jsMode(b.js)))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

// expectSuggestionsClear wants the suggestions of the search box, with
// JavaScript on, to open without covering the 搜索 button at either size.
func (b *browser) expectSuggestionsClear() {
	b.t.Helper()
	if !b.js {
		return
	}
	if _, err := run(b, chromedp.WaitVisible(chromedp.CSS("#q-suggestions [role=option]"))); err != nil {
		b.t.Fatalf("%s: no suggestions shown: %v", b.where(), err)
	}
	for _, s := range []screenSize{phoneSize, desktopSize} {
		b.resize(s)
		if !b.onTop("form.searchbox button[type=submit]") {
			b.t.Errorf("%s: %s: the open suggestions cover the 搜索 button", b.where(), s.name)
		}
	}
}

// resize sets the viewport to a screen size.
func (b *browser) resize(s screenSize) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if s.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	b.do(chromedp.EmulateViewport(s.width, s.height, opts...))
}

// onTop reports whether a tap at the centre of the first element matching
// sel reaches that element, not something laid over it.
func (b *browser) onTop(sel string) bool {
	b.t.Helper()
	return evalJSON[bool](b, `(() => { const e = document.querySelector(`+js(sel)+`);
		if (!e) return false;
		e.scrollIntoView({block: "center"});
		const r = e.getBoundingClientRect();
		const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
		return hit !== null && e.contains(hit); })()`)
}

// artifactsDir is $YICHA_ARTIFACTS, or <repo>/artifacts/screenshots.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("YICHA_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
