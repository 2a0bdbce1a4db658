package index

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-ego/gse"
)

// policyDict is the policy-term user dictionary: one term a line, with a
// frequency. It is loaded before gse's embedded dictionary, so its
// frequencies win for words both contain.
//
//go:embed dict/policy.txt
var policyDict string

// generalDict is the general dictionary: gse's simplified-Chinese words
// that are frequent enough to matter (see internal/gendict). It loads in
// well under half the time and memory of gse's full embedded dictionary.
//
//go:generate go run ./internal/gendict -min-freq 5 -o dict/general.txt
//go:embed dict/general.txt
var generalDict string

// sharedSegmenter is the process's one segmenter: building its dictionary
// from the text dictionaries takes about 0.4 s and 50 MB, reading it back
// from a data directory's prepared form (see Preload) a tenth of the time
// and a third of the memory; gse is safe for concurrent cutting once loaded.
var sharedSegmenter = sync.OnceValues(func() (*gse.Segmenter, error) {
	dir, _ := preparedDir.Load().(string)
	if dir != "" {
		if seg, err := readPrepared(dir); err == nil {
			return seg, nil
		}
	}
	seg, err := loadSegmenter()
	if err == nil && dir != "" {
		// A directory that cannot take it only means a slower next start.
		_ = writePrepared(dir, seg)
	}
	return seg, err
})

// preparedDir is the data directory whose prepared segmenter is read, or
// written after building it; "" for none.
var preparedDir atomic.Value

// loadSegmenter builds the segmenter from the text dictionaries.
func loadSegmenter() (*gse.Segmenter, error) {
	seg := &gse.Segmenter{SkipLog: true}
	if err := seg.LoadDictStr(userDict()); err != nil {
		return nil, fmt.Errorf("load policy dictionary: %w", err)
	}
	if err := seg.LoadDictStr(stripComments(generalDict)); err != nil {
		return nil, fmt.Errorf("load general dictionary: %w", err)
	}
	if seg.Dict == nil || seg.Dict.NumTokens() < 100000 {
		return nil, fmt.Errorf("the general dictionary is missing or too small (%d words)", seg.Dict.NumTokens())
	}
	return seg, nil
}

// userDict renders the policy dictionary in gse's "word freq" form, giving
// terms without a frequency a high one.
func userDict() string {
	var b strings.Builder
	for _, line := range strings.Split(policyDict, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		freq := "50000"
		if len(f) > 1 {
			freq = f[1]
		}
		fmt.Fprintf(&b, "%s %s\n", f[0], freq)
	}
	return b.String()
}

// AnalysisFingerprint identifies how text is cut into terms: the mapping
// version and the policy dictionary. An index built under another
// fingerprint is rebuilt, since its terms may differ.
func AnalysisFingerprint() string { return analysisFingerprint() }

var analysisFingerprint = sync.OnceValue(func() string {
	// The hash of "version\npolicy\ngeneral", written piece by piece: one
	// string of it all would be 2 MB to allocate at start-up.
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", MappingVersion)
	var buf [32 << 10]byte
	for _, part := range []string{policyDict, "\n", generalDict} {
		for len(part) > 0 {
			n := copy(buf[:], part)
			h.Write(buf[:n])
			part = part[n:]
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
})

// stripComments drops the lines of a dictionary that start with #.
func stripComments(dict string) string {
	if !strings.HasPrefix(dict, "#") && !strings.Contains(dict, "\n#") {
		return dict
	}
	var b strings.Builder
	b.Grow(len(dict))
	for _, line := range strings.SplitAfter(dict, "\n") {
		if !strings.HasPrefix(line, "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// Preload loads the segmenter's dictionaries and the character tables in
// the background, so that a server starting up overlaps the load with
// opening its index. With a data directory, the segmenter is read from
// its prepared form there, which is written when missing or out of date.
// Only the first call counts.
func Preload(dataDir string) {
	preparedDir.CompareAndSwap(nil, dataDir)
	go func() {
		sharedSegmenter()
		t2sTable()
	}()
}
