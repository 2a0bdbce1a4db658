package eval

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestLatenciesPercentile(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// 1..100 ms, shuffled by a fixed stride so the order is not sorted.
	var hundred Latencies
	for i := range 100 {
		hundred = append(hundred, ms(i*37%100+1))
	}
	kept := slices.Clone(hundred)
	for _, c := range []struct {
		name string
		l    Latencies
		p    float64
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", Latencies{ms(7)}, 99, ms(7)},
		{"fastest", hundred, 0, ms(1)},
		{"p50 of an even count is the lower middle", hundred, 50, ms(50)},
		{"p99", hundred, 99, ms(99)},
		{"slowest", hundred, 100, ms(100)},
		{"p50 of an odd count is the middle", Latencies{ms(5), ms(1), ms(3)}, 50, ms(3)},
		{"p99 of a thousand", thousand(), 99, ms(990)},
	} {
		if got := c.l.Percentile(c.p); got != c.want {
			t.Errorf("%s: Percentile(%v) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
	if !slices.Equal(hundred, kept) {
		t.Error("Percentile reordered the latencies")
	}
	if got := (Latencies{ms(1), ms(2), ms(6)}).Mean(); got != ms(3) {
		t.Errorf("Mean = %v, want 3ms", got)
	}
	if got := Latencies(nil).Mean(); got != 0 {
		t.Errorf("Mean of none = %v", got)
	}
}

// thousand is 1..1000 ms in order.
func thousand() Latencies {
	l := make(Latencies, 1000)
	for i := range l {
		l[i] = time.Duration(i+1) * time.Millisecond
	}
	return l
}

func TestTimeAsksEveryQueryInOrder(t *testing.T) {
	qs := []BEIRQuery{{ID: "a", Text: "低保"}, {ID: "b", Text: "长护险"}, {ID: "c", Text: "残疾人补贴"}}
	var asked []string
	lat, err := Time(context.Background(), qs, func(_ context.Context, q string) error {
		asked = append(asked, q)
		return nil
	})
	if err != nil || len(lat) != 3 || !slices.Equal(asked, []string{"低保", "长护险", "残疾人补贴"}) {
		t.Errorf("Time = %v, %v; asked %q", lat, err, asked)
	}
	bad := errors.New("no index")
	_, err = Time(context.Background(), qs, func(_ context.Context, q string) error {
		if q == "长护险" {
			return bad
		}
		return nil
	})
	if !errors.Is(err, bad) {
		t.Errorf("Time with a failing query = %v, want it wrapped", err)
	}
}

type fixedRanker map[string][]string

func (f fixedRanker) Rank(_ context.Context, q string, _ int) ([]string, error) { return f[q], nil }

func TestRunMeasuresJudgedQueriesOnly(t *testing.T) {
	qs := []BEIRQuery{{ID: "1", Text: "低保"}, {ID: "2", Text: "未判"}, {ID: "3", Text: "长护险"}}
	qrels := Qrels{"1": {"dibao": 1}, "3": {"changhuxian": 1}}
	if got := qrels.Judged(qs); len(got) != 2 || got[0].ID != "1" || got[1].ID != "3" {
		t.Errorf("Judged = %v", got)
	}
	res, err := Run(context.Background(), fixedRanker{"低保": {"dibao"}}, qs, qrels)
	if err != nil {
		t.Fatal(err)
	}
	if res.Queries != 2 || len(res.Latencies) != 2 || res.ZeroResults != 1 || res.MRR10 != 0.5 {
		t.Errorf("Run = %+v", res)
	}
}
