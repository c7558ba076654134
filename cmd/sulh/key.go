package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: sulh key generate --name NAME --out FILE | sulh key public --key FILE"}
	}
	switch args[0] {
	case "generate":
		fs := newFlags("key generate", stderr)
		name := fs.String("name", "", "the key's name: the member's name, or the log's origin (required)")
		out := fs.String("out", "", "file to write the private key to, with mode 0600; it must not exist (required)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *name == "" || *out == "" {
			return usageError{"--name and --out are required"}
		}
		vkey, err := statement.GenerateKey(*name, *out)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, vkey)
		return nil
	case "public":
		fs := newFlags("key public", stderr)
		key := fs.String("key", "", "private key file (required)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *key == "" {
			return usageError{"--key is required"}
		}
		b, err := os.ReadFile(*key)
		if err != nil {
			return fmt.Errorf("couldn't read key file: %w", err)
		}
		vkey, err := statement.VerifierKey(string(b))
		if err != nil {
			return fmt.Errorf("couldn't read key file %s: %w", *key, err)
		}
		fmt.Fprintln(stdout, vkey)
		return nil
	default:
		return usageError{fmt.Sprintf("unknown key command %q; use generate or public", args[0])}
	}
}

func runRulebook(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rulebook", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	_, err := stdout.Write(mechanism.DefaultRulebook)
	return err
}

// loadSigners reads private key files.
func loadSigners(paths []string) ([]note.Signer, error) {
	var out []note.Signer
	for _, p := range paths {
		s, err := statement.LoadSigner(p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
