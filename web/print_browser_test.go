package web

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// A4 in inches, and Chromium's default print margin of 1cm.
const (
	a4Width, a4Height = 8.27, 11.69
	printMargin       = 0.4
)

// pdfPage matches a page object of a PDF (not the /Pages tree).
var pdfPage = regexp.MustCompile(`/Type\s*/Page\b`)

// printPDF prints the current page to an A4 PDF as a person's 打印 would,
// saves it beside the screenshots, and returns it with its page count.
func (b *browser) printPDF(name string) ([]byte, int) {
	b.t.Helper()
	margin := printMargin
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: a4Width, PaperHeight: a4Height,
		MarginTop: &margin, MarginBottom: &margin, MarginLeft: &margin, MarginRight: &margin})
	if err != nil {
		b.t.Fatalf("%s: print to PDF: %v", b.where(), err)
	}
	dir := artifactsDir(b.t)
	if err := os.MkdirAll(dir, 0o755); err == nil {
		os.WriteFile(filepath.Join(dir, name+"-"+jsMode(b.js)+".pdf"), res.Data, 0o644)
	}
	if !bytes.HasPrefix(res.Data, []byte("%PDF-")) {
		b.t.Fatalf("%s: printing gave no PDF", b.where())
	}
	return res.Data, len(pdfPage.FindAll(res.Data, -1))
}

// 15. A typical entry and a 办事清单 of three entries each print on at most
// two A4 sheets, without the site's navigation, search box or feedback, and
// with the 去办理 address written out.
func flowPrint(b *browser) {
	b.visit("/policies/juzhuzheng-banli")
	online, _ := b.attr("article.policy .go a.button.primary", "href")
	_, n := b.printPDF("print-policy")
	if n == 0 || n > 2 {
		b.t.Errorf("a policy page prints on %d A4 pages, want 1–2", n)
	}
	if !strings.HasPrefix(online, "https://") {
		b.t.Fatalf("the entry has no 去办理 address: %q", online)
	}
	b.emulatePrint(func() {
		if txt := b.eval(`document.querySelector("article.policy").innerText`); !strings.Contains(txt, online) {
			b.t.Errorf("printed page does not show the 去办理 address %s", online)
		}
		for _, sel := range []string{"header.site .main-nav", "form.searchbox", "#feedback", "footer.site", ".related", ".add-list"} {
			if b.count(sel) > 0 && b.visible(sel) {
				b.t.Errorf("%s is printed", sel)
			}
		}
	})

	b.visit("/list?ids=" + strings.Join(listEntries[:3], ","))
	_, n = b.printPDF("print-list")
	if n == 0 || n > 2 {
		b.t.Errorf("a 办事清单 of three entries prints on %d A4 pages, want 1–2", n)
	}
	b.emulatePrint(func() {
		for _, sel := range []string{"header.site .main-nav", ".remove", "button[data-copy]"} {
			if b.count(sel) > 0 && b.visible(sel) {
				b.t.Errorf("%s is printed on the list", sel)
			}
		}
		if !b.visible("#share-url") {
			b.t.Error("the list's link is not printed")
		}
	})
}

// emulatePrint runs checks with the print stylesheet applied to the screen.
func (b *browser) emulatePrint(check func()) {
	b.t.Helper()
	media := func(m string) {
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		defer cancel()
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
			b.t.Fatalf("%s: emulate media %q: %v", b.where(), m, err)
		}
	}
	media("print")
	defer media("")
	check()
}
