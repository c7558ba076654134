package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

func runDisclose(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("disclose", stderr)
	key := fs.String("key", "", "private key of the sealed statement's author, or of a mediator (required)")
	server := fs.String("server", "", "base URL of the sulh server (required)")
	tokenFile := fs.String("token-file", "", "file holding the API token of a member who may read the sealed body, - for standard input (default: $"+tokenEnv+")")
	index := fs.Int64("index", -1, "log index of the sealed statement (required)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sulh disclose --key FILE --server URL [--token-file FILE|-] --index N")
		fmt.Fprintln(stderr, "\nFetches a sealed statement's body and salt with an API token that may read")
		fmt.Fprintln(stderr, "them, and files the disclosure statement that publishes them. The token's")
		fmt.Fprintf(stderr, "secret is read from --token-file or from $%s, never from a flag's value.\n", tokenEnv)
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return secretFlagGone(err)
	}
	if *key == "" || *server == "" || *index < 0 {
		return usageError{"usage: sulh disclose --key FILE --server URL [--token-file FILE|-] --index N"}
	}
	token, err := readToken(*tokenFile)
	if errors.Is(err, errNoToken) {
		return usageError{"no API token to fetch the sealed body with: " + howToGiveToken}
	}
	if err != nil {
		return err
	}
	signers, err := loadSigners([]string{*key})
	if err != nil {
		return err
	}
	s := newSender(*server, stderr)
	a, _, err := s.do(ctx, "fetch the sealed body", "GET", fmt.Sprintf("/api/v1/sealed/%d/body", *index), "", token, nil)
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return a.refusal()
	}
	var sb web.SealedBody
	if err := json.Unmarshal(a.body, &sb); err != nil {
		return fmt.Errorf("couldn't read the sealed body: %w", err)
	}
	var inner statement.Fields
	if err := json.Unmarshal(sb.Body, &inner); err != nil {
		return fmt.Errorf("couldn't read the sealed body: %w", err)
	}
	// The body goes in exactly as it was hashed. The time is fixed here,
	// so a retry sends the same disclosure.
	obj, err := json.Marshal(map[string]any{
		"mechanism": inner.Mechanism, "kind": mechanism.KindDisclosure, "author": signers[0].Name(),
		"at": statement.FormatTime(time.Now().Truncate(time.Second)), "refs": []statement.Ref{},
		"sealed": *index, "salt": sb.Salt, "body": sb.Body,
	})
	if err != nil {
		return err
	}
	msg, err := statement.Sign(obj, signers...)
	if err != nil {
		return err
	}
	rcpt, err := s.post(ctx, "/api/v1/statements", "text/plain; charset=utf-8", msg, msg)
	if err != nil {
		return err
	}
	_, err = stdout.Write(rcpt)
	return err
}
