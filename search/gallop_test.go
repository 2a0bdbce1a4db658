package search

import (
	"slices"
	"testing"
)

// gallop finds what a binary search from the same place finds.
func TestGallopMatchesBinarySearch(t *testing.T) {
	docs := []uint32{}
	for d := uint32(3); d < 5000; d += 1 + d%7 {
		docs = append(docs, d)
	}
	for from := 0; from <= len(docs); from += 37 {
		for d := uint32(0); d < 5010; d += 3 {
			i, _ := slices.BinarySearch(docs[from:], d)
			if got := gallop(docs, from, d); got != from+i {
				t.Fatalf("gallop(from %d, %d) = %d, want %d", from, d, got, from+i)
			}
		}
	}
	if got := gallop(nil, 0, 5); got != 0 {
		t.Fatalf("gallop of nothing = %d", got)
	}
}
