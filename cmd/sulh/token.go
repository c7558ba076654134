package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// tokenPrefix starts every token secret, so that one found in a log or a
// paste is recognisable.
const tokenPrefix = "sulh_"

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "new" && args[0] != "revoke") {
		return usageError{"usage: sulh token new --key FILE --server URL [--expires 720h] [--label TEXT] | sulh token revoke --key FILE --server URL --secret S|--hash H"}
	}
	fs := newFlags("token "+args[0], stderr)
	key := fs.String("key", "", "the member's private key file (required); an administrator's key may revoke its members' tokens")
	server := fs.String("server", "", "base URL of the sulh server (required)")
	expires := fs.Duration("expires", 30*24*time.Hour, "how long the token is valid (new)")
	label := fs.String("label", "", "a note on where the token is used (new)")
	secret := fs.String("secret", "", "the token's secret (revoke)")
	hash := fs.String("hash", "", "the SHA-256 of the token's secret, in hex (revoke)")
	reason := fs.String("reason", "", "why it is revoked (revoke)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *key == "" || *server == "" {
		return usageError{"--key and --server are required"}
	}
	signers, err := loadSigners([]string{*key})
	if err != nil {
		return err
	}
	if args[0] == "revoke" {
		h := *hash
		if *secret != "" {
			sum := sha256.Sum256([]byte(*secret))
			h = hex.EncodeToString(sum[:])
		}
		if h == "" {
			return usageError{"give --secret or --hash"}
		}
		raw, _ := json.Marshal(map[string]any{"kind": mechanism.KindTokenRevoke, "token": h, "reason": *reason})
		body, err := newSender(*server, stderr).submitStatement(ctx, raw, signers)
		if err != nil {
			return err
		}
		_, err = stdout.Write(body)
		return err
	}
	var b [32]byte
	rand.Read(b[:])
	s := tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(s))
	expiry := statement.FormatTime(time.Now().Add(*expires).Truncate(time.Second))
	raw, _ := json.Marshal(map[string]any{
		"kind": mechanism.KindTokenIssue, "token": hex.EncodeToString(sum[:]), "expires": expiry, "label": *label,
	})
	if _, err := newSender(*server, stderr).submitStatement(ctx, raw, signers); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Token for %s, valid until %s. Keep it secret: the log holds only its SHA-256.\n", signers[0].Name(), expiry)
	fmt.Fprintln(stdout, s)
	return nil
}
