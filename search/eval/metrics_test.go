package eval

import (
	"math"
	"testing"
)

func TestMetrics(t *testing.T) {
	judged := map[string]int{"a": 1, "b": 1, "c": 2}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	// Ideal order: c (gain 3), then a and b (gain 1 each).
	ideal := 3/math.Log2(2) + 1/math.Log2(3) + 1/math.Log2(4)
	if got := NDCG([]string{"c", "a", "b"}, judged, 10); !near(got, 1) {
		t.Errorf("perfect ranking nDCG = %v", got)
	}
	if got, want := NDCG([]string{"x", "a"}, judged, 10), (1/math.Log2(3))/ideal; !near(got, want) {
		t.Errorf("nDCG = %v, want %v", got, want)
	}
	if got := NDCG([]string{"x", "y", "c"}, judged, 2); got != 0 {
		t.Errorf("nDCG@2 beyond the cut = %v", got)
	}
	if got := MRR([]string{"x", "y", "b"}, judged, 10); !near(got, 1.0/3) {
		t.Errorf("MRR = %v", got)
	}
	if got := MRR([]string{"x", "y", "b"}, judged, 2); got != 0 {
		t.Errorf("MRR@2 = %v", got)
	}
	if got := Recall([]string{"a", "x", "c"}, judged, 100); !near(got, 2.0/3) {
		t.Errorf("Recall = %v", got)
	}
	if NDCG(nil, nil, 10) != 0 || Recall(nil, nil, 10) != 0 {
		t.Error("empty judgments should score 0")
	}
}
