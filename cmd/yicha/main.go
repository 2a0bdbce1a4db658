// Command yicha serves the policy search site and runs its admin commands:
// serve, index, search and check.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *cli, args []string) error
}

// cli is what a command runs with: where it writes, and the clock that
// says which entries have expired (tests pin it).
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	now            func() time.Time
}

var commands = []command{
	{"serve", "serve the site and the JSON API", runServe},
	{"index", "(re)build the search index of the corpus", runIndex},
	{"search", "search the corpus from the command line", runSearch},
	{"check", "validate every corpus file, printing file:line: message", runCheck},
	{"eval", "measure search quality on a BEIR data set", runEval},
	{"corpus", "corpus push | export: store a corpus in the shared database, or write the entry store's corpus as files", runCorpus},
	{"admin", "admin hash-token: the hash of an admin's token, for the admins file", runAdmin},
}

// errExit ends the program with status 1 after the command has printed why.
var errExit = errors.New("exit 1")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, now: clock()}, os.Args[1:]))
}

func run(ctx context.Context, env *cli, args []string) int {
	stderr := env.stderr
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.Is(err, errExit):
			return 1
		}
		fmt.Fprintf(stderr, "yicha %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "yicha: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: yicha COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'yicha COMMAND --help' for the flags of a command.")
}

var errUsage = errors.New("usage")

// newFlags returns a flag set that prints its usage to stderr and reports
// errors instead of exiting.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("yicha "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: yicha %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}
