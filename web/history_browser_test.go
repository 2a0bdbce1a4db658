package web

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// An entry's history in a real browser, with JavaScript on and off: a
// publisher signs in, compares two versions, rolls back through the form,
// sees the entry's public page serve the restored title, and finds the
// rollback in 「政策更新」, reached from the page footer.
func TestBrowserHistory(t *testing.T) {
	chromiumPath(t)
	s := newEntryServer(t, false)
	const id, title, newTitle = "shaoer-weiqi-butie", "少儿围棋培训补贴", "青少年围棋培训资助"
	publishTwice(t, s, id, title, newTitle)
	site := &testServer{Server: s.Server}
	// Each run restores the version before the current one: 1, then 2.
	for i, js := range []bool{true, false} {
		t.Run(jsMode(js), func(t *testing.T) {
			to, want := []string{"1", "2"}[i], []string{title, newTitle}[i]
			current := 2 + i
			b := newBrowser(t, site, js)
			b.visit("/admin")
			b.typeInto("#token", publisherToken)
			b.follow("form[action='/admin/login'] button[type=submit]")

			b.visit("/admin/policies/" + id + "/history")
			b.expectText("#v"+strconv.Itoa(current), "（当前）")
			b.follow("#v2 a[href*='/diff?from=1']")
			b.expectText("#changes", "原来："+title)
			b.expectText("#changes", "改为："+newTitle)
			b.expectText("#changes", "新增：围棋等级证书")

			b.visit("/admin/policies/" + id + "/history")
			b.do(chromedp.SetValue(chromedp.CSS("#rb-to"), to))
			b.typeInto("#rb-note", "浏览器测试回滚")
			b.follow("#rollback-form button[type=submit]")
			b.expectText("#history-message", "已恢复第 "+to+" 版")
			b.expectText("#v"+strconv.Itoa(current+1), "回滚（恢复第 "+to+" 版）")

			b.visit("/policies/" + id)
			b.expectText("h1", want)
			b.follow("footer a[href='/updates']")
			b.expectText("#updates li:first-child", want)
			b.expectText("#updates li:first-child", "恢复为第 "+to+" 版")
		})
	}
}

// Importing a document in a real browser, with JavaScript on and off: the
// first run reads the pasted notice and registers its 办法; the second
// finds it registered.
func TestBrowserImport(t *testing.T) {
	chromiumPath(t)
	s := newEntryServer(t, false)
	site := &testServer{Server: s.Server}
	for i, js := range []bool{true, false} {
		t.Run(jsMode(js), func(t *testing.T) {
			b := newBrowser(t, site, js)
			b.visit("/admin")
			b.typeInto("#token", publisherToken)
			b.follow("form[action='/admin/login'] button[type=submit]")
			b.visit("/admin/policies/import")
			b.do(chromedp.SetValue(chromedp.CSS("#import-text"), importNotice))
			b.follow("#import-form button[type=submit]")
			b.expectText("#import-read", "沪府办规〔2099〕7号")
			b.expectText("#import-read", "2099年6月1日")
			b.expectText("#import-articles", "第二条")
			if i == 0 {
				b.follow("#register-form button[type=submit]")
				b.expectText("#import-done", "已登记政策文件 hfbg-2099-7")
			}
			b.expectText("#import-registry", "登记表中已有这份文件")
			if href, _ := b.attr("#import-new-entry", "href"); href == "" {
				t.Error("no link to start the entry")
			}
		})
	}
}
