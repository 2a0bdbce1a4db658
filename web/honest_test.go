package web

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestHonestAnswers: a question the base answers is answered with strong
// confidence and no referrals; one it does not answer says so — weak or
// none — and sends the person to who can answer, by topic, then to the
// defaults; the results page puts 「没有找到直接相关的政策」 and those cards
// above the related entries.
func TestHonestAnswers(t *testing.T) {
	s := newTestServer(t)
	for _, tt := range []struct {
		q        string
		strong   bool
		referral string // a referral the answer must list
	}{
		{"残疾人补贴", true, ""},
		{"低保申请条件", true, ""},
		{"长护险怎么申请", true, ""},
		{"养老金怎么领", true, ""},
		{"结婚登记", true, ""},
		{"社保卡丢了怎么补办", false, "12333"},
		{"公积金贷款买房", false, "12329"},
		{"户口本丢了怎么补办", false, "派出所"},
		{"门诊报销比例", false, "12345"},
		{"zzqqxxyy", false, "12345"},
	} {
		var r SearchResponse
		s.get(t, "/api/search?q="+url.QueryEscape(tt.q), &r)
		if got := r.Confidence == "strong"; got != tt.strong {
			t.Errorf("%s: confidence %q", tt.q, r.Confidence)
		}
		if r.Total == 0 && r.Confidence != "none" {
			t.Errorf("%s: nothing found, confidence %q", tt.q, r.Confidence)
		}
		var names []string
		for _, x := range r.Referrals {
			names = append(names, x.Name)
		}
		if tt.strong != (len(r.Referrals) == 0) {
			t.Errorf("%s: confidence %s with referrals %v", tt.q, r.Confidence, names)
		}
		if tt.referral != "" && !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, tt.referral) }) {
			t.Errorf("%s: referrals %v lack %s", tt.q, names, tt.referral)
		}
		_, page := s.fetch(t, "/search?q="+url.QueryEscape(tt.q))
		notAnswered := strings.Index(page, "没有找到直接相关的政策")
		if tt.strong != (notAnswered < 0) {
			t.Errorf("%s: the page says 没有找到直接相关的政策: %v", tt.q, notAnswered >= 0)
		}
		if !tt.strong && r.Total > 0 {
			if first := strings.Index(page, `class="hits"`); first < notAnswered || !strings.Contains(page, `class="referral"`) {
				t.Errorf("%s: the referral cards are not above the related entries", tt.q)
			}
		}
	}
	// Without a question there is no confidence to give.
	var browse SearchResponse
	s.get(t, "/api/search?category="+url.QueryEscape("社会救助"), &browse)
	if browse.Confidence != "" || browse.Referrals != nil {
		t.Errorf("browsing a category: confidence %q, referrals %v", browse.Confidence, browse.Referrals)
	}
}

// TestPinyinAndNumbersAndStatedFacts: pinyin typed and submitted searches
// the Chinese it stands for and says so; a document number finds the
// entries citing it; a question that states facts about the person offers
// the wizard filled in with them.
func TestPinyinAndNumbersAndStatedFacts(t *testing.T) {
	s := newTestServer(t)
	for q, want := range map[string]string{"dibao": "dibao", "changhuxian": "changqi-huli-baoxian", "gljt": "laonian-zonghe-jintie"} {
		var r SearchResponse
		s.get(t, "/api/search?q="+q, &r)
		if r.Suggestion == "" || len(r.Hits) == 0 || r.Hits[0].ID != want {
			t.Errorf("%s: suggestion %q, first %v, want %s", q, r.Suggestion, r.Hits[:min(1, len(r.Hits))], want)
		}
	}
	if _, page := s.fetch(t, "/search?q=dibao"); !strings.Contains(page, "您是不是要找：") || !strings.Contains(page, "低保") {
		t.Error("the results page of dibao does not say 您是不是要找：低保")
	}
	for _, q := range []string{"649号", "国务院令第649号", "沪府办规〔2021〕12号", "沪府办规[2021]12号", "沪府办规(2021)12号"} {
		var r SearchResponse
		s.get(t, "/api/search?size=50&q="+url.QueryEscape(q), &r)
		if r.Total == 0 {
			t.Errorf("%s finds nothing", q)
		}
		if strings.Contains(q, "649") && !slices.ContainsFunc(r.Hits, func(h SearchHit) bool { return h.ID == "dibao" }) {
			t.Errorf("%s does not find 最低生活保障", q)
		}
	}
	var r SearchResponse
	s.get(t, "/api/search?q="+url.QueryEscape("我家老人一个人住，75岁了，有什么补贴"), &r)
	if r.Stated["age"] == nil || r.Stated["age"][0] != "75" || !slices.Contains(r.Stated["identity"], "独居") {
		t.Errorf("stated %v", r.Stated)
	}
	_, page := s.fetch(t, "/search?q="+url.QueryEscape("我家老人一个人住，75岁了，有什么补贴"))
	if !strings.Contains(page, `href="/match?age=75&amp;identity=%E7%8B%AC%E5%B1%85#results"`) {
		t.Error("the results page does not offer the wizard filled in")
	}
}

// TestWizardAsksLessAndShowsMore: the wizard's answer lists, per situation,
// the facts that would settle the most 可能符合 entries, and its page lands
// on the results with the form folded and one-tap follow-ups; the more
// specific entry comes first among 符合.
func TestWizardAsksLessAndShowsMore(t *testing.T) {
	s := newTestServer(t)
	var m MatchResponse
	s.get(t, "/api/match?age=75&hukou="+url.QueryEscape("本市户籍"), &m)
	if len(m.NextQuestions) == 0 || len(m.NextQuestions) > 3 {
		t.Fatalf("next questions %+v", m.NextQuestions)
	}
	for i, n := range m.NextQuestions {
		if n.Field == "age" || n.Field == "hukou" || n.Settles == 0 || (i > 0 && n.Settles > m.NextQuestions[i-1].Settles) {
			t.Errorf("next question %+v", n)
		}
	}
	// The more conditions an entry's 符合 rests on, the earlier it comes:
	// one for 75-year-olds with a Shanghai hukou before one for everyone.
	met := func(e MatchedEntry) int {
		n := 0
		for _, r := range e.Reasons {
			if r.Status == "符合" {
				n++
			}
		}
		return n
	}
	for i := 1; i < len(m.Eligible); i++ {
		if met(m.Eligible[i]) > met(m.Eligible[i-1]) {
			t.Errorf("%s (%d conditions met) comes after %s (%d)", m.Eligible[i].ID, met(m.Eligible[i]), m.Eligible[i-1].ID, met(m.Eligible[i-1]))
		}
	}
	if i := slices.IndexFunc(m.Eligible, func(e MatchedEntry) bool { return e.ID == "laonian-zonghe-jintie" }); i < 0 || met(m.Eligible[i]) < 2 {
		t.Errorf("老年综合津贴 is not 符合 on two conditions: %+v", m.Eligible)
	}
	_, page := s.fetch(t, "/match?age=75&hukou="+url.QueryEscape("本市户籍"))
	for _, want := range []string{`<details class="edit-conditions">`, "<summary>修改条件</summary>", `id="results"`, `action="/match#results"`, `class="next-question"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the wizard's page lacks %s", want)
		}
	}
	if strings.Index(page, `id="results"`) < strings.Index(page, "<summary>修改条件</summary>") {
		t.Error("the results come before the folded form")
	}
}
