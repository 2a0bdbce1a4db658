package main

import (
	"context"
	"fmt"
	"time"

	"yicha/corpus"
	"yicha/index"
)

func runCheck(ctx context.Context, env *cli, args []string) error {
	stdout, stderr := env.stdout, env.stderr
	var c common
	var date string
	fs := newFlags("check", "[--corpus DIR] [--date YYYY-MM-DD]", stderr)
	c.register(fs, false)
	fs.StringVar(&date, "date", "", "check as of this day (default: today): which entries have expired or expire within 60 days")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	now := env.now()
	if date != "" {
		d, err := corpus.ParseDate(date)
		if err != nil {
			fmt.Fprintf(stderr, "yicha check: --date %q is not a date of the form YYYY-MM-DD\n", date)
			return errUsage
		}
		// The middle of that day in Shanghai.
		now = d.Add(12 * time.Hour)
	}
	vocab, err := index.CheckVocabulary()
	if err != nil {
		return err
	}
	for _, p := range vocab {
		fmt.Fprintln(stderr, p)
	}
	corp, err := c.loadCorpus(ctx, stderr)
	if err != nil {
		return err
	}
	dated := corpus.CheckTrust(corp, now)
	for _, p := range dated {
		fmt.Fprintln(stderr, p)
	}
	notices := corp.ExpiryNotices(now, corpus.ExpiryWindow)
	for _, n := range notices {
		fmt.Fprintln(stderr, n)
	}
	if len(vocab)+len(dated) > 0 {
		fmt.Fprintf(stderr, "%d problem(s) in the vocabulary, %d in the corpus as of %s\n", len(vocab), len(dated), corpus.Today(now))
		return errExit
	}
	expired, soon := corp.Expiries(now, corpus.ExpiryWindow)
	fmt.Fprintf(stdout, "ok: %d entries in corpus %s, %d sites; as of %s, %d expired, %d expiring within %d days\n",
		len(corp.Policies), c.corpusName(), len(corp.Sites.List), corpus.Today(now), len(expired), len(soon), int(corpus.ExpiryWindow.Hours()/24))
	return nil
}
