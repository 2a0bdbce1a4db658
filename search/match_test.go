package search

import (
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"yicha/corpus"
)

func situation(t *testing.T, q string) corpus.Situation {
	t.Helper()
	v, _ := url.ParseQuery(q)
	s, err := corpus.ParseSituation(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func matchedIDs(ms []Matched) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Policy.ID)
	}
	return out
}

func TestMatchElderlyAllowances(t *testing.T) {
	e := newEngine(t, embedded(t))
	old := e.Match(situation(t, "age=75&hukou=本市户籍"))
	if !slices.Contains(matchedIDs(old.Eligible), "laonian-zonghe-jintie") {
		t.Fatalf("a 75-year-old with local hukou is not eligible for 老年综合津贴: %v", matchedIDs(old.Eligible))
	}
	for _, m := range old.Eligible {
		if len(m.Match.Reasons) == 0 {
			t.Errorf("%s has no reasons", m.Policy.ID)
		}
	}
	for _, m := range old.Maybe {
		if len(m.Match.Missing)+len(m.Match.Asks) == 0 {
			t.Errorf("maybe %s says neither what is missing nor what is still to confirm", m.Policy.ID)
		}
	}
	young := e.Match(situation(t, "age=30&employment=在职"))
	for _, id := range []string{"laonian-zonghe-jintie", "changqi-huli-baoxian"} {
		if slices.Contains(matchedIDs(young.Eligible), id) || slices.Contains(matchedIDs(young.Maybe), id) {
			t.Errorf("a 30-year-old in work gets %s", id)
		}
	}
	current := 0
	for _, p := range e.Corpus().Policies {
		if !p.Expired(e.now()) {
			current++
		}
	}
	if n := len(old.Eligible) + len(old.Maybe) + old.Ineligible; n != current {
		t.Errorf("outcomes cover %d of the %d entries in force", n, current)
	}
}

func TestSearchWithSituationPutsEligibleFirst(t *testing.T) {
	e := newEngine(t, embedded(t))
	q := "q=" + url.QueryEscape("补贴") + "&age=72&hukou=" + url.QueryEscape("本市户籍")
	full := mustSearch(t, e, q+"&size=50")
	if full.Total == 0 || full.Match == nil {
		t.Fatal("no hits")
	}
	seenMaybe := false
	for _, h := range full.Hits {
		if h.Match == nil {
			t.Fatalf("hit %s has no outcome", h.Policy.ID)
		}
		switch h.Match.Outcome {
		case corpus.Eligible:
			if seenMaybe {
				t.Errorf("eligible %s after a maybe entry", h.Policy.ID)
			}
		case corpus.Maybe:
			seenMaybe = true
		default:
			t.Errorf("ineligible %s in the results", h.Policy.ID)
		}
	}
	if full.Hits[0].Match.Outcome != corpus.Eligible {
		t.Errorf("first hit %s is not eligible", full.Hits[0].Policy.ID)
	}
	plain := mustSearch(t, e, "q="+url.QueryEscape("补贴")+"&size=50")
	if full.Total >= plain.Total {
		t.Errorf("a situation should leave out entries it fails: %d vs %d", full.Total, plain.Total)
	}
	sum := 0
	for _, f := range full.Facets["category"] {
		sum += f.Count
	}
	if uint64(sum) != full.Total {
		t.Errorf("category counts %d, total %d", sum, full.Total)
	}
	// Pages of 4 join up to the same list, across the eligible/maybe seam.
	var paged []string
	for p := 1; p <= 5; p++ {
		paged = append(paged, ids(mustSearch(t, e, q+"&size=4&page="+string(rune('0'+p))))...)
	}
	want := ids(full)
	if len(want) > 20 {
		want = want[:20]
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged %v\nwant  %v", paged, want)
	}
}

// TestMatchSeventyFiveWithLocalHukouOnly: a 75-year-old with 本市户籍 who
// says nothing else gets the elderly allowance, which asks for no more, and
// none of the entries that need something she has not said — a long-term
// impairment, an illness on the list, a sudden hardship. Those stay
// 可能符合, with the question still to confirm.
func TestMatchSeventyFiveWithLocalHukouOnly(t *testing.T) {
	e := newEngine(t, embedded(t))
	r := e.Match(situation(t, "age=75&hukou=本市户籍"))
	if !slices.Contains(matchedIDs(r.Eligible), "laonian-zonghe-jintie") {
		t.Fatalf("老年综合津贴 is not 符合: %v", matchedIDs(r.Eligible))
	}
	for _, id := range []string{"canjizheng-banli", "menzhen-dabing", "linshi-jiuzhu"} {
		if slices.Contains(matchedIDs(r.Eligible), id) {
			t.Errorf("%s is 符合 for a 75-year-old with 本市户籍 and nothing else", id)
		}
		i := slices.Index(matchedIDs(r.Maybe), id)
		if i < 0 {
			t.Errorf("%s is not even 可能符合", id)
			continue
		}
		if m := r.Maybe[i].Match; len(m.Asks) == 0 || !slices.ContainsFunc(m.Reasons, func(x corpus.Reason) bool { return x.Status == corpus.StatusToConfirm }) {
			t.Errorf("%s is 可能符合 without a question to confirm: %+v", id, m)
		}
		t.Logf("%s: 可能符合, 还需确认 %v, 未填写 %v", id, r.Maybe[i].Match.Asks, r.Maybe[i].Match.Missing)
	}
}

// TestMatchListsNoFailedCondition sweeps situations — every single fact on
// its own, some combinations, and seeded random ones — and checks what the
// wizard lists: an entry listed as 符合 has only met conditions, one listed as
// 可能符合 carries no reason with status 不符合 and says what is missing or
// still to confirm.
func TestMatchListsNoFailedCondition(t *testing.T) {
	e := newEngine(t, embedded(t))
	var situations []string
	for _, age := range []int{0, 2, 3, 5, 6, 12, 15, 16, 18, 22, 24, 30, 40, 45, 49, 50, 55, 59, 60, 63, 64, 65, 70, 75, 80, 90, 100, 130} {
		situations = append(situations, "age="+strconv.Itoa(age))
	}
	for _, f := range corpus.Fields {
		if f.Kind == corpus.KindNumber {
			continue
		}
		for _, v := range f.Options {
			situations = append(situations, f.Name+"="+url.QueryEscape(v))
		}
		if f.Kind == corpus.KindSet {
			situations = append(situations, f.Name+"="+url.QueryEscape(corpus.NoneOption))
		}
	}
	situations = append(situations,
		"age=75&hukou=本市户籍",
		"age=75&hukou=本市户籍&residence=曲阳路街道&identity=独居",
		"age=82&hukou=本市户籍&identity=失能或半失能&economic=低保",
		"age=30&employment=在职",
		"age=35&hukou=非本市户籍&residence=北外滩街道&employment=在职",
		"age=45&hukou=本市户籍&disability=二级&disability_type=肢体残疾&employment=无业",
		"age=40&hukou=本市户籍&disability=三级&disability_type=精神残疾",
		"age=50&hukou=本市户籍&residence=嘉兴路街道&economic=低保&income=低于低保标准",
		"age=2&hukou=非本市户籍&residence=外省市",
		"age=29&identity=孕产妇&employment=在职&hukou=非本市户籍",
		"age=23&employment=无业&identity=高校毕业生",
		"age=22&hukou=本市户籍&identity=退役军人",
		"age=12&employment=在校学生&economic=低保&hukou=本市户籍",
		"disability=无&identity=无&economic=无&income=高于低保标准2倍",
	)
	rnd := rand.New(rand.NewPCG(24, 12))
	for range 300 {
		v := url.Values{}
		for _, f := range corpus.Fields {
			if rnd.IntN(2) == 0 {
				continue
			}
			switch f.Kind {
			case corpus.KindNumber:
				v.Set(f.Name, strconv.Itoa(rnd.IntN(101)))
			case corpus.KindSet:
				if rnd.IntN(4) == 0 {
					v.Set(f.Name, corpus.NoneOption)
					break
				}
				for _, o := range f.Options {
					if rnd.IntN(6) == 0 {
						v.Add(f.Name, o)
					}
				}
			default:
				v.Set(f.Name, f.Options[rnd.IntN(len(f.Options))])
			}
		}
		if v.Has("disability_type") && v.Get("disability") == "无" {
			v.Del("disability_type")
		}
		situations = append(situations, v.Encode())
	}
	listed := 0
	for _, q := range situations {
		r := e.Match(situation(t, q))
		for _, m := range r.Eligible {
			listed++
			if len(m.Match.Asks) > 0 || len(m.Match.Missing) > 0 {
				t.Errorf("%s: %s is 符合 with something open: %+v", q, m.Policy.ID, m.Match)
			}
			for _, x := range m.Match.Reasons {
				if x.Status != corpus.Eligible.String() {
					t.Errorf("%s: %s is 符合 with a reason %s: %s", q, m.Policy.ID, x.Status, x.Text)
				}
			}
		}
		for _, m := range r.Maybe {
			listed++
			if len(m.Match.Asks)+len(m.Match.Missing) == 0 {
				t.Errorf("%s: %s is 可能符合 and says neither what is missing nor what is to confirm", q, m.Policy.ID)
			}
			for _, x := range m.Match.Reasons {
				if x.Status == corpus.Ineligible.String() {
					t.Errorf("%s: %s is 可能符合 with a reason 不符合: %s", q, m.Policy.ID, x.Text)
				}
			}
		}
	}
	t.Logf("%d situations, %d listed entries checked", len(situations), listed)
}
