package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneralDictionaryIsGenerated regenerates index/dict/general.txt from
// gse's dictionary at the version go.mod requires and requires the
// checked-in file to match: run `go generate ./index` after upgrading gse.
func TestGeneralDictionaryIsGenerated(t *testing.T) {
	src, err := gseDictionary()
	if err != nil {
		t.Skipf("gse's dictionary cannot be located: %v", err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var want bytes.Buffer
	if _, _, err := generate(&want, in, 5); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../dict/general.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("index/dict/general.txt is not what gse's dictionary gives now; run go generate ./index")
	}
}
