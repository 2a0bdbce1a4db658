package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestMemoryBoundedUnderHostileRequests sends a served child 3,000
// searches (after 400 like them to warm up), each with 30 KB of parameters the API does not know and a
// different one each time, asking for the largest page; then 2,000
// requests with invented methods. The process grows by less than 64 MB and
// its metrics by no series.
func TestMemoryBoundedUnderHostileRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	c := startServe(t, buildBinary(t), t.TempDir(), "")
	send := func(method, path string) {
		req, _ := http.NewRequest(method, "http://"+c.addr+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	pad := strings.Repeat("x", 30<<10)
	q := url.QueryEscape("补贴")
	for i := range 50 { // warm up: the first answers, the first pages
		send("GET", fmt.Sprintf("/api/search?size=50&q=%s&page=%d", q, i%3+1))
	}
	// Warm up the padded requests too, with values of m the measured
	// requests never use, so the heap reaches the size the collector keeps
	// for such requests before the measure: what is left to see is growth
	// with their number (a cache keyed on m would add 3,000 answers).
	for i := range 400 {
		send("GET", fmt.Sprintf("/api/search?size=50&pad=%s&m=w%d&q=%s", pad, i, q))
	}
	before := rssMB(c.cmd.Process.Pid)
	const n = 3000
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				send("GET", fmt.Sprintf("/api/search?size=50&pad=%s&m=%d&q=%s", pad, i, q))
			}
		}()
	}
	wg.Wait()
	after := rssMB(c.cmd.Process.Pid)
	t.Logf("RSS %.0f MB before, %.0f MB after 3,000 searches with 30 KB of unknown parameters", before, after)
	if after-before >= 64 {
		t.Errorf("RSS grew by %.0f MB", after-before)
	}
	for i := range 2000 {
		send(fmt.Sprintf("X%d", i), "/api/search?q=x")
	}
	resp, err := http.Get("http://" + c.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	series := strings.Count(string(body), "\nyicha_http_requests_total{")
	t.Logf("%d request series after 2,000 invented methods", series)
	if series > 10 {
		t.Errorf("%d request series after 2,000 invented methods", series)
	}
}
