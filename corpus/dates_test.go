package corpus

import (
	"strings"
	"testing"
	"time"
)

// at returns a moment in Shanghai.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, Zone)
	if err != nil {
		panic(err)
	}
	return t
}

// TestExpiredAtTheEndOfItsDayInShanghai: an entry that expires on a day is
// in force until midnight at the end of that day in Shanghai, whatever the
// zone of the clock asking.
func TestExpiredAtTheEndOfItsDayInShanghai(t *testing.T) {
	p := &Policy{Expires: "2026-11-30"}
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{
		{at("2026-11-30 00:00:00"), false},
		{at("2026-11-30 23:59:59"), false},
		{at("2026-12-01 00:00:00"), true},
		{at("2026-11-30 23:59:59").UTC(), false}, // 15:59:59 UTC
		{at("2026-12-01 00:00:00").UTC(), true},  // 16:00 UTC the day before
		{at("2028-06-01 10:00:00"), true},
	} {
		if got := p.Expired(tt.now); got != tt.want {
			t.Errorf("expires 2026-11-30, Expired(%s) = %v, want %v", tt.now, got, tt.want)
		}
	}
	for _, never := range []*Policy{{}, {Expires: Unknown}} {
		if never.Expired(at("2999-01-01 00:00:00")) {
			t.Errorf("%+v expired", never)
		}
	}
}

// TestCheckDates: a date of checking after today (in Shanghai) is a
// problem at its line; today or before is not. Reading the corpus does not
// depend on the date at all.
func TestCheckDates(t *testing.T) {
	entry := func(updated string) []*Policy {
		c, err := load(t, map[string]string{"places.yaml": testPlaces,
			"policies/x.yaml": strings.Replace(goodEntry, "updated: 2026-11-01", "updated: "+updated, 1)})
		if err != nil {
			t.Fatalf("Load with updated %s: %v", updated, err)
		}
		return c.Policies
	}
	if probs := CheckDates(entry("2026-12-02"), at("2026-12-02 00:30:00").UTC()); len(probs) != 0 {
		t.Errorf("updated today: %v", probs)
	}
	probs := CheckDates(entry("2026-12-03"), at("2026-12-02 23:59:00"))
	if len(probs) != 1 || probs[0].String() != "c/policies/x.yaml:21: updated 2026-12-03 is after today (2026-12-02)" {
		t.Errorf("updated tomorrow: %v", probs)
	}
	if probs := CheckDates(entry("2999-01-01"), at("2999-01-01 08:00:00")); len(probs) != 0 {
		t.Errorf("updated 2999-01-01 as of that day: %v", probs)
	}
}

// TestExpiryNotices lists, as of a moment, the expired entries and those
// expiring within the window, soonest first, at the line of expires.
func TestExpiryNotices(t *testing.T) {
	mk := func(id, expires string) *Policy {
		return &Policy{ID: id, Expires: expires, Source: "p/" + id + ".yaml", lines: map[string]int{"expires": 7}}
	}
	c := NewCorpus([]*Policy{mk("a", "2027-01-31"), mk("b", "2026-11-30"), mk("c", ""), mk("d", "2026-12-31"), mk("e", Unknown)}, "")
	now := at("2026-12-02 10:00:00")
	expired, soon := c.Expiries(now, 30*24*time.Hour)
	if len(expired) != 1 || expired[0].Policy.ID != "b" || len(soon) != 1 || soon[0].Policy.ID != "d" {
		t.Errorf("Expiries = %v, %v", expired, soon)
	}
	var got []string
	for _, n := range c.ExpiryNotices(now, 60*24*time.Hour) {
		got = append(got, n.String())
	}
	want := []string{
		"p/b.yaml:7: notice: expired on 2026-11-30 (shown as 已失效 and ranked last)",
		"p/d.yaml:7: notice: expires on 2026-12-31, in 30 day(s)",
		// a expires on 2027-01-31, 61 days on: outside the window.
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	two, _ := c.Expiries(now.AddDate(2, 0, 0), 0)
	if len(two) != 3 {
		t.Errorf("two years on, %d expired, want 3", len(two))
	}
}
