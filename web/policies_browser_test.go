package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"yicha/corpus/corpustest"
)

// TestBrowserEditorFlow is the editorial flow in a real browser, with
// JavaScript on and off: an editor signs in, creates an entry with an
// eligibility rule through the form (rows added with 添加条件, what was
// typed kept) and asks for review; a publisher previews it — its page and
// a situation run against its rule — and publishes it; the public search
// finds it; the editor changes its title, the publisher publishes that;
// the publisher rolls back on the entry's history page and the old title is
// served again; the audit log lists it all by name, in the API and on the
// 操作记录 page. It runs once more without
// script on the PostgreSQL store (skipped without YICHA_TEST_DB).
func TestBrowserEditorFlow(t *testing.T) {
	chromiumPath(t)
	for _, c := range []struct {
		js, pg bool
	}{{true, false}, {false, false}, {false, true}} {
		js := c.js
		name := jsMode(js)
		if c.pg {
			name += "-postgres" // the store in PostgreSQL, the index following it
		}
		t.Run(name, func(t *testing.T) {
			s := newEntryServer(t, c.pg)
			site := &testServer{Server: s.Server}
			id := "shaoer-weiqi-butie-" + jsMode(js)
			const title, newTitle = "少儿围棋培训补贴", "青少年围棋培训资助"

			ed := newBrowser(t, site, js)
			ed.signIn(editorToken)
			ed.follow("#entries-link")
			ed.expectText("#admin-name", "王芳")
			ed.follow("#new-entry")

			ed.set("#id", id)
			ed.typeInto("#title", title)
			ed.set("#kind", "政策类")
			ed.set("#category", "教育")
			ed.click(`input[name=audiences][value="儿童青少年"]`)
			ed.set("#summary", "本市户籍、18周岁以下参加围棋培训的少年儿童，可以申请培训费用补贴。")
			ed.set("#content", "这是浏览器测试新建的条目。\n\n第二段说明。")
			ed.set("#benefit", "按规定领取围棋培训补贴")
			ed.set("#keywords", "围棋补贴\n少儿围棋")
			ed.set("#basis-0-document", "shanghai-shehui-jiuzhu-tiaoli")
			ed.set("#basis-0-articles", "第十条")
			ed.set("#sources-0-title", "上海市社会救助条例")
			ed.set("#sources-0-url", "https://flk.npc.gov.cn/detail?id=016c39ca7739492cab1fe3aef22941c7")
			ed.set("#sources-0-publisher", "上海市人民代表大会常务委员会")
			ed.set("#sources-0-date", "unknown")
			ed.set("#sources-0-retrieved", "2026-12-03")
			ed.set("#guide-eligibility", "本市户籍\n18周岁以下")
			ed.set("#guide-materials", "身份证或户口簿")
			ed.set("#guide-steps", "到街道社区事务受理服务中心申请")
			ed.set("#guide-time_limit", "unknown")
			ed.set("#guide-fee", "不收费")
			ed.click(`input[name=places][value="ouyanglu-center"]`)
			ed.set("#agency", "虹口区教育局")

			// The eligibility builder: 添加条件 shows the form again with an
			// empty row and everything typed kept.
			ed.follow("#add-cond")
			if got := ed.value("#title"); got != title {
				t.Fatalf("添加条件 lost the title: %q", got)
			}
			ed.set("#c-0-field", "age")
			ed.set("#c-0-op", "lte")
			ed.set("#c-0-text", "18")
			ed.follow("#add-cond")
			if got := ed.value("#c-0-text"); got != "18" {
				t.Fatalf("添加条件 lost the first row's value: %q", got)
			}
			ed.shoot("admin-policy-edit")
			ed.set("#c-1-field", "hukou")
			if js {
				// The script offers the chosen field's operators and
				// values at once.
				ed.eval(`document.querySelector("#c-1-field").dispatchEvent(new Event("change"))`)
				if ed.eval(`document.querySelector('#c-1-op option[value="eq"]').disabled`) != "false" ||
					ed.eval(`document.querySelector('#c-1-op option[value="gte"]').disabled`) != "true" {
					t.Error("choosing 户籍 does not narrow the operators")
				}
				ed.set("#c-1-op", "eq")
				ed.click(`input[name="c.1.value"][value="本市户籍"]`)
			} else {
				ed.set("#c-1-op", "eq")
				ed.set("#c-1-text", "本市户籍")
			}
			ed.set("#note", "新增条目")
			ed.follow("#save-review")
			if ed.count("#problems") > 0 {
				t.Fatalf("the new entry was refused: %s", ed.textOf("#problems"))
			}
			ed.expectText("#message", "已提交审核")
			ed.expectText("#draft-state", "待审核")
			if got := ed.value(`input[name="c.1.value"]:checked`); got != "本市户籍" {
				t.Errorf("the saved rule's second row holds %q", got)
			}

			// The publisher previews and publishes it.
			pub := newBrowser(t, site, js)
			pub.signIn(publisherToken)
			pub.visit(policiesPages)
			pub.expectText(fmt.Sprintf(`tr[data-id=%q] .draft`, id), "待审核")
			pub.shoot("admin-policies")
			pub.follow(fmt.Sprintf(`tr[data-id=%q] a[href$="/preview"]`, id))
			pub.expectText("#preview-title", title)
			pub.expectText(".preview-page h1", title)
			pub.set("#t-age", "10")
			pub.set("#t-hukou", "本市户籍")
			pub.set("#t-expect", "符合")
			pub.follow("#add-case")
			pub.set("#t-age", "30")
			pub.set("#t-hukou", "本市户籍")
			pub.set("#t-expect", "不符合")
			pub.follow("#add-case")
			pub.expectText("#cases-summary", "2 / 2 个情形通过")
			pub.shoot("admin-policy-preview")
			pub.set("#publish-note", "核对无误")
			pub.follow("#publish")
			pub.expectText("#message", "已发布")
			pub.expectText("#status", "已发布")

			// A public search finds it, within 5 s.
			found := func(b *browser, want string) {
				t.Helper()
				var hits []string
				corpustest.Eventually(t, 5*time.Second, "a search for "+want+" finding it first", func() bool {
					b.visit("/search?q=" + url.QueryEscape(want))
					hits = b.texts("ol.hits .hit h3 a")
					return len(hits) > 0 && strings.Contains(hits[0], want)
				})
			}
			found(pub, title)

			// The editor changes its title; the publisher publishes it.
			ed.visit(policiesPages + "/" + id)
			ed.set("#title", newTitle)
			ed.set("#note", "改标题")
			ed.follow("#save")
			ed.expectText("#message", "草稿已保存")
			pub.visit(policiesPages + "/" + id + "/preview")
			pub.expectText("#preview-title", newTitle)
			pub.set("#publish-note", "标题按新文件修改")
			pub.follow("#publish")
			pub.expectText("#message", "已发布")
			found(pub, newTitle)

			// The publisher rolls back on the entry's history page; the old
			// title is served again.
			pub.visit(policiesPages + "/" + id + "/history")
			pub.set("#rb-to", "1")
			pub.typeInto("#rb-note", "新标题未经批准")
			pub.follow("#rollback-form button[type=submit]")
			pub.expectText("#history-message", "已恢复第 1 版")
			pub.visit("/policies/" + id)
			pub.expectText("main h1", title)
			found(pub, title)

			// The audit log lists it all, by name, newest first.
			var audit AuditResponse
			if code, body := s.call(t, "GET", "/api/admin/audit", publisherToken, nil, &audit); code != 200 {
				t.Fatalf("audit: %d %s", code, body)
			}
			var lines []string
			for _, r := range audit.Records {
				lines = append(lines, strings.TrimSpace(fmt.Sprintf("%s %s %s", r.Admin, r.Action, r.Entry)))
			}
			want := []string{"李强 rollback " + id, "李强 publish " + id, "王芳 save " + id, "李强 publish " + id, "李强 login",
				"王芳 review " + id, "王芳 save " + id, "王芳 login", "seed seed"}
			if strings.Join(lines, "|") != strings.Join(want, "|") {
				t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
			}
			// The same on the publisher's 操作记录 page, reached from /admin.
			pub.visit("/admin")
			pub.follow("#audit-link")
			rows := pub.texts("#audit tbody tr")
			if len(rows) != len(audit.Records) {
				t.Fatalf("the audit page lists %d records, the API %d:\n%s", len(rows), len(audit.Records), strings.Join(rows, "\n"))
			}
			for i, r := range audit.Records {
				if !strings.Contains(rows[i], r.Admin) || !strings.Contains(rows[i], r.Label) || !strings.Contains(rows[i], r.Entry) {
					t.Errorf("audit page row %d = %q, want %s %s %s", i, rows[i], r.Admin, r.Label, r.Entry)
				}
			}
			if !strings.Contains(rows[0], "新标题未经批准") {
				t.Errorf("the rollback's note is not on the audit page: %q", rows[0])
			}
		})
	}
}

// signIn signs in on /admin with a token.
func (b *browser) signIn(token string) {
	b.t.Helper()
	b.visit("/admin")
	b.set("#token", token)
	b.follow("form[action='/admin/login'] button[type=submit]")
}

// set sets a form field's value (an input, a textarea or a select).
func (b *browser) set(sel, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(sel), value))
}
