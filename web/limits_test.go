package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/index"
	"yicha/search"
)

func TestRateLimit(t *testing.T) {
	c, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	store, _ := index.OpenStore(t.TempDir())
	defer store.Close()
	idx, _, err := store.Build(context.Background(), c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	eng, _ := search.New(idx, c, corpustest.Pinned(t).Now)
	h, err := NewServer(Config{Searcher: eng, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RateLimit: 2, RateBurst: 5})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func(path, header, addr string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if header != "" {
			req.Header.Set(header, addr)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	limited, retry := 0, ""
	for i := 0; i < 20; i++ {
		// A stranger's X-Forwarded-For or X-Real-IP must not give a fresh
		// bucket: echo's RealIP believed them when no IPExtractor was set
		// (GO-2026-6872), so the server always sets one.
		header := []string{"X-Forwarded-For", "X-Real-IP"}[i%2]
		if resp := get("/api/search?q=%E4%BD%8E%E4%BF%9D", header, "10.0.0."+string(rune('1'+i%9))); resp.StatusCode == http.StatusTooManyRequests {
			limited++
			retry = resp.Header.Get("Retry-After")
		}
	}
	if limited < 10 || retry == "" {
		t.Errorf("a burst of 20 over a limit of 2/s with burst 5 got %d answers 429 (Retry-After %q)", limited, retry)
	}
	if resp := get("/healthz", "", ""); resp.StatusCode != 200 {
		t.Errorf("healthz is rate limited: %d", resp.StatusCode)
	}
}
