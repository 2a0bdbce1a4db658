package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"yicha/corpus"
	"yicha/corpus/pgstore"
)

// dbURL returns the database URL of --db, else $YICHA_DB ("" for none).
func dbURL(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return strings.TrimSpace(os.Getenv("YICHA_DB"))
}

// pushCorpus validates the corpus of c, as of now (corpus.CheckTrust, as
// `yicha check` does), and stores it in db as a new version (nothing when
// it equals the latest), if the latest is still basedOn (else a
// *pgstore.StaleError). A corpus much smaller than the latest version is
// refused unless shrink.
func pushCorpus(ctx context.Context, c *common, db *pgstore.Store, now time.Time, basedOn int64, shrink bool) (int64, bool, error) {
	src, err := c.source()
	if err != nil {
		return 0, false, err
	}
	corp, err := src.Load(ctx)
	if err != nil {
		return 0, false, err
	}
	if probs := corpus.CheckTrust(corp, now); len(probs) > 0 {
		return 0, false, &corpus.CheckError{Problems: probs}
	}
	if shrink {
		return db.PushShrinking(ctx, corp, src.String(), basedOn)
	}
	return db.Push(ctx, corp, src.String(), basedOn)
}

func runCorpus(ctx context.Context, env *cli, args []string) error {
	stdout, stderr := env.stdout, env.stderr
	if len(args) > 0 && args[0] == "export" {
		return runCorpusExport(ctx, env, args[1:])
	}
	if len(args) == 0 || args[0] != "push" {
		fmt.Fprintln(stderr, "Usage: yicha corpus push --db URL [--corpus DIR|FILE.jsonl] [--based-on VERSION] [--allow-shrink]\n       yicha corpus export --out DIR [--data DIR | --db URL]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	var c common
	var db string
	fs := newFlags("corpus push", "--db URL [--corpus DIR|FILE.jsonl] [--based-on VERSION] [--allow-shrink]", stderr)
	c.register(fs, false)
	fs.StringVar(&db, "db", "", "PostgreSQL URL of the shared corpus store (else $YICHA_DB)")
	allowShrink := fs.Bool("allow-shrink", false, "push even when the corpus has over 10% fewer entries than the latest version")
	basedOn := fs.Int64("based-on", -1, "the store version the corpus was made from: refused if another has been stored since (default: the latest when the push starts)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	url := dbURL(db)
	if url == "" {
		fmt.Fprintln(stderr, "yicha corpus push: --db or $YICHA_DB is required")
		return errUsage
	}
	store, err := pgstore.Open(ctx, url)
	if err != nil {
		return err
	}
	defer store.Close()
	if *basedOn < 0 {
		// Based on what the store holds now: a push stored by someone else
		// while this one reads and checks the corpus is not replaced.
		if *basedOn, err = store.Version(ctx); err != nil {
			return err
		}
	}
	v, stored, err := pushCorpus(ctx, &c, store, env.now(), *basedOn, *allowShrink)
	var stale *pgstore.StaleError
	if errors.As(err, &stale) {
		fmt.Fprintf(stderr, "yicha corpus push: %s: version %d was stored since version %d, which this push was based on; nothing pushed (check version %d, then push with --based-on %d to replace it)\n",
			store, stale.Latest, stale.BasedOn, stale.Latest, stale.Latest)
		return errExit
	}
	if printProblems(stderr, err, fmt.Sprintf("in corpus %s; nothing pushed", c.corpusName())) {
		return errExit
	}
	if err != nil {
		return err
	}
	if !stored {
		fmt.Fprintf(stdout, "unchanged: %s already holds this corpus as version %d\n", store, v)
		return nil
	}
	fmt.Fprintf(stdout, "pushed corpus %s to %s as version %d; replicas follow\n", c.corpusName(), store, v)
	return nil
}
