package web

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"yicha/corpus"
	"yicha/web/sitestore"
)

// The public summary of residents' feedback: /transparency.

type transparencyRow struct {
	Category                          string
	Received, Handled, Rejected, Open int
	Median                            string
}

type transparencyView struct {
	Rows  []transparencyRow
	Total transparencyRow
	AsOf  string
	// Verified is how many entries were checked against their sources in
	// the last six months, of Entries, and the share in percent.
	Verified, Entries, VerifiedShare int
}

// transparencyRows lists every category of the corpus, in its order, then
// any other category that has reports, with the totals.
func transparencyRows(sum []sitestore.CategorySummary) ([]transparencyRow, transparencyRow) {
	by := map[string]sitestore.CategorySummary{}
	for _, s := range sum {
		by[s.Category] = s
	}
	cats := append([]string{}, corpus.Categories...)
	for _, s := range sum {
		if !slices.Contains(cats, s.Category) {
			cats = append(cats, s.Category)
		}
	}
	var rows []transparencyRow
	total := transparencyRow{Category: "合计", Median: "—"}
	for _, cat := range cats {
		s := by[cat]
		rows = append(rows, transparencyRow{Category: cat, Received: s.Received, Handled: s.Handled, Rejected: s.Rejected,
			Open: s.Open, Median: humanDuration(s.MedianResponse, s.Handled+s.Rejected > 0)})
		total.Received += s.Received
		total.Handled += s.Handled
		total.Rejected += s.Rejected
		total.Open += s.Open
	}
	return rows, total
}

// humanDuration says how long an answer took, in days and hours.
func humanDuration(d time.Duration, answered bool) string {
	if !answered {
		return "—"
	}
	if d < time.Hour {
		return "不到 1 小时"
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	switch {
	case days == 0:
		return fmt.Sprintf("%d 小时", hours)
	case hours == 0:
		return fmt.Sprintf("%d 天", days)
	}
	return fmt.Sprintf("%d 天 %d 小时", days, hours)
}

// transparency is the public page: per category, how many reports came in,
// how many were handled and how quickly. It shows no comment text.
func (f *feedbackRoutes) transparency(c echo.Context) error {
	site, err := f.s.requestSite(c)
	if err != nil {
		return err
	}
	sum, err := f.store.Summary(c.Request().Context(), f.s.rollUp(site))
	if err != nil {
		return err
	}
	v := transparencyView{AsOf: f.s.cfg.Now().In(feedbackZone).Format("2006-01-02 15:04")}
	v.Rows, v.Total = transparencyRows(sum)
	fr := f.s.freshness()
	v.Verified, v.Entries, v.VerifiedShare = fr.VerifiedRecently, fr.Entries, fr.VerifiedShare()
	c.Response().Header().Set("Cache-Control", "public, max-age=60")
	return f.s.render.render(c, http.StatusOK, "transparency", f.s.page(c, "反馈处理公开", v))
}
