package web

import "testing"

// TestBrowserNewSite is adding a street in a real browser, with
// JavaScript on and off: a district's publisher fills the new street's
// form on /admin/sites, then its office on the street's own form, and the
// street's home page at /s/NEW/ shows its name and the office.
func TestBrowserNewSite(t *testing.T) {
	chromiumPath(t)
	for _, js := range []bool{false, true} {
		t.Run(jsMode(js), func(t *testing.T) {
			s := newEntryServer(t, false)
			b := newBrowser(t, &testServer{Server: s.Server}, js)
			b.signIn(publisherToken)
			b.visit(sitesPages)
			b.set("#site-id", "xinjian")
			b.set("#site-name", "新建街道")
			b.set("#site-parent", "hongkou")
			b.set("#site-intro", "新建街道的简介。")
			b.set("#site-source-title", "新建街道设立的公告")
			b.set("#site-source-url", "https://www.shhk.gov.cn/")
			b.set("#site-source-publisher", "虹口区人民政府")
			b.set("#site-source-date", "unknown")
			b.follow("#new-site-submit")
			b.expectText("#site-done", "已新增并发布站点 新建街道")
			b.set("#new-id", "xinjian-center")
			b.set("#new-name", "新建街道社区事务受理服务中心")
			b.follow("#site-submit")
			b.expectText("#site-done", "已保存并发布")
			b.visit("/s/xinjian/")
			b.expectText("body", "新建街道政策服务一点查")
			b.expectText(".places", "新建街道社区事务受理服务中心")
		})
	}
}
