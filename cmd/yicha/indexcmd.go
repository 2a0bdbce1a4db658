package main

import (
	"context"
	"fmt"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"yicha/index"
)

func runIndex(ctx context.Context, env *cli, args []string) error {
	stdout, stderr := env.stdout, env.stderr
	var c common
	fs := newFlags("index", "[--corpus DIR|FILE.jsonl] [--data DIR]", stderr)
	c.register(fs, true)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	store, err := openStore(c.dataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	// The segmenter loads while the corpus does, and is kept prepared in
	// the data directory for the server's start.
	index.Preload(c.dataDir)
	corp, err := c.loadCorpus(ctx, stderr)
	if err != nil {
		return err
	}
	var progress index.Progress
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && len(corp.Policies) >= 1000 {
		bar := progressbar.NewOptions(len(corp.Policies), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("indexing"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		progress = func(done, total int) { bar.Set(done) }
	}
	idx, m, err := store.Build(ctx, corp, progress)
	if err != nil {
		return err
	}
	defer idx.Close()
	if err := store.Activate(m); err != nil {
		return err
	}
	if err := store.Clean(); err != nil {
		fmt.Fprintf(stderr, "removing old indexes: %v\n", err)
	}
	fmt.Fprintf(stdout, "indexed %d entries into %s in %.2fs\n", m.Docs, c.dataDir, m.BuildSeconds)
	return nil
}
