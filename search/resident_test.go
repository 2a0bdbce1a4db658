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

// Query is what a resident would type in the search box: the message's
// subject, or the message itself where it has none, cut to the longest
// question the API accepts.
func (q residentQuestion) Query() string {
	s := strings.TrimSpace(q.Subject)
	if s == "" {
		s = strings.TrimSpace(q.Message)
	}
	if utf8.RuneCountInString(s) > MaxQueryRunes {
		s = string([]rune(s)[:MaxQueryRunes])
	}
	return s
}

// TestResidentJudgments measures our corpus on real residents' messages
// judged against our entries (search/testdata/resident-judged.tsv keeps
// only ids, classes and grades; the text is read from ../shared at run
// time). On the answerable ones: hit@k, the share with an entry judged the
// answer (grade 2) in the first k hits, and MRR@10; on every in-scope one
// (answerable or not): how many find nothing at all.
func TestResidentJudgments(t *testing.T) {
	questions, judged := loadJudged(t)
	c := embedded(t)
	e := newEngineAt(t, c, corpustest.NewClock(corpustest.InForce(t, c)).Now)
	var answerable, inScope, hit1, hit5, zero int
	var mrr float64
	for _, id := range judged.order {
		class := judged.class[id]
		if class == "offtopic" {
			continue
		}
		for entry := range judged.grades[id] {
			if _, ok := c.Get(entry); !ok {
				t.Fatalf("question %s is judged against unknown entry %s", id, entry)
			}
		}
		inScope++
		// Asked on the district's pages, as the residents of 虹口区 ask at
		// "/": the city's and the district's entries, not a street's own.
		res, err := e.Search(context.Background(), Request{Query: questions[id].Query(), Page: 1, Size: 10, Sort: SortRelevance, Filters: Filters{Site: "hongkou"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) == 0 {
			zero++
		}
		if class != "answerable" {
			continue
		}
		answerable++
		for i, h := range res.Hits {
			if judged.grades[id][h.Policy.ID] == 2 {
				if i == 0 {
					hit1++
				}
				if i < 5 {
					hit5++
				}
				mrr += 1 / float64(i+1)
				break
			}
		}
	}
	n := float64(answerable)
	t.Logf("resident questions: %d answerable, hit@1=%.3f hit@5=%.3f MRR@10=%.3f; %d in scope, zero-result=%d",
		answerable, float64(hit1)/n, float64(hit5)/n, mrr/n, inScope, zero)
	if zero > 0 {
		t.Errorf("%d in-scope questions came back empty", zero)
	}
	// Issue 17 asks for hit@1 ≥ 0.70 and hit@5 ≥ 0.92. Judged by the strict
	// rubric of testdata/JUDGING.md, 89 of the 120 answerable questions
	// (0.742) have their answer first and 111 (0.925) in the first five:
	// the floors are those measures, so they cannot fall unnoticed.
	if float64(hit5)/n < 0.92 || float64(hit1)/n < 0.74 {
		t.Errorf("hit@1 = %.3f, hit@5 = %.3f; want at least 0.74 and 0.92", float64(hit1)/n, float64(hit5)/n)
	}
}

// judgedSet is search/testdata/resident-judged.tsv: for each question its
// class (answerable, unanswerable, offtopic), its grades of entries and,
// for an unanswerable one, the topic it belongs to.
type judgedSet struct {
	order  []string
	class  map[string]string
	topic  map[string]string
	grades map[string]map[string]int
}

// loadJudged reads the judged set and the questions' text from ../shared.
func loadJudged(t testing.TB) (map[string]residentQuestion, *judgedSet) {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", "resident-questions", "questions.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("resident questions: %v", err)
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
	data, err := os.ReadFile("testdata/resident-judged.tsv")
	if err != nil {
		t.Fatal(err)
	}
	j := &judgedSet{class: map[string]string{}, topic: map[string]string{}, grades: map[string]map[string]int{}}
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if i == 0 {
			continue
		}
		fs := strings.Split(line, "\t")
		if len(fs) != 5 {
			t.Fatalf("resident-judged.tsv:%d: %d fields, want 5: %q", i+1, len(fs), line)
		}
		id, class, entry, topic := fs[0], fs[1], fs[2], fs[4]
		grade, err := strconv.Atoi(fs[3])
		if err != nil {
			t.Fatalf("resident-judged.tsv:%d: bad grade %q", i+1, fs[3])
		}
		if _, ok := questions[id]; !ok {
			t.Fatalf("resident-judged.tsv:%d: question %s is not in %s", i+1, id, path)
		}
		if _, ok := j.class[id]; !ok {
			j.order = append(j.order, id)
			j.class[id], j.topic[id], j.grades[id] = class, topic, map[string]int{}
		} else if j.class[id] != class {
			t.Fatalf("resident-judged.tsv:%d: %s is %s and %s", i+1, id, j.class[id], class)
		}
		if entry != "-" {
			j.grades[id][entry] = grade
		}
	}
	return questions, j
}
