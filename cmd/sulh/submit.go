package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/web"
)

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("submit", stderr)
	var keys listFlag
	fs.Var(&keys, "key", "private key file to sign with (required); repeat to add co-signers, the first is the author")
	server := fs.String("server", "", "base URL of the sulh server, such as http://127.0.0.1:8080 (required)")
	var sealFor listFlag
	fs.Var(&sealFor, "seal-for", "file the statement sealed: only the author's body and these bodies (comma-separated ids) may read it until it is disclosed")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sulh submit --key FILE [--key FILE...] --server URL [FILE|-]")
		fmt.Fprintln(stderr, "\nSigns the statement JSON in FILE (or standard input) and submits it. Missing")
		fmt.Fprintln(stderr, "fields are filled in: mechanism (from the server), author (the first key's")
		fmt.Fprintln(stderr, "name), at (now) and refs (none).")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(keys) == 0 || *server == "" || fs.NArg() > 1 {
		return usageError{"usage: sulh submit --key FILE --server URL [FILE|-]"}
	}
	var in io.Reader = os.Stdin
	if name := fs.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("couldn't read statement: %w", err)
		}
		defer f.Close()
		in = f
	}
	raw, err := io.ReadAll(io.LimitReader(in, statement.MaxSize+1))
	if err != nil {
		return fmt.Errorf("couldn't read statement: %w", err)
	}
	signers, err := loadSigners(keys)
	if err != nil {
		return err
	}
	var body []byte
	if len(sealFor) > 0 {
		body, err = submitSealed(ctx, *server, raw, signers, sealFor)
	} else {
		body, err = submitStatement(ctx, *server, raw, signers)
	}
	if err != nil {
		return err
	}
	_, err = stdout.Write(body)
	return err
}

// submitStatement completes the statement JSON raw (see completeStatement),
// signs it with signers, the first being the author, and submits it to the
// server at base. It returns the server's receipt.
func submitStatement(ctx context.Context, server string, raw []byte, signers []note.Signer) ([]byte, error) {
	base := strings.TrimSuffix(server, "/")
	client := &http.Client{Timeout: 30 * time.Second}
	obj, err := completeStatement(ctx, client, base, raw, signers[0].Name())
	if err != nil {
		return nil, err
	}
	msg, err := statement.Sign(obj, signers...)
	if err != nil {
		return nil, err
	}
	return postTo(ctx, client, base+"/api/v1/statements", "text/plain; charset=utf-8", msg)
}

// postTo posts body to url and returns the answer of a 201, or the server's
// refusal as an error.
func postTo(ctx context.Context, client *http.Client, url, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("couldn't submit: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated {
		return nil, refusal(resp, answer)
	}
	return answer, nil
}

// refusal turns an error answer into an error that says why.
func refusal(resp *http.Response, answer []byte) error {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(answer, &e) == nil && e.Error.Code != "" {
		return fmt.Errorf("refused (%s): %s", e.Error.Code, e.Error.Message)
	}
	return fmt.Errorf("refused: %s: %s", resp.Status, strings.TrimSpace(string(answer)))
}

// submitSealed completes the statement JSON raw, seals it for the bodies
// in visibility (its author's own body always sees it), and files the
// sealed statement with its body.
func submitSealed(ctx context.Context, server string, raw []byte, signers []note.Signer, visibility []string) ([]byte, error) {
	base := strings.TrimSuffix(server, "/")
	client := &http.Client{Timeout: 30 * time.Second}
	body, err := completeStatement(ctx, client, base, raw, signers[0].Name())
	if err != nil {
		return nil, err
	}
	var inner statement.Fields
	if err := json.Unmarshal(body, &inner); err != nil {
		return nil, err
	}
	salt := make([]byte, 32)
	rand.Read(salt)
	outer, err := json.Marshal(map[string]any{
		"mechanism": inner.Mechanism, "kind": mechanism.KindSealed, "author": inner.Author, "at": inner.At, "refs": []statement.Ref{},
		"sealed_kind": inner.Kind, "visibility": visibility, "digest": mechanism.SealDigest(salt, body),
	})
	if err != nil {
		return nil, err
	}
	msg, err := statement.Sign(outer, signers...)
	if err != nil {
		return nil, err
	}
	req, err := json.Marshal(web.SealedRequest{Statement: string(msg), Salt: hex.EncodeToString(salt), Body: body})
	if err != nil {
		return nil, err
	}
	return postTo(ctx, client, base+"/api/v1/sealed", "application/json", req)
}

// completeStatement fills in the fields a statement needs that the file
// leaves out. The result is compact JSON with its keys sorted.
func completeStatement(ctx context.Context, client *http.Client, base string, raw []byte, author string) ([]byte, error) {
	raw, err := timesToUTC(raw)
	if err != nil {
		return nil, fmt.Errorf("the statement is not a JSON object: %w", err)
	}
	var obj map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&obj); err != nil {
		return nil, fmt.Errorf("the statement is not a JSON object: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("the statement has data after its JSON object")
	}
	set := func(k string, v any) error {
		if _, ok := obj[k]; ok {
			return nil
		}
		b, err := json.Marshal(v)
		obj[k] = b
		return err
	}
	if _, ok := obj["mechanism"]; !ok {
		id, err := mechanismID(ctx, client, base)
		if err != nil {
			return nil, err
		}
		set("mechanism", id)
	}
	set("author", author)
	set("at", statement.FormatTime(time.Now().Truncate(time.Second)))
	set("refs", []statement.Ref{})
	return json.Marshal(obj)
}

// timeKeys are the statement fields that hold times.
var timeKeys = map[string]bool{"at": true, "time": true, "since": true, "start": true, "end": true, "deadline": true,
	"expires": true, "date": true, "from": true, "to": true}

// timesToUTC rewrites every time the statement gives with a zone offset,
// such as 2025-10-20T22:00:00+05:00 (Pakistan time), in UTC, as
// statements are signed: 2025-10-20T17:00:00Z.
func timesToUTC(raw []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return raw, nil // completeStatement says what is wrong
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && timeKeys[k] {
					if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
						v[k] = statement.FormatTime(t)
					}
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return json.Marshal(v)
}

func mechanismID(ctx context.Context, client *http.Client, base string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/mechanism", nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("couldn't ask the server for its mechanism: %w", err)
	}
	defer resp.Body.Close()
	var m struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m) != nil || m.ID == "" {
		return "", fmt.Errorf("couldn't ask the server for its mechanism: %s", resp.Status)
	}
	return m.ID, nil
}
