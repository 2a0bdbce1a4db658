package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSemverLess(t *testing.T) {
	// Each version sorts strictly before the next.
	ordered := []string{
		"not-a-version",
		"0.0.0-20230101000000-abcdef123456",
		"0.0.0",
		"0.9.1",
		"1.0.0-alpha",
		"1.0.0-alpha.1",
		"1.0.0-alpha.beta",
		"1.0.0-beta.2",
		"1.0.0-beta.11",
		"1.0.0-rc.1",
		"1.0.0",
		"1.2",
		"1.2.1",
		"1.10.0",
		"2",
		"10.0.0",
	}
	for i := range ordered {
		for j := range ordered {
			if got, want := semverLess(ordered[i], ordered[j]), i < j; got != want {
				t.Errorf("semverLess(%q, %q) = %v, want %v", ordered[i], ordered[j], got, want)
			}
		}
	}
	for _, pair := range [][2]string{{"1.2.3+build", "1.2.3"}, {"1.2", "1.2.0"}, {"", "01.2.3"}, {"1-pre", "1.2.3-01"}} {
		if semverLess(pair[0], pair[1]) || semverLess(pair[1], pair[0]) {
			t.Errorf("%q and %q should compare equal", pair[0], pair[1])
		}
	}
}

func TestWriteDB(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	entries := map[string]string{
		"GO-2026-0002": `{"id":"GO-2026-0002","modified":"2026-03-01T00:00:00Z","aliases":["CVE-2026-2"],
			"affected":[{"package":{"name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"},{"introduced":"1.3.0"},{"fixed":"1.3.4"}]}]}]}`,
		"GO-2026-0001": `{"id":"GO-2026-0001","modified":"2026-01-01T00:00:00Z",
			"affected":[{"package":{"name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.1.0"},{"introduced":"1.5.0"}]}]},
			{"package":{"name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.26.9"}]}]}]}`,
	}
	for id, e := range entries {
		if err := os.WriteFile(filepath.Join(in, id+".json"), []byte(e), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeDB(in, out); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for name, want := range map[string]string{
		"index/db.json": `{"modified":"2026-03-01T00:00:00Z"}`,
		"index/modules.json": `[{"path":"example.com/m","vulns":[{"id":"GO-2026-0001","modified":"2026-01-01T00:00:00Z"},` +
			`{"id":"GO-2026-0002","modified":"2026-03-01T00:00:00Z","fixed":"1.3.4"}]},` +
			`{"path":"stdlib","vulns":[{"id":"GO-2026-0001","modified":"2026-01-01T00:00:00Z","fixed":"1.26.9"}]}]`,
		"index/vulns.json": `[{"id":"GO-2026-0001","modified":"2026-01-01T00:00:00Z"},` +
			`{"id":"GO-2026-0002","modified":"2026-03-01T00:00:00Z","aliases":["CVE-2026-2"]}]`,
		"ID/GO-2026-0002.json": entries["GO-2026-0002"],
	} {
		if got := read(name); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}

	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "GO-2026-0003.json"), []byte(`{"id":"GO-2026-0004","modified":"2026-01-01T00:00:00Z"}`), 0o644)
	if err := writeDB(bad, t.TempDir()); err == nil {
		t.Error("an entry whose id is not its file name was accepted")
	}
}

func TestReport(t *testing.T) {
	var stream bytes.Buffer
	enc := json.NewEncoder(&stream)
	for _, m := range []any{
		map[string]any{"config": map[string]any{"go_version": "go1.27.3"}},
		map[string]any{"osv": map[string]any{"id": "GO-2026-0001", "modified": "2026-01-01T00:00:00Z", "summary": "Spoofable client address in example.com/m",
			"affected": []any{map[string]any{"package": map[string]any{"name": "example.com/m"},
				"ecosystem_specific": map[string]any{"imports": []any{map[string]any{"path": "example.com/m", "symbols": []string{"context.RealIP"}}}}}}}},
		map[string]any{"osv": map[string]any{"id": "GO-2026-0003", "modified": "2026-01-01T00:00:00Z", "summary": "Whole module",
			"affected": []any{map[string]any{"package": map[string]any{"name": "example.com/m"}}}}},
		map[string]any{"osv": map[string]any{"id": "GO-2026-0002", "modified": "2026-01-01T00:00:00Z", "summary": "Imported, never called"}},
		map[string]any{"finding": map[string]any{"osv": "GO-2026-0001", "trace": []any{
			map[string]any{"module": "example.com/m", "version": "v1.4.0", "package": "example.com/m", "function": "RealIP", "receiver": "*context"},
			map[string]any{"module": "yicha", "package": "yicha/web", "function": "handler"}}}},
		map[string]any{"finding": map[string]any{"osv": "GO-2026-0003", "trace": []any{
			map[string]any{"module": "example.com/m", "version": "v1.4.0", "package": "example.com/m", "function": "New"}}}},
		map[string]any{"finding": map[string]any{"osv": "GO-2026-0003", "trace": []any{
			map[string]any{"module": "example.com/m", "version": "v1.4.0", "package": "example.com/m", "function": "Echo", "receiver": "*Group"}}}},
		map[string]any{"finding": map[string]any{"osv": "GO-2026-0002", "fixed_version": "v1.5.0", "trace": []any{
			map[string]any{"module": "example.com/m", "version": "v1.4.0", "package": "example.com/m"}}}},
	} {
		enc.Encode(m)
	}
	var out bytes.Buffer
	n, err := report(bytes.NewReader(stream.Bytes()), &out, nil)
	if err != nil || n != 2 {
		t.Fatalf("report = %d, %v, want 2 unaccepted", n, err)
	}
	for _, want := range []string{
		"go1.27.3: 2 called", "GO-2026-0001 (NEW) Spoofable client address", "example.com/m@v1.4.0, fixed in none",
		"called: example.com/m.context.RealIP\n", "names no symbols of example.com/m, so every use counts (2 symbols called)",
		"not called: 1 more in imported packages, 0 more in required modules",
		"called, neither fixed nor accepted: GO-2026-0001, GO-2026-0003\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "GO-2026-0002 ") {
		t.Errorf("a vulnerability that is only imported is reported:\n%s", out.String())
	}
	out.Reset()
	if n, err := report(bytes.NewReader(stream.Bytes()), &out, []string{"GO-2026-0001", "GO-2026-0003", "GO-2026-0009"}); err != nil || n != 0 {
		t.Fatalf("with both accepted, report = %d, %v, want 0", n, err)
	}
	if !strings.Contains(out.String(), "GO-2026-0009 is accepted but no longer found") {
		t.Errorf("an accepted vulnerability that is gone is not pointed out:\n%s", out.String())
	}
}
