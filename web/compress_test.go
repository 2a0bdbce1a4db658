package web

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// plainTransport asks for nothing it was not told to and leaves bodies as
// sent (the default transport asks for gzip and unpacks it unseen).
var plainTransport = &http.Transport{DisableCompression: true}

// request sends a request with or without Accept-Encoding: gzip.
func (s *testServer) request(t testing.TB, method, path string, gz bool) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := plainTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGzip(t *testing.T) {
	s := newTestServer(t)
	search := "/api/search?q=" + url.QueryEscape("残疾人补贴")
	for _, p := range []string{"/", "/policies/laonian-zonghe-jintie", "/static/style.css", search} {
		plain, body := s.request(t, http.MethodGet, p, false)
		if plain.Header.Get("Content-Encoding") != "" {
			t.Errorf("GET %s without Accept-Encoding: Content-Encoding %q", p, plain.Header.Get("Content-Encoding"))
		}
		if !strings.Contains(plain.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("GET %s: Vary %q", p, plain.Header.Get("Vary"))
		}
		// Twice: the second search answer comes from the answer cache.
		for range 2 {
			zipped, zbody := s.request(t, http.MethodGet, p, true)
			if zipped.StatusCode != 200 || zipped.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("GET %s with gzip: %d, Content-Encoding %q", p, zipped.StatusCode, zipped.Header.Get("Content-Encoding"))
			}
			if len(zbody) >= len(body) {
				t.Errorf("GET %s: %d bytes gzipped, %d plain", p, len(zbody), len(body))
			}
			got := gunzip(t, zbody)
			if p == search {
				// The took time differs; compare the hits.
				var a, b struct{ Hits []SearchHit }
				if json.Unmarshal(got, &a) != nil || json.Unmarshal(body, &b) != nil || len(a.Hits) == 0 || len(a.Hits) != len(b.Hits) {
					t.Errorf("GET %s: gzipped answer differs", p)
				}
			} else if string(got) != string(body) {
				t.Errorf("GET %s: gzipped body differs from the plain one", p)
			}
		}
		head, hbody := s.request(t, http.MethodHead, p, true)
		if head.StatusCode != 200 || len(hbody) != 0 {
			t.Errorf("HEAD %s: %d with %d bytes", p, head.StatusCode, len(hbody))
		}
	}
	// Short answers go as they are.
	resp, body := s.request(t, http.MethodGet, "/healthz", true)
	if resp.Header.Get("Content-Encoding") != "" || len(body) >= gzipMinLength {
		t.Errorf("/healthz (%d bytes): Content-Encoding %q", len(body), resp.Header.Get("Content-Encoding"))
	}
	// /metrics compresses on its own, once.
	resp, body = s.request(t, http.MethodGet, "/metrics", true)
	if resp.Header.Get("Content-Encoding") == "gzip" && !strings.Contains(string(gunzip(t, body)), "# HELP") {
		t.Error("/metrics is compressed twice")
	}
}
