package main

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"regexp"
	"strings"

	"yicha/corpus"
	"yicha/search"
	"yicha/search/live"
)

var markRE = regexp.MustCompile(`</?mark>`)

func runSearch(ctx context.Context, env *cli, args []string) error {
	stdout, stderr := env.stdout, env.stderr
	var c common
	var category, kind, audience, agency string
	var size int
	var online bool
	fs := newFlags("search", "[flags] QUERY…", stderr)
	c.register(fs, true)
	fs.StringVar(&category, "category", "", "only this category")
	fs.StringVar(&kind, "kind", "", "only this kind (政策类 or 服务类)")
	fs.StringVar(&audience, "audience", "", "only entries for this audience")
	fs.StringVar(&agency, "agency", "", "only entries of this agency")
	fs.BoolVar(&online, "online", false, "only entries that can be handled online")
	fs.IntVar(&size, "size", 10, "number of hits to show")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	params := map[string][]string{"q": {strings.Join(fs.Args(), " ")}, "size": {fmt.Sprint(size)}}
	for name, v := range map[string]string{"category": category, "kind": kind, "audience": audience, "agency": agency} {
		if v != "" {
			params[name] = []string{v}
		}
	}
	if online {
		params["online"] = []string{"true"}
	}
	req, err := search.ParseRequest(params)
	if err != nil {
		return err
	}
	corp, err := c.loadCorpus(ctx, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := openStore(c.dataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	svc, err := live.OpenService(ctx, store, corpus.Fixed(corp), live.ServiceOptions{Log: log, Now: env.now})
	if err != nil {
		return err
	}
	defer svc.Close()
	res, err := svc.Engine.Search(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d found\n", res.Total)
	for i, h := range res.Hits {
		mark := ""
		if h.Expired {
			mark = " [已失效]"
		}
		fmt.Fprintf(stdout, "%2d. %s%s  (%s · %s · %s)\n", req.From()+i+1, h.Policy.Title, mark, h.Policy.ID, h.Policy.Category, h.Policy.Kind)
		fmt.Fprintf(stdout, "    %s\n", html.UnescapeString(markRE.ReplaceAllString(string(h.Snippet), "")))
	}
	return nil
}
