package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"yicha/corpus"
	"yicha/corpus/entrystore"
	"yicha/corpus/pgstore"
	"yicha/web/admins"
)

// entriesDir is where the file entry store lives in a data directory.
const entriesDir = "entries"

// openEntries opens the store admins edit entries in: with --db the tables
// of the shared database (every publish also stores the corpus version the
// replicas follow), else the files under --data. An empty store is seeded
// with the corpus the shared database serves, if it has one, else the
// embedded corpus. Only named admins (--admins) edit entries: without them
// there is no entry store (nil) and the server serves the embedded corpus,
// so that a new release's entries are served as soon as it starts; with
// --corpus the corpus is managed in files and there is none either. A
// database that cannot be reached is no error: unreachable says why, and
// the store connects on first use.
func openEntries(ctx context.Context, env *cli, f *serveFlags, log *slog.Logger) (store entrystore.Store, unreachable, err error) {
	if f.adminsFile == "" {
		return nil, nil, nil
	}
	if f.corpusDir != "" {
		log.Info("the corpus is managed in files (--corpus): the entries API is off")
		return nil, nil, nil
	}
	seed := corpus.Embedded()
	if f.db != "" {
		pg, err := entrystore.NewPostgres(f.db)
		if err != nil {
			return nil, nil, err
		}
		pg.PushCorpus = true
		log.Info("connecting to the entry store", "db", pg.String())
		if err := pg.Connect(ctx); err != nil {
			if ctx.Err() != nil {
				pg.Close()
				return nil, nil, ctx.Err()
			}
			// The database is down: the entry store connects on first
			// use (editing waits for it); it was seeded by an earlier
			// start, or is seeded by the next.
			return pg, err, nil
		}
		store = pg
		versions, err := pgstore.Open(ctx, f.db)
		if err != nil {
			pg.Close()
			return nil, nil, err
		}
		defer versions.Close()
		if v, err := versions.Version(ctx); err == nil && v > 0 {
			seed = versions // the corpus the replicas serve today
		}
	} else {
		fs, err := entrystore.OpenFiles(filepath.Join(f.dataDir, entriesDir))
		if err != nil {
			return nil, nil, err
		}
		store = fs
	}
	empty, err := store.Empty(ctx)
	if err == nil && empty {
		err = seedStore(ctx, env, store, seed)
		if err == nil {
			log.Info("seeded the entry store", "store", store.String(), "from", seed.String())
		}
	}
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return store, nil, nil
}

// seedStore fills an empty store from a corpus source; another replica
// seeding at the same moment is no error.
func seedStore(ctx context.Context, env *cli, store entrystore.Store, src corpus.Source) error {
	snap, err := entrystore.SnapshotOf(ctx, src)
	if err != nil {
		return fmt.Errorf("seeding the entry store from %s: %w", src, err)
	}
	err = store.Seed(ctx, snap, entrystore.Change{Author: "seed", At: env.now(), Note: "from " + src.String()})
	if errors.Is(err, entrystore.ErrSeeded) {
		return nil
	}
	return err
}

// loadAdmins reads --admins and adds the single admin token, if any, as
// the publisher "admin". Without either it returns nil: no admin API.
func loadAdmins(file, token string) (*admins.Set, error) {
	var set *admins.Set
	if file != "" {
		var err error
		if set, err = admins.Load(file); err != nil {
			return nil, err
		}
	}
	if token != "" {
		if set == nil {
			set = admins.New()
		}
		if err := set.AddLegacyToken(token); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// runAdmin is `yicha admin hash-token`: the argon2id hash of a token, for
// the token_hash of an admins file.
func runAdmin(ctx context.Context, env *cli, args []string) error {
	stdout, stderr := env.stdout, env.stderr
	usage := "Usage: yicha admin hash-token [--generate]   (reads the token from standard input)"
	if len(args) == 0 || args[0] != "hash-token" {
		fmt.Fprintln(stderr, usage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	var generate bool
	fs := newFlags("admin hash-token", "[--generate]  (reads the token, one line, from standard input)", stderr)
	fs.BoolVar(&generate, "generate", false, "make a new random token and print it with its hash")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	var token string
	if generate {
		token = admins.NewToken()
	} else {
		line, err := bufio.NewReader(env.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		token = strings.TrimSpace(line)
	}
	hash, err := admins.HashToken(token)
	if err != nil {
		return err
	}
	if generate {
		fmt.Fprintf(stdout, "token: %s\n", token)
	}
	fmt.Fprintf(stdout, "token_hash: %s\n", hash)
	return nil
}

// runCorpusExport is `yicha corpus export`: the store's published corpus
// written as a corpus directory that `yicha check` reads.
func runCorpusExport(ctx context.Context, env *cli, args []string) error {
	var out, dataDir, db string
	fs := newFlags("corpus export", "--out DIR [--data DIR | --db URL]", env.stderr)
	fs.StringVar(&out, "out", "", "directory to write the corpus to (places.yaml, documents.yaml, referrals.yaml, policies/*.yaml); it must not hold one")
	fs.StringVar(&dataDir, "data", "data", "data directory of the file entry store (refused while a server runs on it)")
	fs.StringVar(&db, "db", "", "PostgreSQL URL of the entry store (else $YICHA_DB; else the files under --data)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if out == "" {
		fmt.Fprintln(env.stderr, "yicha corpus export: --out is required")
		return errUsage
	}
	var store entrystore.Store
	if url := dbURL(db); url != "" {
		pg, err := entrystore.OpenPostgres(ctx, url)
		if err != nil {
			return err
		}
		store = pg
	} else {
		lock, err := openStore(dataDir)
		if err != nil {
			return err
		}
		defer lock.Close()
		files, err := entrystore.OpenFiles(filepath.Join(dataDir, entriesDir))
		if err != nil {
			return err
		}
		store = files
	}
	defer store.Close()
	if empty, err := store.Empty(ctx); err != nil || empty {
		if err == nil {
			err = fmt.Errorf("%s holds no entries", store)
		}
		return err
	}
	snap, err := store.Snapshot(ctx)
	if err != nil {
		return err
	}
	if _, err := snap.Corpus(ctx); printProblems(env.stderr, err, "in "+store.String()+"; nothing written") {
		return errExit
	}
	if err := snap.WriteDir(out); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "exported %d entries from %s to %s\n", len(snap.Entries), store, out)
	return nil
}
