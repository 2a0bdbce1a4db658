package sitestore

import (
	"strings"
	"testing"
	"time"
)

func TestCleanComment(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"  材料清单里少了户口本  ", "材料清单里少了户口本"},
		{"第一行\r\n第二行\r第三行", "第一行\n第二行\n第三行"},
		{"控制\x00字符\x1b[31m", "控制字符[31m"},
		{"<script>alert(1)</script>", "<script>alert(1)</script>"}, // escaped when shown, kept as typed
		{"我的电话13812345678请回电", "我的电话" + Redacted + "请回电"},
		{"手机 138 1234 5678", "手机 " + Redacted},
		{"手机 138-1234-5678。", "手机 " + Redacted + "。"},
		{"座机021-65432100", "座机" + Redacted},
		{"座机 6543 2100", "座机 " + Redacted},
		{"身份证310105194912310021", "身份证" + Redacted},
		{"身份证31010519491231002X号", "身份证" + Redacted + "号"},
		{"全角１３８１２３４５６７８", "全角" + Redacted},
		{"邮箱 zhang.san@example.com 联系", "邮箱 " + Redacted + " 联系"},
		// Dates, amounts, document numbers and short numbers stay.
		{"2024-01-15 起施行", "2024-01-15 起施行"},
		{"每月补贴 1500 元，沪府发〔2023〕12号", "每月补贴 1500 元，沪府发〔2023〕12号"},
		{"12345 热线", "12345 热线"},
		{"bad\xffutf8", "badutf8"},
	} {
		if got := CleanComment(c.in); got != c.want {
			t.Errorf("CleanComment(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestReasonsAndStatesHaveLabels(t *testing.T) {
	want := "信息有误或过期 看不懂 材料或流程太繁 办理地点或时间不便 线上办不了 其他"
	var got []string
	for _, r := range Reasons {
		got = append(got, r.Label())
	}
	if strings.Join(got, " ") != want {
		t.Errorf("reason labels %q, want %q", got, want)
	}
	if StateNew.Label() != "新" || StateHandled.Label() != "已处理" || StateRejected.Label() != "不采纳" {
		t.Error("state labels")
	}
}

func TestSummarizeMedian(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var os []Outcome
	for _, h := range []int{1, 3, 10, 20} {
		os = append(os, Outcome{Category: "c", State: StateHandled, CreatedAt: t0, ResolvedAt: t0.Add(time.Duration(h) * time.Hour)})
	}
	s := Summarize(os)
	if len(s) != 1 || s[0].MedianResponse != 390*time.Minute || s[0].Handled != 4 {
		t.Errorf("summary %+v", s)
	}
}
