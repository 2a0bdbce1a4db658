// Package sitestoretest is the suite every sitestore.Store passes: the
// embedded SQLite store and the PostgreSQL one.
package sitestoretest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"yicha/web/sitestore"
)

// TestStore runs the suite. open returns a new, empty store each time it is
// called; closing it is open's business (t.Cleanup).
func TestStore(t *testing.T, open func(t *testing.T) sitestore.Store) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T, s sitestore.Store)
	}{
		{"Secret", testSecret},
		{"ReportRoundTrip", testReportRoundTrip},
		{"Invalid", testInvalid},
		{"ListAndFilter", testListAndFilter},
		{"Update", testUpdate},
		{"Quota", testQuota},
		{"QuotaUnderConcurrency", testQuotaConcurrent},
		{"Counts", testCounts},
		{"Summary", testSummary},
		{"TwoQuotas", testTwoQuotas},
		{"Queries", testQueries},
		{"Sessions", testSessions},
		{"Sites", testSites},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

var (
	ctx = context.Background()
	// t0 is a fixed moment, in milliseconds, so that every backend keeps it
	// exactly.
	t0 = time.Date(2026, 3, 2, 9, 30, 15, 123e6, time.FixedZone("CST", 8*3600))
)

func report(policy, category string, reason sitestore.Reason, comment string, at time.Time) sitestore.Report {
	return sitestore.Report{PolicyID: policy, Category: category, Reason: reason, Comment: comment, CreatedAt: at}
}

func mustAdd(t *testing.T, s sitestore.Store, r sitestore.Report) sitestore.Report {
	t.Helper()
	got, err := s.AddReport(ctx, r, sitestore.Quota{})
	if err != nil {
		t.Fatalf("AddReport(%+v): %v", r, err)
	}
	return got
}

func testSecret(t *testing.T, s sitestore.Store) {
	a, err := s.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) < 16 || strings.Count(string(a), "\x00") == len(a) {
		t.Fatalf("secret %x is too short or all zeros", a)
	}
	b, err := s.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Error("the secret changed between calls")
	}
}

func testReportRoundTrip(t *testing.T, s sitestore.Store) {
	comment := "第二行写着 <script>alert(1)</script> & \"引号\"\n材料清单 ' 缺了户口本"
	got := mustAdd(t, s, report("dibao", "社会救助", sitestore.ReasonWrong, comment, t0))
	if got.ID <= 0 || got.State != sitestore.StateNew || got.Note != "" || !got.ResolvedAt.IsZero() {
		t.Errorf("new report %+v", got)
	}
	back, err := s.Report(ctx, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if back.PolicyID != "dibao" || back.Category != "社会救助" || back.Reason != sitestore.ReasonWrong || back.Comment != comment {
		t.Errorf("read back %+v", back)
	}
	if !back.CreatedAt.Equal(t0) || !back.UpdatedAt.Equal(t0) {
		t.Errorf("times %v %v, want %v", back.CreatedAt, back.UpdatedAt, t0)
	}
	// The longest comment allowed, in multi-byte characters.
	long := strings.Repeat("长", sitestore.MaxComment)
	if r := mustAdd(t, s, report("dibao", "社会救助", sitestore.ReasonOther, long, t0)); r.Comment != long {
		t.Errorf("a comment of %d characters came back with %d", sitestore.MaxComment, len([]rune(r.Comment)))
	}
	if _, err := s.Report(ctx, got.ID+1000); !errors.Is(err, sitestore.ErrNotFound) {
		t.Errorf("missing report: %v, want ErrNotFound", err)
	}
}

func testInvalid(t *testing.T, s sitestore.Store) {
	for name, r := range map[string]sitestore.Report{
		"no policy":        report("", "社会救助", sitestore.ReasonWrong, "", t0),
		"no category":      report("dibao", "", sitestore.ReasonWrong, "", t0),
		"unknown reason":   report("dibao", "社会救助", "bogus", "", t0),
		"empty reason":     report("dibao", "社会救助", "", "", t0),
		"comment too long": report("dibao", "社会救助", sitestore.ReasonOther, strings.Repeat("长", sitestore.MaxComment+1), t0),
		"invalid UTF-8":    report("dibao", "社会救助", sitestore.ReasonOther, "ab\xffcd", t0),
	} {
		if _, err := s.AddReport(ctx, r, sitestore.Quota{}); !errors.Is(err, sitestore.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := s.AddVote(ctx, sitestore.Vote{PolicyID: "", Category: "x", At: t0}, sitestore.Quota{}); !errors.Is(err, sitestore.ErrInvalid) {
		t.Errorf("vote without a policy: %v, want ErrInvalid", err)
	}
	if rs, err := s.Reports(ctx, sitestore.Filter{}); err != nil || len(rs) != 0 {
		t.Errorf("invalid reports were stored: %d, %v", len(rs), err)
	}
	if cs, err := s.Counts(ctx); err != nil || len(cs) != 0 {
		t.Errorf("an invalid vote was stored: %+v, %v", cs, err)
	}
}

func testListAndFilter(t *testing.T, s sitestore.Store) {
	var ids []int64
	for i := range 5 {
		policy := "dibao"
		if i%2 == 1 {
			policy = "zhuyuan"
		}
		ids = append(ids, mustAdd(t, s, report(policy, "社会救助", sitestore.ReasonUnclear, fmt.Sprint("第", i, "条"), t0.Add(time.Duration(i)*time.Minute))).ID)
	}
	if _, err := s.Update(ctx, ids[0], sitestore.Change{State: sitestore.StateHandled}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	list := func(f sitestore.Filter) []int64 {
		t.Helper()
		rs, err := s.Reports(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for name, c := range map[string]struct {
		f    sitestore.Filter
		want []int64
	}{
		"all, newest first": {sitestore.Filter{}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		"new":               {sitestore.Filter{State: sitestore.StateNew}, []int64{ids[4], ids[3], ids[2], ids[1]}},
		"handled":           {sitestore.Filter{State: sitestore.StateHandled}, []int64{ids[0]}},
		"rejected":          {sitestore.Filter{State: sitestore.StateRejected}, nil},
		"one policy":        {sitestore.Filter{PolicyID: "zhuyuan"}, []int64{ids[3], ids[1]}},
		"limit":             {sitestore.Filter{Limit: 2}, []int64{ids[4], ids[3]}},
		"limit and offset":  {sitestore.Filter{Limit: 2, Offset: 2}, []int64{ids[2], ids[1]}},
		"policy and state":  {sitestore.Filter{PolicyID: "dibao", State: sitestore.StateNew}, []int64{ids[4], ids[2]}},
	} {
		if got := list(c.f); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}

func testUpdate(t *testing.T, s sitestore.Store) {
	r := mustAdd(t, s, report("dibao", "社会救助", sitestore.ReasonPlace, "", t0))
	t1, t2, t3 := t0.Add(2*time.Hour), t0.Add(5*time.Hour), t0.Add(9*time.Hour)
	note := "已联系街道核实 <b>地址</b>"
	got, err := s.Update(ctx, r.ID, sitestore.Change{State: sitestore.StateHandled, Note: note}, t1)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != sitestore.StateHandled || got.Note != note || !got.ResolvedAt.Equal(t1) || !got.UpdatedAt.Equal(t1) || !got.CreatedAt.Equal(t0) {
		t.Errorf("after handling: %+v", got)
	}
	// A second answer keeps the time of the first.
	got, err = s.Update(ctx, r.ID, sitestore.Change{State: sitestore.StateRejected, Note: "重复"}, t2)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != sitestore.StateRejected || got.Note != "重复" || !got.ResolvedAt.Equal(t1) || !got.UpdatedAt.Equal(t2) {
		t.Errorf("after rejecting: %+v", got)
	}
	// Back to new clears it; the next answer sets it again.
	if got, _ = s.Update(ctx, r.ID, sitestore.Change{State: sitestore.StateNew}, t2); !got.ResolvedAt.IsZero() || got.State != sitestore.StateNew {
		t.Errorf("back to new: %+v", got)
	}
	if got, _ = s.Update(ctx, r.ID, sitestore.Change{State: sitestore.StateHandled}, t3); !got.ResolvedAt.Equal(t3) {
		t.Errorf("answered again: %+v", got)
	}
	if back, _ := s.Report(ctx, r.ID); back.State != sitestore.StateHandled || back.Note != "" || !back.ResolvedAt.Equal(t3) {
		t.Errorf("read back %+v", back)
	}

	if _, err := s.Update(ctx, r.ID+1000, sitestore.Change{State: sitestore.StateHandled}, t3); !errors.Is(err, sitestore.ErrNotFound) {
		t.Errorf("update of a missing report: %v", err)
	}
	for name, c := range map[string]sitestore.Change{
		"unknown state":  {State: "done"},
		"empty state":    {},
		"note too long":  {State: sitestore.StateHandled, Note: strings.Repeat("注", sitestore.MaxNote+1)},
		"invalid UTF-8":  {State: sitestore.StateHandled, Note: "\xfe"},
		"state in label": {State: "已处理"},
	} {
		if _, err := s.Update(ctx, r.ID, c, t3); !errors.Is(err, sitestore.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if back, _ := s.Report(ctx, r.ID); back.State != sitestore.StateHandled || !back.UpdatedAt.Equal(t3) {
		t.Errorf("an invalid change changed the report: %+v", back)
	}
}

func testQuota(t *testing.T, s sitestore.Store) {
	q := sitestore.Quota{Key: "client-a-day1", Day: "2026-03-02", Limit: 3}
	for i := range 3 {
		if _, err := s.AddReport(ctx, report("dibao", "社会救助", sitestore.ReasonOther, "", t0), q); err != nil {
			t.Fatalf("report %d within the quota: %v", i+1, err)
		}
	}
	if _, err := s.AddReport(ctx, report("dibao", "社会救助", sitestore.ReasonOther, "over", t0), q); !errors.Is(err, sitestore.ErrLimit) {
		t.Fatalf("report over the quota: %v, want ErrLimit", err)
	}
	// Another client still may.
	if _, err := s.AddReport(ctx, report("dibao", "社会救助", sitestore.ReasonOther, "", t0), sitestore.Quota{Key: "client-b-day1", Day: q.Day, Limit: 3}); err != nil {
		t.Errorf("another client: %v", err)
	}
	// Votes have their own keys.
	vq := sitestore.Quota{Key: "vote-client-a-day1", Day: q.Day, Limit: 2}
	for i := range 2 {
		if err := s.AddVote(ctx, sitestore.Vote{PolicyID: "dibao", Category: "社会救助", Helpful: true, At: t0}, vq); err != nil {
			t.Fatalf("vote %d: %v", i+1, err)
		}
	}
	if err := s.AddVote(ctx, sitestore.Vote{PolicyID: "dibao", Category: "社会救助", Helpful: false, At: t0}, vq); !errors.Is(err, sitestore.ErrLimit) {
		t.Errorf("vote over the quota: %v, want ErrLimit", err)
	}
	// The next day the client starts afresh (its key changes with the day).
	next := sitestore.Quota{Key: "client-a-day2", Day: "2026-03-03", Limit: 3}
	if _, err := s.AddReport(ctx, report("dibao", "社会救助", sitestore.ReasonOther, "", t0.Add(24*time.Hour)), next); err != nil {
		t.Errorf("next day: %v", err)
	}
	rs, _ := s.Reports(ctx, sitestore.Filter{})
	if len(rs) != 5 {
		t.Errorf("%d reports stored, want 5 (the one over the quota is not)", len(rs))
	}
	for _, r := range rs {
		if r.Comment == "over" {
			t.Error("the report over the quota was stored")
		}
	}
	cs, _ := s.Counts(ctx)
	if len(cs) != 1 || cs[0].Helpful != 2 || cs[0].NotHelpful != 0 {
		t.Errorf("counts after a vote over the quota: %+v", cs)
	}
}

// testQuotaConcurrent races many writers on one quota: exactly the limit
// gets through, and no writer fails for any other reason.
func testQuotaConcurrent(t *testing.T, s sitestore.Store) {
	const writers, limit = 24, 10
	q := sitestore.Quota{Key: "busy-client", Day: "2026-03-02", Limit: limit}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.AddReport(ctx, report("dibao", "社会救助", sitestore.ReasonOther, fmt.Sprint(i), t0), q)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok, limited := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, sitestore.ErrLimit):
			limited++
		default:
			t.Errorf("concurrent write: %v", err)
		}
	}
	rs, _ := s.Reports(ctx, sitestore.Filter{})
	if ok != limit || limited != writers-limit || len(rs) != limit {
		t.Errorf("%d accepted, %d limited, %d stored; want %d, %d, %d", ok, limited, len(rs), limit, writers-limit, limit)
	}
}

func testCounts(t *testing.T, s sitestore.Store) {
	vote := func(policy string, helpful bool) {
		t.Helper()
		if err := s.AddVote(ctx, sitestore.Vote{PolicyID: policy, Category: "社会救助", Helpful: helpful, At: t0}, sitestore.Quota{}); err != nil {
			t.Fatal(err)
		}
	}
	vote("dibao", true)
	vote("dibao", true)
	vote("dibao", false)
	vote("only-votes", false)
	mustAdd(t, s, report("dibao", "社会救助", sitestore.ReasonWrong, "", t0))
	r := mustAdd(t, s, report("dibao", "社会救助", sitestore.ReasonWrong, "", t0))
	mustAdd(t, s, report("dibao", "社会救助", sitestore.ReasonUnclear, "", t0))
	for range 4 {
		mustAdd(t, s, report("zhuyuan", "养老服务", sitestore.ReasonNotOnline, "", t0))
	}
	if _, err := s.Update(ctx, r.ID, sitestore.Change{State: sitestore.StateHandled}, t0); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, fmt.Sprintf("%s/%s +%d -%d wrong=%d unclear=%d not_online=%d open=%d total=%d", c.PolicyID, c.Category,
			c.Helpful, c.NotHelpful, c.Reports[sitestore.ReasonWrong], c.Reports[sitestore.ReasonUnclear], c.Reports[sitestore.ReasonNotOnline], c.Open, c.TotalReports()))
	}
	want := []string{
		"zhuyuan/养老服务 +0 -0 wrong=0 unclear=0 not_online=4 open=4 total=4",
		"dibao/社会救助 +2 -1 wrong=2 unclear=1 not_online=0 open=2 total=3",
		"only-votes/社会救助 +0 -1 wrong=0 unclear=0 not_online=0 open=0 total=0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("counts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func testSummary(t *testing.T, s sitestore.Store) {
	if sum, err := s.Summary(ctx, nil); err != nil || len(sum) != 0 {
		t.Fatalf("summary of an empty store: %+v, %v", sum, err)
	}
	answer := func(cat string, state sitestore.State, after time.Duration) {
		t.Helper()
		r := mustAdd(t, s, report("p-"+cat, cat, sitestore.ReasonOther, "不应出现在汇总里", t0))
		if state != sitestore.StateNew {
			if _, err := s.Update(ctx, r.ID, sitestore.Change{State: state, Note: "备注"}, t0.Add(after)); err != nil {
				t.Fatal(err)
			}
		}
	}
	answer("养老服务", sitestore.StateHandled, 2*time.Hour)
	answer("养老服务", sitestore.StateHandled, 4*time.Hour)
	answer("养老服务", sitestore.StateRejected, 30*time.Hour)
	answer("养老服务", sitestore.StateNew, 0)
	answer("社会救助", sitestore.StateNew, 0)
	sum, err := s.Summary(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []sitestore.CategorySummary{
		{Category: "养老服务", Received: 4, Handled: 2, Rejected: 1, Open: 1, MedianResponse: 4 * time.Hour},
		{Category: "社会救助", Received: 1, Open: 1},
	}
	if fmt.Sprintf("%+v", sum) != fmt.Sprintf("%+v", want) {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
}

// testTwoQuotas spends two quotas in one write: one used up refuses the
// write, names itself, and spends neither.
func testTwoQuotas(t *testing.T, s sitestore.Store) {
	perPolicy := sitestore.Quota{Key: "vote-dibao-a", Day: "2026-03-02", Limit: 1, Name: "vote-policy"}
	daily := sitestore.Quota{Key: "vote-a", Day: "2026-03-02", Limit: 2, Name: "vote"}
	vote := sitestore.Vote{PolicyID: "dibao", Category: "社会救助", Helpful: true, At: t0}
	if err := s.AddVote(ctx, vote, perPolicy, daily); err != nil {
		t.Fatal(err)
	}
	var limit *sitestore.LimitError
	if err := s.AddVote(ctx, vote, perPolicy, daily); !errors.As(err, &limit) || limit.Name != "vote-policy" || !errors.Is(err, sitestore.ErrLimit) {
		t.Fatalf("a second vote on the policy: %v, want the vote-policy limit", err)
	}
	other := sitestore.Vote{PolicyID: "gongzufang", Category: "住房保障", Helpful: true, At: t0}
	if err := s.AddVote(ctx, other, sitestore.Quota{Key: "vote-gongzufang-a", Day: "2026-03-02", Limit: 1, Name: "vote-policy"}, daily); err != nil {
		t.Fatalf("a vote on another policy: %v (the refused vote spent the daily quota?)", err)
	}
	third := sitestore.Vote{PolicyID: "linshi-jiuzhu", Category: "社会救助", Helpful: true, At: t0}
	if err := s.AddVote(ctx, third, sitestore.Quota{Key: "vote-linshi-a", Day: "2026-03-02", Limit: 1, Name: "vote-policy"}, daily); !errors.As(err, &limit) || limit.Name != "vote" {
		t.Fatalf("a third vote of the day: %v, want the daily limit", err)
	}
	cs, _ := s.Counts(ctx)
	total := 0
	for _, c := range cs {
		total += c.Helpful + c.NotHelpful
	}
	if total != 2 {
		t.Errorf("%d votes stored, want 2", total)
	}
}

// testQueries counts questions per day, scrubbed of personal data, sums
// them over the days asked for, and forgets old days.
func testQueries(t *testing.T, s sitestore.Store) {
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.RecordQueries(ctx, "2026-03-01", []sitestore.QueryCount{{Query: "低保", Asked: 2}, {Query: "zzqq", Asked: 1, Unanswered: 1}}))
	must(s.RecordQueries(ctx, "2026-03-02", []sitestore.QueryCount{{Query: "低保", Asked: 3}, {Query: "zzqq", Asked: 2, Unanswered: 2}}))
	must(s.RecordQueries(ctx, "2026-03-02", []sitestore.QueryCount{
		{Query: "低保 身份证310101199001011234 电话13812345678 zhang@example.com", Asked: 1},
		{Query: "残疾人补贴", Asked: 1}, {Query: "", Asked: 5}, {Query: "x", Asked: 0},
	}))
	asked, unanswered, err := s.TopQueries(ctx, "2026-03-01", 10, nil)
	must(err)
	got := map[string]int{}
	for _, q := range asked {
		got[q.Query] = q.Asked
	}
	if len(asked) == 0 || asked[0].Query != "低保" || asked[0].Asked != 5 || got["zzqq"] != 3 || got["残疾人补贴"] != 1 {
		t.Errorf("most asked %+v", asked)
	}
	if len(unanswered) != 1 || unanswered[0].Query != "zzqq" || unanswered[0].Unanswered != 3 {
		t.Errorf("unanswered %+v", unanswered)
	}
	for _, q := range asked {
		for _, secret := range []string{"310101199001011234", "13812345678", "zhang@example.com"} {
			if strings.Contains(q.Query, secret) {
				t.Errorf("the query log keeps %q in %q", secret, q.Query)
			}
		}
	}
	if asked, _, _ := s.TopQueries(ctx, "2026-03-02", 1, nil); len(asked) != 1 || asked[0].Asked != 3 {
		t.Errorf("since 2026-03-02, top 1: %+v", asked)
	}
	must(s.ForgetQueries(ctx, "2026-03-02"))
	if asked, _, _ := s.TopQueries(ctx, "2026-01-01", 10, nil); len(asked) == 0 || asked[0].Asked != 3 {
		t.Errorf("after forgetting 2026-03-01: %+v", asked)
	}
	if err := s.RecordQueries(ctx, "yesterday", nil); !errors.Is(err, sitestore.ErrInvalid) {
		t.Errorf("a day that is not a date: %v", err)
	}
}

// testSessions keeps a session by the hash of its id, ends it after its
// idle time or at its end, and on deletion.
func testSessions(t *testing.T, s sitestore.Store) {
	hash := func(c string) string { return strings.Repeat(c, 64) }
	se := sitestore.Session{IDHash: hash("a"), CSRF: hash("c"), Admin: "publisher", Created: t0,
		Expires: t0.Add(8 * time.Hour), IdleFor: 30 * time.Minute}
	if err := s.CreateSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	got, err := s.UseSession(ctx, se.IDHash, t0.Add(20*time.Minute))
	if err != nil || got.CSRF != se.CSRF || got.Admin != "publisher" || !got.Expires.Equal(se.Expires) {
		t.Fatalf("UseSession = %+v, %v", got, err)
	}
	// Used 20 minutes in, it lives 30 more minutes.
	if _, err := s.UseSession(ctx, se.IDHash, t0.Add(49*time.Minute)); err != nil {
		t.Errorf("used within its idle time: %v", err)
	}
	if _, err := s.UseSession(ctx, se.IDHash, t0.Add(80*time.Minute)); !errors.Is(err, sitestore.ErrNotFound) {
		t.Errorf("after 31 idle minutes: %v, want ErrNotFound", err)
	}
	if _, err := s.UseSession(ctx, se.IDHash, t0.Add(50*time.Minute)); !errors.Is(err, sitestore.ErrNotFound) {
		t.Error("an ended session came back")
	}
	// The absolute end holds however busy the session is.
	busy := se
	busy.IDHash = hash("b")
	if err := s.CreateSession(ctx, busy); err != nil {
		t.Fatal(err)
	}
	for at := t0; at.Before(busy.Expires); at = at.Add(20 * time.Minute) {
		if _, err := s.UseSession(ctx, busy.IDHash, at); err != nil {
			t.Fatalf("used at %s: %v", at, err)
		}
	}
	if _, err := s.UseSession(ctx, busy.IDHash, busy.Expires); !errors.Is(err, sitestore.ErrNotFound) {
		t.Errorf("at its end: %v, want ErrNotFound", err)
	}
	gone := se
	gone.IDHash = hash("d")
	if err := s.CreateSession(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, gone.IDHash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseSession(ctx, gone.IDHash, t0); !errors.Is(err, sitestore.ErrNotFound) {
		t.Errorf("after DeleteSession: %v", err)
	}
	if err := s.DeleteSession(ctx, gone.IDHash); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	if err := s.CreateSession(ctx, sitestore.Session{IDHash: "short", CSRF: hash("c"), Created: t0, Expires: t0.Add(time.Hour)}); !errors.Is(err, sitestore.ErrInvalid) {
		t.Errorf("a session without a proper id hash: %v", err)
	}
}

// testSites keeps the site each report and question came from: reports,
// the summary and the most asked questions of some sites only, and a
// site that is not an id refused.
func testSites(t *testing.T, s sitestore.Store) {
	add := func(site, category string) {
		t.Helper()
		r := report("dibao", category, sitestore.ReasonWrong, "", t0)
		r.Site = site
		if got := mustAdd(t, s, r); got.Site != site {
			t.Fatalf("report of %q came back from %q", site, got.Site)
		}
	}
	add("quyanglu", "社会救助")
	add("quyanglu", "社会救助")
	add("ouyanglu", "养老服务")
	add("", "教育")
	for _, tc := range []struct {
		sites []string
		want  int
	}{{nil, 4}, {[]string{"quyanglu"}, 2}, {[]string{"ouyanglu", ""}, 2}, {[]string{}, 0}, {[]string{"jiangwan"}, 0}} {
		rs, err := s.Reports(ctx, sitestore.Filter{Sites: tc.sites})
		if err != nil || len(rs) != tc.want {
			t.Errorf("reports of %q: %d (%v), want %d", tc.sites, len(rs), err, tc.want)
		}
		sum, err := s.Summary(ctx, tc.sites)
		n := 0
		for _, c := range sum {
			n += c.Received
		}
		if err != nil || n != tc.want {
			t.Errorf("summary of %q counts %d reports (%v), want %d", tc.sites, n, err, tc.want)
		}
	}
	if err := s.RecordQueries(ctx, "2026-03-02", []sitestore.QueryCount{{Site: "quyanglu", Query: "低保", Asked: 2}, {Site: "ouyanglu", Query: "低保", Asked: 1}, {Site: "ouyanglu", Query: "助餐", Asked: 4, Unanswered: 1}}); err != nil {
		t.Fatal(err)
	}
	asked, unanswered, err := s.TopQueries(ctx, "2026-03-01", 10, []string{"quyanglu"})
	if err != nil || len(asked) != 1 || asked[0].Query != "低保" || asked[0].Asked != 2 || len(unanswered) != 0 {
		t.Errorf("questions on quyanglu: %+v %+v %v", asked, unanswered, err)
	}
	if asked, _, _ := s.TopQueries(ctx, "2026-03-01", 10, nil); len(asked) != 2 || asked[0].Query != "助餐" || asked[1].Asked != 3 {
		t.Errorf("questions on every site: %+v", asked)
	}
	bad := report("dibao", "社会救助", sitestore.ReasonWrong, "", t0)
	bad.Site = "Qu Yang"
	if _, err := s.AddReport(ctx, bad); !errors.Is(err, sitestore.ErrInvalid) {
		t.Errorf("a report of site %q: %v", bad.Site, err)
	}
	if err := s.AddVote(ctx, sitestore.Vote{PolicyID: "dibao", Category: "社会救助", Site: "../x", At: t0}); !errors.Is(err, sitestore.ErrInvalid) {
		t.Errorf("a vote of site ../x: %v", err)
	}
}
