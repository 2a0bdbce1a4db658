package index

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/go-ego/gse"
)

// TestAnalysisFingerprintIsStable pins how the fingerprint is computed, so
// that an index built before still opens: it changes with the mapping
// version and the dictionaries, never with how it is hashed.
func TestAnalysisFingerprintIsStable(t *testing.T) {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d\n%s\n%s", MappingVersion, policyDict, generalDict)))
	if want := hex.EncodeToString(sum[:8]); AnalysisFingerprint() != want {
		t.Fatalf("AnalysisFingerprint() = %s, want %s", AnalysisFingerprint(), want)
	}
}

// BenchmarkSegmenterLoad measures loading the dictionaries, which every
// server does before its first answer.
func BenchmarkSegmenterLoad(b *testing.B) {
	user, general := userDict(), stripComments(generalDict)
	for b.Loop() {
		seg := &gse.Segmenter{SkipLog: true}
		if err := seg.LoadDictStr(user); err != nil {
			b.Fatal(err)
		}
		if err := seg.LoadDictStr(general); err != nil {
			b.Fatal(err)
		}
	}
}
