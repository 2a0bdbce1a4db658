package web

import (
	"slices"
	"strings"
	"testing"
)

func TestParagraphs(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"a wrapped sentence joins", "每月2740元，\n见“上海市最低工资标准”。", []string{"每月2740元，见“上海市最低工资标准”。"}},
		{"a sentence's end ends the paragraph", "第一段。\n第二段，\n接着说。", []string{"第一段。", "第二段，接着说。"}},
		{"a blank line", "前面\n\n后面", []string{"前面", "后面"}},
		{"list items", "主要内容包括：\n一是签协议，写明\n工作内容；\n二是报酬；", []string{"主要内容包括：", "一是签协议，写明工作内容；", "二是报酬；"}},
		{"numbered items", "材料：\n1. 身份证\n2、户口簿\n（3）照片\n第四条 附则", []string{"材料：", "1. 身份证", "2、户口簿", "（3）照片", "第四条 附则"}},
		{"a number that is no item", "不超过\n16.5万元", []string{"不超过16.5万元"}},
		{"Latin words keep a space", "see the\nportal at\nwww.example.cn", []string{"see the portal at www.example.cn"}},
		{"indentation and CRLF-free trailing spaces", "  甲乙，  \n  丙丁  ", []string{"甲乙，丙丁"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		if got := paragraphs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("%s: paragraphs(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// On the real entries: no paragraph begins with a short fragment left
// over from a line break in the middle of a sentence, nothing is lost, and
// the entry with 「元，」 at the end of a line reads as one sentence.
func TestParagraphsOfEntries(t *testing.T) {
	s := newTestServer(t)
	join := func(lines []string) string {
		return strings.Join(strings.Fields(strings.Join(lines, "")), "")
	}
	for _, p := range s.corpus.Policies {
		paras := paragraphs(p.Content)
		if join(paras) != join(strings.Split(p.Content, "\n")) {
			t.Errorf("%s: the paragraphs lose or add text", p.ID)
		}
		for _, para := range paras {
			if r := []rune(para); len(r) > 0 && strings.ContainsRune("，、；：", r[0]) {
				t.Errorf("%s: paragraph begins with punctuation: %q", p.ID, para)
			}
		}
	}
	byID := map[string]string{}
	for _, p := range s.corpus.Policies {
		byID[p.ID] = p.Content
	}
	c, ok := byID["chaoling-laodongzhe-quanyi"]
	if !ok {
		t.Fatal("no entry chaoling-laodongzhe-quanyi")
	}
	if !strings.Contains(c, "2740元，\n") {
		t.Fatal("the entry no longer breaks a line after 2740元，; pick another")
	}
	paras := paragraphs(c)
	if !slices.ContainsFunc(paras, func(s string) bool {
		return strings.Contains(s, "每月2740元，见“上海市最低工资标准”）；")
	}) {
		t.Errorf("2740元， still ends a paragraph: %q", paras)
	}
	if !slices.ContainsFunc(paras, func(s string) bool { return strings.HasPrefix(s, "二是超龄劳动者") }) {
		t.Errorf("the list item 二是 does not begin a paragraph: %q", paras)
	}
	if !slices.ContainsFunc(paras, func(s string) bool {
		return strings.Contains(s, "据人社部公开征求意见时的说明和施行后的公开解读")
	}) {
		t.Errorf("a sentence broken across lines is not joined: %q", paras)
	}
	// And the page shows them as paragraphs.
	_, page := s.fetch(t, "/policies/chaoling-laodongzhe-quanyi")
	if !strings.Contains(page, "<p>二是超龄劳动者") {
		t.Error("the policy page does not show the text in paragraphs")
	}
}
