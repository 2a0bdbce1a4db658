package web

import (
	"strings"
)

// 14. Gather a 办事清单 from results and a policy page, with no cookie and
// no script: the list lives in the address, links and the search box
// carry it, and its page merges the entries.
func flowWorklist(b *browser) {
	b.visit("/search?q=" + "失业")
	const add = "ol.hits li.hit .add-list a[href$='#added']"
	first := b.textOf("ol.hits li.hit h3 a")
	b.follow(add)
	if u := b.location(); u.Path != "/list" || len(strings.Split(u.Query().Get("ids"), ",")) != 1 {
		b.t.Fatalf("加入清单 led to %s", u)
	}
	if got := b.texts("ol.list-entries > li > a:first-child"); len(got) != 1 || got[0] != first {
		b.t.Fatalf("the list holds %q, want [%q]", got, first)
	}
	// Go on searching: the search box keeps the list, the next hit adds to it.
	b.follow("a[href^='/search?list=']")
	b.typeInto("#q", "养老")
	b.expectSuggestionsClear()
	b.follow("form.searchbox button[type=submit]")
	if u := b.location(); u.Query().Get("list") == "" || u.Query().Get("q") != "养老" {
		b.t.Fatalf("a new search dropped the list: %s", u)
	}
	b.follow(add)
	// A policy page reached from the list adds itself to it.
	b.follow("a[href^='/search?list=']")
	b.typeInto("#q", "居住证")
	b.expectSuggestionsClear()
	b.follow("form.searchbox button[type=submit]")
	b.follow("ol.hits li.hit h3 a")
	if !strings.HasPrefix(b.location().Path, "/policies/") || b.location().Query().Get("list") == "" {
		b.t.Fatalf("a hit's link dropped the list: %s", b.location())
	}
	title := b.textOf("h1")
	b.follow("article.policy .add-list a.button")
	entries := b.texts("ol.list-entries > li > a:first-child")
	if len(entries) != 3 || entries[0] != first || entries[2] != title {
		b.t.Fatalf("the list holds %q, want 3 entries from %q to %q", entries, first, title)
	}
	if n := b.count(".checklist.merged li"); n == 0 {
		b.t.Error("no materials on the list")
	}
	share := b.textOf("#share-url")
	if !strings.HasSuffix(share, b.location().RequestURI()) {
		b.t.Errorf("share link %q is not the list's address %s", share, b.location())
	}
	if b.visible("button[data-copy]") != b.js {
		b.t.Errorf("copy button visible=%v with JavaScript %s", !b.js, jsMode(b.js))
	}
	if n := evalJSON[int](b, "document.cookie.length"); n != 0 {
		b.t.Errorf("the list set a cookie: %q", b.eval("document.cookie"))
	}
	b.shoot("worklist")
}
