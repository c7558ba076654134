package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoSecretFlag checks that no subcommand has a flag that takes a token's
// secret: a command line is visible to every user of the machine.
func TestNoSecretFlag(t *testing.T) {
	anyFlag := regexp.MustCompile(`(?m)^\s+-[a-z]`)
	secretFlag := regexp.MustCompile(`(?m)^\s+-(token|secret|password)(\s|$)`)
	for _, cmd := range [][]string{{"submit"}, {"disclose"}, {"token", "new"}, {"token", "revoke"}, {"verify-log"}, {"key", "generate"}, {"key", "public"}} {
		r := runSulh(t, runOpts{}, append(cmd, "-h")...)
		if !anyFlag.MatchString(r.stderr) {
			t.Errorf("sulh %s -h lists no flags:\n%s", strings.Join(cmd, " "), r)
		}
		if m := secretFlag.FindString(r.stderr); m != "" {
			t.Errorf("sulh %s has a flag that takes a secret: %s", strings.Join(cmd, " "), strings.TrimSpace(m))
		}
	}
}

// TestDiscloseToken checks where sulh disclose takes its API token from:
// a file, standard input or SULH_TOKEN, and never a flag's value.
func TestDiscloseToken(t *testing.T) {
	key := memberKey(t)
	const secret = "sulh_TestDiscloseToken"
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notAToken := filepath.Join(dir, "not-a-token")
	if err := os.WriteFile(notAToken, []byte("PRIVATE+KEY+pakistan-liaison-1+0123+abcd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	forbidden := answerJSON(http.StatusForbidden, `{"error":{"code":"forbidden","message":"not visible to members of \"afghanistan\""}}`)
	for _, tc := range []struct {
		name  string
		args  []string
		opts  runOpts
		code  int
		error []string // on standard error
	}{
		{name: "--token-file", args: []string{"--token-file", file}},
		{name: "--token-file -", args: []string{"--token-file", "-"}, opts: runOpts{stdin: secret + "\n"}},
		{name: "SULH_TOKEN", opts: runOpts{env: []string{"SULH_TOKEN=" + secret}}},
		{name: "SULH_TOKEN_FILE", opts: runOpts{env: []string{"SULH_TOKEN_FILE=" + file}}},
		{name: "--token-file wins over SULH_TOKEN", args: []string{"--token-file", file}, opts: runOpts{env: []string{"SULH_TOKEN=sulh_other"}}},
		{name: "none", opts: runOpts{env: []string{"SULH_TOKEN="}}, code: 2, error: []string{"no API token", "--token-file FILE", "SULH_TOKEN"}},
		{name: "the old --token", args: []string{"--token", secret}, code: 2, error: []string{"no longer taken as a flag's value", "--token-file FILE", "SULH_TOKEN"}},
		{name: "a file without a token", args: []string{"--token-file", notAToken}, code: 1, error: []string{"does not hold an API token"}},
		{name: "empty standard input", args: []string{"--token-file", "-"}, code: 1, error: []string{"standard input holds no API token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, forbidden)
			args := append([]string{"disclose", "--key", key, "--server", srv.URL, "--index", "3"}, tc.args...)
			r := runSulh(t, tc.opts, args...)
			got := srv.requests()
			if tc.code != 0 {
				if r.code != tc.code {
					t.Errorf("want exit code %d:\n%s", tc.code, r)
				}
				for _, w := range tc.error {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("want %q on standard error:\n%s", w, r)
					}
				}
				if len(got) != 0 {
					t.Errorf("the server received %s %s", got[0].method, got[0].path)
				}
				return
			}
			// The fake server refuses: what matters is the token it got.
			wantFailure(t, "disclose", r, "refused (forbidden)")
			if len(got) != 1 || got[0].path != "/api/v1/sealed/3/body" || got[0].auth != "Bearer "+secret {
				t.Errorf("want one request for the sealed body with the token; got %+v", got)
			}
		})
	}
}

// TestRevokeToken checks that sulh token revoke takes the token's secret as
// sulh disclose does, or its hash, and files the secret's SHA-256.
func TestRevokeToken(t *testing.T) {
	key := memberKey(t)
	const secret = "sulh_TestRevokeToken"
	sum := sha256.Sum256([]byte(secret))
	hash := hex.EncodeToString(sum[:])
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		opts  runOpts
		code  int
		error []string
	}{
		{name: "--token-file", args: []string{"--token-file", file}},
		{name: "--token-file -", args: []string{"--token-file", "-"}, opts: runOpts{stdin: secret}},
		{name: "SULH_TOKEN", opts: runOpts{env: []string{"SULH_TOKEN=" + secret}}},
		{name: "--hash", args: []string{"--hash", hash}},
		{name: "--hash wins over SULH_TOKEN", args: []string{"--hash", hash}, opts: runOpts{env: []string{"SULH_TOKEN=sulh_other"}}},
		{name: "none", opts: runOpts{env: []string{"SULH_TOKEN="}}, code: 2, error: []string{"say which token to revoke", "--hash", "--token-file FILE", "SULH_TOKEN"}},
		{name: "both", args: []string{"--token-file", file, "--hash", hash}, code: 2, error: []string{"not both"}},
		{name: "the old --secret", args: []string{"--secret", secret}, code: 2, error: []string{"no longer taken as a flag's value", "--token-file FILE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, answerJSON(http.StatusCreated, created8))
			args := append([]string{"token", "revoke", "--key", key, "--server", srv.URL}, tc.args...)
			r := runSulh(t, tc.opts, args...)
			got := srv.requests()
			if r.code != tc.code {
				t.Fatalf("want exit code %d:\n%s", tc.code, r)
			}
			for _, w := range tc.error {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("want %q on standard error:\n%s", w, r)
				}
			}
			if tc.code != 0 {
				if len(got) != 0 {
					t.Errorf("the server received %s %s", got[0].method, got[0].path)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(string(got[0].body), `"token":"`+hash+`"`) || strings.Contains(string(got[0].body), secret) {
				t.Errorf("want one token.revoke of the secret's SHA-256 %s, without the secret; got %+v", hash, got)
			}
		})
	}
}
