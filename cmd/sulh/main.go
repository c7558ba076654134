// Command sulh runs and checks a verifiable ceasefire monitoring mechanism.
//
// Every subcommand's flags can also be set through environment variables:
// the flag's name in upper case, with '-' as '_', after SULH_ (--data is
// SULH_DATA). Flags given on the command line win.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"demo":       {"create the demo mechanism (first run) and serve it", runDemo},
	"init":       {"create a mechanism from a rulebook", runInit},
	"serve":      {"serve a mechanism: its log, API and pages", runServe},
	"key":        {"generate a key, or print a key file's verifier key", runKey},
	"rulebook":   {"print the default rulebook template", runRulebook},
	"submit":     {"sign a statement and submit it to a server", runSubmit},
	"verify-log": {"fetch a log and check every hash and signature", runVerifyLog},
	"rebuild":    {"replay the log into fresh views and print the state digest", runRebuild},
	"audit":      {"verify a server's log, replay it, and compare the server's figures with it", runAudit},
	"digest":     {"print the state digest of a mechanism's views", runDigest},
	"scan":       {"re-hash every stored evidence file and report any mismatch", runScan},
	"disclose":   {"publish a sealed statement's body and salt, to be checked against the log", runDisclose},
	"notices":    {"show the webhook delivery log", runNotices},
	"token":      {"make an API token for a member, or revoke one", runToken},
	"bench":      {"measure the ledger's throughput and latency", runBench},
	"export":     {"download the public cases as CSV, GeoJSON or ACLED's columns, or the log", runExport},
	"import":     {"file an ACLED export's events as open-source reports", runImport},
	"report":     {"fetch a daily, weekly or monthly report and the fields of its publication", runReport},
}

// usageError is a mistake in how a command was called; it exits with 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sulh: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "sulh %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "sulh %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "sulh: a concrete and verifiable ceasefire monitoring mechanism")
	fmt.Fprintln(w, "\nUsage: sulh <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'sulh <command> -h' for a command's flags. Every flag can also be set as SULH_<FLAG>.")
}

// newFlags returns a FlagSet for a subcommand that writes its usage to w.
func newFlags(name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sulh "+name, flag.ContinueOnError)
	fs.SetOutput(w)
	return fs
}

// parse sets flags from SULH_* environment variables, then from args; a
// flag on the command line wins over its variable.
func parse(fs *flag.FlagSet, args []string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "SULH_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := os.LookupEnv(name)
		if !ok || envErr != nil {
			return
		}
		if err := f.Value.Set(v); err != nil {
			envErr = usageError{fmt.Sprintf("invalid value %q for %s: %v", v, name, err)}
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// listFlag is a flag that may be repeated; a value with commas (as from an
// environment variable) adds each part.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
