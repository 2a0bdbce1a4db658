package search

import (
	"strings"
	"testing"

	"yicha/corpus"
)

// A hit shows the summary, its words marked, when the densest part of the
// content adds nothing to it; the content's part when it does.
func TestSnippetPrefersTheSummary(t *testing.T) {
	qb, err := NewQueryBuilder()
	if err != nil {
		t.Fatal(err)
	}
	const summary = "本市户籍65周岁以上老人，每月可领取老年综合津贴，按年龄分档发放。"
	content := "老年综合津贴是本市对老年人的一项普惠性津贴。" + strings.Repeat("申请人应当如实提供材料，街道受理后审核。", 6) +
		"领取老年综合津贴的，可以在敬老卡上查到每月到账的金额，敬老卡遗失的应当及时挂失补办。"
	p := &corpus.Policy{ID: "x", Title: "老年综合津贴", Summary: summary, Content: content}
	tests := []struct {
		q string
		// summary: the summary is shown; else the content's part.
		summary bool
		marked  []string
	}{
		// Every word is in the summary: it reads better than a fragment.
		{"老年综合津贴", true, []string{"老年综合津贴"}},
		{"65周岁老人能领什么", true, []string{"老人"}},
		// The content names what the summary does not: its part is shown.
		{"敬老卡 挂失", false, []string{"敬老卡", "挂失"}},
		{"津贴 敬老卡", false, []string{"敬老卡"}},
	}
	for _, tt := range tests {
		got := string(qb.Snippet(p, qb.Terms(tt.q)))
		isSummary := strings.HasPrefix(strings.ReplaceAll(strings.ReplaceAll(got, "<mark>", ""), "</mark>", ""), "本市户籍65周岁以上老人")
		if isSummary != tt.summary {
			t.Errorf("%q: snippet %s; want the summary: %v", tt.q, got, tt.summary)
		}
		for _, m := range tt.marked {
			if !strings.Contains(got, "<mark>"+m) && !strings.Contains(got, m+"</mark>") {
				t.Errorf("%q: %q is not marked in %s", tt.q, m, got)
			}
		}
	}
	// A summary that does not match at all is shown plain, whole.
	if got := string(qb.Snippet(p, qb.Terms("失业登记"))); got != summary {
		t.Errorf("no match: %s, want the summary", got)
	}
	// The content's part is chosen when the summary matches nothing.
	p2 := &corpus.Policy{ID: "y", Summary: "按月发放的补贴。", Content: content}
	if got := string(qb.Snippet(p2, qb.Terms("老年综合津贴"))); !strings.Contains(got, "<mark>") || strings.HasPrefix(got, "按月") {
		t.Errorf("summary without the words: %s, want the content's part", got)
	}
}
