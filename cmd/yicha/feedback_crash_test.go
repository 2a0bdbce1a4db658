package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

var tokenRE = regexp.MustCompile(`<form class="report" id="report" action="([^"]+)" method="post"[^>]*>\s*<input type="hidden" name="token" value="([^"]+)">`)

// reportForm reads the action and token of a policy page's report form.
func (c *child) reportForm(t *testing.T, id string) (action, token string) {
	t.Helper()
	resp, err := http.Get("http://" + c.addr + "/policies/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := tokenRE.FindSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("GET /policies/%s: %d, no report form\n%s", id, resp.StatusCode, c.logs)
	}
	return string(m[1]), string(m[2])
}

// post sends a form and wants it acknowledged with a redirect.
func (c *child) post(t *testing.T, path string, form url.Values) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm("http://"+c.addr+path, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %d\n%s", path, resp.StatusCode, c.logs)
	}
}

// feedbackCSV reads the comments and the not-helpful count of the admin API.
func (c *child) feedbackCSV(t *testing.T) []string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+c.addr+"/api/admin/feedback?format=csv", nil)
	req.Header.Set("Authorization", "Bearer crash-test-token-of-thirty-two-chars")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(body), "\uFEFF"))).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(recs) == 0 {
		t.Fatalf("feedback CSV: %d %v\n%s", resp.StatusCode, err, body)
	}
	col := slices.Index(recs[0], "comment")
	var comments []string
	for _, r := range recs[1:] {
		comments = append(comments, r[col])
	}
	slices.Sort(comments)
	return comments
}

// TestFeedbackSurvivesSIGKILL kills the server with SIGKILL right after it
// acknowledged reports, three times over: after each restart every
// acknowledged report is in the admin queue, with the votes.
func TestFeedbackSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	corpusFile := filepath.Join(t.TempDir(), "policies.jsonl")
	bigCorpus(t, corpusFile, 1, "最低生活保障")

	var want []string
	votedOn := []string{"dibao-0", "gongzufang-0", "linshi-jiuzhu-0"}
	for round := 1; round <= 3; round++ {
		c := startServe(t, bin, data, corpusFile)
		if got := c.feedbackCSV(t); !slices.Equal(got, want) {
			t.Fatalf("round %d starts with reports %q, want %q", round, got, want)
		}
		action, token := c.reportForm(t, "dibao-0")
		// One vote per policy a day: each round votes on a policy of its own.
		voted := votedOn[round-1]
		_, voteToken := c.reportForm(t, voted)
		c.post(t, "/policies/"+voted+"/helpful", url.Values{"token": {voteToken}, "helpful": {"no"}})
		for i := 1; i <= 3; i++ {
			comment := fmt.Sprintf("第%d轮第%d条 <script>", round, i)
			c.post(t, action, url.Values{"token": {token}, "reason": {"wrong"}, "comment": {comment}})
			want = append(want, comment)
		}
		slices.Sort(want)
		// Acknowledged: kill it at once, giving it no chance to flush anything.
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
	}
	c := startServe(t, bin, data, corpusFile)
	if got := c.feedbackCSV(t); !slices.Equal(got, want) {
		t.Fatalf("after the last SIGKILL the reports are %q, want %q", got, want)
	}
	var out struct {
		Policies []struct {
			PolicyID   string `json:"policy_id"`
			NotHelpful int    `json:"not_helpful"`
		} `json:"policies"`
	}
	c.getJSON(t, "/api/admin/feedback", &out)
	votes := map[string]int{}
	for _, p := range out.Policies {
		votes[p.PolicyID] = p.NotHelpful
	}
	for _, id := range votedOn {
		if votes[id] != 1 {
			t.Errorf("votes after the kills: %+v, want one on each of %v", out.Policies, votedOn)
			break
		}
	}
}
