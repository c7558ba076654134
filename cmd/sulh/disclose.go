package main

import (
	"context"
	"encoding/json"
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
	token := fs.String("token", "", "an API token of a member who may read the sealed body (required)")
	index := fs.Int64("index", -1, "log index of the sealed statement (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *key == "" || *server == "" || *token == "" || *index < 0 {
		return usageError{"usage: sulh disclose --key FILE --server URL --token SECRET --index N"}
	}
	signers, err := loadSigners([]string{*key})
	if err != nil {
		return err
	}
	s := newSender(*server, stderr)
	a, _, err := s.do(ctx, "fetch the sealed body", "GET", fmt.Sprintf("/api/v1/sealed/%d/body", *index), "", *token, nil)
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
