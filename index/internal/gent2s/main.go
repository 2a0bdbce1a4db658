// Command gent2s writes the traditional-to-simplified character table the
// index folds text with (see package t2sgen). Run by `go generate ./index`.
package main

import (
	"flag"
	"fmt"
	"os"

	"yicha/index/internal/t2sgen"
)

func main() {
	out := flag.String("o", "dict/t2s.txt", "output file")
	flag.Parse()
	data, err := t2sgen.Generate()
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gent2s:", err)
		os.Exit(1)
	}
}
