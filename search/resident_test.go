package search

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"yicha/corpus/corpustest"
)

// residentQuestion is one message of ../shared/data/resident-questions.
type residentQuestion struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	Message string `json:"message"`
}

// Query is what a resident would type: the subject, then the message, cut
// to the longest question the API accepts.
func (q residentQuestion) Query() string {
	s := strings.TrimSpace(q.Subject + " " + q.Message)
	if utf8.RuneCountInString(s) > MaxQueryRunes {
		s = string([]rune(s)[:MaxQueryRunes])
	}
	return s
}

// TestResidentJudgments measures our corpus on real residents' messages
// judged against our entries (search/testdata/resident-judgments.tsv keeps
// only ids and grades; the text is read from ../shared at run time):
// hit@k is the share of questions with an entry judged the answer (grade 2)
// in the first k hits.
func TestResidentJudgments(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "resident-questions", "questions.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("resident questions not available: %v", err)
	}
	defer f.Close()
	questions := map[string]residentQuestion{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var q residentQuestion
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		questions[q.ID] = q
	}
	data, err := os.ReadFile("testdata/resident-judgments.tsv")
	if err != nil {
		t.Fatal(err)
	}
	judged := map[string]map[string]int{}
	var order []string
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("resident-judgments.tsv:%d: %d fields, want 3: %q", i+1, len(f), line)
		}
		grade, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("resident-judgments.tsv:%d: bad grade %q", i+1, f[2])
		}
		if judged[f[0]] == nil {
			judged[f[0]] = map[string]int{}
			order = append(order, f[0])
		}
		judged[f[0]][f[1]] = grade
	}
	if len(order) < 150 {
		t.Fatalf("%d judged questions, want at least 150", len(order))
	}

	c := embedded(t)
	e := newEngineAt(t, c, corpustest.NewClock(corpustest.InForce(t, c)).Now)
	hit1, hit5, zero := 0, 0, 0
	for _, id := range order {
		q, ok := questions[id]
		if !ok {
			t.Fatalf("question %s is not in %s", id, path)
		}
		for entry := range judged[id] {
			if _, ok := c.Get(entry); !ok {
				t.Fatalf("question %s is judged against unknown entry %s", id, entry)
			}
		}
		res, err := e.Search(context.Background(), Request{Query: q.Query(), Page: 1, Size: 5, Sort: SortRelevance})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) == 0 {
			zero++
		}
		for i, h := range res.Hits {
			if judged[id][h.Policy.ID] == 2 {
				if i == 0 {
					hit1++
				}
				hit5++
				break
			}
		}
	}
	n := float64(len(order))
	t.Logf("resident questions: %d judged, hit@1=%.3f hit@5=%.3f zero-result=%.3f", len(order), float64(hit1)/n, float64(hit5)/n, float64(zero)/n)
	if zero > 0 {
		t.Errorf("%d questions came back empty", zero)
	}
	if float64(hit5)/n < 0.9 {
		t.Errorf("hit@5 = %.3f, want at least 0.9", float64(hit5)/n)
	}
}
