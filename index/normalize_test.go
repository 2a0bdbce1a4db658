package index

import (
	"os"
	"testing"

	"yicha/index/internal/t2sgen"
)

// TestT2STableIsGenerated regenerates the character table from OpenCC and
// requires the checked-in one to be the same: run `go generate ./index`
// after upgrading OpenCC.
func TestT2STableIsGenerated(t *testing.T) {
	want, err := t2sgen.Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("dict/t2s.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("index/dict/t2s.txt is not what OpenCC's t2s gives now; run go generate ./index")
	}
	if got := t2sText; got != string(want) {
		t.Fatal("the embedded table differs from index/dict/t2s.txt")
	}
}

func TestParseT2SRejectsBadLines(t *testing.T) {
	for _, bad := range []string{"殘", "殘 残疾", "a 殘", "殘残", "殘  残", "\xff 残"} {
		if _, err := parseT2S(t2sgen.Header + "\n" + bad + "\n" + t2sText); err == nil {
			t.Errorf("line %q accepted", bad)
		}
	}
	if _, err := parseT2S(""); err == nil {
		t.Error("an empty table accepted")
	}
}
