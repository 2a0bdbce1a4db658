package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yicha/index"
)

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	if code, _, stderr := runCLI(); code != 2 || !strings.Contains(stderr, "Commands:") {
		t.Errorf("no command: %d %q", code, stderr)
	}
	if code, _, stderr := runCLI("frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: %d %q", code, stderr)
	}
	for _, cmd := range []string{"serve", "index", "search", "check", "eval"} {
		if code, _, stderr := runCLI(cmd, "--help"); code != 0 || !strings.Contains(stderr, "Usage: yicha "+cmd) {
			t.Errorf("%s --help: %d %q", cmd, code, stderr)
		}
	}
	if code, stdout, _ := runCLI("check"); code != 0 || !strings.HasPrefix(stdout, "ok: ") {
		t.Errorf("check of the embedded corpus: %d %q", code, stdout)
	}
}

func TestCheckReportsFileAndLine(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "policies"), 0o755)
	places, _ := os.ReadFile("../../corpus/places.yaml")
	os.WriteFile(filepath.Join(dir, "places.yaml"), places, 0o644)
	good, _ := os.ReadFile("../../corpus/policies/dibao.yaml")
	os.WriteFile(filepath.Join(dir, "policies", "dibao.yaml"), bytes.Replace(good, []byte("kind: 政策类"), []byte("kind: 政策"), 1), 0o644)
	code, _, stderr := runCLI("check", "--corpus", dir)
	want := filepath.Join(dir, "policies", "dibao.yaml") + ":2: kind"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("check = %d %q, want exit 1 and %q", code, stderr, want)
	}
}

func TestIndexRefusesARunningServersData(t *testing.T) {
	dir := t.TempDir()
	held, err := index.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	code, _, stderr := runCLI("index", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "in use by another yicha process") || !strings.Contains(stderr, "admin API") {
		t.Errorf("index on a held data directory = %d %q", code, stderr)
	}
}
