package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
)

// LoopbackProxies are the proxies trusted when a proxy header is named and
// no other proxies are: a reverse proxy on the same machine.
var LoopbackProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// clientIP returns the echo.IPExtractor for a proxy header (X-Forwarded-For
// or X-Real-IP, empty for none) trusted from the given proxies only.
//
// Without a header the peer is the client. With X-Forwarded-For, the chain
// is walked from the right — the peer, then each address the proxies
// appended — past every trusted proxy: the first address that is not one
// is the client. Addresses a client wrote at the left of the header are
// never reached unless every proxy on the way is trusted, so a client
// cannot choose its own address, not even from a private network. An
// address that does not parse ends the walk at the last trusted hop.
func clientIP(header string, trusted []netip.Prefix) (echo.IPExtractor, error) {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	switch strings.ToLower(header) {
	case "":
		return func(r *http.Request) string { return peer(r).String() }, nil
	case "x-real-ip":
		return func(r *http.Request) string {
			p := peer(r)
			if !isTrusted(p) {
				return p.String()
			}
			if a, err := parseAddr(r.Header.Get("X-Real-IP")); err == nil {
				return a.String()
			}
			return p.String()
		}, nil
	case "x-forwarded-for":
		return func(r *http.Request) string {
			hop := peer(r)
			if !isTrusted(hop) {
				return hop.String()
			}
			var chain []string
			for _, h := range r.Header.Values("X-Forwarded-For") {
				chain = append(chain, strings.Split(h, ",")...)
			}
			for i := len(chain) - 1; i >= 0; i-- {
				a, err := parseAddr(chain[i])
				if err != nil {
					return hop.String()
				}
				if hop = a; !isTrusted(a) {
					return a.String()
				}
			}
			return hop.String()
		}, nil
	}
	return nil, fmt.Errorf("trusted proxy header must be X-Forwarded-For or X-Real-IP, not %q", header)
}

// peer is the address the connection comes from.
func peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := parseAddr(host)
	return a
}

func parseAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	return a.Unmap(), err
}

// trustedPeer reports whether a request comes straight from a trusted
// proxy.
func (s *Server) trustedPeer(r *http.Request) bool {
	p := peer(r)
	for _, t := range s.cfg.TrustedProxies {
		if t.Contains(p) {
			return true
		}
	}
	return false
}
