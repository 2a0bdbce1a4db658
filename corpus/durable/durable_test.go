package durable

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestReplaceIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	if err := Replace(dir, "m.json", "m.json.tmp-*", []byte("one"), nil); err != nil {
		t.Fatal(err)
	}
	crash := errors.New("crash")
	if err := Replace(dir, "m.json", "m.json.tmp-*", []byte("two"), func() error { return crash }); !errors.Is(err, crash) {
		t.Fatalf("Replace stopped before its rename = %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "m.json")); string(got) != "one" {
		t.Errorf("after a stopped replace the file holds %q, want the old %q", got, "one")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "m.json.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if err := Create(filepath.Join(dir, "c.jsonl"), func(w io.Writer) error { _, err := io.WriteString(w, "x\n"); return err }); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "c.jsonl")); string(got) != "x\n" {
		t.Errorf("Create wrote %q", got)
	}
}
