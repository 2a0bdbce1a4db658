package search

import (
	"context"
	"fmt"
	"os"
	"testing"

	"yicha/corpus/corpustest"
)

// TestDumpSignals writes, for every judged resident question, its class
// and the confidence signals of its result, for calibrating the
// confidence. It is a measuring tool, not a check: it runs only with
// YICHA_DUMP_SIGNALS set to the file to write.
func TestDumpSignals(t *testing.T) {
	out := os.Getenv("YICHA_DUMP_SIGNALS")
	if out == "" {
		t.Skip("set YICHA_DUMP_SIGNALS to a file to write the signals to")
	}
	questions, judged := loadJudged(t)
	c := embedded(t)
	e := newEngineAt(t, c, corpustest.NewClock(corpustest.InForce(t, c)).Now)
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintln(f, "id\tclass\ttopic\ttotal\thit1\thit5\tscore1\tmargin\tcoverage\thead\tunknown\tdensity\tfit\tphrase\ttopicshare\tnumbers\trequest\tconfidence\ttop")
	for _, j := range judged.order {
		q := questions[j]
		res, err := e.Search(context.Background(), Request{Query: q.Query(), Page: 1, Size: 5, Sort: SortRelevance})
		if err != nil {
			t.Fatal(err)
		}
		sig, err := e.signals(context.Background(), e.snap.Load(), res.Request.Question, res)
		if err != nil {
			t.Fatal(err)
		}
		hit1, hit5, top, score := 0, 0, "-", 0.0
		for i, h := range res.Hits {
			if judged.grades[j][h.Policy.ID] == 2 {
				if i == 0 {
					hit1 = 1
				}
				hit5 = 1
				break
			}
		}
		if len(res.Hits) > 0 {
			top, score = res.Hits[0].Policy.ID, res.Hits[0].Score
		}
		fmt.Fprintf(f, "%s\t%s\t%s\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%.3f\t%d\t%v\t%s\t%s\n", j, judged.class[j], judged.topic[j], res.Total, hit1, hit5,
			score, sig.Margin, sig.Coverage, sig.HeadCoverage, sig.Unknown, sig.Density, sig.Fit, sig.Phrase, sig.TopicShare, sig.Numbers, sig.Request, res.Confidence, top)
	}
}
