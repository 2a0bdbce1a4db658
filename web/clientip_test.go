package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestClientIP walks proxy headers from the right: a client — on a private
// network too — cannot choose its address by writing one at the left.
func TestClientIP(t *testing.T) {
	lan := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tt := range []struct {
		header  string
		trusted []netip.Prefix
		peer    string
		values  []string
		want    string
	}{
		{"", LoopbackProxies, "192.168.1.50:4000", []string{"1.2.3.4"}, "192.168.1.50"},
		{"X-Forwarded-For", LoopbackProxies, "192.168.1.50:4000", []string{"1.2.3.4"}, "192.168.1.50"},            // not a proxy: header ignored
		{"X-Forwarded-For", LoopbackProxies, "127.0.0.1:4000", []string{"192.168.1.50"}, "192.168.1.50"},          // nginx in front
		{"X-Forwarded-For", LoopbackProxies, "127.0.0.1:4000", []string{"1.2.3.4, 192.168.1.50"}, "192.168.1.50"}, // a private client's own prefix is not believed
		{"X-Forwarded-For", LoopbackProxies, "127.0.0.1:4000", []string{"1.2.3.4", "192.168.1.50"}, "192.168.1.50"},
		{"X-Forwarded-For", lan, "10.0.0.2:80", []string{"8.8.8.8, 203.0.113.7, 10.0.0.9"}, "203.0.113.7"}, // two trusted hops
		{"X-Forwarded-For", lan, "10.0.0.2:80", []string{"garbage, 10.0.0.9"}, "10.0.0.9"},                 // unparsable: stop at the last trusted hop
		{"X-Forwarded-For", LoopbackProxies, "127.0.0.1:4000", nil, "127.0.0.1"},
		{"X-Forwarded-For", LoopbackProxies, "[::1]:4000", []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"X-Real-IP", LoopbackProxies, "127.0.0.1:4000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"X-Real-IP", LoopbackProxies, "192.168.1.50:4000", []string{"203.0.113.7"}, "192.168.1.50"},
	} {
		extract, err := clientIP(tt.header, tt.trusted)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		for _, v := range tt.values {
			r.Header.Add(tt.header, v)
		}
		if got := extract(r); got != tt.want {
			t.Errorf("%s %v from %s: client %s, want %s", tt.header, tt.values, tt.peer, got, tt.want)
		}
	}
	if _, err := clientIP("Forwarded", nil); err == nil {
		t.Error("an unknown header is accepted")
	}
}

// TestRateLimitBehindProxyIsNotSpoofable: a client on a private network
// behind the local reverse proxy prepends a fresh address to every request;
// it still shares one bucket.
func TestRateLimitBehindProxyIsNotSpoofable(t *testing.T) {
	base := newTestServer(t)
	h, err := NewServer(Config{Searcher: base.engine, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RateLimit: 2, RateBurst: 5, TrustProxyHeader: "X-Forwarded-For"})
	if err != nil {
		t.Fatal(err)
	}
	limited := 0
	for i := range 100 {
		r := httptest.NewRequest("GET", "/api/search?q=%E4%BD%8E%E4%BF%9D", nil)
		r.RemoteAddr = "127.0.0.1:5000"
		r.Header.Set("X-Forwarded-For", netip.AddrFrom4([4]byte{1, 2, byte(i / 250), byte(i % 250)}).String()+", 192.168.1.50")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited < 90 {
		t.Errorf("100 requests from one private client with invented addresses: %d refused, want at least 90", limited)
	}
}
