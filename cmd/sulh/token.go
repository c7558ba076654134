package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// tokenPrefix starts every token secret, so that one found in a log or a
// paste is recognisable.
const tokenPrefix = "sulh_"

// tokenEnv is the environment variable that may hold an API token's
// secret. No flag takes the secret itself: a command line is visible to
// every user of the machine (ps) and stays in shell history.
const tokenEnv = "SULH_TOKEN"

// howToGiveToken says how a command takes a token's secret.
const howToGiveToken = "give its secret in a file, --token-file FILE (- for standard input), or in the environment variable " + tokenEnv +
	"; never as a flag's value, which every user of the machine can read"

// errNoToken is readToken's answer when no token is given.
var errNoToken = errors.New("no API token")

// readToken returns the API token secret in file (- for standard input)
// or, when file is "", in $SULH_TOKEN; errNoToken if there is none.
func readToken(file string) (string, error) {
	var secret, from string
	switch file {
	case "":
		secret, from = os.Getenv(tokenEnv), "$"+tokenEnv
		if strings.TrimSpace(secret) == "" {
			return "", errNoToken
		}
	default:
		var r io.Reader = os.Stdin
		from = "standard input"
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return "", fmt.Errorf("couldn't read the API token: %w", err)
			}
			defer f.Close()
			r, from = f, file
		}
		b, err := io.ReadAll(io.LimitReader(r, 4096))
		if err != nil {
			return "", fmt.Errorf("couldn't read the API token from %s: %w", from, err)
		}
		secret = string(b)
	}
	secret = strings.TrimSpace(secret)
	switch {
	case secret == "":
		return "", fmt.Errorf("%s holds no API token", from)
	case !strings.HasPrefix(secret, tokenPrefix) || strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r > '~' }):
		// Nothing else, a key above all, is sent as a token.
		return "", fmt.Errorf("%s does not hold an API token: one line that starts with %s, as sulh token new prints", from, tokenPrefix)
	}
	return secret, nil
}

// secretFlagGone turns the complaint about an unknown --token or --secret,
// flags that once took a token's secret, into one that says how to give it.
func secretFlagGone(err error) error {
	var ue usageError
	if errors.As(err, &ue) && (ue.msg == "flag provided but not defined: -token" || ue.msg == "flag provided but not defined: -secret") {
		return usageError{"a token's secret is no longer taken as a flag's value: " + howToGiveToken}
	}
	return err
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "new" && args[0] != "revoke") {
		return usageError{"usage: sulh token new --key FILE --server URL [--expires 720h] [--label TEXT] | sulh token revoke --key FILE --server URL [--token-file FILE|- | --hash H]"}
	}
	fs := newFlags("token "+args[0], stderr)
	key := fs.String("key", "", "the member's private key file (required); an administrator's key may revoke its members' tokens")
	server := fs.String("server", "", "base URL of the sulh server (required)")
	expires := fs.Duration("expires", 30*24*time.Hour, "how long the token is valid (new)")
	label := fs.String("label", "", "a note on where the token is used (new)")
	tokenFile := fs.String("token-file", "", "file holding the secret of the token to revoke, - for standard input (revoke; default: $"+tokenEnv+")")
	hash := fs.String("hash", "", "the SHA-256 of the token's secret, in hex, instead of the secret (revoke)")
	reason := fs.String("reason", "", "why it is revoked (revoke)")
	if err := parse(fs, args[1:]); err != nil {
		return secretFlagGone(err)
	}
	if *key == "" || *server == "" {
		return usageError{"--key and --server are required"}
	}
	if args[0] == "revoke" && *tokenFile != "" && *hash != "" {
		return usageError{"give --token-file or --hash, not both"}
	}
	h := *hash
	if args[0] == "revoke" && h == "" {
		secret, err := readToken(*tokenFile)
		if errors.Is(err, errNoToken) {
			return usageError{"say which token to revoke: --hash H, the SHA-256 of its secret, or the secret itself: " + howToGiveToken}
		}
		if err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(secret))
		h = hex.EncodeToString(sum[:])
	}
	signers, err := loadSigners([]string{*key})
	if err != nil {
		return err
	}
	send := newSender(*server, stderr)
	if args[0] == "revoke" {
		raw, _ := json.Marshal(map[string]any{"kind": mechanism.KindTokenRevoke, "token": h, "reason": *reason})
		body, err := send.submitStatement(ctx, raw, signers)
		if err != nil {
			return err
		}
		_, err = stdout.Write(body)
		return err
	}
	var b [32]byte
	rand.Read(b[:])
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(secret))
	expiry := statement.FormatTime(time.Now().Add(*expires).Truncate(time.Second))
	raw, _ := json.Marshal(map[string]any{
		"kind": mechanism.KindTokenIssue, "token": hex.EncodeToString(sum[:]), "expires": expiry, "label": *label,
	})
	if _, err := send.submitStatement(ctx, raw, signers); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Token for %s, valid until %s. Keep it secret: the log holds only its SHA-256.\n", signers[0].Name(), expiry)
	fmt.Fprintln(stdout, secret)
	return nil
}
